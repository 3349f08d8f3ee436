"""The generation cache: keyed by fingerprint, prompt and params; a crashed run resumes."""

from __future__ import annotations

import pytest

from harness.engines import EngineError, Generation, ModelEngine, SamplingParams
from harness.engines.cache import CachedEngine, GenerationCache, cache_key


class CountingEngine:
    """Echoes prompts; counts calls and prompts; can fail on its Nth call."""

    name = "counting"

    def __init__(self, fingerprint: str = "model-a", fail_on_call: int | None = None) -> None:
        self.fingerprint = fingerprint
        self.calls = 0
        self.prompts: list[str] = []
        self.fail_on_call = fail_on_call

    def generate(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise EngineError("server went away")
        self.prompts.extend(prompts)
        return [Generation(f"SELECT '{p}' FROM DUAL", 3, 5, 0.25, 0.01) for p in prompts]


def test_counting_engine_is_a_model_engine():
    assert isinstance(CountingEngine(), ModelEngine)


def test_second_run_makes_no_engine_calls(tmp_path):
    prompts = [f"q{i}" for i in range(10)]
    first = CachedEngine(CountingEngine(), GenerationCache(tmp_path), chunk=4)
    answers = first.generate(prompts, SamplingParams())
    assert first.engine.calls == 3
    again = CachedEngine(CountingEngine(), GenerationCache(tmp_path), chunk=4)
    assert again.generate(prompts, SamplingParams()) == answers
    assert again.engine.calls == 0
    assert (again.cache.hits, again.cache.misses) == (10, 0)
    assert answers[0] == Generation("SELECT 'q0' FROM DUAL", 3, 5, 0.25, 0.01)


def test_crashed_run_resumes_with_what_is_missing(tmp_path):
    prompts = [f"q{i}" for i in range(10)]
    crashing = CachedEngine(CountingEngine(fail_on_call=2), GenerationCache(tmp_path), chunk=4)
    with pytest.raises(EngineError):
        crashing.generate(prompts, SamplingParams())
    resumed = CachedEngine(CountingEngine(), GenerationCache(tmp_path), chunk=4)
    resumed.generate(prompts, SamplingParams())
    assert resumed.engine.prompts == prompts[4:]  # the first chunk was stored before the crash


def test_identical_prompts_are_generated_once(tmp_path):
    engine = CountingEngine()
    out = CachedEngine(engine, GenerationCache(tmp_path)).generate(["a", "b", "a"],
                                                                    SamplingParams())
    assert engine.prompts == ["a", "b"]
    assert out[0] == out[2]


def test_key_depends_on_model_prompt_and_params():
    base = cache_key("model-a", "q", SamplingParams())
    assert base == cache_key("model-a", "q", SamplingParams())
    assert base != cache_key("model-b", "q", SamplingParams())
    assert base != cache_key("model-a", "q ", SamplingParams())
    assert base != cache_key("model-a", "q", SamplingParams(max_new_tokens=256))


def test_other_model_misses_and_corrupt_entry_is_regenerated(tmp_path):
    CachedEngine(CountingEngine("model-a"), GenerationCache(tmp_path)).generate(
        ["q"], SamplingParams())
    other = CountingEngine("model-b")
    CachedEngine(other, GenerationCache(tmp_path)).generate(["q"], SamplingParams())
    assert other.calls == 1
    key = cache_key("model-a", "q", SamplingParams())
    (tmp_path / key[:2] / f"{key}.json").write_text("{not json")
    again = CountingEngine("model-a")
    CachedEngine(again, GenerationCache(tmp_path)).generate(["q"], SamplingParams())
    assert again.calls == 1


def test_failure_reports_every_prompt_of_the_call(tmp_path):
    # A cached answer, a chunk that finished, then a chunk whose call failed: the error says,
    # per prompt of the whole call, what exists (so a caller scores it) and what does not.
    prompts = [f"q{i}" for i in range(10)]
    CachedEngine(CountingEngine(), GenerationCache(tmp_path)).generate(["q9"], SamplingParams())
    crashing = CachedEngine(CountingEngine(fail_on_call=2), GenerationCache(tmp_path), chunk=4)
    with pytest.raises(EngineError) as failed:
        crashing.generate(prompts, SamplingParams())
    present = [g is not None for g in failed.value.partial]
    assert present == [True] * 4 + [False] * 5 + [True]
    assert failed.value.partial[9].text == "SELECT 'q9' FROM DUAL"
