"""A short run of the proxy overhead benchmark (benchmarks/proxy_overhead.py): every proxied
answer equals the direct one (no streamed event lost or reordered) and the outputs have their
shape. The ≤ 2 ms goal needs a quiet machine and the full run; it is not judged here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_short_overhead_run_loses_no_chunk(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "proxy_overhead.py"),
                           "--pairs", "12", "--warmup", "2", "--out-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "proxy_overhead.json").read_text())
    plain, stream = result["modes"]["plain"], result["modes"]["stream"]
    assert plain["mismatched_outputs"] == 0 and stream["mismatched_outputs"] == 0
    for mode in (plain, stream):
        assert set(mode["cpu_per_request"]) == {"proxy_ms", "upstream_ms"}
        assert min(mode["cpu_per_request"].values()) >= 0
    assert stream["events_per_stream"] == 46  # 44 words, the usage event and [DONE]
    for part in (plain["total"], stream["total"], stream["ttft"]):
        assert part["direct_p50_ms"] > 0 and part["proxied_p50_ms"] > 0
        ratio = part["proxied_p50_ms"] / part["direct_p50_ms"]
        assert abs(part["ratio_p50"] - ratio) < 0.01 * ratio
        assert part["added_p95_ms"] >= part["added_p50_ms"]
    assert result["meets_goal"] == (max(plain["total"]["added_p50_ms"],
                                        stream["total"]["added_p50_ms"]) <= 2.0)
    md = (tmp_path / "proxy_overhead.md").read_text()
    assert md.startswith("# Guardrail proxy overhead") and "| chat, non-streaming | 12 |" in md
