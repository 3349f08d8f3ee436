"""The tiny Llama: the production architecture at a few million parameters, for CPU runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def build_tiny_model(tokenizer: Any, out_dir: str | Path, *, seed: int,
                     dtype: str = "float32", init_device: str = "cpu",
                     **architecture: Any) -> Any:
    """A randomly initialised `LlamaForCausalLM` sized by `architecture` (the recipe's
    `tiny_model` section), saved in `dtype` with `tokenizer` to `out_dir` as the run's base.

    `vocab_size` defaults to the tokenizer's; a larger one gives a real model's embedding
    shape (Llama-3's 128,256 rows) to a random base built for GPU benchmarks, which
    `init_device: cuda` initialises in seconds instead of minutes (other random values than
    a CPU initialisation with the same seed)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    vocab_size = architecture.pop("vocab_size", len(tokenizer))
    if vocab_size < len(tokenizer):
        raise ValueError(f"tiny_model.vocab_size {vocab_size} is smaller than the tokenizer's "
                         f"{len(tokenizer)} tokens")
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **architecture,
    )
    with torch.device(init_device):
        model = LlamaForCausalLM(config).to(getattr(torch, dtype))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return model


def parameter_count(model: Any) -> int:
    """Number of parameters (tied weights once)."""
    return sum(p.numel() for p in model.parameters())
