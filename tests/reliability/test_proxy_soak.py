"""A short run of the proxy soak benchmark (benchmarks/proxy_soak.py): no request lost, the
outputs have their shape. The 5 % RSS bound needs the full 600 s run and is not judged here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_short_soak_loses_no_request(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "proxy_soak.py"),
                           "--seconds", "15", "--sample-every", "1", "--out-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "proxy_soak.json").read_text())
    requests = result["requests"]
    assert requests["sent"] > 50
    assert requests["lost"] == 0 and requests["answered"] == requests["sent"]
    assert requests["errors"] == {} and requests["hung_clients"] == 0
    assert requests["statuses"] == {"200": requests["answered"]}
    assert requests["wrong_answers"] == 0
    assert result["proxy"] == {"alive_at_end": True, "in_flight_at_end": 0}
    rss = result["rss_kb"]
    assert len(rss["samples"]) >= 10
    assert all(isinstance(kb, int) and kb > 0 for _, kb in rss["samples"])
    assert rss["first_window_median"] > 0 and rss["last_window_median"] > 0
    assert isinstance(rss["growth_pct"], float)
    assert result["rss_judged"] is False and result["rss_within_bound"] is None
    assert set(result["latency_ms"]) == {"p50", "p95", "p99", "max"}
    md = (tmp_path / "proxy_soak.md").read_text()
    assert md.startswith("# Guardrail proxy soak") and "| RSS growth |" in md
    assert f"/ {requests['answered']} / 0 |" in md
