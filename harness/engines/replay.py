"""The replay engine: answers from a predictions JSONL file (contract 2, docs/contracts.md) instead of a model.

Its prompts are example ids, not rendered text: a replayed answer does not depend on the prompt,
and keying by id keeps two examples with the same question apart.
"""

from __future__ import annotations

from pathlib import Path

from harness.engines.base import Generation, SamplingParams
from harness.inputs.golden import EvalSet, Prediction, file_sha256, load_predictions


class ReplayEngine:
    """Replays `predictions` (id -> sql); an id without a prediction gives `text=None`."""

    name = "replay"

    def __init__(self, predictions: str | Path, eval_set: EvalSet | None = None) -> None:
        self.path = Path(predictions)
        self.predictions: dict[str, Prediction] = load_predictions(self.path, eval_set)
        self._fingerprint = f"replay:{file_sha256(self.path)}"

    @property
    def fingerprint(self) -> str:
        """The predictions file's sha256: another file is another candidate."""
        return self._fingerprint

    def generate(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        """The recorded answer for each example id in `prompts`; sampling does not apply."""
        out = []
        for example_id in prompts:
            prediction = self.predictions.get(example_id)
            extra = (prediction.model_extra or {}) if prediction else {}
            out.append(Generation(
                text=prediction.sql if prediction else None,
                # Recorded token counts and timings are kept when the file carries them.
                prompt_tokens=extra.get("prompt_tokens"),
                completion_tokens=extra.get("completion_tokens"),
                seconds=float(extra.get("seconds") or 0.0),
                ttft_s=extra.get("ttft_s"),
            ))
        return out
