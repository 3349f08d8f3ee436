"""The vLLM serving plan of a candidate: memory arithmetic from its config, then the command.

From a Hugging Face ``config.json`` (hidden size, layers, heads, KV heads, vocab, dtype) and the
quantization (AWQ/GPTQ W4A16 or none) ``memory_plan`` computes, for one GPU: the weight bytes,
the KV-cache bytes per token (2 × layers × kv_heads × head_dim × dtype bytes: a key and a value
per layer), the KV tokens that fit in ``gpu_memory_utilization`` of the card after weights and
a reserve for activations and CUDA graphs, and the sequences of ``max_model_len`` that fit.
``serving_config`` turns the plan into vLLM's settings (``max_model_len`` 8192 when four
sequences of it fit, ``max_num_seqs`` 4, prefix caching on) and ``write_serving_files`` writes
``vllm_config.yaml`` and the launch command. The numbers are estimates of what vLLM will find
when it profiles the card; the plan is printed before launch so a misfit shows before a
two-minute start-up fails.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import yaml

GiB = 1024**3
Quantization = Literal["awq", "gptq", "none"]

# Memory as the CUDA runtime reports it (`torch.cuda.mem_get_info()` total, the figure vLLM
# multiplies by gpu_memory_utilization), not the marketing size: an H200 "141 GB" reports
# 139.80 GiB (measured on the device machine, 2026-12-04), an H100 80GB 79.11 GiB, an A100
# 80GB 79.15 GiB (PyTorch's out-of-memory messages on those cards). Peak bandwidth and dense
# BF16 tensor-core peak (no sparsity) from the vendors' data sheets (SXM parts) feed the decode
# roofline in harness.serving.latency and the latency model (harness.serving.latency_model). When a GPU is
# present, `probe_gpu` reads the real capacity instead (`sqlgate vllm-config --gpu auto`).
GPUS: dict[str, dict[str, float]] = {
    "a100-80gb": {"memory_bytes": 79.15 * GiB, "bandwidth_bytes_per_s": 2.039e12,
                  "peak_bf16_flops": 312e12},
    "h100-80gb": {"memory_bytes": 79.11 * GiB, "bandwidth_bytes_per_s": 3.35e12,
                  "peak_bf16_flops": 989e12},
    "h200-141gb": {"memory_bytes": 139.80 * GiB, "bandwidth_bytes_per_s": 4.8e12,
                   "peak_bf16_flops": 989e12},
}
AUTO_GPU = "auto"
DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "float32": 4}
# Activations at max_num_batched_tokens, CUDA graphs and the non-torch CUDA context: vLLM
# profiles these; 4 GiB covers a 70B model at 8192 batched tokens with room to spare.
DEFAULT_RESERVE_BYTES = 4 * GiB
KV_BLOCK_TOKENS = 16  # vLLM allocates the KV cache in blocks of 16 tokens
MODEL_LENGTHS = (8192, 4096, 2048)  # preferred first: the RAG prompts plus 512 output tokens
MAX_NUM_SEQS = 4  # the requirement: 4 concurrent users
UTILIZATION_RANGE = (0.90, 0.93)


@dataclass(frozen=True)
class ModelShape:
    """The parts of a decoder-only transformer's config that decide its memory."""

    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    dtype: str = "bfloat16"
    tie_word_embeddings: bool = False
    quantization: Quantization = "none"
    bits: int = 16
    group_size: int = 128

    @classmethod
    def from_hf_config(cls, config: dict, quantization: Quantization | None = None
                       ) -> ModelShape:
        """The shape of a Hugging Face ``config.json``; ``quantization`` overrides the config's
        own ``quantization_config`` (the manifest knows how the candidate was quantized)."""
        quant = config.get("quantization_config") or {}
        method = quantization or quant.get("quant_method", "none")
        if method not in ("awq", "gptq", "none"):
            raise ValueError(f"unsupported quantization {method!r}: expected awq, gptq or none")
        heads = config["num_attention_heads"]
        dtype = config.get("torch_dtype") or config.get("dtype") or "bfloat16"
        return cls(
            hidden_size=config["hidden_size"], num_layers=config["num_hidden_layers"],
            num_heads=heads, num_kv_heads=config.get("num_key_value_heads", heads),
            head_dim=config.get("head_dim") or config["hidden_size"] // heads,
            intermediate_size=config["intermediate_size"], vocab_size=config["vocab_size"],
            dtype=dtype, tie_word_embeddings=bool(config.get("tie_word_embeddings", False)),
            quantization=method, bits=16 if method == "none" else int(quant.get("bits", 4)),
            group_size=int(quant.get("group_size", 128)))

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def linear_params(self) -> int:
        """Parameters of the quantizable linear layers (attention and MLP of every layer)."""
        q_and_o = 2 * self.hidden_size * self.num_heads * self.head_dim
        k_and_v = 2 * self.hidden_size * self.num_kv_heads * self.head_dim
        mlp = 3 * self.hidden_size * self.intermediate_size  # gate, up and down projections
        return self.num_layers * (q_and_o + k_and_v + mlp)

    def other_params(self) -> int:
        """Embeddings, LM head and norms: kept in 16 bits by AWQ and GPTQ."""
        embeddings = self.vocab_size * self.hidden_size * (1 if self.tie_word_embeddings else 2)
        norms = (2 * self.num_layers + 1) * self.hidden_size
        return embeddings + norms

    def parameters(self) -> int:
        return self.linear_params() + self.other_params()

    def weight_bytes(self) -> int:
        """Bytes of the weights on the GPU, quantization scales and zero points included."""
        linear = self.linear_params()
        if self.quantization == "none":
            return self.parameters() * self.dtype_bytes
        groups = linear // self.group_size
        # Per group: one 16-bit scale and one packed zero point of `bits` bits.
        packed = linear * self.bits // 8 + groups * 2 + groups * self.bits // 8
        return packed + self.other_params() * self.dtype_bytes

    def kv_bytes_per_token(self) -> int:
        """A key and a value vector per layer and KV head: 2 × layers × kv_heads × head_dim × B."""
        return 2 * self.num_layers * self.num_kv_heads * self.head_dim * self.dtype_bytes


