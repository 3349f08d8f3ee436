"""The replay engine: predictions JSONL in, one Generation per example id."""

from __future__ import annotations

import json

import pytest

from harness.engines import SamplingParams, make_engine
from harness.engines.replay import ReplayEngine
from harness.io.errors import InputError


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_replays_by_id_and_keeps_recorded_measurements(tmp_path):
    path = _write(tmp_path / "p.jsonl", [
        {"id": "a", "sql": "SELECT 1 FROM DUAL", "prompt_tokens": 900, "completion_tokens": 7,
         "seconds": 0.5, "ttft_s": 0.05},
        {"id": "b", "sql": "-- UNANSWERABLE"},
    ])
    engine = make_engine("replay", predictions=path)
    out = engine.generate(["b", "missing", "a"], SamplingParams())
    assert [g.text for g in out] == ["-- UNANSWERABLE", None, "SELECT 1 FROM DUAL"]
    assert (out[2].prompt_tokens, out[2].completion_tokens, out[2].seconds, out[2].ttft_s) == (
        900, 7, 0.5, 0.05)
    assert (out[0].prompt_tokens, out[0].seconds) == (None, 0.0)


def test_fingerprint_follows_the_file(tmp_path):
    one = _write(tmp_path / "one.jsonl", [{"id": "a", "sql": "SELECT 1 FROM DUAL"}])
    two = _write(tmp_path / "two.jsonl", [{"id": "a", "sql": "SELECT 2 FROM DUAL"}])
    assert ReplayEngine(one).fingerprint != ReplayEngine(two).fingerprint
    assert ReplayEngine(one).fingerprint.startswith("replay:")


def test_duplicate_ids_are_refused(tmp_path):
    path = _write(tmp_path / "p.jsonl", [{"id": "a", "sql": "x"}, {"id": "a", "sql": "y"}])
    with pytest.raises(InputError, match="duplicate id"):
        ReplayEngine(path)


def test_make_engine_names_what_is_missing():
    with pytest.raises(ValueError, match="--predictions"):
        make_engine("replay")
    with pytest.raises(ValueError, match="--model"):
        make_engine("hf")
    with pytest.raises(ValueError, match="unknown engine"):
        make_engine("gpt")
