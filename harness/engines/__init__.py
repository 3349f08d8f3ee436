"""Model engines: prompts in, completions out (replay, OpenAI-compatible HTTP, transformers, vLLM).

`make_engine` builds one by name; every implementation except `replay` is imported only when
chosen, so torch, vLLM and an HTTP client are needed only by the runs that use them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from harness.engines.base import EngineError, Generation, ModelEngine, SamplingParams

if TYPE_CHECKING:
    from harness.inputs.golden import EvalSet

ENGINES = ("replay", "openai", "hf", "vllm")

__all__ = ["ENGINES", "EngineError", "Generation", "ModelEngine", "SamplingParams", "make_engine"]


def make_engine(name: str, *, predictions: Path | None = None, model: str | None = None,
                base_url: str | None = None, concurrency: int = 4,
                timeout_s: float = 120.0, eval_set: EvalSet | None = None) -> ModelEngine:
    """The engine `name` configured from the command line; ValueError names a missing input.

    Given the eval set, a replayed predictions file must answer it (InputError otherwise: an
    empty file, ids that match no example)."""
    if name == "replay":
        if predictions is None:
            raise ValueError("--engine replay needs --predictions P.jsonl")
        from harness.engines.replay import ReplayEngine

        return ReplayEngine(predictions, eval_set)
    if name == "openai":
        if not base_url or not model:
            raise ValueError("--engine openai needs --base-url URL and a served model name")
        from harness.engines.openai_http import OpenAIEngine

        return OpenAIEngine(base_url, model, concurrency=concurrency, timeout_s=timeout_s)
    if name in ("hf", "vllm"):
        if not model:
            raise ValueError(f"--engine {name} needs --model PATH")
        if name == "hf":
            from harness.engines.hf import HFEngine

            return HFEngine(model)
        from harness.engines.vllm_engine import VLLMEngine

        return VLLMEngine(model)
    raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")
