"""The strict reading of a results.json, the same for a candidate and for a baseline.

The gate trusts nothing a results file says about itself: every example is validated (a
`correct` written 1/0 is refused, not read as false), no number may be NaN or infinite, and
the summary is recomputed from the examples with the very function `sqlgate score` used
(`metrics.summarize`); a summary that disagrees with its own examples is refused. Keys the
scorer does not compute from examples (`run`, `latency`, `guardrail`) are kept as written.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from harness.io.errors import InputError, describe_validation_error, pydantic_field
from harness.scoring.metrics import summarize
from harness.scoring.scorer import ExampleScore
from harness.scoring.status import Status

# Floats written by json.dumps and read back compare exactly; this only absorbs summaries
# written by other tools that round differently.
_TOLERANCE = 1e-9
_NON_FINITE = re.compile(r"(?<![\w\"])(-?Infinity|NaN)(?![\w\"])")

Number = StrictInt | StrictFloat


class ExampleRecord(BaseModel):
    """One entry of `examples`: the fields the gate and the summary depend on, strictly typed.

    Fields added by a newer scorer are kept (extra="allow") so the contract can grow; every
    field that `metrics.summarize` reads is typed here.
    """

    model_config = ConfigDict(extra="allow", strict=True)

    id: StrictStr = Field(min_length=1)
    correct: StrictBool
    # A string in the file; strict mode would take only a Status member from a dict.
    status: Annotated[Status, Field(strict=False)]
    kind: Literal["answerable", "unanswerable"]
    domain: StrictStr
    difficulty: StrictStr
    reason: StrictStr = ""
    sql_only: StrictBool | None = None
    refused: StrictBool = False
    parsed: StrictBool | None = None
    explained: StrictBool | None = None
    unknown_tables: list[StrictStr] = []
    unknown_columns: list[StrictStr] = []
    out_of_context_tables: list[StrictStr] | None = None
    moac_required: StrictBool = False
    moac_violations: list[StrictStr] = []
    single_instance_correct: StrictBool | None = None
    lenient_correct: StrictBool | None = None
    exact_match: StrictBool | None = None
    rouge_l: Number | None = None
    bleu: Number | None = None
    seconds: Number = 0.0


class Rate(BaseModel):
    """A rate of the summary: value (null when nothing was counted), its denominator, its
    numerator and its 95 % Wilson interval."""

    model_config = ConfigDict(extra="allow")

    value: Number | None
    n: StrictInt = Field(ge=0)
    successes: Number = Field(ge=0)
    ci95: tuple[Number, Number]


class MeanScore(BaseModel):
    """A mean text-similarity score (ROUGE-L, BLEU) over `n` examples."""

    model_config = ConfigDict(extra="allow")

    value: Number | None
    n: StrictInt = Field(ge=0)


class Summary(BaseModel):
    """`summary`: counts and rates recomputed from `examples` (see docs/scoring.md), plus the
    run's facts (`run`) and, after a served evaluation, `latency` and `guardrail`."""

    model_config = ConfigDict(extra="allow")

    examples: StrictInt = Field(ge=0)
    answerable: StrictInt = Field(ge=0)
    unanswerable: StrictInt = Field(ge=0)
    correct: StrictInt = Field(ge=0)
    unevaluable: StrictInt = Field(ge=0)
    infra_errors: StrictInt = Field(ge=0)
    accuracy: Rate
    execution_accuracy: Rate
    single_instance_accuracy: Rate
    lenient_accuracy: Rate
    parse_rate: Rate
    explain_rate: Rate
    sql_only_rate: Rate
    hallucinated_table_rate: Rate
    hallucinated_column_rate: Rate
    out_of_context_table_rate: Rate
    refusal_accuracy: Rate
    false_refusal_rate: Rate
    moac_compliance: Rate
    exact_match: Rate
    rouge_l: MeanScore
    bleu: MeanScore
    status_counts: dict[Status, StrictInt]
    by_domain: dict[str, Rate]
    by_difficulty: dict[str, Rate]
    run: dict[str, Any]
    latency: dict[str, Any] | None = None
    guardrail: dict[str, Any] | None = None


class CacheCounts(BaseModel):
    """Hits and misses of a cache over one run (gold results, generations)."""

    hits: StrictInt = Field(ge=0)
    misses: StrictInt = Field(ge=0)


class RerunInfra(BaseModel):
    """`run.rerun_infra`: the previous results.json a rerun completed, and what it kept."""

    model_config = ConfigDict(populate_by_name=True)

    from_: StrictStr = Field(alias="from")
    kept: StrictInt = Field(ge=0)
    rescored: StrictInt = Field(ge=0)


class RunInfo(BaseModel):
    """`summary.run`, the run manifest: what was scored, where, how long, and whether every
    example was. The suites (pytest plugin) add the candidate, the engine and the deselection.

    Built by the writers (ScoreRun) and dumped with `exclude_unset`, so a field nobody set
    (the suites' fields in `sqlgate score`) is absent from the file, not null. The schema of
    results.json keeps `run` an open object: readers must accept results of older versions.
    """

    model_config = ConfigDict(extra="allow")

    sqlgate_version: StrictStr
    eval_set: StrictStr
    eval_set_sha256: StrictStr
    backend: StrictStr
    instances: list[StrictStr]
    unknown_prediction_ids: list[StrictStr]
    seconds: Number
    db_seconds: Number
    gold_cache: CacheCounts
    # Every example scored, none left to an infrastructure failure (`infra_errors`), none
    # deselected or stopped in a suite run: the gate judges only a complete run.
    complete: StrictBool
    rerun_infra: RerunInfra | None = None
    deselected: StrictInt | None = None
    candidate: StrictStr | None = None
    engine: StrictStr | None = None
    engine_fingerprint: StrictStr | None = None
    generation_cache: CacheCounts | None = None

    def to_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class ResultsFile(BaseModel):
    """results.json: `summary` and one entry per eval example, in the eval set's order."""

    model_config = ConfigDict(extra="allow", title="sqlgate results.json")

    summary: Summary
    examples: list[ExampleRecord]


