"""LoRA / QLoRA supervised fine-tuning with transformers + peft (XiYan `sft4xiyan` arguments).

A plain `transformers.Trainer` rather than TRL's SFTTrainer: the loss mask is built here from
the harness chat rendering (`pipeline.dataset.tokenize_conversation`), which is the part that
must match evaluation, and one dependency fewer keeps the CPU/CI path small. The argument
dataclasses keep XiYan's names and defaults so its launch scripts' flags work unchanged.

`python -m pipeline.train --recipe pipeline/configs/tiny.yaml [--max_steps 20 ...]` builds
the dataset (and, for the tiny recipe, the tokenizer and base model), trains, saves the
adapter to `<work_dir>/adapters/sft` and writes `<work_dir>/run_manifest.json`. Checkpoints go
to `<work_dir>/train/checkpoint-N` every `save_steps`; a rerun resumes from the last one.
Multi-GPU: `accelerate launch --config_file pipeline/configs/zero3.yaml -m pipeline.train ...`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import transformers

from harness.atomic import write_text_atomic
from harness.registry import artifact_sha256
from pipeline.dataset import (
    IGNORE_INDEX,
    build_dataset,
    load_conversations,
    tokenize_conversation,
)
from pipeline.recipe import Recipe, git_sha, load_recipe
from pipeline.tiny_model import build_tiny_model, parameter_count
from pipeline.tokenizer import corpus, train_tokenizer

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class ModelArguments:
    """Which base model to fine-tune (a hub name or a local directory)."""

    model_name_or_path: str = "meta-llama/Llama-3.1-70B-Instruct"
    base_adapters: list[str] = field(default_factory=list, metadata={
        "help": "Adapters merged into the base, in order, before training (DAPT → SFT)."})


@dataclass
class DataArguments:
    """The conversation JSON written by pipeline.dataset."""

    data_path: str = ""
    pad_to_model_max_length: bool = field(default=False, metadata={
        "help": "Pad every batch to model_max_length: fixed-shape steps, so a benchmark "
                "measures full-length sequences (padding costs the same compute)."})


@dataclass
class TrainingArguments(transformers.TrainingArguments):
    """transformers' arguments plus XiYan's (`model_max_length`, `use_lora`, `cache_dir`)."""

    cache_dir: str | None = None
    optim: str = "adamw_torch"
    model_max_length: int = field(default=8192, metadata={
        "help": "Longest tokenised conversation; longer ones are dropped (never cut)."})
    use_lora: bool = True


@dataclass
class LoraArguments:
    """The LoRA adapter (defaults: the production recipe's)."""

    lora_r: int = 32
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_target_modules: list[str] = field(default_factory=lambda: list(LORA_TARGETS))
    lora_bias: str = "none"
    lora_modules_to_save: list[str] = field(default_factory=list, metadata={
        "help": "Modules trained in full beside the adapter (the tiny recipe's random "
                "embeddings and head, which LoRA alone cannot move far enough)."})
    q_lora: bool = False


ARGUMENT_CLASSES = (ModelArguments, DataArguments, TrainingArguments, LoraArguments)


class SupervisedDataset:
    """Tokenised conversations with their loss masks; conversations that do not fit are
    counted in `dropped`, not truncated."""

    def __init__(self, records: Sequence[dict[str, Any]], tokenizer: Any, max_length: int):
        encoded = [tokenize_conversation(tokenizer, r, max_length) for r in records]
        self.items = [e for e in encoded if e is not None]
        self.dropped = len(encoded) - len(self.items)
        if not self.items:
            raise ValueError(f"no conversation fits model_max_length={max_length}")

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.items[index]


class PadCollator:
    """Right-pads a batch (to its longest item, or to `width` when given): pad id for inputs,
    IGNORE_INDEX for labels, 0 in the mask."""

    def __init__(self, pad_token_id: int, width: int | None = None) -> None:
        self.pad_token_id = pad_token_id
        self.width = width

    def __call__(self, batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        width = self.width or max(len(item["input_ids"]) for item in batch)

        def pad(key: str, value: int) -> Any:
            return torch.tensor([item[key] + [value] * (width - len(item[key]))
                                 for item in batch])

        ids = pad("input_ids", self.pad_token_id)
        mask = torch.tensor([[1] * len(item["input_ids"]) + [0] * (width - len(item["input_ids"]))
                             for item in batch])
        return {"input_ids": ids, "labels": pad("labels", IGNORE_INDEX), "attention_mask": mask}


def parse_arguments(argv: Sequence[str]) -> tuple[Any, ...]:
    """The four argument dataclasses from a `--name value` command line."""
    parser = transformers.HfArgumentParser(ARGUMENT_CLASSES)
    return parser.parse_args_into_dataclasses(args=list(argv))


def section_argv(settings: dict[str, Any]) -> list[str]:
    """A recipe section as command-line flags (lists become several values)."""
    argv: list[str] = []
    for key, value in settings.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        argv += [f"--{key}", *(str(v) for v in values)]
    return argv


def _load_model(model_args: ModelArguments, training_args: TrainingArguments,
                lora_args: LoraArguments) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if training_args.bf16 else torch.float32
    kwargs: dict[str, Any] = {"dtype": dtype, "cache_dir": training_args.cache_dir,
                              "attn_implementation": _attention_implementation()}
    if lora_args.q_lora:
        if not torch.cuda.is_available():
            raise RuntimeError("q_lora loads the base in 4-bit with bitsandbytes: it needs a GPU")
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16)
        if model_args.base_adapters:
            raise ValueError("base_adapters are merged in BF16; merge them first "
                             "(pipeline.merge) and train QLoRA on the merged model")
    model = AutoModelForCausalLM.from_pretrained(model_args.model_name_or_path, **kwargs)
    if model_args.base_adapters:
        from pipeline.merge import merge_adapters

        model = merge_adapters(model, model_args.base_adapters)
    return model


def _attention_implementation() -> str:
    """FlashAttention-2 when installed (GPU), else PyTorch SDPA."""
    import importlib.util

    import torch

    if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def _wrap_lora(model: Any, training_args: TrainingArguments, lora_args: LoraArguments) -> Any:
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if lora_args.q_lora:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=training_args.gradient_checkpointing)
    elif training_args.gradient_checkpointing:
        # The frozen embeddings give no grad-requiring input to the checkpointed blocks;
        # without this, gradient checkpointing under LoRA silently trains nothing.
        model.enable_input_require_grads()
    config = LoraConfig(r=lora_args.lora_r, lora_alpha=lora_args.lora_alpha,
                        lora_dropout=lora_args.lora_dropout,
                        target_modules=lora_args.lora_target_modules, bias=lora_args.lora_bias,
                        modules_to_save=lora_args.lora_modules_to_save or None,
                        task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def train(model_args: ModelArguments, data_args: DataArguments,
          training_args: TrainingArguments, lora_args: LoraArguments,
          adapter_dir: str | Path) -> dict[str, Any]:
    """Fine-tune, save the adapter (or the full model without LoRA) to `adapter_dir`;
    return the run's facts (loss curve, examples used and dropped, seconds)."""
    from transformers import AutoTokenizer, Trainer
    from transformers.trainer_utils import get_last_checkpoint

    if training_args.gradient_checkpointing:
        # Non-reentrant checkpointing works with frozen inputs and with ZeRO-3.
        training_args.gradient_checkpointing_kwargs = {"use_reentrant": False}
    tokenizer = AutoTokenizer.from_pretrained(model_args.model_name_or_path,
                                              cache_dir=training_args.cache_dir,
                                              model_max_length=training_args.model_max_length)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset = SupervisedDataset(load_conversations(data_args.data_path), tokenizer,
                                training_args.model_max_length)
    model = _load_model(model_args, training_args, lora_args)
    if training_args.use_lora:
        model = _wrap_lora(model, training_args, lora_args)
    model.config.use_cache = False  # the KV cache is useless in training and breaks checkpointing
    trainer = Trainer(model=model, args=training_args, train_dataset=dataset,
                      data_collator=PadCollator(
                          tokenizer.pad_token_id,
                          training_args.model_max_length if data_args.pad_to_model_max_length
                          else None))
    last = (get_last_checkpoint(training_args.output_dir)
            if Path(training_args.output_dir).is_dir() else None)
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=last)
    seconds = time.perf_counter() - start
    # Trainer.save_model gathers ZeRO-3 shards (stage3_gather_16bit_weights_on_model_save) and
    # hands PEFT the full state dict, from which it keeps the adapter weights only.
    trainer.save_model(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    return {"resumed_from": last, "examples": len(dataset), "dropped_too_long": dataset.dropped,
            "seconds": round(seconds, 2), "global_step": trainer.state.global_step,
            "loss_curve": [{"step": e["step"], "loss": e["loss"]}
                           for e in trainer.state.log_history if "loss" in e]}


def prepare_base(recipe: Recipe, records: Sequence[dict[str, Any]]) -> str | None:
    """For a recipe with a `tiny_model` section: train the tokenizer and build the random base
    in `<work_dir>/base` (kept while its settings are unchanged, so a resumed run continues
    on the same weights). Returns its path, or None when the recipe names a real base."""
    tiny = recipe.section("tiny_model")
    if not tiny:
        return None
    base = recipe.work_dir / "base"
    settings = {"tokenizer": recipe.section("tokenizer"), "tiny_model": tiny,
                "seed": recipe.seed}
    stamp = base / "pipeline_base.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == settings:
        return str(base)
    tokenizer = train_tokenizer(corpus(records), base, **recipe.section("tokenizer"))
    model = build_tiny_model(tokenizer, base, seed=recipe.seed, **tiny)
    write_text_atomic(stamp, json.dumps(settings, indent=1) + "\n")
    print(f"tiny base: {parameter_count(model):,} parameters, vocabulary {len(tokenizer)}")
    return str(base)


def run(recipe: Recipe, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The train step of a recipe: dataset, base (tiny), SFT, adapter and run manifest."""
    data_settings = recipe.section("dataset")
    data_path = recipe.work_dir / "data" / "train.json"
    dataset_facts = build_dataset(data_settings.pop("train_file"), data_path,
                                  seed=recipe.seed, **data_settings)
    base = prepare_base(recipe, load_conversations(data_path))
    defaults = {"data_path": str(data_path), "output_dir": str(recipe.work_dir / "train"),
                "seed": recipe.seed, "report_to": "none"}
    if base:
        defaults["model_name_or_path"] = base
    argv = (section_argv(defaults) + section_argv(recipe.section("train"))
            + section_argv(recipe.section("lora")) + list(overrides))
    model_args, data_args, training_args, lora_args = parse_arguments(argv)
    adapter_dir = recipe.work_dir / "adapters" / "sft"
    facts = train(model_args, data_args, training_args, lora_args, adapter_dir)
    manifest = {
        "recipe": str(recipe.path), "id": recipe.id, "code_git_sha": git_sha(),
        "seed": recipe.seed, "dataset": dataset_facts,
        "config": {"model": asdict(model_args), "data": asdict(data_args),
                   "lora": asdict(lora_args),
                   "training": json.loads(training_args.to_json_string())},
        "base_model": model_args.model_name_or_path,
        "adapter": {"path": str(adapter_dir), "sha256": artifact_sha256(adapter_dir)},
        **facts,
    }
    if training_args.should_save:
        write_text_atomic(recipe.work_dir / "run_manifest.json",
                          json.dumps(manifest, indent=1, default=str) + "\n")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m pipeline.train --recipe R [training flags that override the recipe]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="pipeline/configs/tiny.yaml")
    args, overrides = parser.parse_known_args(argv)
    manifest = run(load_recipe(args.recipe), overrides)
    curve = manifest["loss_curve"]
    if curve:
        print(f"trained {manifest['global_step']} steps in {manifest['seconds']} s: loss "
              f"{curve[0]['loss']:.3f} → {curve[-1]['loss']:.3f}; adapter "
              f"{manifest['adapter']['path']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
