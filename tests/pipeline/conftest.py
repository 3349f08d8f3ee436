"""Shared fixtures of the pipeline tests: a small recipe and its trained tiny chains.

The chain (dataset → tokenizer → tiny Llama → LoRA SFT → merge → RTN W4A16 → candidate) runs
once per session on short contexts so the tests stay well under a minute of CPU; the DAPT
chain adds the DAPT stage before SFT (`tests/pipeline/test_dapt.py`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

TRAIN_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "train" / "ebs_train.jsonl"


def small_recipe(root: Path, sections: dict[str, dict] | None = None, **train: object) -> Path:
    """A tiny recipe under `root`: 48 examples with short contexts, a 2-layer Llama.

    `train` overrides training flags; `sections` adds sections (`dapt`) or updates the keys
    of existing ones (`{"lora": {"lora_modules_to_save": [...]}}`).
    """
    recipe = {
        "id": "citiny", "seed": 7, "work_dir": str(root / "work"),
        "candidates_dir": str(root / "candidates"),
        "dataset": {"train_file": str(TRAIN_FILE), "style": "xiyan",
                    "context_chars": [600, 1200], "limit": 48},
        "tokenizer": {"vocab_size": 1000, "min_frequency": 2},
        "tiny_model": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                       "num_attention_heads": 4, "num_key_value_heads": 2,
                       "max_position_embeddings": 4096, "tie_word_embeddings": False},
        "train": {"model_max_length": 4096, "per_device_train_batch_size": 2,
                  "max_steps": 12, "learning_rate": 0.01, "warmup_steps": 2,
                  "lr_scheduler_type": "constant_with_warmup", "logging_steps": 1,
                  "save_steps": 6, "gradient_checkpointing": True, "bf16": False,
                  "disable_tqdm": True, **train},
        "lora": {"lora_r": 8, "lora_alpha": 16, "lora_dropout": 0.0},
        "merge": {"dtype": "float32"},
        "quantize": {"scheme": "W4A16", "method": "rtn", "group_size": 64,
                     "validation_samples": 2, "max_new_tokens": 8, "max_drop": 1.0},
        "serve": {"max-model-len": 8192, "max-num-seqs": 4, "gpu-memory-utilization": 0.92,
                  "max_tokens": 512},
    }
    for name, settings in (sections or {}).items():
        recipe[name] = {**recipe.get(name, {}), **settings}
    path = root / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def chain(tmp_path_factory):
    """(recipe, run manifest, candidate manifest) of one tiny end-to-end run."""
    pytest.importorskip("torch", reason="the pipeline needs torch (pip install .[train])")
    pytest.importorskip("peft", reason="the pipeline needs peft (pip install .[train])")
    pytest.importorskip("compressed_tensors",
                        reason="quantization needs compressed-tensors (pip install .[train])")
    from pipeline.candidate import package
    from pipeline.recipe import load_recipe
    from pipeline.train import run

    recipe = load_recipe(small_recipe(tmp_path_factory.mktemp("pipeline")))
    return recipe, run(recipe), package(recipe)


DAPT_STAGE = {"block_size": 64, "max_steps": 12, "per_device_train_batch_size": 4,
              "learning_rate": 0.01, "warmup_steps": 2, "save_steps": 6}


@pytest.fixture(scope="session")
def dapt_chain(tmp_path_factory):
    """(recipe, run manifest, candidate manifest) of a tiny run with a DAPT stage.

    The embeddings and head are trained in full beside both adapters (as in the tiny recipe):
    that is what makes the merge order matter, since LoRA deltas alone commute.
    """
    pytest.importorskip("torch", reason="the pipeline needs torch (pip install .[train])")
    pytest.importorskip("peft", reason="the pipeline needs peft (pip install .[train])")
    pytest.importorskip("compressed_tensors",
                        reason="quantization needs compressed-tensors (pip install .[train])")
    from pipeline.candidate import package
    from pipeline.recipe import load_recipe
    from pipeline.train import run

    recipe = load_recipe(small_recipe(
        tmp_path_factory.mktemp("dapt"), max_steps=6,
        sections={"dapt": DAPT_STAGE,
                  "lora": {"lora_modules_to_save": ["embed_tokens", "lm_head"]}}))
    return recipe, run(recipe), package(recipe)