def results_json_schema() -> dict:
    """The JSON Schema of results.json (docs/schemas/results.schema.json is this, written)."""
    schema = ResultsFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


_SCORE_FIELDS = {f.name for f in dataclasses.fields(ExampleScore)}


class _NonFinite(ValueError):
    def __init__(self, token: str, message: str) -> None:
        super().__init__(message)
        self.token = token


def _reject_constant(token: str) -> Any:
    raise _NonFinite(token, f"non-finite number {token} is not allowed")


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _NonFinite(token, f"number {token} overflows to infinity")
    return value


def parse_strict_json(text: str, path: str | Path) -> Any:
    """json.loads that refuses NaN, Infinity, -Infinity and overflowing numbers, with a line."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    except _NonFinite as exc:
        found = _NON_FINITE.search(text)
        at = found.start() if found and found.group(1) == exc.token else text.find(exc.token)
        line = text.count("\n", 0, at) + 1 if at >= 0 else None
        raise InputError(path, str(exc), line=line) from None
    except RecursionError:
        raise InputError(path, "not valid JSON: nested too deeply") from None


def _check_finite(node: Any, where: str, path: str | Path) -> None:
    """Refuse NaN/±inf anywhere in an already-parsed document (results passed as dicts)."""
    if isinstance(node, float) and not math.isfinite(node):
        raise InputError(path, f"non-finite number {node!r} is not allowed", field=where)
    if isinstance(node, dict):
        for key, value in node.items():
            _check_finite(value, f"{where}.{key}" if where else str(key), path)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_finite(value, f"{where}[{i}]", path)


def _disagreement(stated: Any, computed: Any, where: str) -> str | None:
    """The first place where the stated summary differs from the recomputed one, or None."""
    if isinstance(computed, dict):
        if not isinstance(stated, dict):
            return f"{where}: says {stated!r}, the examples give an object"
        for key, value in computed.items():
            if key not in stated:
                return f"{where}.{key}: absent, the examples give {value!r}"
            found = _disagreement(stated[key], value, f"{where}.{key}")
            if found:
                return found
        extra = sorted(set(stated) - set(computed))
        if extra and where.endswith(("status_counts", "by_domain", "by_difficulty")):
            return f"{where}.{extra[0]}: stated, but no example has it"
        return None
    if isinstance(computed, list):
        if not isinstance(stated, list) or len(stated) != len(computed):
            return f"{where}: says {stated!r}, the examples give {computed!r}"
        for i, (a, b) in enumerate(zip(stated, computed, strict=True)):
            found = _disagreement(a, b, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(computed, bool) or computed is None or isinstance(computed, str):
        return None if stated == computed and type(stated) is type(computed) else (
            f"{where}: says {stated!r}, the examples give {computed!r}")
    if isinstance(stated, bool) or not isinstance(stated, int | float):
        return f"{where}: says {stated!r}, the examples give {computed!r}"
    if math.isclose(stated, computed, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE):
        return None
    return f"{where}: says {stated!r}, the examples give {computed!r}"


def validate_results(data: Any, path: str | Path) -> dict:
    """Validate a parsed results.json; return it with `examples` checked and `summary` proven.

    Raises InputError naming the file, the field and what was expected.
    """
    if not isinstance(data, dict):
        raise InputError(path, "expected a JSON object with `summary` and `examples`")
    if not isinstance(data.get("summary"), dict):
        raise InputError(path, "expected an object", field="summary")
    examples = data.get("examples")
    if not isinstance(examples, list) or not all(isinstance(e, dict) for e in examples):
        raise InputError(path, "expected a list of example objects", field="examples")
    _check_finite(data, "", path)
    scores = []
    for i, example in enumerate(examples):
        try:
            ExampleRecord.model_validate(example)
        except PydanticValidationError as exc:
            err = exc.errors()[0]
            raise InputError(path, describe_validation_error(err),
                             field=f"examples[{i}]." + pydantic_field(tuple(err["loc"]))) from None
        scores.append(ExampleScore(**{k: v for k, v in example.items() if k in _SCORE_FIELDS}))
    found = _disagreement(data["summary"], summarize(scores), "summary")
    if found:
        raise InputError(path, f"the summary disagrees with the examples: {found}; "
                         "the gate recomputes every count from the examples and refuses a "
                         "summary edited or written by another sqlgate (rescore)")
    return data


def load_results(path: str | Path) -> dict:
    """Read and validate a results.json (candidate or baseline alike)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot read results: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 (byte {exc.start})") from None
    return validate_results(parse_strict_json(text, path), path)


if __name__ == "__main__":
    print(json.dumps(results_json_schema(), indent=1, sort_keys=True))
