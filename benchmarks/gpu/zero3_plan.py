"""The production run planned from the 80-layer QLoRA measurement (issue #16): memory per GPU
and step time of Llama-3.1-70B LoRA SFT in BF16 under DeepSpeed ZeRO-3 on 8 × A100-80GB,
COMPUTED, NOT MEASURED (no such machine is lent here).

Memory per GPU, batch 1 × 8192 tokens, gradient checkpointing:
- BF16 base, sharded: all parameters × 2 bytes / GPUs.
- LoRA, sharded: trainable × 16 bytes (BF16 weight and gradient, FP32 master and two Adam
  moments) / GPUs.
- Gathered parameters: one decoder layer in use and the next prefetched (BF16, whole); the
  128,256 × 8192 head is of the same size, gathered when used.
- Activations: MEASURED on the H200 run at the same sequence, checkpointing and adapter: its
  peak allocated memory less what was held when training began (weights, adapter) and less the
  adapter's FP32 gradient and Adam moments (12 bytes a trainable parameter).
- ZeRO-3 buffers: the reduce bucket ("auto": hidden² elements, FP32).
The sum is allocated memory; the measured reserved / allocated ratio of the H200 run scales it
to what PyTorch's allocator would reserve.

Step time: the run's FLOPs per micro-step ((6N + 12LdT) × T, benchmarks/pipeline_gpu.py) over
the A100's dense BF16 peak (312 TFLOP/s) times an MFU measured here (the 80-layer QLoRA run on
the H200, and the BF16 ZeRO-3 slice on 2 GPUs); one optimizer step is
`gradient_accumulation_steps` micro-steps. The ZeRO-3 parameter traffic (every BF16 weight
gathered for the forward pass and again for recomputation and backward) over an assumed NVLink
all-gather bandwidth is given beside it, as a check that communication does not dominate.

    python benchmarks/gpu/zero3_plan.py --run $OUT/gpu-70b-qlora.json \
        --slice-2layer $OUT/smoke/gpu-70b-qlora-2layer.json \
        --zero3-slice benchmarks/results/pipeline_gpu_70b_slice_2gpu.json \
        --out benchmarks/results/pipeline_gpu_70b_qlora.json --note "..." --command "..."
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
from pathlib import Path

GIB = 2**30
A100_BF16_TFLOPS = 312.0
A100_MEMORY_GIB = 79.15          # an A100-SXM4-80GB as PyTorch reports it
NVLINK_ALLGATHER_GB_S = 230.0    # assumed NCCL all-gather bus bandwidth on 8 × A100 NVLink
PRODUCTION = {"gpus": 8, "gradient_accumulation_steps": 8, "per_device_train_batch_size": 1,
              "epochs": 3}


def _pipeline_gpu():
    path = Path(__file__).resolve().parents[1] / "pipeline_gpu.py"
    spec = importlib.util.spec_from_file_location("pipeline_gpu", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def activation_gib(train: dict) -> float:
    """Activation and transient memory of a measured run: peak allocated less what training
    began with, less the FP32 adapter's gradient and two Adam moments (12 bytes each)."""
    optimizer = train["trainable_parameters"] * 12 / GIB
    return max(train["peak_memory_gib_per_process"]) - train["memory_at_train_start_gib"] \
        - optimizer


def layer_parameters(base: dict) -> int:
    """Parameters of one decoder layer's projections (norms are negligible)."""
    d, ffn = base["hidden_size"], base["intermediate_size"]
    kv = base["num_key_value_heads"] * d // base["num_attention_heads"]
    return 2 * d * d + 2 * d * kv + 3 * d * ffn


def memory_per_gpu(base: dict, parameters: int, trainable: int, activations_gib: float,
                   gpus: int, reserved_ratio: float) -> dict:
    """Each term of the BF16 LoRA ZeRO-3 memory per GPU, in GiB."""
    head = base["vocab_size"] * base["hidden_size"]
    terms = {
        "base_bf16_shard": parameters * 2 / gpus / GIB,
        "lora_weights_grads_optimizer_shard": trainable * 16 / gpus / GIB,
        "gathered_parameters": max(2 * layer_parameters(base), head) * 2 / GIB,
        "activations_measured": activations_gib,
        "reduce_bucket": base["hidden_size"] ** 2 * 4 / GIB,
    }
    allocated = sum(terms.values())
    return {**{k: round(v, 2) for k, v in terms.items()},
            "allocated": round(allocated, 2),
            "reserved_estimate": round(allocated * reserved_ratio, 2),
            "reserved_over_allocated_measured": round(reserved_ratio, 3)}


