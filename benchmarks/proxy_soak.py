"""Soak test of the guardrail proxy: memory growth and lost requests under steady load.

The proxy runs as its own process (`python -m harness serve-guardrail`, so its RSS is its own,
read from /proc/<pid>/status) in front of a fake OpenAI-compatible upstream served by this
process; both listen on 127.0.0.1 only. `--clients` closed-loop clients (default 4, the proxy's
default concurrency limit) send `POST /v1/sql/generate` for `--seconds` (default 600): a mix of
questions with and without a RAG context (the latter exercise the retriever), and one answer in
four hallucinates a column first (so the guardrail retries).

Reported: RSS growth (median of the last minute vs median of the first minute after warm-up),
lost requests (sent − answered, any HTTP status counting as answered), statuses, throughput and
latency. Written to `<out-dir>/proxy_soak.json` and `proxy_soak.md`.

    .venv/bin/python benchmarks/proxy_soak.py --seconds 600
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fake_openai import fake_openai_app, serve  # noqa: E402 — after the path

GOOD = "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204"
BAD = "SELECT INVOICE_COLOUR FROM AP_INVOICES_ALL"
RAG = "Table AP_INVOICES_ALL (INVOICE_ID, ORG_ID, CANCELLED_DATE, INVOICE_AMOUNT)"
QUESTIONS = ("How many invoices are cancelled?", "Total invoice amount by supplier",
             "List approved purchase orders", "Unpaid invoices of Vision Operations",
             "Which suppliers were never invoiced?", "Invoices entered last quarter")
RSS_BOUND_PCT = 5.0
FULL_LENGTH_S = 600


def answer(prompt: str) -> str:
    """Hallucinates first for one question in four (by its hash), then answers well."""
    if "rejected because" in prompt:
        return GOOD
    return BAD if hash(prompt) % 4 == 0 else GOOD


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start_proxy(upstream_url: str, port: int, concurrency: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve-guardrail", "--upstream", upstream_url,
         "--model", "soak", "--host", "127.0.0.1", "--port", str(port), "--max-concurrency",
         str(concurrency), "--request-timeout", "30", "--generation-timeout", "30"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the proxy exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the proxy did not become healthy within 60 s")


class Load:
    """Counts shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent = 0
        self.answered = 0
        self.statuses: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.latencies_ms: list[float] = []
        self.bad_bodies = 0


def client(url: str, load: Load, stop: threading.Event, seed: int) -> None:
    i = seed
    with httpx.Client(timeout=30) as http:
        while not stop.is_set():
            question = f"{QUESTIONS[i % len(QUESTIONS)]} (#{i})"
            body = {"question": question}
            if i % 2:
                body["rag_context"] = RAG
            i += 7
            with load.lock:
                load.sent += 1
            start = time.perf_counter()
            try:
                response = http.post(f"{url}/v1/sql/generate", json=body)
            except httpx.HTTPError as exc:
                with load.lock:
                    load.errors[type(exc).__name__] += 1
                continue
            ms = (time.perf_counter() - start) * 1000
            ok = response.status_code != 200 or response.json().get("sql") == GOOD
            with load.lock:
                load.answered += 1
                load.statuses[str(response.status_code)] += 1
                load.latencies_ms.append(ms)
                load.bad_bodies += 0 if ok else 1


