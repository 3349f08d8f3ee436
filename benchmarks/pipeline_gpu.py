"""Benchmark report of the production training chain on a GPU (benchmarks/pipeline_gpu.sh).

`check-adapter DIR`: prove a saved LoRA adapter, reloaded from disk, is whole: every lora_A
is r × in and every lora_B out × r (a partitioned ZeRO-3 save leaves empty tensors), and
training moved lora_B away from its zero initialisation. Prints JSON; exits 1 when it is not
whole.

`report`: from the run manifests (per-step times and per-process peak memory, recorded by
pipeline.step_stats) of the ZeRO-3 run and of a plain-Trainer baseline, the base's config and
the candidate's pipeline.json, write <recipe id>.json and .md: tokens/s, MFU (PaLM
convention, as benchmarks/lora_gpu.py), peak memory and headroom, the base's load or build
time, host memory, AWQ time and validation.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}


def check_adapter(adapter_dir: Path) -> dict:
    """Shapes and movement of every LoRA tensor of `adapter_dir`."""
    from safetensors.torch import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    rank = config["r"]
    problems, moved = [], 0
    for name, tensor in tensors.items():
        if tensor.numel() == 0:
            problems.append(f"{name}: empty (a ZeRO-3 partition, not the gathered weight)")
        elif "lora_A" in name and tensor.shape[0] != rank:
            problems.append(f"{name}: shape {tuple(tensor.shape)}, expected r={rank} rows")
        elif "lora_B" in name and tensor.shape[1] != rank:
            problems.append(f"{name}: shape {tuple(tensor.shape)}, expected r={rank} columns")
        if "lora_B" in name and tensor.numel() and bool(tensor.abs().sum() > 0):
            moved += 1
    lora_b = sum("lora_B" in n for n in tensors)
    if moved == 0:
        problems.append("every lora_B is still zero: training did not reach the adapter")
    return {"adapter": str(adapter_dir), "tensors": len(tensors), "rank": rank,
            "parameters": sum(t.numel() for t in tensors.values()),
            "lora_B_moved": f"{moved}/{lora_b}", "whole": not problems, "problems": problems}


def flops_per_token(config: dict, seq_len: int) -> tuple[float, int]:
    """(6 N + 12 L d T, N): N counts matmul parameters (an untied input embedding is a lookup)."""
    d, layers, ffn = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    head_dim = d // heads
    per_layer = d * d * 2 + 2 * d * kv * head_dim + 3 * d * ffn  # q,o + k,v + gate,up,down
    n = layers * per_layer + config["vocab_size"] * d  # + lm_head (tied or not)
    return 6 * n + 12 * layers * d * seq_len, n


def training_run(manifest: dict, config: dict, gpu: str) -> dict:
    """Throughput, MFU and memory of one training run from its run manifest."""
    training, steps = manifest["config"]["training"], manifest["steps"]
    processes = max(len(steps["peak_memory_gib_per_process"]), 1)
    seq_len = training["model_max_length"]
    tokens_per_step = (seq_len * training["per_device_train_batch_size"]
                       * training["gradient_accumulation_steps"] * processes)
    flops, _ = flops_per_token(config, seq_len)
    tokens_per_s = tokens_per_step / steps["median_step_seconds"]
    peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in gpu), None)
    memory = steps["peak_memory_gib_per_process"]
    return {
        "deepspeed": training.get("deepspeed") or None, "processes": processes,
        "q_lora": manifest["config"]["lora"]["q_lora"],
        "steps": manifest["global_step"], "tokens_per_step": tokens_per_step,
        "median_step_s": steps["median_step_seconds"],
        "tokens_per_s_per_gpu": round(tokens_per_s / processes, 1),
        "mfu": round(flops * tokens_per_s / processes / (peak * 1e12), 4) if peak else None,
        "peak_memory_gib_per_process": memory, "device_memory_gib": steps["device_memory_gib"],
        "headroom_gib": (round(steps["device_memory_gib"] - max(memory), 2)
                         if memory and steps["device_memory_gib"] else None),
        "loss_first_last": [round(manifest["loss_curve"][0]["loss"], 3),
                            round(manifest["loss_curve"][-1]["loss"], 3)],
        "step_seconds": steps["step_seconds"], "dropped_too_long": manifest["dropped_too_long"],
        # Recorded by runs since issue #16 (absent from older manifests):
        "peak_reserved_gib": steps.get("peak_reserved_gib"),
        "memory_at_train_start_gib": steps.get("memory_at_train_start_gib"),
        "host_peak_rss_gib": steps.get("host_peak_rss_gib"),
        "base_load": manifest.get("base_load"),
        "trainable_parameters": manifest.get("trainable_parameters"),
    }


def report(args: argparse.Namespace) -> int:
    from pipeline.recipe import load_recipe

    recipe = load_recipe(args.recipe)
    runs = {name: json.loads(Path(path).read_text()) for name, path in
            (("zero3", args.manifest), ("baseline", args.baseline_manifest)) if path}
    if not runs:
        raise SystemExit("no run manifest given: nothing to report")
    config = json.loads((Path(next(iter(runs.values()))["base_model"])
                         / "config.json").read_text())
    _, n_matmul = flops_per_token(config, 0)
    result: dict = {
        "benchmark": "pipeline_gpu", "gpu": args.gpu, "recipe": args.recipe,
        "command": args.command or f"RECIPE={args.recipe} bash benchmarks/pipeline_gpu.sh",
        "base": {k: config[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                        "num_attention_heads", "num_key_value_heads",
                                        "vocab_size", "tie_word_embeddings")},
        "matmul_parameters": n_matmul,
        "step_wall_s": dict(w.split("=", 1) for w in args.wall),
        "train": {name: training_run(m, config, args.gpu) for name, m in runs.items()},
    }
    if {"zero3", "baseline"} <= set(runs):
        result["zero3_over_baseline_step_time"] = round(
            result["train"]["zero3"]["median_step_s"]
            / result["train"]["baseline"]["median_step_s"], 3)
    if "zero3" in runs and "dapt" in runs["zero3"]:
        dapt = runs["zero3"]["dapt"]
        result["dapt"] = {"corpus_characters": dapt["corpus"].get("characters"),
                          "steps": dapt["global_step"],
                          "loss_first_last": [round(dapt["loss_curve"][0]["loss"], 3),
                                              round(dapt["loss_curve"][-1]["loss"], 3)],
                          "median_step_s": dapt["steps"]["median_step_seconds"],
                          "peak_memory_gib_per_process": dapt["steps"][
                              "peak_memory_gib_per_process"]}
    result["adapter_checks"] = [json.loads(Path(p).read_text()) for p in args.adapter_check]
    if args.pipeline and Path(args.pipeline).is_file():
        quant = json.loads(Path(args.pipeline).read_text())["quantize"]
        result["quantize"] = {k: quant.get(k) for k in (
            "method", "scheme", "format", "calibration_samples", "max_seq_length", "seconds")}
        result["validation"] = {k: quant["validation"].get(k) for k in (
            "samples", "max_new_tokens", "merged", "quantized", "seconds")}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{recipe.id}.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / f"{recipe.id}.md").write_text(markdown(result))
    print(markdown(result))
    return 0


def markdown(r: dict) -> str:
    """The short report: one table of what was measured."""
    gpus = max(t["processes"] for t in r["train"].values())
    where = "one GPU" if gpus == 1 else f"{gpus} GPUs"
    lines = [f"# Production training chain on {where} ({r['gpu']} each)", "",
             f"Command: `{r['command']}` (device run). Base: random weights of shape "
             f"{r['base']}: {r['matmul_parameters'] / 1e9:.2f} B matmul parameters.", "",
             "| measured | value |", "|---|---|"]
    for name, t in r["train"].items():
        how = (f"`accelerate launch` + DeepSpeed ZeRO-3 (`{t['deepspeed']}`)"
               if t["deepspeed"] else "plain Trainer, no DeepSpeed")
        if t.get("q_lora"):
            how = "QLoRA (4-bit NF4 base, bitsandbytes), " + how
        load = t.get("base_load")
        if load:
            built = ("built in process, layer by layer" + (", NF4" if load["q_lora"] else "")
                     if load["built_in_process"] else "loaded from disk")
            lines.append(f"| base ({name}): {built} | {load['seconds']} s; "
                         f"{load['parameters']:,} parameters"
                         + (f"; {load['device_memory_gib']} GiB on the GPU after"
                            if load.get("device_memory_gib") is not None else "") + " |")
        if t.get("trainable_parameters"):
            lines.append(f"| trainable (adapter) parameters ({name}) | "
                         f"{t['trainable_parameters']:,} |")
        lines += [
            f"| LoRA SFT, {how}, {t['processes']} GPU(s) | {t['steps']} steps of "
            f"{t['tokens_per_step']} tokens; median step {t['median_step_s']} s (first "
            f"excluded); {t['tokens_per_s_per_gpu']} tokens/s per GPU; MFU {t['mfu']} |",
            f"| peak memory ({name}) | {t['peak_memory_gib_per_process']} GiB of "
            f"{t['device_memory_gib']} GiB, headroom {t['headroom_gib']} GiB"
            + (f"; reserved {t['peak_reserved_gib']} GiB; {t['memory_at_train_start_gib']} GiB "
               f"held when training began" if t.get("peak_reserved_gib") is not None else "")
            + (f"; host peak RSS {t['host_peak_rss_gib']} GiB"
               if t.get("host_peak_rss_gib") is not None else "") + " |",
            f"| loss first → last ({name}; random base) | {t['loss_first_last'][0]} → "
            f"{t['loss_first_last'][1]} |"]
    if "zero3_over_baseline_step_time" in r:
        lines.append(f"| ZeRO-3 step time / plain step time (same run) | "
                     f"{r['zero3_over_baseline_step_time']} |")
    if "dapt" in r:
        d = r["dapt"]
        lines.append(f"| DAPT stage before SFT (ZeRO-3; {d['corpus_characters']} characters of "
                     f"raw EBS text) | {d['steps']} steps; median step {d['median_step_s']} s; "
                     f"loss {d['loss_first_last'][0]} → {d['loss_first_last'][1]}; peak "
                     f"{d['peak_memory_gib_per_process']} GiB |")
    for a in r.get("adapter_checks", []):
        lines.append(f"| adapter `{Path(a['adapter']).name}` saved, reloaded from disk "
                     f"whole | {a['whole']} ({a['tensors']} tensors, {a['parameters']:,} "
                     f"parameters, lora_B moved {a['lora_B_moved']}) |")
    if "quantize" in r:
        q, v = r["quantize"], r["validation"]
        calibration = (f"{q['calibration_samples']} calibration conversations, last "
                       f"{q['max_seq_length']} tokens" if q["calibration_samples"]
                       else "no calibration")
        lines += [f"| {q['method']} {q['scheme']} ({q['format']}), {calibration} | "
                  f"{q['seconds']} s |",
                  f"| validation: {v['samples']} prompts × {v['max_new_tokens']} new tokens, "
                  f"merged and quantized | {v['seconds']} s; merged {v['merged']} → quantized "
                  f"{v['quantized']} |"]
    lines += [f"| wall time per step of the script (s) | {r['step_wall_s']} |", "",
              "MFU: (6N + 12LdT) × tokens/s over the dense BF16 peak (989 TFLOP/s on H100 and "
              "H200). "
              "LoRA skips the frozen weights' weight-gradient GEMMs (2N a token) and gradient "
              "checkpointing runs the forward twice (2N), so with checkpointing the hardware "
              "does about the FLOPs counted (QLoRA adds dequantization, not counted). Random "
              "weights: loss and validation rates say nothing about quality.",
              ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check-adapter", help="prove a saved LoRA adapter is whole")
    check.add_argument("adapter_dir", type=Path)
    md = sub.add_parser("markdown", help="rewrite the .md beside a report's JSON")
    md.add_argument("json", type=Path)
    rep = sub.add_parser("report", help="write <recipe id>.json and .md")
    rep.add_argument("--recipe", required=True)
    rep.add_argument("--gpu", required=True)
    rep.add_argument("--manifest", help="run manifest of the ZeRO-3 run")
    rep.add_argument("--baseline-manifest", help="run manifest of the plain-Trainer run")
    rep.add_argument("--adapter-check", action="append", default=[],
                     help="check-adapter output of a ZeRO-3 adapter (repeatable)")
    rep.add_argument("--pipeline", help="the candidate's pipeline.json")
    rep.add_argument("--wall", action="append", default=[], metavar="STEP=SECONDS")
    rep.add_argument("--command", help="the command that ran (recorded in the report)")
    rep.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.command == "markdown":
        args.json.with_suffix(".md").write_text(markdown(json.loads(args.json.read_text())))
        return 0
    if args.command == "check-adapter":
        result = check_adapter(args.adapter_dir)
        print(json.dumps(result, indent=1))
        return 0 if result["whole"] else 1
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
