"""Merging LoRA adapters into their base: one or several stacked adapters, in order.

Stacked adapters are folded in the order they were trained (DAPT, then the SFT adapter that
was trained on base + DAPT). Their LoRA deltas add up in any order, but modules trained in full
beside an adapter (`lora_modules_to_save`, e.g. embeddings and head) replace the base's, so
the last adapter's copy wins: merged out of order, the SFT-trained head would be overwritten
by the DAPT one.

The result is one plain HF model (no peft at serving time), which the quantizer then
compresses. A quantized base is refused: folding a LoRA delta into rounded weights either
fails or silently loses the delta, and the merged weights must be full precision for AWQ/GPTQ.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.io.hashing import artifact_sha256


class QuantizedBaseError(ValueError):
    """The base model is quantized; adapters are merged into the BF16 base only."""


def check_not_quantized(model: Any) -> None:
    """Raise QuantizedBaseError for a bitsandbytes, compressed-tensors, AWQ or GPTQ model."""
    quantized = (getattr(model, "is_quantized", False)
                 or getattr(model, "is_loaded_in_4bit", False)
                 or getattr(model, "is_loaded_in_8bit", False)
                 or getattr(model.config, "quantization_config", None) is not None)
    if quantized:
        raise QuantizedBaseError("refusing to merge adapters into a quantized base; "
                                 "merge into the BF16 base, then quantize the merged model")


def merge_adapters(model: Any, adapters: Sequence[str | Path]) -> Any:
    """`model` with each adapter applied and folded in, first to last (DAPT before SFT)."""
    from peft import PeftModel

    check_not_quantized(model)
    for adapter in adapters:
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    return model


def save_merged(base: str | Path, adapters: Sequence[str | Path], out_dir: str | Path, *,
                dtype: str = "bfloat16") -> None:
    """Load `base` in `dtype` on the CPU, merge `adapters` in order, save model and tokenizer
    to `out_dir`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not adapters:
        raise ValueError("nothing to merge: no adapter given")
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=getattr(torch, dtype))
    merge_adapters(model, adapters).save_pretrained(str(out_dir))
    # The last adapter's tokenizer is the one training saw (the base's, re-saved by train).
    AutoTokenizer.from_pretrained(str(adapters[-1])).save_pretrained(str(out_dir))


def merge(base: str | Path, adapters: Sequence[str | Path], out_dir: str | Path, *,
          dtype: str = "bfloat16") -> dict[str, Any]:
    """`save_merged`, then return what was merged, with the sha256 of every input and of the
    output (the candidate's merge record)."""
    save_merged(base, adapters, out_dir, dtype=dtype)
    base_path = Path(base)
    return {"base": str(base),
            "base_sha256": artifact_sha256(base_path) if base_path.exists() else None,
            "adapters": [{"path": str(a), "sha256": artifact_sha256(a)} for a in adapters],
            "dtype": dtype, "path": str(out_dir), "sha256": artifact_sha256(out_dir)}
