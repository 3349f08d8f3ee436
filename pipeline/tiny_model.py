"""The tiny Llama: the production architecture at a few million parameters, for CPU runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def build_tiny_model(tokenizer: Any, out_dir: str | Path, *, seed: int,
                     **architecture: Any) -> Any:
    """A randomly initialised `LlamaForCausalLM` sized by `architecture` (the recipe's
    `tiny_model` section), saved with `tokenizer` to `out_dir` as the run's base model."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **architecture,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return model


def parameter_count(model: Any) -> int:
    """Number of parameters (tied weights once)."""
    return sum(p.numel() for p in model.parameters())