@dataclass(frozen=True)
class MemoryPlan:
    """How one model fits on one GPU at a memory utilization (bytes and tokens)."""

    gpu: str
    gpu_memory_bytes: int
    gpu_memory_utilization: float
    weight_bytes: int
    reserve_bytes: int
    kv_bytes_per_token: int
    kv_cache_bytes: int
    kv_tokens: int
    max_model_len: int
    sequences_that_fit: int
    fits: bool

    def to_json(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """The plan as lines for a terminal, printed before launch."""
        return "\n".join([
            f"GPU {self.gpu}: {self.gpu_memory_bytes / GiB:.1f} GiB, using "
            f"{self.gpu_memory_utilization:.2f}",
            f"weights: {self.weight_bytes / GiB:.2f} GiB; reserve (activations, CUDA graphs): "
            f"{self.reserve_bytes / GiB:.2f} GiB",
            f"KV cache: {self.kv_cache_bytes / GiB:.2f} GiB at "
            f"{self.kv_bytes_per_token / 1024:.0f} KiB/token = {self.kv_tokens} tokens",
            f"max_model_len {self.max_model_len}: {self.sequences_that_fit} sequences fit"
            + ("" if self.fits else f" — DOES NOT FIT {MAX_NUM_SEQS} sequences"),
        ])


def probe_gpu(device: int = 0) -> tuple[str, int]:
    """(table name, total bytes) of the GPU this process sees, read through PyTorch.

    The name is the GPUS entry whose model matches the device's name (for its bandwidth; the
    A100 entry when none does); the bytes are the card's real capacity. Raises ValueError when
    PyTorch is missing or sees no CUDA device.
    """
    try:
        import torch
    except ImportError as exc:
        raise ValueError("--gpu auto needs PyTorch to read the GPU; name the GPU instead") from exc
    if not torch.cuda.is_available():
        raise ValueError(f"--gpu auto: no CUDA device found; name one of {', '.join(GPUS)}")
    _free, total = torch.cuda.mem_get_info(device)
    device_name = torch.cuda.get_device_name(device).lower()
    name = next((key for key in GPUS if key.split("-")[0] in device_name), "a100-80gb")
    return name, int(total)


def memory_plan(shape: ModelShape, *, gpu: str = "a100-80gb",
                gpu_memory_utilization: float = UTILIZATION_RANGE[0],
                reserve_bytes: int = DEFAULT_RESERVE_BYTES,
                max_num_seqs: int = MAX_NUM_SEQS,
                gpu_memory_bytes: int | None = None) -> MemoryPlan:
    """The memory plan of ``shape`` on ``gpu``; ``max_model_len`` is the longest of
    MODEL_LENGTHS at which ``max_num_seqs`` full sequences fit (the shortest when none does,
    with ``fits`` False). ``gpu_memory_bytes`` (a probed capacity) overrides the table's."""
    if gpu not in GPUS:
        raise ValueError(f"unknown GPU {gpu!r}; expected one of {', '.join(GPUS)}")
    low, high = UTILIZATION_RANGE
    if not low <= gpu_memory_utilization <= high:
        raise ValueError(f"gpu_memory_utilization must be within {low}–{high}")
    total = int(gpu_memory_bytes or GPUS[gpu]["memory_bytes"])
    weights = shape.weight_bytes()
    per_token = shape.kv_bytes_per_token()
    kv_bytes = max(0, int(total * gpu_memory_utilization) - weights - reserve_bytes)
    kv_tokens = kv_bytes // per_token // KV_BLOCK_TOKENS * KV_BLOCK_TOKENS
    length = next((n for n in MODEL_LENGTHS if kv_tokens >= max_num_seqs * n), MODEL_LENGTHS[-1])
    sequences = kv_tokens // length
    return MemoryPlan(gpu, total, gpu_memory_utilization, weights, reserve_bytes, per_token,
                      kv_bytes, kv_tokens, length, sequences, sequences >= max_num_seqs)


def serving_config(model: str, plan: MemoryPlan, quantization: Quantization, *,
                   served_model_name: str, port: int = 8000) -> dict:
    """vLLM's settings for the candidate (keys as ``vllm serve --config`` reads them)."""
    config = {
        "served-model-name": served_model_name,
        "port": port,
        "max-model-len": plan.max_model_len,
        "max-num-seqs": MAX_NUM_SEQS,
        "gpu-memory-utilization": plan.gpu_memory_utilization,
        # The system prompt and catalog sections repeat across requests: caching their prefill
        # is the cheapest TTFT win. Latency runs that must measure prefill turn it off.
        "enable-prefix-caching": True,
    }
    if quantization != "none":
        config["quantization"] = quantization
    return {"model": model, **config}


def serve_command(config_path: Path, model: str) -> list[str]:
    """The launch command for a written config."""
    return ["vllm", "serve", model, "--config", str(config_path)]


def write_serving_files(model_dir: Path, out_dir: Path, *, gpu: str = "a100-80gb",
                        quantization: Quantization | None = None,
                        gpu_memory_utilization: float = UTILIZATION_RANGE[0],
                        served_model_name: str | None = None, port: int = 8000
                        ) -> tuple[MemoryPlan, Path, list[str]]:
    """Read ``model_dir/config.json``, plan, write ``out_dir/vllm_config.yaml`` and
    ``out_dir/memory_plan.json``; returns (plan, config path, command)."""
    hf_config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    shape = ModelShape.from_hf_config(hf_config, quantization)
    probed = None
    if gpu == AUTO_GPU:
        gpu, probed = probe_gpu()
    plan = memory_plan(shape, gpu=gpu, gpu_memory_utilization=gpu_memory_utilization,
                       gpu_memory_bytes=probed)
    config = serving_config(str(model_dir), plan, shape.quantization,
                            served_model_name=served_model_name or model_dir.name, port=port)
    out_dir.mkdir(parents=True, exist_ok=True)
    config_path = out_dir / "vllm_config.yaml"
    model = config.pop("model")
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (out_dir / "memory_plan.json").write_text(json.dumps(plan.to_json(), indent=1) + "\n",
                                              encoding="utf-8")
    return plan, config_path, serve_command(config_path, model)


def vllm_config_command(model_dir: Path, out_dir: Path, *, gpu: str = "a100-80gb",
                        quantization: Quantization | None = None,
                        gpu_memory_utilization: float = UTILIZATION_RANGE[0],
                        served_model_name: str | None = None, port: int = 8000,
                        launch: bool = False) -> int:
    """``sqlgate vllm-config``: print the plan, write the files, optionally exec vLLM.

    Exit status: 0 written (or vLLM's own status when launched), 1 the model does not fit,
    2 bad input.
    """
    import os
    import sys

    try:
        plan, config_path, command = write_serving_files(
            model_dir, out_dir, gpu=gpu, quantization=quantization,
            gpu_memory_utilization=gpu_memory_utilization,
            served_model_name=served_model_name, port=port)
    except (OSError, KeyError, ValueError) as exc:
        print(f"sqlgate vllm-config: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(plan.describe())
    print(f"config: {config_path}")
    print("command: " + shlex.join(command))
    if not plan.fits:
        return 1
    if launch:
        os.execvp(command[0], command)  # vLLM replaces this process: its signals, its status
    return 0
