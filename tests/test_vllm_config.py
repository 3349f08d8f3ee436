"""The vLLM memory plan against hand-computed numbers for the real Llama-3.1 shapes."""

from __future__ import annotations

import json

import pytest
import yaml

from harness.serving.vllm_config import (
    GPUS,
    GiB,
    ModelShape,
    memory_plan,
    probe_gpu,
    vllm_config_command,
    write_serving_files,
)

# config.json of meta-llama/Llama-3.1-70B-Instruct and -8B-Instruct (the fields that matter).
LLAMA_70B = {"hidden_size": 8192, "num_hidden_layers": 80, "num_attention_heads": 64,
             "num_key_value_heads": 8, "intermediate_size": 28672, "vocab_size": 128256,
             "torch_dtype": "bfloat16", "tie_word_embeddings": False}
LLAMA_8B = {"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
            "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
            "torch_dtype": "bfloat16", "tie_word_embeddings": False}
AWQ = {"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True}


def test_llama_70b_awq_on_a100():
    shape = ModelShape.from_hf_config({**LLAMA_70B, "quantization_config": AWQ})
    # Per layer: q,o 2·8192·8192 = 134,217,728; k,v 2·8192·(8·128) = 16,777,216;
    # MLP 3·8192·28672 = 704,643,072 → 855,638,016 linear params; ×80 = 68,451,041,280.
    assert shape.linear_params() == 68_451_041_280
    # + embeddings and LM head 2·128256·8192 = 2,101,346,304 + norms (2·80+1)·8192 = 1,318,912.
    assert shape.parameters() == 70_553_706_496
    # 4-bit: 68,451,041,280/2 = 34,225,520,640; groups of 128: 534,773,760 × (2 B scale +
    # 0.5 B zero) = 1,336,934,400; 16-bit rest: 2,102,665,216·2 = 4,205,330,432.
    assert shape.weight_bytes() == 34_225_520_640 + 1_336_934_400 + 4_205_330_432
    # 2 (K and V) × 80 layers × 8 KV heads × 128 head_dim × 2 bytes = 327,680 B = 320 KiB.
    assert shape.kv_bytes_per_token() == 327_680
    plan = memory_plan(shape, gpu_memory_bytes=80 * GiB)  # a round 80 GiB card at 0.90
    # 0.90 · 85,899,345,920 = 77,309,411,328 − weights 39,767,785,472 − reserve 4 GiB
    # (4,294,967,296) = 33,246,658,560 B of KV; /327,680 = 101,460.9 → blocks of 16: 101,456.
    assert plan.kv_cache_bytes == 33_246_658_560
    assert plan.kv_tokens == 101_456
    # 101,456 / 8192 = 12.4: 8192 fits for 4 users, 12 full-length sequences.
    assert (plan.max_model_len, plan.sequences_that_fit, plan.fits) == (8192, 12, True)


def test_llama_70b_bf16_does_not_fit_one_a100():
    plan = memory_plan(ModelShape.from_hf_config(LLAMA_70B), gpu_memory_bytes=80 * GiB)
    # 70,553,706,496 params × 2 B = 141,107,412,992 B (131.4 GiB) > 72 GiB usable.
    assert plan.weight_bytes == 141_107_412_992
    assert plan.kv_tokens == 0 and not plan.fits
    assert "DOES NOT FIT" in plan.describe()


def test_llama_8b_bf16():
    shape = ModelShape.from_hf_config(LLAMA_8B)
    # Per layer 2·4096² + 2·4096·1024 + 3·4096·14336 = 218,103,808; ×32 = 6,979,321,856;
    # + 2·128256·4096 = 1,050,673,152 + norms 65·4096 = 266,240 → 8,030,261,248 params.
    assert shape.parameters() == 8_030_261_248
    assert shape.weight_bytes() == 16_060_522_496
    # 2 × 32 × 8 × 128 × 2 = 131,072 B per token.
    assert shape.kv_bytes_per_token() == 131_072
    plan = memory_plan(shape, gpu_memory_bytes=80 * GiB)
    # 77,309,411,328 − 16,060,522,496 − 4,294,967,296 = 56,953,921,536; /131,072 = 434,524.8
    # → 434,512 (blocks of 16); /8192 = 53 sequences.
    assert (plan.kv_tokens, plan.sequences_that_fit) == (434_512, 53)


def test_shorter_model_len_when_8192_does_not_fit_four_users():
    shape = ModelShape.from_hf_config({**LLAMA_70B, "quantization_config": AWQ})
    # 30 GiB of reserve leaves 77,309,411,328 − 39,767,785,472 − 32,212,254,720 =
    # 5,329,371,136 B; /327,680 = 16,263 → 16,256 tokens (blocks of 16): less than 4 × 8192
    # and 4 × 4096 = 16,384, enough for 4 × 2048.
    plan = memory_plan(shape, reserve_bytes=30 * GiB, gpu_memory_bytes=80 * GiB)
    assert plan.kv_tokens == 16_256 and plan.max_model_len == 2048 and plan.fits


def test_utilization_and_gpu_are_validated():
    shape = ModelShape.from_hf_config(LLAMA_8B)
    with pytest.raises(ValueError, match="0.9"):
        memory_plan(shape, gpu_memory_utilization=0.95)
    with pytest.raises(ValueError, match="unknown GPU"):
        memory_plan(shape, gpu="tpu")
    with pytest.raises(ValueError, match="quantization"):
        ModelShape.from_hf_config(LLAMA_8B, "int8")


def test_write_serving_files(tmp_path, capsys):
    model = tmp_path / "cand-70b"
    model.mkdir()
    (model / "config.json").write_text(json.dumps(LLAMA_70B))
    plan, config_path, command = write_serving_files(model, tmp_path / "out", quantization="awq",
                                                     gpu_memory_utilization=0.92)
    config = yaml.safe_load(config_path.read_text())
    assert config == {"served-model-name": "cand-70b", "port": 8000, "max-model-len": 8192,
                      "max-num-seqs": 4, "gpu-memory-utilization": 0.92,
                      "enable-prefix-caching": True, "quantization": "awq"}
    assert command == ["vllm", "serve", str(model), "--config", str(config_path)]
    saved = json.loads((tmp_path / "out" / "memory_plan.json").read_text())
    assert saved["kv_tokens"] == plan.kv_tokens
    assert vllm_config_command(model, tmp_path / "out2", quantization="awq") == 0
    assert "KV cache" in capsys.readouterr().out
    assert vllm_config_command(model, tmp_path / "out3") == 1  # bf16 70B does not fit
    assert vllm_config_command(tmp_path / "missing", tmp_path / "out4") == 2


# KV tokens vLLM 0.25.0 reported ("GPU KV cache size") at gpu_memory_utilization 0.90, dummy
# weights, max_model_len 8192, 4 sequences: H100 80GB 2026-11 (benchmarks/results/
# serving_h100.md), H200 2026-12-04 (docs/serving.md). The plan must land within 5 %.
MEASURED_KV_TOKENS = [
    ("h100-80gb", "70b-awq", 101_408),
    ("h200-141gb", "70b-awq", 280_192),
    ("h200-141gb", "8b-bf16", 896_912),
]
SHAPES = {"70b-awq": {**LLAMA_70B, "quantization_config": AWQ}, "8b-bf16": LLAMA_8B}


@pytest.mark.parametrize(("gpu", "model", "measured"), MEASURED_KV_TOKENS)
def test_plan_is_within_five_percent_of_what_vllm_measured(gpu, model, measured):
    plan = memory_plan(ModelShape.from_hf_config(SHAPES[model]), gpu=gpu)
    assert abs(plan.kv_tokens - measured) / measured <= 0.05
    # The 4 GiB reserve errs on the safe side: the plan never promises more than vLLM found
    # by more than a block per sequence.
    assert plan.kv_tokens <= measured + 4 * 16


def test_table_holds_the_capacity_the_cuda_runtime_reports():
    # The "141 GB" H200 reports 139.80 GiB; the old 141e9-byte entry (131.3 GiB) planned
    # 9.8 % fewer KV tokens than vLLM found.
    assert GPUS["h200-141gb"]["memory_bytes"] == pytest.approx(139.80 * GiB)
    plan = memory_plan(ModelShape.from_hf_config(SHAPES["70b-awq"]), gpu="h200-141gb",
                       gpu_memory_bytes=int(141e9))
    assert (280_192 - plan.kv_tokens) / 280_192 > 0.09


def test_probe_reads_the_gpu_present(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=0: (1, 150_110_011_392))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=0: "NVIDIA H200")
    assert probe_gpu() == ("h200-141gb", 150_110_011_392)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA device"):
        probe_gpu()


def test_auto_gpu_without_a_gpu_is_bad_input(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model = tmp_path / "cand"
    model.mkdir()
    (model / "config.json").write_text(json.dumps(LLAMA_8B))
    assert vllm_config_command(model, tmp_path / "out", gpu="auto") == 2
