"""Cross-check of sqlgate's load generator against `vllm bench serve` on the same vLLM server.

Runs on the GPU machine after `benchmarks/serving_h100.sh` has started the server and run
`vllm bench serve` at each concurrency (its JSON results in --bench-dir). Sends the same shape
of load with harness.serving.load_generator (random-token prompts of --input-len tokens decoded with the
served tokenizer, --output-len tokens with ignore_eos, one warm-up request per user), then writes
serving_h100.json and serving_h100.md: both tools' median TTFT and E2E, whether they agree
within 10 %, tokens/s and the decode roofline fraction.

usage: python benchmarks/serving_crosscheck.py --base-url URL --tokenizer DIR --bench-dir DIR
           --out DIR [--concurrency 4,1,8] [--requests 3,3,2]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from harness.serving.latency import decode_roofline
from harness.serving.load_generator import run_sweep
from harness.serving.vllm_config import GPUS, ModelShape

AGREEMENT = 0.10  # the bar: median TTFT and median E2E within 10 %


def random_prompts(tokenizer_dir: str, count: int, length: int, seed: int
                   ) -> tuple[list[str], float]:
    """Prompts of about ``length`` tokens of random vocabulary (what `--dataset-name random`
    sends), each different so that no prefix is shared; and their mean token count.

    Decoded random ids re-encode to another count, so the text is re-encoded and cut to
    ``length`` tokens before it is decoded for good.
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    rng = random.Random(seed)
    prompts = []
    for _ in range(count):
        text = tokenizer.decode([rng.randrange(100, len(tokenizer)) for _ in range(length * 2)])
        ids = tokenizer.encode(text, add_special_tokens=False)[:length]
        prompts.append(tokenizer.decode(ids))
    sizes = [len(tokenizer.encode(p, add_special_tokens=False)) for p in prompts]
    return prompts, sum(sizes) / len(sizes)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", default="m")
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--bench-dir", required=True)
    parser.add_argument("--bench-prefix", default="bench-c")
    parser.add_argument("--out", required=True)
    parser.add_argument("--concurrency", default="4,1,8")
    parser.add_argument("--requests", default="3,3,2", help="measured requests per user")
    parser.add_argument("--input-len", type=int, default=4000)
    parser.add_argument("--output-len", type=int, default=512)
    parser.add_argument("--max-num-seqs", type=int, default=4)
    parser.add_argument("--config", required=True, help="the served model's config.json")
    parser.add_argument("--gpu", default="h100-80gb")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    per_user = [int(n) for n in args.requests.split(",")]
    shape = ModelShape.from_hf_config(json.loads(Path(args.config).read_text()))
    context = args.input_len + args.output_len / 2  # mean KV length during decode
    roofline = {c: decode_roofline(
        weight_bytes=shape.weight_bytes(), kv_bytes_per_token=shape.kv_bytes_per_token(),
        context_tokens=context, concurrency=min(c, args.max_num_seqs),
        bandwidth_bytes_per_s=GPUS[args.gpu]["bandwidth_bytes_per_s"]) for c in levels}
    prompts, prompt_tokens = random_prompts(args.tokenizer, sum(c * (n + 1) for c, n in zip(
        levels, per_user, strict=True)), args.input_len, seed=1)
    rows, offset = {}, 0
    for users, requests in zip(levels, per_user, strict=True):
        need = users * (requests + 1)
        ours = run_sweep(args.base_url, args.model, prompts[offset:offset + need],
                         concurrencies=[users], requests_per_user=requests,
                         max_tokens=args.output_len, timeout_s=600, ignore_eos=True,
                         roofline_step_s={users: roofline[users]["step_s"]})[str(users)]
        offset += need
        bench_path = Path(args.bench_dir) / f"{args.bench_prefix}{users}.json"
        bench = json.loads(bench_path.read_text()) if bench_path.exists() else {}
        agreement = {}
        for ours_key, bench_key in (("p50_ttft_ms", "median_ttft_ms"),
                                    ("p50_e2e_ms", "median_e2el_ms")):
            mine, theirs = ours.get(ours_key), bench.get(bench_key)
            diff = abs(mine - theirs) / theirs if mine and theirs else None
            agreement[ours_key] = {"sqlgate": mine, "vllm_bench": theirs, "relative_diff": diff,
                                   "within_10pct": diff is not None and diff <= AGREEMENT}
        rows[str(users)] = {
            "sqlgate": {k: v for k, v in ours.items() if k not in ("e2e_ms", "ttft_ms")},
            "sqlgate_samples_ms": {"e2e": ours["e2e_ms"], "ttft": ours["ttft_ms"]},
            "vllm_bench": {k: v for k, v in bench.items()
                           if isinstance(v, int | float) or k in ("backend", "model_id")},
            "agreement": agreement, "roofline": roofline[users]}
    result = {"model": "Llama-3.1-70B shape, AWQ 4-bit, dummy weights", "gpu": args.gpu,
              "input_len": args.input_len, "output_len": args.output_len,
              "mean_prompt_tokens_sqlgate": prompt_tokens, "prefix_caching": False, "weight_bytes_planned": shape.weight_bytes(),
              "concurrency": rows}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "serving_h100.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / "serving_h100.md").write_text(markdown(result))
    print(markdown(result))
    return 0