def step_seconds(flops_per_microstep: float, mfu: float, accumulation: int,
                 peak_tflops: float = A100_BF16_TFLOPS) -> dict:
    """Compute time of one micro-step and one optimizer step at `mfu` of `peak_tflops`."""
    micro = flops_per_microstep / (peak_tflops * 1e12 * mfu)
    return {"mfu": mfu, "micro_step_s": round(micro, 1),
            "optimizer_step_s": round(micro * accumulation, 1)}


def zero3_traffic_seconds(parameters: int, gpus: int, gathers: int = 2,
                          bandwidth_gb_s: float = NVLINK_ALLGATHER_GB_S) -> float:
    """Seconds a micro-step spends receiving BF16 weights from the other GPUs."""
    return round(gathers * parameters * 2 * (gpus - 1) / gpus / (bandwidth_gb_s * 1e9), 2)


def plan(run: dict, slice_2layer: dict | None, zero3_slice: dict | None,
         examples: int, gpus: int = PRODUCTION["gpus"]) -> dict:
    """The computed 8 × A100 plan from the measured reports (benchmarks/pipeline_gpu.py)."""
    pipeline_gpu = _pipeline_gpu()
    train = run["train"]["baseline"]
    base, seq = run["base"], train["tokens_per_step"]
    flops_per_token, _ = pipeline_gpu.flops_per_token(base, seq)
    parameters = train["base_load"]["parameters"]
    activations = activation_gib(train)
    ratio = train["peak_reserved_gib"] / max(train["peak_memory_gib_per_process"])
    memory = memory_per_gpu(base, parameters, train["trainable_parameters"], activations,
                            gpus, ratio)
    accumulation = PRODUCTION["gradient_accumulation_steps"]
    mfus = {"qlora_80_layers_h200": train["mfu"]}
    if zero3_slice:
        mfus["bf16_zero3_slice_2gpu"] = zero3_slice["train"]["zero3"]["mfu"]
    steps_total = math.ceil(examples * PRODUCTION["epochs"]
                            / (gpus * accumulation * PRODUCTION["per_device_train_batch_size"]))
    timing = {}
    for name, mfu in mfus.items():
        timing[name] = step_seconds(flops_per_token * seq, mfu, accumulation)
        timing[name]["run_hours_upper_bound"] = round(
            timing[name]["optimizer_step_s"] * steps_total / 3600, 1)
    result = {
        "status": "computed, not measured",
        "setup": {**PRODUCTION, "sequence_tokens": seq, "gpu": "A100-SXM4-80GB",
                  "peak_bf16_tflops": A100_BF16_TFLOPS, "usable_memory_gib": A100_MEMORY_GIB,
                  "zero3": "pipeline/configs/dp_zero3.json", "examples": examples,
                  "optimizer_steps": steps_total},
        "memory_per_gpu_gib": memory,
        "headroom_gib": round(A100_MEMORY_GIB - memory["reserved_estimate"], 2),
        "flops_per_micro_step": flops_per_token * seq,
        "step_time_by_measured_mfu": timing,
        "zero3_weight_traffic_s_per_micro_step": zero3_traffic_seconds(parameters, gpus),
        "assumed_allgather_gb_s": NVLINK_ALLGATHER_GB_S,
    }
    if slice_2layer:
        small = slice_2layer["train"]["baseline"]
        layers = base["num_hidden_layers"] - slice_2layer["base"]["num_hidden_layers"]
        result["activation_gib_per_layer_measured"] = round(
            (activations - activation_gib(small)) / layers, 3)
        result["hidden_state_gib_per_layer_arithmetic"] = round(
            seq * base["hidden_size"] * 2 / GIB, 3)
    if zero3_slice and slice_2layer:
        # The same arithmetic for the BF16 slice, whose ZeRO-3 peak was measured (same shape
        # as the 2-layer QLoRA smoke, whose activations it takes): the arithmetic's error.
        z, small = zero3_slice["train"]["zero3"], slice_2layer["train"]["baseline"]
        check = memory_per_gpu(zero3_slice["base"], small["base_load"]["parameters"],
                               small["trainable_parameters"], activation_gib(small),
                               z["processes"], 1.0)
        result["check_against_measured_zero3_slice"] = {
            "computed_allocated_gib": check["allocated"],
            "measured_peak_gib": max(z["peak_memory_gib_per_process"]),
            "gpus": z["processes"]}
    return result


