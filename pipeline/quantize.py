"""Weight-only quantization of a merged model to compressed-tensors (the format vLLM serves).

Methods (recipe `quantize.method`):
- `rtn`: round-to-nearest, symmetric, per group (W4A16) or per channel (W8A16), computed here
  and packed by the `compressed-tensors` library. Needs no calibration and runs on CPU: the
  tiny/CI path.
- `awq` (production default) and `gptq`: llm-compressor's one-shot modifiers, calibrated on
  training-set conversations. GPU only; llmcompressor is imported when chosen.
- `autoawq`: the AutoAWQ package (archived upstream), an optional path used only where it
  imports; its output is AutoAWQ's GEMM format (vLLM `quantization: awq`), W4A16 only.

Calibration samples come from the training conversations, never from the golden sets. After
quantizing, `validate` reloads the quantized model, generates on a calibration-disjoint sample
of training prompts and compares SQL-only compliance and parse rate with the merged model's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.io.hashing import artifact_sha256
from harness.sql.output import check_output
from harness.sql.parse import SqlParseError, parse_single

SCHEMES = ("W4A16", "W8A16")
METHODS = ("rtn", "awq", "gptq", "autoawq")
# What vLLM's `quantization` option calls each method's output format.
SERVING_FORMAT = {"rtn": "compressed-tensors", "awq": "compressed-tensors",
                  "gptq": "compressed-tensors", "autoawq": "awq"}
IGNORE = ["lm_head"]  # the output projection stays full precision, as llm-compressor's recipes do


class QuantizationRejected(Exception):
    """The quantized model lost more SQL-only compliance or parse rate than the policy allows."""


@dataclass(frozen=True)
class Split:
    """Training conversations for calibration and, disjoint from them, for validation."""

    calibration: list[dict[str, Any]]
    validation: list[dict[str, Any]]


def split_samples(records: Sequence[dict[str, Any]], calibration: int, validation: int,
                  seed: int) -> Split:
    """A seeded draw of `calibration` + `validation` distinct training conversations."""
    if calibration + validation > len(records):
        raise ValueError(f"asked for {calibration}+{validation} samples of {len(records)}")
    order = random.Random(seed).sample(range(len(records)), calibration + validation)
    return Split([records[i] for i in order[:calibration]],
                 [records[i] for i in order[calibration:]])


def _scheme_config(scheme: str, group_size: int | None) -> Any:
    from compressed_tensors.quantization import QuantizationConfig, preset_name_to_scheme

    preset = preset_name_to_scheme(scheme, ["Linear"])
    if group_size is not None and preset.weights.strategy == "group":
        preset.weights.group_size = group_size
    return QuantizationConfig(config_groups={"group_0": preset}, ignore=list(IGNORE))


def _round_to_nearest(model: Any) -> None:
    """Set every quantized Linear's scale (and zero point) from its weights' range."""
    from compressed_tensors.quantization.utils import calculate_qparams, is_module_quantized

    for module in model.modules():
        if not is_module_quantized(module):
            continue
        args = module.quantization_scheme.weights
        weight = module.weight.detach()
        # Per channel: one range per output row; per group: one per `group_size` inputs.
        width = args.group_size if args.strategy == "group" else weight.shape[1]
        if weight.shape[1] % width:
            raise ValueError(f"input width {weight.shape[1]} is not a multiple of group size "
                             f"{width}")
        groups = weight.reshape(weight.shape[0], -1, width)
        scale, zero_point = calculate_qparams(groups.amin(-1), groups.amax(-1), args)
        module.weight_scale.data.copy_(scale.reshape(module.weight_scale.shape))
        module.weight_zero_point.data.copy_(zero_point.reshape(module.weight_zero_point.shape))


def quantize_rtn(merged: str | Path, out_dir: str | Path, *, scheme: str,
                 group_size: int | None = None) -> None:
    """Round-to-nearest weight-only quantization, saved packed in compressed-tensors format."""
    import torch
    from compressed_tensors.compressors import ModelCompressor
    from compressed_tensors.quantization import apply_quantization_config
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # The merged checkpoint's own dtype: scales are kept in it, as llm-compressor does.
    model = AutoModelForCausalLM.from_pretrained(str(merged), dtype="auto")
    apply_quantization_config(model, _scheme_config(scheme, group_size))
    with torch.no_grad():
        _round_to_nearest(model)
    compressor = ModelCompressor.from_pretrained_model(model, quantization_format="pack-quantized")
    compressor.compress_model(model)
    model.save_pretrained(str(out_dir))
    compressor.update_config(str(out_dir))
    AutoTokenizer.from_pretrained(str(merged)).save_pretrained(str(out_dir))


def quantize_llmcompressor(merged: str | Path, out_dir: str | Path, *, method: str, scheme: str,
                           calibration_texts: Sequence[str], max_seq_length: int) -> None:
    """AWQ or GPTQ with llm-compressor's `oneshot` (GPU; `pip install .[quant]`).

    The model is loaded on the CPU: llm-compressor's sequential pipeline moves one decoder
    layer at a time to the GPU, so a 70B model calibrates on one card. A calibration text
    longer than `max_seq_length` tokens keeps its end (left truncation): the question and the
    SQL answer, with as much of the RAG context before them as fits."""
    import torch
    from datasets import Dataset
    from llmcompressor import oneshot
    from llmcompressor.modifiers.quantization import GPTQModifier, QuantizationModifier
    from llmcompressor.modifiers.transform.awq import AWQModifier
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(merged))
    tokenizer.truncation_side = "left"
    model = AutoModelForCausalLM.from_pretrained(str(merged), dtype=torch.bfloat16)
    encoded = tokenizer(list(calibration_texts), add_special_tokens=False, truncation=True,
                        max_length=max_seq_length)
    dataset = Dataset.from_dict({"input_ids": encoded["input_ids"],
                                 "attention_mask": encoded["attention_mask"]})
    quantization = {"targets": ["Linear"], "scheme": scheme, "ignore": list(IGNORE)}
    # AWQ (llm-compressor >= 0.14) is a transform that smooths activation outliers into the
    # weights, followed by the weight quantization itself; GPTQ is one modifier.
    recipe = ([AWQModifier(), QuantizationModifier(**quantization)] if method == "awq"
              else [GPTQModifier(**quantization)])
    oneshot(model=model, dataset=dataset, recipe=recipe,
            max_seq_length=max_seq_length, num_calibration_samples=len(calibration_texts))
    model.save_pretrained(str(out_dir), save_compressed=True)
    tokenizer.save_pretrained(str(out_dir))


def quantize_autoawq(merged: str | Path, out_dir: str | Path, *, scheme: str,
                     group_size: int | None, calibration_texts: Sequence[str],
                     max_seq_length: int) -> None:
    """AWQ with the AutoAWQ package, where it imports (GPU). Archived upstream, so never the
    default: llm-compressor's `awq` is."""
    if scheme != "W4A16":
        raise ValueError(f"AutoAWQ writes 4-bit weights only: scheme W4A16, not {scheme}")
    try:
        from awq import AutoAWQForCausalLM
    except ImportError as exc:
        raise RuntimeError("quantize.method autoawq needs the AutoAWQ package (`pip install "
                           "autoawq`; archived upstream), which does not import here: use "
                           "method awq, llm-compressor's AWQ") from exc
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(merged))
    model = AutoAWQForCausalLM.from_pretrained(str(merged))
    model.quantize(tokenizer, quant_config={"zero_point": True, "q_group_size": group_size or 128,
                                            "w_bit": 4, "version": "GEMM"},
                   calib_data=list(calibration_texts), max_calib_samples=len(calibration_texts),
                   max_calib_seq_len=max_seq_length)
    model.save_quantized(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))


