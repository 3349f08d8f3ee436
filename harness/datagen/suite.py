"""The test suite: K DuckDB instances built from the recipe's seeds (base_seed + i, then the
seeds chosen by search), cached on disk by a
fingerprint of catalog, recipe, seed and generator, written atomically (a crash never leaves
a file that a later run trusts)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from harness.datagen.build import build_instance
from harness.datagen.decode_pairs import recipe_decode_targets
from harness.datagen.group_counts import recipe_count_targets
from harness.datagen.group_totals import recipe_having_targets
from harness.datagen.nvl_labels import recipe_label_targets
from harness.datagen.nvl_zeros import recipe_zero_targets
from harness.datagen.recipe import DEFAULT_RECIPE_PATH, Recipe, load_recipe
from harness.datagen.repeat_rows import recipe_repeat_targets, repeats_fingerprint
from harness.datagen.tables_hr import recipe_as_of_targets, recipe_primary_targets
from harness.datagen.targeted import (
    recipe_block_targets,
    recipe_entity_targets,
    recipe_targets,
    targets_fingerprint,
)
from harness.datagen.top_ties import cuts_fingerprint, recipe_cut_targets
from harness.inputs import catalog as catalog_module
from harness.inputs.catalog import Catalog, load_catalog
from harness.io.cache_dir import cache_root

FILE_FORMAT = 1  # bump when the layout of an instance file changes without a code change


@dataclass(frozen=True)
class Instance:
    """One built test-suite database; `fingerprint` is the cache key scoring uses."""

    index: int
    seed: int
    path: Path
    fingerprint: str


def default_cache_dir() -> Path:
    """`$SQLGATE_CACHE_DIR/db`, else `<repo>/.cache/sqlgate/db`."""
    return cache_root() / "db"


@cache
def generator_version() -> str:
    """Hash of the generator's source (and of the catalog module, whose type mapping makes
    the DDL) and the DuckDB version: any change rebuilds."""
    digest = hashlib.sha256(f"{FILE_FORMAT}\0{duckdb.__version__}".encode())
    sources = sorted(Path(__file__).parent.glob("*.py")) + [Path(catalog_module.__file__)]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def instance_fingerprint(catalog: Catalog, recipe: Recipe, seed: int) -> str:
    """What an instance's content depends on: catalog, recipe, seed, generator and the
    constants of the golds the targeted rows are placed on."""
    text = f"{catalog.fingerprint}\0{recipe.fingerprint()}\0{seed}\0{generator_version()}"
    if recipe.targeted.rows_per_value:
        golden = recipe.targeted.paths()
        text += "\0" + targets_fingerprint(recipe_targets(catalog, golden))
        text += "\0" + targets_fingerprint(recipe_having_targets(catalog, golden))
        text += "\0" + "\n".join(b.key() for b in recipe_block_targets(catalog, golden))
        text += "\0" + "\n".join(e.key() for e in recipe_entity_targets(catalog, golden))
        text += "\0" + targets_fingerprint(recipe_label_targets(catalog, golden))
        text += "\0" + targets_fingerprint(recipe_count_targets(catalog, golden))
        if recipe.targeted.cut_twin_rows:
            text += "\0" + cuts_fingerprint(recipe_cut_targets(catalog, golden))
        if recipe.targeted.repeat_twin_rows:
            text += "\0" + repeats_fingerprint(recipe_repeat_targets(catalog, golden))
        if recipe.targeted.nvl_zeros:
            text += "\0" + targets_fingerprint(recipe_zero_targets(catalog, golden))
        if recipe.targeted.rare_codes:
            text += "\0" + targets_fingerprint(recipe_decode_targets(catalog, golden))
        text += "\0" + targets_fingerprint(recipe_as_of_targets(catalog, golden))
        text += "\0" + targets_fingerprint(recipe_primary_targets(catalog, golden))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def build_test_suite(catalog: Catalog | None = None, recipe_path: Path | None = None, *,
                     k: int | None = None, cache_dir: Path | None = None,
                     progress: bool = False) -> list[Instance]:
    """The K instances of the test suite, built if not cached (instance i from seed
    recipe.seed(i); K from the recipe unless given)."""
    catalog = catalog or load_catalog()
    recipe = load_recipe(recipe_path or DEFAULT_RECIPE_PATH)
    count = recipe.k if k is None else k
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    instances = []
    for index in range(count):
        seed = recipe.seed(index)
        fingerprint = instance_fingerprint(catalog, recipe, seed)
        path = directory / f"ebs-{seed}-{fingerprint}.duckdb"
        instances.append(Instance(index, seed, path, fingerprint))
    missing = [inst for inst in instances if not inst.path.exists()]
    if missing:
        _build_all(catalog, recipe, missing, progress)
    return instances


def _build_all(catalog: Catalog, recipe: Recipe, missing: list[Instance],
               progress: bool) -> None:
    if not progress:
        for inst in missing:
            build_atomically(inst.path, catalog, recipe, inst.seed)
        return
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns) as bar:
        for inst in missing:
            task = bar.add_task(f"instance {inst.index} (seed {inst.seed})",
                                total=len(catalog.tables))
            build_atomically(inst.path, catalog, recipe, inst.seed,
                             lambda _table, task=task: bar.advance(task))


def build_atomically(path: Path, catalog: Catalog, recipe: Recipe, seed: int,
                     on_table: Callable[[str], None] | None = None) -> None:
    """Build into a temp file beside `path`, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        build_instance(tmp, catalog, recipe, seed, on_table)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
