"""Benchmark: LoRA SFT steps at 8192 tokens on one GPU, random weights of a real Llama shape.

Memory and speed of a LoRA step do not depend on weight values, so a Llama-3.2-1B-shaped model
and a 2-layer slice of Llama-3.1-70B's width (for memory per layer, issue #9) are built with
random BF16 weights directly on the GPU. The LoRA wrapping and gradient checkpointing are the
production ones (`pipeline.train._wrap_lora` with the default `LoraArguments`: r 32, alpha 32,
dropout 0.05, q/k/v/o/gate/up/down); the loop is a plain AdamW loop over packed 8192-token
sequences of the project's training text, not the Trainer. Writes JSON to --out.

MFU uses the PaLM convention: model FLOPs per token = 6 N + 12 L d T (N parameters without an
untied input embedding, which is a lookup; L layers, d width, T sequence length), against the
GPU's dense BF16 peak; LoRA skips the frozen weights'
gradient GEMMs, so the hardware does about 2/3 of that work (reported as `lora_flops_share`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

SHAPES = {
    # Llama-3.2-1B (tied embeddings) and a 2-layer slice of Llama-3.1-70B's width.
    "llama32-1b": dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                       num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                       tie_word_embeddings=True, rope_theta=500000.0),
    "llama31-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                       num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                       rope_theta=500000.0),
    "llama31-70b-2layer": dict(hidden_size=8192, intermediate_size=28672, num_hidden_layers=2,
                               num_attention_heads=64, num_key_value_heads=8,
                               vocab_size=128256, rope_theta=500000.0),
    "llama31-70b-4layer": dict(hidden_size=8192, intermediate_size=28672, num_hidden_layers=4,
                               num_attention_heads=64, num_key_value_heads=8,
                               vocab_size=128256, rope_theta=500000.0),
}
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}


def packed_batches(seq_len: int, steps: int, vocab: int) -> list:
    """`steps` sequences of exactly seq_len token ids, packed from the training questions+SQL."""
    import torch

    text = Path(__file__).resolve().parent.parent / "fixtures" / "train" / "ebs_train.jsonl"
    data = text.read_bytes()
    # Bytes as token ids keep this independent of any tokenizer (ids < 256 < vocab).
    ids = torch.tensor(list(data[: seq_len * steps]), dtype=torch.long) % vocab
    return [ids[i * seq_len:(i + 1) * seq_len].unsqueeze(0) for i in range(steps)]


def run_shape(name: str, seq_len: int, steps: int, warmup: int) -> dict:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from pipeline.train import LoraArguments, TrainingArguments, _wrap_lora

    torch.cuda.reset_peak_memory_stats()
    config = LlamaConfig(**SHAPES[name], max_position_embeddings=max(seq_len, 8192),
                         torch_dtype="bfloat16")
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    n_params = sum(p.numel() for p in model.parameters())
    args = TrainingArguments(output_dir="/tmp/lora-bench", gradient_checkpointing=True, bf16=True)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model = _wrap_lora(model, args, LoraArguments())
    model.config.use_cache = False
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    weights_gib = torch.cuda.memory_allocated() / 2**30
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    batches = packed_batches(seq_len, steps + warmup, config.vocab_size)
    times, losses = [], []
    for i, ids in enumerate(batches):
        ids = ids.cuda()
        torch.cuda.synchronize()
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - start)
            losses.append(loss.item())
    step = sorted(times)[len(times) // 2]
    gpu = torch.cuda.get_device_name()
    peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in gpu), None)
    layers, width = config.num_hidden_layers, config.hidden_size
    lookup = 0 if config.tie_word_embeddings else config.vocab_size * width
    n_matmul = n_params - lookup
    flops_per_token = 6 * n_matmul + 12 * layers * width * seq_len
    tokens_per_s = seq_len / step
    result = {
        "shape": name, "gpu": gpu, "seq_len": seq_len, "steps_timed": len(times),
        "parameters": n_params, "trainable_lora_parameters": trainable,
        "median_step_s": round(step, 4), "tokens_per_s": round(tokens_per_s, 1),
        "mfu": round(flops_per_token * tokens_per_s / (peak * 1e12), 4) if peak else None,
        "lora_flops_share": round((4 * n_matmul + 12 * layers * width * seq_len)
                                  / flops_per_token, 3),
        "weights_gib": round(weights_gib, 2),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
        "gpu_total_gib": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 2),
        "loss_first_last": [round(losses[0], 3), round(losses[-1], 3)],
    }
    del model, optim
    torch.cuda.empty_cache()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="llama32-1b,llama31-8b,llama31-70b-2layer,"
                                            "llama31-70b-4layer")
    parser.add_argument("--seq-len", type=int, default=8192)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/lora_gpu.json"))
    args = parser.parse_args()
    results = []
    for name in args.shapes.split(","):
        results.append(run_shape(name, args.seq_len, args.steps, args.warmup))
        print(json.dumps(results[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "lora_gpu", "command":
                                    "python benchmarks/lora_gpu.py", "results": results},
                                   indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