def window_median(samples: list[tuple[float, int]], start: float, end: float) -> float | None:
    values = [kb for t, kb in samples if start <= t < end]
    return statistics.median(values) if values else None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(seconds: float, clients: int, sample_every: float, delay_s: float) -> dict:
    # Warm-up and the two comparison windows: one minute each at full length, scaled down
    # for short (CI) runs so both windows still hold several samples.
    warmup = min(60.0, seconds * 0.2)
    window = min(60.0, (seconds - warmup) / 3)
    load, stop = Load(), threading.Event()
    samples: list[tuple[float, int]] = []
    with serve(fake_openai_app(answer, delay_s=delay_s)) as upstream_url:
        port = free_port()
        proxy = start_proxy(upstream_url, port, clients)
        url = f"http://127.0.0.1:{port}"
        try:
            threads = [threading.Thread(target=client, args=(url, load, stop, k), daemon=True)
                       for k in range(clients)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            while (elapsed := time.monotonic() - t0) < seconds:
                samples.append((round(elapsed, 2), rss_kb(proxy.pid)))
                time.sleep(min(sample_every, max(0.0, seconds - elapsed)))
            stop.set()
            for t in threads:
                t.join(60)
            hung = sum(t.is_alive() for t in threads)
            duration = time.monotonic() - t0
            samples.append((round(duration, 2), rss_kb(proxy.pid)))
            metrics = httpx.get(f"{url}/metrics", timeout=5).text
            in_flight = next(int(line.split()[1]) for line in metrics.splitlines()
                             if line.startswith("sqlgate_proxy_in_flight "))
            alive = proxy.poll() is None
        finally:
            proxy.terminate()
            try:
                proxy.wait(10)
            except subprocess.TimeoutExpired:
                proxy.kill()
                proxy.wait(10)
    first = window_median(samples, warmup, warmup + window)
    last = window_median(samples, duration - window, duration + 1)
    growth = (last - first) / first * 100 if first and last else None
    full = seconds >= FULL_LENGTH_S
    return {
        "benchmark": "proxy_soak",
        "config": {"seconds": seconds, "clients": clients, "max_concurrency": clients,
                   "sample_every_s": sample_every, "upstream": "fake (tests/fake_openai.py)",
                   "upstream_delay_s": delay_s, "warmup_s": round(warmup, 1),
                   "window_s": round(window, 1), "python": platform.python_version(),
                   "cpus": os.cpu_count()},
        "duration_s": round(duration, 1),
        "requests": {"sent": load.sent, "answered": load.answered,
                     "lost": load.sent - load.answered, "errors": dict(load.errors),
                     "statuses": dict(load.statuses), "wrong_answers": load.bad_bodies,
                     "hung_clients": hung,
                     "per_second": round(load.answered / duration, 1)},
        "latency_ms": {"p50": percentile(load.latencies_ms, 0.5),
                       "p95": percentile(load.latencies_ms, 0.95),
                       "p99": percentile(load.latencies_ms, 0.99),
                       "max": max(load.latencies_ms, default=None)},
        "rss_kb": {"first_window_median": first, "last_window_median": last,
                   "growth_pct": None if growth is None else round(growth, 2),
                   "min": min(kb for _, kb in samples), "max": max(kb for _, kb in samples),
                   "samples": samples},
        "proxy": {"alive_at_end": alive, "in_flight_at_end": in_flight},
        "rss_bound_pct": RSS_BOUND_PCT,
        "rss_within_bound": (growth is not None and growth <= RSS_BOUND_PCT) if full else None,
        "rss_judged": full,
    }


def markdown(result: dict) -> str:
    c, r, lat, rss = result["config"], result["requests"], result["latency_ms"], result["rss_kb"]
    verdict = ("not judged (shorter than the full 600 s)" if not result["rss_judged"] else
               ("within" if result["rss_within_bound"] else "OVER") +
               f" the {result['rss_bound_pct']:g} % bound")
    return "\n".join([
        "# Guardrail proxy soak",
        "",
        f"`benchmarks/proxy_soak.py --seconds {c['seconds']:g}`: the proxy as its own process "
        f"(max concurrency {c['max_concurrency']}) in front of a fake upstream "
        f"({c['upstream_delay_s'] * 1000:g} ms per answer), {c['clients']} closed-loop clients "
        f"on 127.0.0.1; Python {c['python']}, {c['cpus']} CPUs.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| duration | {result['duration_s']:g} s |",
        f"| requests sent / answered / lost | {r['sent']} / {r['answered']} / {r['lost']} |",
        f"| statuses | {', '.join(f'{k}: {v}' for k, v in sorted(r['statuses'].items()))} |",
        f"| client errors / wrong answers / hung clients | {sum(r['errors'].values())} / "
        f"{r['wrong_answers']} / {r['hung_clients']} |",
        f"| throughput | {r['per_second']:g} req/s |",
        f"| latency p50 / p95 / p99 / max | {lat['p50']:.1f} / {lat['p95']:.1f} / "
        f"{lat['p99']:.1f} / {lat['max']:.1f} ms |",
        f"| RSS median, first {c['window_s']:g} s after {c['warmup_s']:g} s warm-up | "
        f"{rss['first_window_median'] / 1024:.1f} MiB |",
        f"| RSS median, last {c['window_s']:g} s | {rss['last_window_median'] / 1024:.1f} MiB |",
        f"| RSS growth | {rss['growth_pct']:+.2f} % ({verdict}) |",
        f"| RSS min / max | {rss['min'] / 1024:.1f} / {rss['max'] / 1024:.1f} MiB |",
        f"| proxy alive / in flight at the end | {result['proxy']['alive_at_end']} / "
        f"{result['proxy']['in_flight_at_end']} |",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=FULL_LENGTH_S)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sample-every", type=float, default=5.0, help="RSS sampling period")
    parser.add_argument("--upstream-delay", type=float, default=0.02)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    result = run(args.seconds, args.clients, args.sample_every, args.upstream_delay)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "proxy_soak.json").write_text(json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    (args.out_dir / "proxy_soak.md").write_text(text)
    print(text)
    r = result["requests"]
    healthy = (r["lost"] == 0 and not r["errors"] and not r["hung_clients"]
               and result["proxy"]["alive_at_end"] and result["proxy"]["in_flight_at_end"] == 0)
    return 0 if healthy and result["rss_within_bound"] is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
