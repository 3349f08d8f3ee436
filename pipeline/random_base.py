"""A random-weight base built inside the training process, one layer at a time.

For a model too large to write or hold in BF16 (Llama-3.1-70B: 141 GB against a 64 GiB disk
and one GPU's 139 GiB), the base is never saved: its skeleton is built on the meta device
(no memory), then every module is materialised in turn on the training device, random normal
weights (std `initializer_range`) for matrices, ones for norms, zeros for biases. With
`quantize_4bit`, each linear layer of the decoder is replaced by a bitsandbytes NF4
`Linear4bit` as soon as its BF16 weight exists, so at most one matrix (470 MB for 70B's MLP)
is ever held in BF16; the embeddings, norms and head stay in the compute dtype, as
`from_pretrained` with a `BitsAndBytesConfig` leaves them. The model is then marked the way
that loader marks it (`is_loaded_in_4bit`, `quantization_method`, `config.quantization_config`),
which is what peft's k-bit preparation and the Trainer look at.

`pipeline.train` uses it for `--random_weights True` (a recipe's `tiny_model.in_process`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

NF4_SETTINGS = {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4",
                "bnb_4bit_use_double_quant": True}


class FourBitUnavailable(RuntimeError):
    """4-bit NF4 was asked for where bitsandbytes cannot quantize (no CUDA, or no package)."""


def nf4_config(compute_dtype: Any) -> Any:
    """The QLoRA quantization config of every 4-bit base: NF4, double quantization."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(**NF4_SETTINGS, bnb_4bit_compute_dtype=compute_dtype)


def require_4bit() -> Any:
    """The bitsandbytes module, or FourBitUnavailable saying what is missing."""
    import torch

    if not torch.cuda.is_available():
        raise FourBitUnavailable("q_lora builds or loads the base in 4-bit NF4 with "
                                 "bitsandbytes, which needs a CUDA GPU; this process sees none "
                                 "(set q_lora: false to train BF16/FP32 LoRA on the CPU)")
    try:
        import bitsandbytes
    except ImportError:
        raise FourBitUnavailable("q_lora needs the bitsandbytes package (pip install "
                                 "bitsandbytes; docs/gpu.md carries its wheel to the GPU "
                                 "machine)") from None
    return bitsandbytes


@dataclass(frozen=True)
class BuildFacts:
    """What building the base cost: the run manifest records it."""

    seconds: float
    parameters: int            # logical parameters (a 4-bit matrix counts in × out)
    quantized_linears: int     # linear layers held in NF4
    device: str
    device_memory_gib: float | None   # allocated on the GPU right after the build

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def empty_model(config: Any, dtype: Any, attn_implementation: str) -> Any:
    """The model of `config` with every parameter on the meta device (no memory, no init);
    buffers (RoPE frequencies) are real, on the CPU."""
    from accelerate import init_empty_weights
    from transformers import AutoModelForCausalLM

    with init_empty_weights(include_buffers=False):
        return AutoModelForCausalLM.from_config(config, dtype=dtype,
                                                attn_implementation=attn_implementation)


def _random(shape: tuple[int, ...], std: float, dtype: Any, device: Any, generator: Any) -> Any:
    import torch

    if len(shape) == 1:  # RMSNorm / LayerNorm scales; Llama has no biases
        return torch.ones(shape, dtype=dtype, device=device)
    return torch.empty(shape, dtype=dtype, device=device).normal_(0.0, std, generator=generator)


def _nf4_linear(linear: Any, weight: Any, compute_dtype: Any, device: Any) -> Any:
    """A bitsandbytes NF4 Linear4bit holding `weight` (quantized on `device`)."""
    bnb = require_4bit()
    layer = bnb.nn.Linear4bit(linear.in_features, linear.out_features, bias=False,
                              compute_dtype=compute_dtype, compress_statistics=True,
                              quant_type="nf4", device="meta")
    layer.weight = bnb.nn.Params4bit(weight, requires_grad=False, compress_statistics=True,
                                     quant_type="nf4", module=layer).to(device)
    return layer


def materialise(model: Any, *, seed: int, dtype: Any, device: Any,
                quantize_4bit: bool = False) -> int:
    """Give every meta parameter of `model` a random value on `device`, module by module in
    order (embedding, layer 0, layer 1, ..., norm, head); with `quantize_4bit`, every
    `nn.Linear` except the output head becomes NF4. Returns the number of NF4 layers."""
    import torch

    if quantize_4bit:
        require_4bit()
    std = float(getattr(model.config, "initializer_range", 0.02))
    generator = torch.Generator(device=device).manual_seed(seed)
    head = model.get_output_embeddings()
    quantized = 0
    for name, module in list(model.named_modules()):
        own = [(n, p) for n, p in module.named_parameters(recurse=False) if p.is_meta]
        if not own:
            continue
        if quantize_4bit and type(module) is torch.nn.Linear and module is not head:
            if module.bias is not None:
                raise ValueError(f"{name}: a linear layer with a bias; the NF4 builder "
                                 f"covers Llama-style bias-free projections only")
            weight = _random(tuple(module.weight.shape), std, dtype, device, generator)
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent), child,
                    _nf4_linear(module, weight, dtype, device))
            del weight
            quantized += 1
            continue
        for param_name, param in own:
            value = _random(tuple(param.shape), std, dtype, device, generator)
            setattr(module, param_name, torch.nn.Parameter(value))
    if getattr(model.config, "tie_word_embeddings", False):
        model.tie_weights()
    for module in model.modules():  # RoPE frequencies, built on the CPU with the skeleton
        for buffer_name, buffer in list(module.named_buffers(recurse=False)):
            module._buffers[buffer_name] = buffer.to(device)  # keeps its persistence flag
    return quantized


def logical_parameters(model: Any) -> int:
    """Parameters as the BF16 model has them: a packed 4-bit matrix counts in × out."""
    total = 0
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if name == "weight" and getattr(param, "quant_state", None) is not None:
                total += module.in_features * module.out_features
            else:
                total += param.numel()
    return total


def build_random_model(model_dir: str, *, seed: int, dtype: Any, quantize_4bit: bool,
                       attn_implementation: str = "sdpa",
                       device: str | None = None) -> tuple[Any, BuildFacts]:
    """The model of `model_dir`'s config.json with random weights, built layer by layer on
    `device` (default: the first GPU, else the CPU), in NF4 when `quantize_4bit`."""
    import torch
    from transformers import AutoConfig
    from transformers.utils.quantization_config import QuantizationMethod

    if quantize_4bit:
        require_4bit()
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    start = time.perf_counter()
    config = AutoConfig.from_pretrained(model_dir)
    model = empty_model(config, dtype, attn_implementation)
    quantized = materialise(model, seed=seed, dtype=dtype, device=device,
                            quantize_4bit=quantize_4bit)
    if quantize_4bit:
        # What from_pretrained(quantization_config=...) sets, read by peft and the Trainer.
        model.is_loaded_in_4bit = True
        model.quantization_method = QuantizationMethod.BITS_AND_BYTES
        model.config.quantization_config = nf4_config(dtype)
    model.eval()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    facts = BuildFacts(
        seconds=round(time.perf_counter() - start, 2), parameters=logical_parameters(model),
        quantized_linears=quantized, device=str(device),
        device_memory_gib=(round(torch.cuda.memory_allocated(device) / 2**30, 3)
                           if device.type == "cuda" else None))
    return model, facts
