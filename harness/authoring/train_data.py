"""The seeded training-set generator: template drafts plus hand-written seeds, each example
with its RAG context, written with a manifest (`python -m harness.authoring.train_data --out
fixtures/train`).

- The template families (`harness.authoring.train_templates`) walk the catalog and yield every question
  they can phrase, with Oracle SQL.
- `QUOTAS` says how many examples each family contributes and at which difficulty: easy = one
  table, at most one filter or aggregate; medium = grouping, date windows, NVL/DECODE, top-N,
  one join, unanswerable subjects; hard = outer joins, NOT EXISTS, HAVING, two-hop joins,
  joins with date and org filters, monthly trends. The draw within a family is ordered by a
  hash of (seed, family, question, SQL); duplicates (same normalised question, or same SQL)
  are skipped. The output therefore depends only on the catalog, the hand-written file and the
  seed, and regenerating gives the same bytes.
- Hand-written examples (`handwritten.jsonl`, contract-1 records) are appended as they are.
- The golden sets (`fixtures/golden/*.jsonl`) are the exam: a draft whose question or SQL
  would leak one (`harness.authoring.validate.leakage`: same question, same SQL or a near-duplicate
  question) is skipped, as is one repeating a hand-written example; a hand-written example
  that leaks a golden one aborts generation. The manifest records the golden files' hashes.
- Every example gets `build_context(question, catalog, required_tables=<tables of its SQL>,
  seed=seed)` in the production size range, stored as its structured sections.
- Every SQL must parse (sqlglot, Oracle), be a safe single query and reference only catalog
  tables and columns; an org-restricted example must pass the MOAC check. A violation aborts
  generation: a template that writes bad SQL is a bug, never silently dropped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from harness.authoring.train_templates import FAMILIES, Draft, Vocabulary, digest
from harness.authoring.validate import LeakIndex, leakage, normalize_question
from harness.inputs.catalog import Catalog, load_catalog
from harness.inputs.golden import GoldenExample, file_sha256
from harness.io.atomic import write_text_atomic
from harness.io.jsonl import read_jsonl
from harness.prompting.rag_context import PRODUCTION_TARGET_CHARS, build_context
from harness.sql.parse import parse_single
from harness.sql.refs import moac_violations, references
from harness.sql.safety import classify

GENERATOR_VERSION = "1.0.0"
DEFAULT_SEED = 20240601
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "fixtures" / "train"
DEFAULT_GOLDEN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
TRAIN_FILE = "ebs_train.jsonl"
MANIFEST_FILE = "manifest.json"
HANDWRITTEN_FILE = "handwritten.jsonl"

Difficulty = str  # easy | medium | hard

# Family -> (examples drawn, difficulty). The draw is a seeded sample of every question the
# family can phrase over the catalog; a family with fewer candidates contributes all it has.
QUOTAS: dict[str, tuple[int, Difficulty]] = {
    "count_all": (40, "easy"),
    "count_by_code": (110, "easy"),
    "count_by_synonym": (20, "easy"),
    "list_by_code": (60, "easy"),
    "aggregate_measure": (70, "easy"),
    "org_count": (40, "easy"),
    "inv_org_count": (10, "easy"),
    "group_by_code": (70, "medium"),
    "decode_group": (35, "medium"),
    "sum_by_code": (60, "medium"),
    "date_window": (75, "medium"),
    "day_trunc": (25, "medium"),
    "nvl_sum": (25, "medium"),
    "top_n": (50, "medium"),
    "org_group": (35, "medium"),
    "join_label": (50, "medium"),
    "count_per_parent": (45, "medium"),
    "above_average": (30, "medium"),
    "having_count": (35, "hard"),
    "outer_join_count": (40, "hard"),
    "not_exists": (40, "hard"),
    "join_org_window": (50, "hard"),
    "monthly_trend": (40, "hard"),
    "two_hop_sum": (40, "hard"),
    "unanswerable": (60, "medium"),
}

class GenerationError(Exception):
    """A template produced SQL that fails the checks every training example must pass."""


# ---------------------------------------------------------------- assembly


def _domain(catalog: Catalog, tables: Sequence[str]) -> str:
    """The module of the first table; CROSS when the tables span business modules (shared
    reference tables of FND and HR do not make a question cross-module)."""
    if not tables:
        return "CROSS"
    modules = [catalog.table_module[t] for t in tables]
    business = [m for m in modules if m not in ("FND", "HR")] or modules
    return business[0] if len(set(business)) == 1 else "CROSS"


def draft_examples(catalog: Catalog, seed: int = DEFAULT_SEED,
                   avoid: Sequence[GoldenExample] = ()) -> list[Draft]:
    """Every family's seeded draw in family order, without duplicate questions or SQL and
    without anything that would leak into or repeat `avoid` (the golden sets and the
    hand-written examples; `harness.authoring.validate.LeakIndex` decides)."""
    v = Vocabulary(catalog)
    avoided = LeakIndex(avoid)
    seen_q: set[str] = set()
    seen_sql: set[str] = set()
    out: list[Draft] = []
    for family, (quota, _) in QUOTAS.items():
        candidates = sorted(FAMILIES[family](v),
                            key=lambda d: digest(seed, family, d.question, d.sql))
        taken = 0
        for draft in candidates:
            if taken == quota:
                break
            qkey, skey = normalize_question(draft.question), " ".join(draft.sql.split())
            if qkey in seen_q or (draft.kind == "answerable" and skey in seen_sql):
                continue
            if avoided.find(draft.question, [draft.sql] if draft.kind == "answerable" else ()):
                continue
            seen_q.add(qkey)
            seen_sql.add(skey)
            out.append(draft)
            taken += 1
    return out


def check_sql(draft: Draft, catalog: Catalog) -> list[str]:
    """What is wrong with a draft's SQL: parse, safety, catalog references, MOAC."""
    if draft.kind == "unanswerable":
        return []
    problems = []
    verdict = classify(draft.sql)
    if not verdict.safe:
        return [f"unsafe ({verdict.kind}): {verdict.reason}"]
    tree = parse_single(draft.sql)
    refs = references(tree, catalog.schema())
    if refs.unknown_tables or refs.unknown_columns:
        problems.append(f"unknown tables {sorted(refs.unknown_tables)} or columns "
                        f"{sorted(map(str, refs.unknown_columns))}")
    if set(draft.tables) != set(refs.tables):
        problems.append(f"declared tables {sorted(draft.tables)} != referenced "
                        f"{sorted(refs.tables)}")
    if draft.org_policy == "required":
        missing = moac_violations(tree, catalog.striped_tables("operating_unit"))
        if missing:
            problems.append(f"org_policy required but ORG_ID not restricted on {sorted(missing)}")
    return problems


