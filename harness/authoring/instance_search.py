"""Choosing extra test-suite instances by search, as distilled test suites do (Zhong, Yu,
Klein 2020): build candidate instances from fresh seeds, find which surviving mutants each one
kills on its own, and keep greedily the seeds that kill the most mutants still alive. The
chosen seeds go into the recipe's `searched_seeds` (and `k` grows by as many).

`python -m harness.authoring.instance_search --candidates 8 --keep 2` prints the greedy choice for
the shipped core set; it writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.backends.base import ExecutionBackend
from harness.datagen.recipe import Recipe, load_recipe
from harness.datagen.suite import build_atomically, build_test_suite
from harness.inputs.catalog import Catalog, load_catalog

Key = tuple[str, str]  # (gold id, mutant SQL)


def greedy_cover(kills: Mapping[int, frozenset[Key]], keep: int) -> list[tuple[int, int]]:
    """(seed, newly killed) for up to `keep` seeds, each the one killing the most mutants the
    seeds before it leave alive (ties: the smaller seed); stops when no seed adds a kill."""
    chosen: list[tuple[int, int]] = []
    dead: set[Key] = set()
    left = dict(kills)
    while left and len(chosen) < keep:
        seed = min(left, key=lambda s: (-len(left[s] - dead), s))
        gain = len(left.pop(seed) - dead)
        if not gain:
            break
        chosen.append((seed, gain))
        dead |= kills[seed]
    return chosen


def kills_on(backend: ExecutionBackend, survivors: Sequence[tuple[Key, str, str]]
             ) -> frozenset[Key]:
    """The survivors ((gold id, mutant SQL), operator, gold SQL) one instance tells apart."""
    from harness.authoring.mutants import Mutant
    from harness.authoring.mutation_score import MUTANT_TIMEOUT_S, judge_mutant, prepare_query

    killed = set()
    for key, operator, gold_sql in survivors:
        gold = prepare_query(backend, gold_sql)
        if isinstance(gold, str):
            continue
        run = backend.execute(gold, MUTANT_TIMEOUT_S)
        if run.status != "ok":
            continue
        if judge_mutant(Mutant(operator, key[1]), gold, [run], [backend]).verdict == "killed":
            killed.add(key)
    return frozenset(killed)


def candidate_seeds(recipe: Recipe, count: int) -> list[int]:
    """`count` seeds no instance of the recipe uses."""
    used = {recipe.seed(i) for i in range(recipe.k)}
    return [s for s in range(recipe.seed(recipe.k), recipe.seed(recipe.k) + count + len(used))
            if s not in used][:count]


def search(catalog: Catalog, recipe: Recipe, golds: Sequence[tuple[str, str]],
           candidates: int, keep: int) -> list[tuple[int, int]]:
    """The greedy choice among `candidates` fresh seeds for the survivors of `golds` on the
    recipe's current instances."""
    from harness.authoring.mutants import SchemaFacts
    from harness.authoring.mutation_score import load_equivalents, mutation_report
    from harness.backends.duckdb_backend import DuckDBBackend, DuckDBPreparer

    preparer = DuckDBPreparer(catalog.column_types())
    suite = [DuckDBBackend(i.path, i.fingerprint, preparer=preparer)
             for i in build_test_suite(catalog)]
    report = mutation_report(golds, suite, load_equivalents(),
                             facts=SchemaFacts.from_catalog(catalog))
    for b in suite:
        b.close()
    sql_of = dict(golds)
    survivors = [((g, o.sql), o.operator, sql_of[g]) for g, o in report.survivors]
    kills: dict[int, frozenset[Key]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in candidate_seeds(recipe, candidates):
            path = Path(tmp) / f"candidate-{seed}.duckdb"
            build_atomically(path, catalog, recipe, seed)
            backend = DuckDBBackend(path, f"candidate-{seed}", preparer=preparer)
            kills[seed] = kills_on(backend, survivors)
            backend.close()
            print(f"seed {seed}: kills {len(kills[seed])} of {len(survivors)} survivors",
                  file=sys.stderr)
    return greedy_cover(kills, keep)


def main(argv: Sequence[str] | None = None) -> int:
    from harness.authoring.validate import REPO_ROOT
    from harness.inputs.golden import GoldenExample
    from harness.io.jsonl import read_jsonl

    parser = argparse.ArgumentParser(prog="python -m harness.authoring.instance_search",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--golden", type=Path,
                        default=REPO_ROOT / "fixtures" / "golden" / "ebs_core.jsonl")
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--keep", type=int, default=2)
    args = parser.parse_args(argv)
    golds = [(e.id, e.sql_gold) for _, e in read_jsonl(args.golden, GoldenExample)
             if e.kind == "answerable"]
    for seed, gain in search(load_catalog(), load_recipe(), golds, args.candidates, args.keep):
        print(f"{seed}: kills {gain} more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
