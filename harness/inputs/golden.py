"""Golden examples (contract 1, docs/contracts.md) and predictions (contract 2): models and JSONL loaders."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.io.errors import InputError
from harness.io.jsonl import read_jsonl

UNANSWERABLE_GOLD = "-- UNANSWERABLE"

Domain = Literal["AP", "PO", "GL", "AR", "HZ", "INV", "HR", "FND", "CROSS"]


class GoldenExample(BaseModel):
    """One eval example. Unknown fields are refused so a typo (`sql_gol`) cannot pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1, max_length=4000)
    sql_gold: str = Field(min_length=1, max_length=100_000)
    kind: Literal["answerable", "unanswerable"] = "answerable"
    domain: Domain
    difficulty: Literal["easy", "medium", "hard"]
    rag_context: str | dict[str, str | list[str]] | None = None
    org_policy: Literal["required", "none"] = "none"
    alt_sql_gold: list[str] = []
    tags: list[str] = []

    @field_validator("id", "question", "sql_gold")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _kind_matches_gold(self) -> GoldenExample:
        is_refusal = self.sql_gold.strip().upper().startswith(UNANSWERABLE_GOLD)
        if self.kind == "unanswerable" and not is_refusal:
            raise ValueError(f"an unanswerable example needs sql_gold {UNANSWERABLE_GOLD!r}")
        if self.kind == "answerable" and is_refusal:
            raise ValueError("sql_gold is the refusal marker but kind is 'answerable'")
        return self

    @property
    def golds(self) -> list[str]:
        """The gold SQL and every accepted alternative, gold first."""
        return [self.sql_gold, *self.alt_sql_gold]

    def context_text(self) -> str:
        """The RAG context as one text (structured sections joined under their headings)."""
        if self.rag_context is None:
            return ""
        if isinstance(self.rag_context, str):
            return self.rag_context
        parts = []
        for heading, body in self.rag_context.items():
            text = body if isinstance(body, str) else "\n".join(body)
            parts.append(f"# {heading}\n{text}")
        return "\n\n".join(parts)


PREDICTION_LINE_BYTES = 64 * 1024 * 1024
"""A predictions line longer than this stops the load. Far above the scorer's per-answer limit
(ScoringSettings.max_sql_chars): a runaway answer below it is scored `oversized`, not fatal."""


class Prediction(BaseModel):
    """One model answer; extra fields (latency, tokens, raw output, …) are kept.

    `engine_error` says the engine gave no answer (server down past its retries, a malformed
    response): the example is scored `infra_error`, never as the model's mistake, and `sql`
    may then be left out. The length of `sql` is not limited here: an over-long answer is the
    model's output and is scored (`oversized`), so one runaway answer cannot stop a run.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(min_length=1, max_length=200)
    sql: str = ""
    engine_error: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _answer_or_engine_error(self) -> Prediction:
        if "sql" not in self.model_fields_set and self.engine_error is None:
            raise ValueError("needs `sql` (the answer) or `engine_error` (why there is none)")
        return self


class EvalSet(BaseModel):
    """A loaded eval set: its examples in file order and the hash of its file."""

    model_config = ConfigDict(frozen=True)

    path: str
    sha256: str
    examples: tuple[GoldenExample, ...]


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes: eval sets and artefacts are identified by it."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_eval_set(path: str | Path) -> EvalSet:
    """Load a golden JSONL file; duplicate ids are refused with both line numbers."""
    seen: dict[str, int] = {}
    examples = []
    for line, example in read_jsonl(path, GoldenExample):
        if example.id in seen:
            raise InputError(path, f"duplicate id {example.id!r} (first on line {seen[example.id]})",
                             line=line, field="id")
        seen[example.id] = line
        examples.append(example)
    if not examples:
        raise InputError(path, "contains no examples")
    return EvalSet(path=str(path), sha256=file_sha256(path), examples=tuple(examples))


UNKNOWN_IDS_SHOWN = 5


def load_predictions(path: str | Path,
                     eval_set: EvalSet | None = None) -> dict[str, Prediction]:
    """Load a predictions JSONL file into id -> prediction; duplicate ids are refused.

    Given the eval set, the file must also answer it: an empty file, or ids that match no
    example (a predictions file of another eval set, ids with a typo), are input errors that
    name the first unknown ids, their lines and how many there are, instead of a run that
    scores every example `missing` and exits 0.
    """
    seen: dict[str, int] = {}
    out: dict[str, Prediction] = {}
    for line, prediction in read_jsonl(path, Prediction, max_line_bytes=PREDICTION_LINE_BYTES):
        if prediction.id in seen:
            raise InputError(path, f"duplicate id {prediction.id!r} "
                             f"(first on line {seen[prediction.id]})", line=line, field="id")
        seen[prediction.id] = line
        out[prediction.id] = prediction
    if eval_set is None:
        return out
    if not out:
        raise InputError(path, f"contains no predictions for the {len(eval_set.examples)} "
                         f"examples of {eval_set.path}")
    known = {e.id for e in eval_set.examples}
    unknown = [i for i in out if i not in known]  # in file order
    if unknown:
        shown = ", ".join(f"{i!r} (line {seen[i]})" for i in unknown[:UNKNOWN_IDS_SHOWN])
        more = f" and {len(unknown) - UNKNOWN_IDS_SHOWN} more" if (
            len(unknown) > UNKNOWN_IDS_SHOWN) else ""
        what = (f"none of its {len(out)} prediction ids matches an example" if
                len(unknown) == len(out) else
                f"{len(unknown)} of its {len(out)} prediction ids match no example")
        raise InputError(path, f"{what} of {eval_set.path}: {shown}{more}",
                         line=seen[unknown[0]], field="id")
    return out