def _f(value, digits=0) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def markdown(result: dict) -> str:
    lines = [f"# Serving on one H100: {result['model']}", "",
             f"{result['input_len']} prompt tokens (random), {result['output_len']} output "
             "tokens (ignore_eos), prefix caching off, vLLM max_num_seqs 4.", "",
             "| users | tool | TTFT p50 / p95 ms | E2E p50 / p95 ms | TPOT p50 ms | "
             "tok/s per user | tok/s total | samples |", "|---|---|---|---|---|---|---|---|"]
    for users, row in result["concurrency"].items():
        ours, bench = row["sqlgate"], row["vllm_bench"]
        lines.append(f"| {users} | sqlgate | {_f(ours['p50_ttft_ms'])} / "
                     f"{_f(ours['p95_ttft_ms'])} | {_f(ours['p50_e2e_ms'])} / "
                     f"{_f(ours['p95_e2e_ms'])} | {_f(ours['p50_tpot_ms'], 1)} | "
                     f"{_f(ours['tokens_per_s'], 1)} | {_f(ours['total_tokens_per_s'], 1)} | "
                     f"{ours['samples']} |")
        lines.append(f"| {users} | vllm bench | {_f(bench.get('median_ttft_ms'))} / "
                     f"{_f(bench.get('p95_ttft_ms'))} | {_f(bench.get('median_e2el_ms'))} / "
                     f"{_f(bench.get('p95_e2el_ms'))} | {_f(bench.get('median_tpot_ms'), 1)} | "
                     f"— | {_f(bench.get('output_throughput'), 1)} | "
                     f"{bench.get('completed', '—')} |")
    lines += ["", "| users | median TTFT diff | median E2E diff | agree (≤10 %) | "
                  "roofline step ms | roofline fraction (sqlgate / vllm bench TPOT) |",
              "|---|---|---|---|---|---|"]
    for users, row in result["concurrency"].items():
        ttft, e2e = row["agreement"]["p50_ttft_ms"], row["agreement"]["p50_e2e_ms"]
        pct = [_f(None if a["relative_diff"] is None else a["relative_diff"] * 100, 1) + " %"
               for a in (ttft, e2e)]
        agree = "yes" if ttft["within_10pct"] and e2e["within_10pct"] else "no"
        step_ms = row["roofline"]["step_s"] * 1000
        bench_tpot = row["vllm_bench"].get("median_tpot_ms")
        lines.append(f"| {users} | {pct[0]} | {pct[1]} | {agree} | {step_ms:.2f} | "
                     f"{_f(row['sqlgate']['roofline_fraction'], 2)} / "
                     f"{_f(step_ms / bench_tpot if bench_tpot else None, 2)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