def sql_rates(texts: Sequence[str]) -> dict[str, float]:
    """SQL-only compliance and Oracle parse rate of raw answers (a refusal parses)."""
    compliant = parsed = 0
    for text in texts:
        check = check_output(text)
        compliant += check.compliant
        if check.refusal:
            parsed += 1
        elif check.sql is not None:
            try:
                parse_single(check.sql)
                parsed += 1
            except SqlParseError:
                pass
    total = max(len(texts), 1)
    return {"sql_only_rate": compliant / total, "parse_rate": parsed / total}


def generate(model_dir: str | Path, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
    """Greedy answers through the harness's hf engine (the evaluation's own prompt path)."""
    from harness.engines.base import SamplingParams
    from harness.engines.hf import HFEngine

    engine = HFEngine(model_dir, batch_size=8)
    return [g.text or "" for g in engine.generate(list(prompts),
                                                  SamplingParams(max_new_tokens=max_new_tokens))]


def validate(merged: str | Path, quantized: str | Path, prompts: Sequence[str], *,
             max_new_tokens: int, max_drop: float) -> dict[str, Any]:
    """Load and generate with both models; raise QuantizationRejected when a rate drops by
    more than `max_drop`. Returns both models' rates and a few quantized answers."""
    merged_answers = generate(merged, prompts, max_new_tokens)
    quantized_answers = generate(quantized, prompts, max_new_tokens)
    before, after = sql_rates(merged_answers), sql_rates(quantized_answers)
    report = {"samples": len(prompts), "max_new_tokens": max_new_tokens, "max_drop": max_drop,
              "merged": before, "quantized": after, "examples": quantized_answers[:3]}
    drops = {k: before[k] - after[k] for k in before if before[k] - after[k] > max_drop}
    if drops:
        raise QuantizationRejected(f"quantization lost {drops} (allowed {max_drop}): {report}")
    if not any(a.strip() for a in quantized_answers):
        raise QuantizationRejected("the quantized model produced no text at all")
    return report


def quantize(merged: str | Path, out_dir: str | Path, records: Sequence[dict[str, Any]], *,
             scheme: str = "W4A16", method: str = "awq", group_size: int | None = None,
             calibration_samples: int = 256, validation_samples: int = 32,
             max_seq_length: int = 2048, max_new_tokens: int = 128, max_drop: float = 0.02,
             seed: int = 0, chat_texts: Any = None) -> dict[str, Any]:
    """Quantize `merged` into `out_dir`, validate it, return the candidate's quant_config.

    `records` are training conversations; `chat_texts(records)` renders calibration text
    (the pipeline passes the model's chat template over prompt and answer).
    """
    if scheme not in SCHEMES or method not in METHODS:
        raise ValueError(f"scheme must be one of {SCHEMES} and method one of {METHODS}")
    split = split_samples(records, calibration_samples if method != "rtn" else 0,
                          validation_samples, seed)
    started = time.perf_counter()
    if method == "rtn":
        quantize_rtn(merged, out_dir, scheme=scheme, group_size=group_size)
    elif method == "autoawq":
        quantize_autoawq(merged, out_dir, scheme=scheme, group_size=group_size,
                         calibration_texts=chat_texts(split.calibration),
                         max_seq_length=max_seq_length)
    else:
        quantize_llmcompressor(merged, out_dir, method=method, scheme=scheme,
                               calibration_texts=chat_texts(split.calibration),
                               max_seq_length=max_seq_length)
    quantized = time.perf_counter()
    prompts = [r["conversations"][0]["content"] for r in split.validation]
    report = validate(merged, out_dir, prompts, max_new_tokens=max_new_tokens,
                      max_drop=max_drop)
    report["seconds"] = round(time.perf_counter() - quantized, 2)
    return {"method": method, "scheme": scheme, "format": SERVING_FORMAT[method],
            "group_size": group_size, "calibration_samples": len(split.calibration),
            "max_seq_length": max_seq_length if method != "rtn" else None,
            "seconds": round(quantized - started, 2),
            "calibration_ids": [r["id"] for r in split.calibration],
            "validation_ids": [r["id"] for r in split.validation],
            "validation": report, "sha256": artifact_sha256(out_dir)}
