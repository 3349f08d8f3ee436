"""The ModelEngine seam: what every engine takes (prompts, sampling) and gives (Generations)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable


class EngineError(RuntimeError):
    """A model could not produce a completion (server down past its retries, bad response).

    `partial` holds, per prompt of the failed call, the Generation that did finish (None for
    the others), so a caller can keep the work done before the failure.
    """

    def __init__(self, message: str, partial: list[Generation | None] | None = None) -> None:
        super().__init__(message)
        self.partial = partial or []


@dataclass(frozen=True)
class SamplingParams:
    """Decoding settings; the defaults are the evaluation's (greedy, 512 new tokens)."""

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0

    def to_json(self) -> dict:
        """The settings as a JSON object (part of every generation-cache key)."""
        return asdict(self)


@dataclass(frozen=True)
class Generation:
    """One completion. `text` is None only when a replayed predictions file has no answer for
    the prompt (scored as `missing`); token counts are None where the engine cannot tell.
    `seconds` is the request's wall time (for a batched engine, its batch's)."""

    text: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float
    ttft_s: float | None = None

    def to_json(self) -> dict:
        """The generation as a JSON object (a generation-cache entry)."""
        return asdict(self)


@runtime_checkable
class ModelEngine(Protocol):
    """Prompts in, completions out, one per prompt and in the same order.

    A prompt is the user turn rendered by `harness.prompting.prompts.render_user_prompt`; each engine
    wraps it in its model's chat format. `fingerprint` identifies the model and every setting
    that changes its output, so a cached generation is reused only for the same model.
    """

    name: str

    @property
    def fingerprint(self) -> str:
        """Stable identity of model + settings (a hex digest or a readable string)."""
        ...

    def generate(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        """One Generation per prompt, in order; raises EngineError when it cannot."""
        ...
