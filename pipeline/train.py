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
A recipe whose `tiny_model` says `in_process: true` gets a random base that this process
builds itself, layer by layer, in NF4 with `q_lora` (`pipeline.random_base`): the benchmark
path of the 70B shape, whose BF16 weights never exist.

With a `dapt` section the recipe first trains a DAPT adapter (`pipeline.dapt`: LoRA on raw EBS
documentation and training SQL) to `<work_dir>/adapters/dapt`, checkpoints in
`<work_dir>/train_dapt/` (resumed the same way; a finished stage with unchanged settings is
reused), then trains SFT on the base with that adapter merged in (`base_adapters`). The
section's keys other than the corpus options are training flags of the DAPT stage only; they
win over the train and lora sections and the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import transformers

from harness.gate.promotion import artifact_sha256
from harness.io.atomic import write_text_atomic
from harness.io.errors import InputError
from pipeline.dapt import CorpusOptions, TokenBlocks, build_corpus, load_corpus, split_section
from pipeline.dataset import (
    IGNORE_INDEX,
    TrainingItems,
    build_dataset,
    load_conversations,
    tokenize_conversation,
)
from pipeline.recipe import (
    LORA_TARGETS,
    DataArguments,
    LoraArguments,
    ModelArguments,
    Recipe,
    TrainSections,
    git_sha,
    load_recipe,
    train_sections,
)
from pipeline.state import BuildState
from pipeline.step_stats import StepStats
from pipeline.tiny_model import build_tiny_model, parameter_count, save_tiny_config
from pipeline.tokenizer import corpus, train_tokenizer

# The argument dataclasses of the recipe's sections, importable from here as XiYan's are.
__all__ = ["LORA_TARGETS", "DataArguments", "LoraArguments", "ModelArguments",
           "TrainingArguments", "main", "run"]

@dataclass
class TrainingArguments(transformers.TrainingArguments):
    """transformers' arguments plus XiYan's (`model_max_length`, `use_lora`, `cache_dir`)."""

    cache_dir: str | None = None
    optim: str = "adamw_torch"
    model_max_length: int = field(default=8192, metadata={
        "help": "Longest tokenised conversation; longer ones are dropped (never cut)."})
    use_lora: bool = True


ARGUMENT_CLASSES = (ModelArguments, DataArguments, TrainingArguments, LoraArguments)
# What the DAPT stage sets itself: its data, its checkpoints, and the SFT stage's base.
DAPT_OWNED_FLAGS = ("data_path", "output_dir", "model_name_or_path", "base_adapters")


class SupervisedDataset(TrainingItems):
    """Tokenised conversations with their loss masks; conversations that do not fit are
    counted in `dropped`, not truncated."""

    def __init__(self, records: Sequence[dict[str, Any]], tokenizer: Any, max_length: int):
        encoded = [tokenize_conversation(tokenizer, r, max_length) for r in records]
        self.items = [e for e in encoded if e is not None]
        self.dropped = len(encoded) - len(self.items)
        if not self.items:
            raise ValueError(f"no conversation fits model_max_length={max_length}")

    @property
    def facts(self) -> dict[str, int]:
        """What the run manifest records about the data besides its size."""
        return {"dropped_too_long": self.dropped}


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


def command_line_settings(argv: Sequence[str]) -> dict[str, Any]:
    """The settings given as `--name value` flags, typed by the argument dataclasses' own
    parser (lists take several values, booleans `True`/`False`); flags not given are absent,
    so they leave the recipe's values alone."""
    parser = transformers.HfArgumentParser(ARGUMENT_CLASSES)
    for action in parser._actions:
        if action.dest != "help":
            action.default = argparse.SUPPRESS
    return vars(parser.parse_args(list(argv)))


