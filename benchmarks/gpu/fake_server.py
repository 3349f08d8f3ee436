"""The CPU stand-in for `vllm serve` in the release-path rehearsal (benchmarks/gpu/release_path.sh
with SERVER=fake): tests/fake_openai.py's streaming chat server, answering each golden prompt
with its gold SQL (found by the question the prompt contains), else a refusal-like text.

    python benchmarks/gpu/fake_server.py --port 8000 [--token-delay-s 0.002]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.inputs.golden import load_eval_set  # noqa: E402
from harness.inputs.suites_dir import GOLDEN_SETS  # noqa: E402
from tests.fake_openai import fake_openai_app  # noqa: E402


def gold_answerer(eval_sets: list[Path]):
    """A function from a prompt to the gold SQL of the example whose question it contains;
    the longest question wins (one question may be a prefix of another)."""
    gold = sorted(((e.question, e.sql_gold) for p in eval_sets for e in load_eval_set(p).examples),
                  key=lambda pair: -len(pair[0]))

    def answer(prompt: str) -> str:
        return next((sql for question, sql in gold if question in prompt),
                    "I cannot answer that from the EBS schema.")
    return answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--delay-s", type=float, default=0.01, help="time to first token")
    parser.add_argument("--token-delay-s", type=float, default=0.001)
    parser.add_argument("--eval-set", action="append", type=Path)
    args = parser.parse_args()
    app = fake_openai_app(gold_answerer(args.eval_set or [ROOT / p for p in GOLDEN_SETS]),
                          delay_s=args.delay_s, token_delay_s=args.token_delay_s)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
