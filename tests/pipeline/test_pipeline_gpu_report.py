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