def load_handwritten(path: Path) -> list[GoldenExample]:
    """The hand-written seed examples (contract-1 records; file:line errors)."""
    return [example for _, example in read_jsonl(path, GoldenExample)]


def _tables_of(sql: str, catalog: Catalog) -> tuple[str, ...]:
    return tuple(sorted(references(parse_single(sql), catalog.schema()).tables))


def build_examples(catalog: Catalog, handwritten: Sequence[GoldenExample],
                   seed: int = DEFAULT_SEED, golden: Sequence[GoldenExample] = (),
                   target_chars: tuple[int, int] = PRODUCTION_TARGET_CHARS
                   ) -> list[GoldenExample]:
    """The whole training set: generated drafts (none repeating `golden` or `handwritten`),
    then the hand-written examples (contexts are attached later by `with_context`). Raises GenerationError listing
    every draft whose SQL fails the checks, or a hand-written example that leaks a golden one."""
    leaks = leakage(golden, handwritten)
    if leaks:
        raise GenerationError("hand-written examples repeat golden ones: " + ", ".join(
            f"{x.train_id} ~ {x.golden_id} ({x.kind})" for x in leaks))
    drafts = draft_examples(catalog, seed, avoid=[*golden, *handwritten])
    failures = [f"{d.family}: {d.sql}: {'; '.join(p)}"
                for d in drafts if (p := check_sql(d, catalog))]
    if failures:
        raise GenerationError("generated SQL failed its checks:\n" + "\n".join(failures))
    difficulty = {family: level for family, (_, level) in QUOTAS.items()}
    examples = [GoldenExample(
        id=f"train-{i:05d}", question=d.question, sql_gold=d.sql, kind=d.kind,
        domain=_domain(catalog, d.tables), difficulty=difficulty[d.family],
        org_policy=d.org_policy, tags=["generated", d.family])
        for i, d in enumerate(drafts, start=1)]
    examples += [hw.model_copy(update={"tags": ["handwritten", *hw.tags]}) for hw in handwritten]
    return examples


