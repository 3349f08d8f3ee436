"""Model engines: prompts in, completions out (replay, OpenAI-compatible HTTP, transformers, vLLM).

`ENGINE_REGISTRY` says, as data, which engines there are, what each needs and how it is built;
`make_engine` builds one by name from it, and the suites' `--engine` option takes its choices
and help from it. Every implementation except `replay` is imported only when chosen, so torch,
vLLM and an HTTP client are needed only by the runs that use them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.engines.base import EngineError, Generation, ModelEngine, SamplingParams

if TYPE_CHECKING:
    from harness.inputs.golden import EvalSet


@dataclass(frozen=True)
class EngineOptions:
    """What the command line gives an engine; each engine reads the options it needs."""

    predictions: Path | None = None
    model: str | None = None
    base_url: str | None = None
    concurrency: int = 4
    timeout_s: float = 120.0
    eval_set: EvalSet | None = None


@dataclass(frozen=True)
class EngineSpec:
    """One engine: its name, the options it cannot run without, a line of help, a factory.

    `requires` names each needed option as its flag is written (`--base-url URL`): the flag
    names the EngineOptions field (`base_url`), the metavar says what to give.

    `recorded`: its answers already exist as prediction records (replay): the suites score
    those records as `sqlgate score` does (token counts, timings and `engine_error` kept),
    instead of generating.
    """

    name: str
    help: str
    requires: tuple[str, ...]
    build: Callable[[EngineOptions], ModelEngine]
    recorded: bool = False

    def missing(self, options: EngineOptions) -> list[str]:
        """The flags of required options not given (empty when it can be built)."""
        return [flag for flag in self.requires if not getattr(options, _option_of(flag))]


def _option_of(flag: str) -> str:
    """`--base-url URL` -> `base_url`, the EngineOptions field the flag fills."""
    return flag.split()[0].removeprefix("--").replace("-", "_")


def _replay(o: EngineOptions) -> ModelEngine:
    from harness.engines.replay import ReplayEngine

    return ReplayEngine(o.predictions, o.eval_set)


def _openai(o: EngineOptions) -> ModelEngine:
    from harness.engines.openai_http import OpenAIEngine

    return OpenAIEngine(o.base_url, o.model, concurrency=o.concurrency, timeout_s=o.timeout_s)


def _hf(o: EngineOptions) -> ModelEngine:
    from harness.engines.hf import HFEngine

    return HFEngine(o.model)


def _vllm(o: EngineOptions) -> ModelEngine:
    from harness.engines.vllm_engine import VLLMEngine

    return VLLMEngine(o.model)


ENGINE_REGISTRY: dict[str, EngineSpec] = {spec.name: spec for spec in (
    EngineSpec("replay", "replay a predictions file", ("--predictions P.jsonl",), _replay,
               recorded=True),
    EngineSpec("openai", "an OpenAI-compatible server (vLLM, the guardrail proxy)",
               ("--base-url URL", "--model NAME"), _openai),
    EngineSpec("hf", "transformers on a local model directory", ("--model PATH",), _hf),
    EngineSpec("vllm", "vLLM in process on a local model directory", ("--model PATH",), _vllm),
)}
ENGINES = tuple(ENGINE_REGISTRY)

__all__ = ["ENGINES", "ENGINE_REGISTRY", "EngineError", "EngineOptions", "EngineSpec",
           "Generation", "ModelEngine", "SamplingParams", "engine_spec", "make_engine"]


def engine_spec(name: str) -> EngineSpec:
    """The registered engine `name`; ValueError names every registered one."""
    try:
        return ENGINE_REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}"
                         ) from None


def engines_help() -> str:
    """One line per engine and what it needs, for `--engine`'s help."""
    return "; ".join(f"{s.name}: {s.help}"
                     + (f" (needs {', '.join(s.requires)})" if s.requires else "")
                     for s in ENGINE_REGISTRY.values())


def make_engine(name: str, *, predictions: Path | None = None, model: str | None = None,
                base_url: str | None = None, concurrency: int = 4,
                timeout_s: float = 120.0, eval_set: EvalSet | None = None) -> ModelEngine:
    """The engine `name` configured from the command line; ValueError names a missing input.

    Given the eval set, a replayed predictions file must answer it (InputError otherwise: an
    empty file, ids that match no example)."""
    spec = engine_spec(name)
    options = EngineOptions(predictions=predictions, model=model, base_url=base_url,
                            concurrency=concurrency, timeout_s=timeout_s, eval_set=eval_set)
    missing = spec.missing(options)
    if missing:
        raise ValueError(f"--engine {name} needs {' and '.join(missing)}")
    return spec.build(options)
