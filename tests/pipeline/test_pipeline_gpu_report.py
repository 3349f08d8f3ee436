"""benchmarks/pipeline_gpu.py: the ZeRO-3 adapter check and the FLOP count behind MFU."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="adapter tensors (pip install .[train])")
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "pipeline_gpu.py"
spec = importlib.util.spec_from_file_location("pipeline_gpu", SCRIPT)
pipeline_gpu = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pipeline_gpu)

LLAMA_1B = dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                tie_word_embeddings=True)


def save_adapter(path: Path, tensors: dict) -> Path:
    from safetensors.torch import save_file

    path.mkdir()
    (path / "adapter_config.json").write_text(json.dumps({"r": 4}))
    save_file(tensors, str(path / "adapter_model.safetensors"))
    return path


def lora(a_rows: int = 4, b_value: float = 0.5) -> dict:
    return {"q_proj.lora_A.weight": torch.ones(a_rows, 16),
            "q_proj.lora_B.weight": torch.full((16, 4), b_value)}


def test_a_gathered_trained_adapter_is_whole(tmp_path):
    result = pipeline_gpu.check_adapter(save_adapter(tmp_path / "a", lora()))
    assert result["whole"] and result["lora_B_moved"] == "1/1" and result["parameters"] == 128


def test_an_empty_partition_is_not_whole(tmp_path):
    tensors = {**lora(), "k_proj.lora_A.weight": torch.empty(0)}
    result = pipeline_gpu.check_adapter(save_adapter(tmp_path / "a", tensors))
    assert not result["whole"] and "empty" in result["problems"][0]


def test_wrong_rank_and_untrained_adapters_are_not_whole(tmp_path):
    wrong_rank = pipeline_gpu.check_adapter(save_adapter(tmp_path / "a", lora(a_rows=2)))
    assert not wrong_rank["whole"] and "expected r=4" in wrong_rank["problems"][0]
    untrained = pipeline_gpu.check_adapter(save_adapter(tmp_path / "b", lora(b_value=0.0)))
    assert not untrained["whole"] and "still zero" in untrained["problems"][0]


def test_matmul_parameters_are_the_models_less_its_norms():
    from transformers import LlamaConfig, LlamaForCausalLM

    with torch.device("meta"):
        model = LlamaForCausalLM(LlamaConfig(**LLAMA_1B))
    norms = sum(p.numel() for n, p in model.named_parameters() if "norm" in n)
    flops, n = pipeline_gpu.flops_per_token(LLAMA_1B, 8192)
    assert n == sum(p.numel() for p in model.parameters()) - norms
    assert flops == 6 * n + 12 * 16 * 2048 * 8192


def manifest(**extra) -> dict:
    """A plain-Trainer run manifest as pipeline.train writes it (steps from StepStats)."""
    steps = {"step_seconds": [3.0, 1.0, 1.0], "median_step_seconds": 1.0,
             "peak_memory_gib_per_process": [20.0], "device_memory_gib": 80.0,
             **extra.pop("steps", {})}
    return {"config": {"training": {"model_max_length": 8192, "per_device_train_batch_size": 1,
                                    "gradient_accumulation_steps": 1, "deepspeed": None},
                       "lora": {"q_lora": True}},
            "steps": steps, "global_step": 3, "dropped_too_long": 0,
            "loss_curve": [{"step": 1, "loss": 13.0}, {"step": 3, "loss": 12.0}], **extra}


def test_a_manifest_before_issue_16_still_reports_without_the_new_fields():
    run = pipeline_gpu.training_run(manifest(), LLAMA_1B, "NVIDIA H200")
    assert run["base_load"] is None and run["host_peak_rss_gib"] is None
    assert run["tokens_per_s_per_gpu"] == 8192.0 and run["headroom_gib"] == 60.0


def test_the_base_build_and_host_memory_reach_the_markdown():
    load = {"built_in_process": True, "q_lora": True, "seconds": 1.28,
            "parameters": 70_553_706_496, "device_memory_gib": 36.871}
    run = pipeline_gpu.training_run(
        manifest(base_load=load, trainable_parameters=414_187_520,
                 steps={"peak_reserved_gib": 89.5, "memory_at_train_start_gib": 42.3,
                        "host_peak_rss_gib": 3.5}), LLAMA_1B, "NVIDIA H200")
    report = {"gpu": "NVIDIA H200", "command": "c", "base": LLAMA_1B, "matmul_parameters": 1,
              "step_wall_s": {}, "train": {"baseline": run}}
    text = pipeline_gpu.markdown(report)
    assert "built in process, layer by layer, NF4 | 1.28 s; 70,553,706,496 parameters" in text
    assert "414,187,520" in text and "host peak RSS 3.5 GiB" in text
    assert "reserved 89.5 GiB; 42.3 GiB held when training began" in text
