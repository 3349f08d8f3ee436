"""build_once: a directory built from settings once, rebuilt when they change, never half-built,
recorded in the run's one build state (no marker file in the directory)."""

from __future__ import annotations

import pytest

pytest.importorskip("accelerate", reason="process coordination (pip install .[train])")
from pipeline.state import BuildState  # noqa: E402
from pipeline.train import build_once  # noqa: E402


def writer(calls: list, text: str):
    def build(directory):
        calls.append(directory)
        directory.mkdir(parents=True)
        (directory / "weights.txt").write_text(text)
    return build


def test_built_once_then_reused_then_rebuilt_when_settings_change(tmp_path):
    calls: list = []
    state = BuildState(tmp_path)
    out = tmp_path / "base"
    assert build_once(state, out, {"seed": 1}, writer(calls, "a")) == out
    assert build_once(state, out, {"seed": 1}, writer(calls, "b")) == out
    assert len(calls) == 1 and (out / "weights.txt").read_text() == "a"
    assert [p.name for p in out.iterdir()] == ["weights.txt"]  # no marker beside the weights
    assert list(state.steps()) == ["base"] and state.built("base", {"seed": 1}) is not None
    build_once(state, out, {"seed": 2}, writer(calls, "c"))
    assert len(calls) == 2 and (out / "weights.txt").read_text() == "c"
    assert state.built("base", {"seed": 1}) is None


def test_a_deleted_directory_is_built_again_whatever_the_state_says(tmp_path):
    import shutil

    calls: list = []
    state = BuildState(tmp_path)
    out = tmp_path / "base"
    build_once(state, out, {"seed": 1}, writer(calls, "a"))
    shutil.rmtree(out)
    build_once(state, out, {"seed": 1}, writer(calls, "b"))
    assert len(calls) == 2 and (out / "weights.txt").read_text() == "b"


def test_a_failed_build_keeps_the_last_whole_directory(tmp_path):
    state = BuildState(tmp_path)
    out = tmp_path / "base"
    build_once(state, out, {"seed": 1}, writer([], "a"))

    def crash(directory):
        directory.mkdir(parents=True)
        (directory / "weights.txt").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        build_once(state, out, {"seed": 2}, crash)
    assert (out / "weights.txt").read_text() == "a"
    assert build_once(state, out, {"seed": 1}, writer([], "x")) == out  # still the seed-1 build
    assert (out / "weights.txt").read_text() == "a"
