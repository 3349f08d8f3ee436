"""Benchmark of the test-suite generator: K instances built cold (no cache), median of runs.

Writes benchmarks/results/datagen.json and datagen.md. Run: python benchmarks/datagen_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.datagen import build_test_suite  # noqa: E402
from harness.datagen.recipe import load_recipe  # noqa: E402
from harness.inputs.catalog import load_catalog  # noqa: E402
from harness.io.atomic import write_text_atomic  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, object]:
    """What the timings were measured on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cores": cores, "python": platform.python_version(), "duckdb": duckdb.__version__,
            "numpy": np.__version__, "pandas": pd.__version__,
            "platform": platform.platform(), "processor": platform.processor() or None}


def run(k: int, runs: int) -> dict[str, object]:
    """Time `runs` cold builds of K instances, each into a fresh cache directory."""
    catalog = load_catalog()
    seconds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            instances = build_test_suite(catalog, k=k, cache_dir=Path(cache))
            seconds.append(round(time.perf_counter() - start, 3))
            size = sum(i.path.stat().st_size for i in instances)
    return {"k": k, "runs": seconds, "median_s": statistics.median(seconds),
            "tables": len(catalog.tables) + 1, "bytes_per_suite": size,
            "catalog_fingerprint": catalog.fingerprint,
            "recipe_fingerprint": load_recipe().fingerprint(), "machine": machine()}


def markdown(result: dict[str, object]) -> str:
    m = result["machine"]
    runs = ", ".join(f"{s:.2f} s" for s in result["runs"])
    return (f"# Test-suite generation (harness/datagen)\n\n"
            f"Cold build of K={result['k']} DuckDB instances ({result['tables']} tables each, "
            f"cache disabled), median of {len(result['runs'])} runs.\n\n"
            f"| median | runs | suite size |\n|---|---|---|\n"
            f"| **{result['median_s']:.2f} s** | {runs} | "
            f"{result['bytes_per_suite'] / 1e6:.1f} MB |\n\n"
            f"Machine: {m['cores']} cores, Python {m['python']}, DuckDB {m['duckdb']}, "
            f"numpy {m['numpy']}, pandas {m['pandas']}, {m['platform']}.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=load_recipe().k)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = run(args.k, args.runs)
    write_text_atomic(RESULTS / "datagen.json", json.dumps(result, indent=2) + "\n")
    write_text_atomic(RESULTS / "datagen.md", markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