def with_context(example: GoldenExample, catalog: Catalog, seed: int = DEFAULT_SEED,
                 target_chars: tuple[int, int] = PRODUCTION_TARGET_CHARS) -> GoldenExample:
    """The example with its RAG context, built the way training sees it: the retriever is
    given the gold's tables so the context always holds them.

    The committed training file carries no context (it is 30x larger with one and fully
    determined by question, gold, catalog and seed); the dataset builder calls this.
    """
    tables = () if example.kind == "unanswerable" else _tables_of(example.sql_gold, catalog)
    context = build_context(example.question, catalog, target_chars=target_chars,
                            required_tables=tables, seed=seed)
    return example.model_copy(update={"rag_context": context.sections})


def _record(example: GoldenExample) -> dict:
    """One JSONL record: the raw fields of the requirement document first, then ours."""
    return {
        "id": example.id,
        "question": example.question,
        "sql_gold": example.sql_gold,
        "domain": example.domain,
        "org_policy": example.org_policy,
        "difficulty": example.difficulty,
        "kind": example.kind,
        "tags": example.tags,
    }


def load_golden(directory: Path) -> tuple[list[GoldenExample], dict[str, str]]:
    """Every example of `directory/*.jsonl` (none when the directory does not exist), and the
    sha256 of each file."""
    files = sorted(directory.glob("*.jsonl"))
    examples = [e for path in files for _, e in read_jsonl(path, GoldenExample)]
    return examples, {path.name: file_sha256(path) for path in files}


def write_training_set(out_dir: Path, catalog: Catalog | None = None,
                       seed: int = DEFAULT_SEED, golden_dir: Path = DEFAULT_GOLDEN_DIR) -> dict:
    """Regenerate `out_dir/ebs_train.jsonl` and `manifest.json` from the catalog, the
    hand-written file in `out_dir`, `seed` and the golden sets of `golden_dir` (which the
    training set must not repeat); returns the manifest."""
    catalog = catalog or load_catalog()
    handwritten_path = out_dir / HANDWRITTEN_FILE
    handwritten = load_handwritten(handwritten_path)
    golden, golden_files = load_golden(golden_dir)
    examples = build_examples(catalog, handwritten, seed, golden)
    text = "".join(json.dumps(_record(e), ensure_ascii=False) + "\n" for e in examples)
    data = text.encode()
    write_text_atomic(out_dir / TRAIN_FILE, text)
    manifest = {
        "version": GENERATOR_VERSION,
        "seed": seed,
        "catalog_fingerprint": catalog.fingerprint,
        "golden_excluded": golden_files,
        "files": {
            TRAIN_FILE: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                         "examples": len(examples)},
            HANDWRITTEN_FILE: {"sha256": hashlib.sha256(handwritten_path.read_bytes()).hexdigest(),
                               "examples": len(handwritten)},
        },
        "counts": {
            "total": len(examples),
            "generated": len(examples) - len(handwritten),
            "handwritten": len(handwritten),
            "kind": dict(sorted(Counter(e.kind for e in examples).items())),
            "difficulty": dict(sorted(Counter(e.difficulty for e in examples).items())),
            "domain": dict(sorted(Counter(e.domain for e in examples).items())),
            "org_policy": dict(sorted(Counter(e.org_policy for e in examples).items())),
            "family": dict(sorted(Counter(e.tags[1] if e.tags[0] == "generated" else "handwritten"
                                          for e in examples).items())),
        },
        "rag_context": "not stored; harness.authoring.train_data.with_context rebuilds it from the "
                       "question, the gold's tables, the catalog and the seed",
    }
    write_text_atomic(out_dir / MANIFEST_FILE, json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m harness.authoring.train_data --out DIR [--seed N]`: regenerate the training set."""
    parser = argparse.ArgumentParser(prog="python -m harness.authoring.train_data", description=__doc__
                                     .splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="directory holding handwritten.jsonl; outputs are written there")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN_DIR,
                        help="golden sets the training set must not repeat")
    args = parser.parse_args(argv)
    manifest = write_training_set(args.out, seed=args.seed, golden_dir=args.golden)
    counts = manifest["counts"]
    print(f"wrote {counts['total']} examples ({counts['generated']} generated, "
          f"{counts['handwritten']} hand-written) to {args.out / TRAIN_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