def given(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings a recipe section gives: a null leaves the value below it (an included
    recipe's, or the default) in place, as a flag not given would."""
    return {key: value for key, value in settings.items() if value is not None}


def build_arguments(sections: TrainSections) -> tuple[Any, ...]:
    """(model, data, training, lora) arguments of the train step, from its typed sections."""
    training = TrainingArguments(**sections.training, deepspeed=sections.deepspeed.config)
    return sections.model, sections.data, training, sections.lora


def arguments(settings: dict[str, Any], path: Path, *, prefix: str = "train"
              ) -> tuple[Any, ...]:
    """(model, data, training, lora) arguments from one flat mapping of settings; a setting no
    section knows is an InputError naming `path` and the key."""
    return build_arguments(train_sections(settings, path, training_fields(), prefix=prefix))


def training_fields() -> set[str]:
    """The keywords of TrainingArguments: the `training` section's settings."""
    return {f.name for f in fields(TrainingArguments)}


def parse_arguments(argv: Sequence[str]) -> tuple[Any, ...]:
    """The four argument dataclasses from a `--name value` command line alone."""
    return arguments(command_line_settings(argv), Path("<command line>"), prefix="flag")


def _load_model(model_name_or_path: str, training_args: TrainingArguments,
                lora_args: LoraArguments, random_weights: bool = False
                ) -> tuple[Any, dict[str, Any]]:
    """The base to train, and what loading or building it cost (seconds, parameters, GPU
    memory right after)."""
    import torch
    from transformers import AutoModelForCausalLM

    from pipeline.random_base import build_random_model, nf4_config, require_4bit

    dtype = torch.bfloat16 if training_args.bf16 else torch.float32
    if lora_args.q_lora:
        require_4bit()
    if random_weights:
        model, facts = build_random_model(
            model_name_or_path, seed=training_args.seed, dtype=dtype,
            quantize_4bit=lora_args.q_lora, attn_implementation=_attention_implementation())
        return model, {"built_in_process": True, "q_lora": lora_args.q_lora, **facts.as_dict()}
    kwargs: dict[str, Any] = {"dtype": dtype, "cache_dir": training_args.cache_dir,
                              "attn_implementation": _attention_implementation()}
    if lora_args.q_lora:
        kwargs["quantization_config"] = nf4_config(torch.bfloat16)
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(model_name_or_path, **kwargs)
    return model, {"built_in_process": False, "q_lora": lora_args.q_lora,
                   "seconds": round(time.perf_counter() - start, 2),
                   "parameters": sum(p.numel() for p in model.parameters())}


def merged_base(model_args: ModelArguments, training_args: TrainingArguments,
                state: BuildState) -> str:
    """The base to train on: `model_name_or_path`, or, with `base_adapters`, a copy with them
    merged in order, written once to `<output_dir>/base_merged` and reused (as `state`
    records) while base and adapters are unchanged.

    The merge happens on the CPU before the training model is loaded, because the model loaded
    under ZeRO-3 (`zero3_init_flag`) holds only its shard of every weight (nothing to merge
    into) and a QLoRA base holds 4-bit weights (a delta merged into them is lost).
    """
    if not model_args.base_adapters:
        return model_args.model_name_or_path
    if model_args.random_weights:
        raise ValueError("base_adapters cannot be merged into a base built in process "
                         "(random_weights: no weights on disk); a DAPT stage needs a saved "
                         "base (tiny_model.in_process: false)")
    from pipeline.merge import save_merged

    dtype = "bfloat16" if training_args.bf16 else "float32"
    settings = {"base": model_args.model_name_or_path, "dtype": dtype,
                "adapters": [{"path": str(a), "sha256": artifact_sha256(a)}
                             for a in model_args.base_adapters]}

    def build(directory: Path) -> None:
        with whole_weights():
            save_merged(model_args.model_name_or_path, model_args.base_adapters, directory,
                        dtype=dtype)

    return str(build_once(state, Path(training_args.output_dir) / "base_merged", settings,
                          build))


def step_name(state: BuildState, out: Path) -> str:
    """A built directory's step name in `state`: its path below the state's directory."""
    try:
        return out.resolve().relative_to(state.directory.resolve()).as_posix()
    except ValueError:
        return str(out)


def build_once(state: BuildState, out: Path, settings: dict[str, Any],
               build: Callable[[Path], None]) -> Path:
    """`out`, built by `build(directory)` unless `state` records it built from these very
    `settings` (and it is still there).

    Under `accelerate launch` every process calls this: the main one builds, into
    `<out>.partial` renamed when whole (a crash never leaves half a directory) and recorded in
    `state` only then, while the others wait and then find it built.
    """
    from accelerate import PartialState

    processes = PartialState()
    step = step_name(state, out)
    with processes.main_process_first():
        if out.is_dir() and state.built(step, settings) is not None:
            return out
        if not processes.is_main_process:
            raise RuntimeError(f"{out}: the main process did not build it")
        partial = out.with_name(out.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        build(partial)
        shutil.rmtree(out, ignore_errors=True)
        partial.rename(out)
        state.record(step, settings, {"path": str(out)})
    return out


@contextlib.contextmanager
def whole_weights() -> Iterator[None]:
    """Inside, `from_pretrained` loads every weight whole: transformers' ZeRO-3 load-time
    sharding, switched on process-wide by TrainingArguments with a ZeRO-3 config, is paused
    (transformers keeps it in a module global; there is no public switch)."""
    from transformers.integrations import deepspeed as hf_deepspeed

    ref = hf_deepspeed._hf_deepspeed_config_weak_ref
    config = ref() if ref is not None else None
    hf_deepspeed.unset_hf_deepspeed_config()
    try:
        yield
    finally:
        if config is not None:
            hf_deepspeed.set_hf_deepspeed_config(config)


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
          adapter_dir: str | Path, state: BuildState,
          make_dataset: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Fine-tune, save the adapter (or the full model without LoRA) to `adapter_dir`;
    return the run's facts (loss curve, examples used, the dataset's `facts`, seconds).

    `make_dataset(tokenizer)` gives the training items ({"input_ids", "labels"}); by default
    the SFT conversations of `data_args.data_path` with their loss masks.
    """
    from transformers import AutoTokenizer, Trainer
    from transformers.trainer_utils import get_last_checkpoint

    if training_args.gradient_checkpointing:
        # Non-reentrant checkpointing works with frozen inputs and with ZeRO-3.
        training_args.gradient_checkpointing_kwargs = {"use_reentrant": False}
    # The base's own model_max_length is kept (the adapter and candidate carry this tokenizer);
    # model_max_length of training is applied by the dataset, which drops what is longer.
    tokenizer = AutoTokenizer.from_pretrained(model_args.model_name_or_path,
                                              cache_dir=training_args.cache_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset = (make_dataset(tokenizer) if make_dataset else
               SupervisedDataset(load_conversations(data_args.data_path), tokenizer,
                                 training_args.model_max_length))
    model, base_load = _load_model(merged_base(model_args, training_args, state), training_args,
                                   lora_args, model_args.random_weights)
    if training_args.use_lora:
        model = _wrap_lora(model, training_args, lora_args)
    model.config.use_cache = False  # the KV cache is useless in training and breaks checkpointing
    stats = StepStats()
    trainer = Trainer(model=model, args=training_args, train_dataset=dataset, callbacks=[stats],
                      data_collator=PadCollator(
                          tokenizer.pad_token_id,
                          training_args.model_max_length if data_args.pad_to_model_max_length
                          else None))
    last = (get_last_checkpoint(training_args.output_dir)
            if Path(training_args.output_dir).is_dir() else None)
    if last and 0 < training_args.max_steps <= _checkpoint_step(last):
        # The Trainer would train one step past max_steps rather than stop.
        raise RuntimeError(f"{last} has already reached max_steps={training_args.max_steps}; "
                           f"raise --max_steps to train on, or delete "
                           f"{training_args.output_dir} to start over")
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=last)
    seconds = time.perf_counter() - start
    # Trainer.save_model gathers ZeRO-3 shards (stage3_gather_16bit_weights_on_model_save) and
    # hands PEFT the full state dict, from which it keeps the adapter weights only.
    trainer.save_model(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    return {"resumed_from": last, "examples": len(dataset), **dataset.facts,
            "base_load": base_load,
            "trainable_parameters": sum(p.numel() for p in model.parameters()
                                        if p.requires_grad),
            "seconds": round(seconds, 2), "global_step": trainer.state.global_step,
            "steps": stats.summary(),
            "loss_curve": [{"step": e["step"], "loss": e["loss"]}
                           for e in trainer.state.log_history if "loss" in e]}


def _checkpoint_step(checkpoint: str | Path) -> int:
    state = Path(checkpoint) / "trainer_state.json"
    return int(json.loads(state.read_text())["global_step"]) if state.is_file() else 0


def in_process_base(recipe: Recipe) -> bool:
    """Whether the recipe's random base is built by the training process itself
    (`tiny_model.in_process: true`) rather than saved to `<work_dir>/base` first."""
    value = recipe.section("tiny_model").get("in_process", False)
    if not isinstance(value, bool):
        raise InputError(recipe.path, f"expected true or false, got {value!r}",
                         field="tiny_model.in_process")
    return value


def prepare_base(recipe: Recipe, records: Sequence[dict[str, Any]]) -> str | None:
    """For a recipe with a `tiny_model` section: train the tokenizer and build the random base
    in `<work_dir>/base` (kept while its settings are unchanged, so a resumed run continues
    on the same weights). Returns its path, or None when the recipe names a real base.

    With `in_process: true` only the config and tokenizer are written: the training process
    builds the weights itself, layer by layer (`--random_weights`, `pipeline.random_base`),
    in the training dtype and, with `lora.q_lora`, in 4-bit NF4 on the GPU."""
    tiny = recipe.section("tiny_model")
    if not tiny:
        return None
    in_process = in_process_base(recipe)
    tiny.pop("in_process", None)
    if in_process:
        for key in ("dtype", "init_device"):
            if tiny.pop(key, None) is not None:
                raise InputError(recipe.path, "not used by a base built in process (it takes "
                                 "the training dtype and device): set it to null",
                                 field=f"tiny_model.{key}")

    def build(directory: Path) -> None:
        tokenizer = train_tokenizer(corpus(records), directory, **recipe.section("tokenizer"))
        if in_process:
            config = save_tiny_config(tokenizer, directory, **tiny)
            print(f"random base built in process: {config.num_hidden_layers} layers of "
                  f"{config.hidden_size}, vocabulary {len(tokenizer)}")
            return
        model = build_tiny_model(tokenizer, directory, seed=recipe.seed, **tiny)
        print(f"tiny base: {parameter_count(model):,} parameters, vocabulary {len(tokenizer)}")

    settings = {"tokenizer": recipe.section("tokenizer"), "tiny_model": tiny,
                **({"in_process": True} if in_process else {}), "seed": recipe.seed}
    return str(build_once(BuildState(recipe.work_dir), recipe.work_dir / "base", settings,
                          build))


def dapt_flags(recipe: Recipe) -> tuple[CorpusOptions, dict[str, Any]]:
    """The recipe's `dapt` section as (corpus options, DAPT training flags), checked: a flag
    must be an argument of the four dataclasses and not one the stage sets itself."""
    options, flags = split_section(recipe.section("dapt"), recipe.path)
    known = {f.name for cls in ARGUMENT_CLASSES for f in fields(cls)}
    for key in flags:
        if key in DAPT_OWNED_FLAGS:
            raise InputError(recipe.path, "set by the DAPT stage itself, not by the recipe",
                             field=f"dapt.{key}")
        if key not in known:
            raise InputError(recipe.path, "not a training flag (pipeline.train's argument "
                             "dataclasses) nor a corpus option (block_size, sources)",
                             field=f"dapt.{key}")
    return options, flags


def run_dapt(recipe: Recipe, settings: dict[str, Any], train_file: str | Path,
             state: BuildState) -> dict[str, Any]:
    """The DAPT stage: build the corpus, train a LoRA adapter on it as a causal LM (blocks of
    `block_size` tokens) to `<work_dir>/adapters/dapt`; return the stage's facts. `settings`
    are the SFT stage's; the `dapt` section's flags win over them."""
    options, flags = dapt_flags(recipe)
    corpus_path = recipe.work_dir / "data" / "dapt.json"
    corpus_facts = build_corpus(train_file, corpus_path, sources=options.sources)
    own = {"data_path": str(corpus_path), "output_dir": str(recipe.work_dir / "train_dapt")}
    model_args, data_args, training_args, lora_args = arguments(
        {**settings, **given(flags), **own}, recipe.path, prefix="dapt")
    if not training_args.use_lora:
        raise InputError(recipe.path, "the DAPT stage trains a LoRA adapter that is merged "
                         "before SFT: use_lora must be true", field="dapt.use_lora")
    if options.block_size > training_args.model_max_length:
        raise InputError(recipe.path, f"longer than the stage's model_max_length "
                         f"({training_args.model_max_length})", field="dapt.block_size")
    adapter_dir = recipe.work_dir / "adapters" / "dapt"
    # A finished stage is reused, not trained again: its checkpoint is at max_steps (train()
    # refuses to resume it), and a changed DAPT adapter would not match the SFT checkpoints.
    config = {"corpus": asdict(options), "flags": flags,
              **run_config(model_args, data_args, training_args, lora_args)}
    inputs = {"config": config, "corpus_sha256": corpus_facts["sha256"]}
    done = state.built("dapt", inputs)
    if (done and adapter_dir.is_dir()
            and artifact_sha256(adapter_dir) == done["adapter"]["sha256"]):
        return {**done, "reused": True}
    facts = train(model_args, data_args, training_args, lora_args, adapter_dir, state,
                  make_dataset=lambda tokenizer: TokenBlocks(
                      [d.text for d in load_corpus(corpus_path)], tokenizer,
                      options.block_size))
    stage = {"corpus": corpus_facts, "config": config,
             "adapter": {"path": str(adapter_dir), "sha256": artifact_sha256(adapter_dir)},
             **facts}
    if training_args.should_save:
        state.record("dapt", inputs, stage)
    from accelerate import PartialState

    PartialState().wait_for_everyone()  # the SFT stage loads the adapter the main one saved
    return {**stage, "reused": False}


def run_config(model_args: ModelArguments, data_args: DataArguments,
               training_args: TrainingArguments, lora_args: LoraArguments) -> dict[str, Any]:
    """A stage's arguments as the JSON the run manifest records (and its reuse compares)."""
    return json.loads(json.dumps(
        {"model": asdict(model_args), "data": asdict(data_args), "lora": asdict(lora_args),
         "training": json.loads(training_args.to_json_string())}, default=str))


def check_resumable(state: BuildState, output_dir: Path, base_adapters: Sequence[str],
                    should_save: bool) -> None:
    """Refuse to resume checkpoints in `output_dir` trained on other base adapters (a DAPT
    adapter trained again since); record the adapters of a run that may resume later (step
    `<output_dir name>/checkpoints` of `state`)."""
    from transformers.trainer_utils import get_last_checkpoint

    step = f"{step_name(state, output_dir)}/checkpoints"
    current = [{"path": str(a), "sha256": artifact_sha256(a)} for a in base_adapters]
    recorded = state.recorded_inputs(step)
    if (output_dir.is_dir() and get_last_checkpoint(str(output_dir)) and recorded is not None
            and state.built(step, current) is None):
        raise RuntimeError(f"{output_dir}: its checkpoints were trained on other base adapters "
                           f"than {[a['path'] for a in current]}; delete it to start over")
    if should_save:
        state.record(step, current)


def finished_run(state: BuildState, manifest_path: Path, inputs: dict[str, Any],
                 adapter_dir: Path) -> dict[str, Any] | None:
    """The run manifest of a finished SFT run from these very inputs (config, data, DAPT
    adapter) whose SFT adapter is unchanged since, or None. A rerun of a finished run reuses it
    instead of resuming: the Trainer resumed at `max_steps` trains one step more than asked."""
    done = state.built("sft", inputs)
    if done is None or not manifest_path.is_file() or not adapter_dir.is_dir():
        return None
    if artifact_sha256(adapter_dir) != done["adapter_sha256"]:
        return None
    return json.loads(manifest_path.read_text(encoding="utf-8"))


def run(recipe: Recipe, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The train step of a recipe: dataset, base (tiny), DAPT when the recipe has a `dapt`
    section, SFT, adapters and run manifest; `<work_dir>/build_state.json` records what each
    step was built from, so a rerun rebuilds only what changed."""
    state = BuildState(recipe.work_dir)
    data_settings = recipe.section("dataset")
    train_file = data_settings.pop("train_file")
    data_path = recipe.work_dir / "data" / "train.json"
    dataset_facts = build_dataset(train_file, data_path, seed=recipe.seed, **data_settings)
    base = prepare_base(recipe, load_conversations(data_path))
    settings = {"data_path": str(data_path), "output_dir": str(recipe.work_dir / "train"),
                "seed": recipe.seed, "report_to": "none"}
    if base:
        settings["model_name_or_path"] = base
        if in_process_base(recipe):
            settings["random_weights"] = True
    for name in ("train", "lora"):  # each section checked alone, so an error names it
        train_sections(given(recipe.section(name)), recipe.path, training_fields(),
                       prefix=name)
    settings |= given(recipe.section("train")) | given(recipe.section("lora"))
    settings |= command_line_settings(overrides)
    dapt = run_dapt(recipe, settings, train_file, state) if recipe.section("dapt") else None
    model_args, data_args, training_args, lora_args = arguments(settings, recipe.path)
    if dapt:
        model_args.base_adapters.append(dapt["adapter"]["path"])
    adapter_dir = recipe.work_dir / "adapters" / "sft"
    config = run_config(model_args, data_args, training_args, lora_args)
    inputs = {"config": config, "dataset": dataset_facts,
              "dapt_adapter": (dapt or {}).get("adapter")}
    finished = finished_run(state, recipe.work_dir / "run_manifest.json", inputs, adapter_dir)
    if finished:
        return {**finished, "reused": True}
    check_resumable(state, Path(training_args.output_dir), model_args.base_adapters,
                    training_args.should_save)
    facts = train(model_args, data_args, training_args, lora_args, adapter_dir, state)
    manifest = {
        "recipe": str(recipe.path), "id": recipe.id, "code_git_sha": git_sha(),
        "seed": recipe.seed, "dataset": dataset_facts, "config": config,
        "base_model": model_args.model_name_or_path,
        **({"dapt": dapt} if dapt else {}),
        "adapter": {"path": str(adapter_dir), "sha256": artifact_sha256(adapter_dir)},
        **facts,
    }
    if training_args.should_save:
        write_text_atomic(recipe.work_dir / "run_manifest.json",
                          json.dumps(manifest, indent=1, default=str) + "\n")
        state.record("sft", inputs, {"adapter_sha256": manifest["adapter"]["sha256"],
                                     "manifest": "run_manifest.json"})
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m pipeline.train --recipe R [training flags that override the recipe]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="pipeline/configs/tiny.yaml")
    args, overrides = parser.parse_known_args(argv)
    manifest = run(load_recipe(args.recipe), overrides)
    curve = manifest["loss_curve"]
    if manifest.get("reused"):
        print(f"already trained with these settings ({manifest['global_step']} steps): adapter "
              f"{manifest['adapter']['path']} kept (delete {load_recipe(args.recipe).work_dir} "
              f"to train again)")
    elif curve:
        print(f"trained {manifest['global_step']} steps in {manifest['seconds']} s: loss "
              f"{curve[0]['loss']:.3f} → {curve[-1]['loss']:.3f}; adapter "
              f"{manifest['adapter']['path']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