def markdown(p: dict) -> str:
    """The plan as a section of the run's report."""
    m, s = p["memory_per_gpu_gib"], p["setup"]
    lines = [f"## Production plan: 8 × A100-80GB, BF16 LoRA, ZeRO-3 ({p['status'].upper()})", "",
             f"Batch 1 × {s['sequence_tokens']} tokens a GPU, gradient accumulation "
             f"{s['gradient_accumulation_steps']} (64 conversations a step), "
             f"{s['examples']} conversations × {s['epochs']} epochs = {s['optimizer_steps']} "
             f"optimizer steps; `benchmarks/gpu/zero3_plan.py` says how each term is computed.",
             "", "| memory per GPU (GiB) | computed |", "|---|---|"]
    lines += [f"| {k.replace('_', ' ')} | {v} |" for k, v in m.items()]
    lines += [f"| headroom on {s['usable_memory_gib']} GiB | {p['headroom_gib']} |"]
    if "check_against_measured_zero3_slice" in p:
        c = p["check_against_measured_zero3_slice"]
        lines += [f"| check: the same arithmetic for the 2-layer slice on {c['gpus']} GPUs | "
                  f"{c['computed_allocated_gib']} computed against {c['measured_peak_gib']} "
                  f"measured |"]
    if "activation_gib_per_layer_measured" in p:
        lines += [f"| activations per decoder layer, measured (80 against 2 layers) | "
                  f"{p['activation_gib_per_layer_measured']} (hidden state alone: "
                  f"{p['hidden_state_gib_per_layer_arithmetic']}) |"]
    lines += ["", "| step time, at the MFU measured by | micro-step (s) | optimizer step (s) | "
              "whole run (h, upper bound) |", "|---|---|---|---|"]
    for name, t in p["step_time_by_measured_mfu"].items():
        lines.append(f"| {name.replace('_', ' ')} (MFU {t['mfu']}) | {t['micro_step_s']} | "
                     f"{t['optimizer_step_s']} | {t['run_hours_upper_bound']} |")
    lines += ["", f"ZeRO-3 weight traffic: {p['zero3_weight_traffic_s_per_micro_step']} s a "
              f"micro-step at an assumed {p['assumed_allgather_gb_s']} GB/s all-gather "
              f"(two gathers of the BF16 weights), overlapped with compute "
              f"(`overlap_comm`). The run time is an upper bound: every conversation is "
              f"counted at {s['sequence_tokens']} tokens, while production pads to the "
              f"longest of the batch only.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True,
                        help="report of the 80-layer QLoRA run (benchmarks/pipeline_gpu.py)")
    parser.add_argument("--slice-2layer", type=Path, help="report of its 2-layer smoke")
    parser.add_argument("--zero3-slice", type=Path, help="report of the BF16 ZeRO-3 slice")
    parser.add_argument("--examples", type=int, default=1186,
                        help="training conversations (fixtures/train/ebs_train.jsonl)")
    parser.add_argument("--note", action="append", default=[],
                        help="what failed on the way (repeatable), kept in the report")
    parser.add_argument("--out", type=Path, required=True, help="the report to write (.json)")
    parser.add_argument("--command", help="the device command that ran, when not the "
                        "report's own (a wrapper such as benchmarks/gpu/qlora_70b.sh)")
    args = parser.parse_args(argv)
    run = json.loads(args.run.read_text())
    small = json.loads(args.slice_2layer.read_text()) if args.slice_2layer else None
    zero3 = json.loads(args.zero3_slice.read_text()) if args.zero3_slice else None
    if small:
        run["slice_2layer"] = {"base": small["base"], "train": small["train"]["baseline"],
                               "adapter_checks": small["adapter_checks"]}
    run["computed_plan_8xA100_zero3"] = plan(run, small, zero3, args.examples)
    run["notes"] = args.note
    if args.command:
        run["command"] = args.command
    args.out.write_text(json.dumps(run, indent=1) + "\n")
    body = _pipeline_gpu().markdown(run)
    if small:
        t = small["train"]["baseline"]
        body += (f"\n2-layer slice of the same code path (smoke): median step {t['median_step_s']}"
                 f" s, {t['tokens_per_s_per_gpu']} tokens/s, MFU {t['mfu']}, peak "
                 f"{max(t['peak_memory_gib_per_process'])} GiB, base built in "
                 f"{t['base_load']['seconds']} s.\n")
    body += "\n" + markdown(run["computed_plan_8xA100_zero3"])
    if args.note:
        body += "\n## What failed on the way\n\n" + "".join(f"- {n}\n" for n in args.note)
    args.out.with_suffix(".md").write_text(body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
