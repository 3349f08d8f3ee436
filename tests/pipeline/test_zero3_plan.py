"""benchmarks/gpu/zero3_plan.py: the 8 × A100 ZeRO-3 plan computed from the measured runs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu" / "zero3_plan.py"
spec = importlib.util.spec_from_file_location("zero3_plan", SCRIPT)
zero3_plan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(zero3_plan)

LLAMA_70B = dict(hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
                 num_attention_heads=64, num_key_value_heads=8, vocab_size=128256,
                 tie_word_embeddings=False)
GIB = 2**30


def measured(layers: int, peak: float, start: float, trainable: int, mfu: float = 0.36) -> dict:
    """A report of benchmarks/pipeline_gpu.py for a plain QLoRA run."""
    return {"base": {**LLAMA_70B, "num_hidden_layers": layers},
            "train": {"baseline": {
                "tokens_per_step": 8192, "mfu": mfu, "peak_memory_gib_per_process": [peak],
                "peak_reserved_gib": peak * 1.1, "memory_at_train_start_gib": start,
                "trainable_parameters": trainable,
                "base_load": {"built_in_process": True, "q_lora": True, "seconds": 1.0,
                              "parameters": 70_553_706_496 if layers == 80 else 3_812_663_296,
                              "device_memory_gib": 36.9}}},
            "adapter_checks": []}


def test_activations_are_the_peak_less_the_start_less_the_adapters_optimizer():
    train = measured(80, 79.5, 42.3, 2**28)["train"]["baseline"]
    assert zero3_plan.activation_gib(train) == pytest.approx(79.5 - 42.3 - 2**28 * 12 / GIB)


def test_a_70b_layer_has_its_projections_parameters():
    # q, o: 8192²; k, v: 8192 × 1024; gate, up, down: 8192 × 28672
    assert zero3_plan.layer_parameters(LLAMA_70B) == 855_638_016


def test_memory_terms_shard_over_the_gpus_and_add_up():
    m = zero3_plan.memory_per_gpu(LLAMA_70B, 70_553_706_496, 414_187_520, 30.0, 8, 1.2)
    assert m["base_bf16_shard"] == round(70_553_706_496 * 2 / 8 / GIB, 2)
    assert m["lora_weights_grads_optimizer_shard"] == round(414_187_520 * 16 / 8 / GIB, 2)
    assert m["gathered_parameters"] == round(2 * 855_638_016 * 2 / GIB, 2)
    terms = [v for k, v in m.items() if k not in ("allocated", "reserved_estimate",
                                                  "reserved_over_allocated_measured")]
    assert m["allocated"] == pytest.approx(sum(terms), abs=0.03)
    assert m["reserved_estimate"] == pytest.approx(m["allocated"] * 1.2, abs=0.01)


@given(gpus=st.integers(1, 64))
def test_more_gpus_never_need_more_memory_each(gpus):
    def total(n):
        return zero3_plan.memory_per_gpu(LLAMA_70B, 70_553_706_496, 414_187_520, 30.0, n,
                                         1.0)["allocated"]

    assert total(gpus + 1) <= total(gpus)


@given(mfu=st.floats(0.05, 1.0), accumulation=st.integers(1, 64))
def test_step_time_is_flops_over_achieved_rate(mfu, accumulation):
    t = zero3_plan.step_seconds(3.9e15, mfu, accumulation, peak_tflops=312.0)
    assert t["micro_step_s"] == pytest.approx(3.9e15 / (312e12 * mfu), abs=0.06)
    assert t["optimizer_step_s"] == pytest.approx(t["micro_step_s"] * accumulation,
                                                  abs=0.06 * accumulation)


def test_one_gpu_moves_no_weights_and_eight_move_seven_eighths_twice():
    assert zero3_plan.zero3_traffic_seconds(10**9, 1) == 0
    assert zero3_plan.zero3_traffic_seconds(10**9, 8, bandwidth_gb_s=1.75) == 2.0


def test_the_plan_is_marked_computed_and_counts_the_production_steps():
    run, small = measured(80, 79.5, 42.3, 414_187_520), measured(2, 23.4, 8.7, 10_354_688)
    zero3 = {"base": {**LLAMA_70B, "num_hidden_layers": 2},
             "train": {"zero3": {"mfu": 0.37, "processes": 2,
                                 "peak_memory_gib_per_process": [18.2, 18.2]}}}
    p = zero3_plan.plan(run, small, zero3, examples=1186)
    assert p["status"] == "computed, not measured"
    assert p["setup"]["optimizer_steps"] == 56  # ceil(1186 × 3 / 64)
    assert set(p["step_time_by_measured_mfu"]) == {"qlora_80_layers_h200",
                                                   "bf16_zero3_slice_2gpu"}
    per_layer = (zero3_plan.activation_gib(run["train"]["baseline"])
                 - zero3_plan.activation_gib(small["train"]["baseline"])) / 78
    assert p["activation_gib_per_layer_measured"] == round(per_layer, 3)
    assert p["check_against_measured_zero3_slice"]["measured_peak_gib"] == 18.2


def test_the_cli_writes_the_plan_and_the_notes_into_the_report(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    report = {**measured(80, 79.5, 42.3, 414_187_520), "gpu": "NVIDIA H200", "command": "c",
              "matmul_parameters": 69_501_714_432, "step_wall_s": {}}
    report["train"]["baseline"].update(
        processes=1, deepspeed=None, steps=8, median_step_s=11.0, tokens_per_s_per_gpu=744.7,
        device_memory_gib=139.8, headroom_gib=60.3, loss_first_last=[13.8, 13.2])
    path.write_text(json.dumps(report))
    assert zero3_plan.main(["--run", str(path), "--out", str(path), "--note", "it broke"]) == 0
    written = json.loads(path.read_text())
    assert written["notes"] == ["it broke"]
    assert written["computed_plan_8xA100_zero3"]["status"] == "computed, not measured"
    text = path.with_suffix(".md").read_text()
    assert "COMPUTED, NOT MEASURED" in text and "- it broke" in text
