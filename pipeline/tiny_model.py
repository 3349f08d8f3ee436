"""The tiny Llama: the production architecture at a few million parameters, for CPU runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def tiny_config(tokenizer: Any, **architecture: Any) -> Any:
    """The `LlamaConfig` of a random base sized by `architecture` (the recipe's `tiny_model`
    keys), with `tokenizer`'s special tokens.

    `vocab_size` defaults to the tokenizer's; a larger one gives a real model's embedding
    shape (Llama-3's 128,256 rows) to a random base built for GPU benchmarks."""
    from transformers import LlamaConfig

    vocab_size = architecture.pop("vocab_size", len(tokenizer))
    if vocab_size < len(tokenizer):
        raise ValueError(f"tiny_model.vocab_size {vocab_size} is smaller than the tokenizer's "
                         f"{len(tokenizer)} tokens")
    return LlamaConfig(vocab_size=vocab_size, bos_token_id=tokenizer.bos_token_id,
                       eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                       **architecture)


def build_tiny_model(tokenizer: Any, out_dir: str | Path, *, seed: int,
                     dtype: str = "float32", init_device: str = "cpu",
                     **architecture: Any) -> Any:
    """A randomly initialised `LlamaForCausalLM` of `tiny_config(tokenizer, **architecture)`,
    saved in `dtype` with `tokenizer` to `out_dir` as the run's base.

    `init_device: cuda` initialises a large random base in seconds instead of minutes
    (other random values than a CPU initialisation with the same seed)."""
    import torch
    from transformers import LlamaForCausalLM

    config = tiny_config(tokenizer, **architecture)
    torch.manual_seed(seed)
    with torch.device(init_device):
        model = LlamaForCausalLM(config).to(getattr(torch, dtype))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return model


def save_tiny_config(tokenizer: Any, out_dir: str | Path, **architecture: Any) -> Any:
    """Only the config and tokenizer of a random base, for a base whose weights the training
    process builds itself (`tiny_model.in_process`, `pipeline.random_base`): a 70B-shaped
    base is never written in BF16 (141 GB)."""
    config = tiny_config(tokenizer, **architecture)
    config.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return config


def parameter_count(model: Any) -> int:
    """Number of parameters (tied weights once)."""
    return sum(p.numel() for p in model.parameters())
