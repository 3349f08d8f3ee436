"""Fixtures of the datagen tests: the test suite, built once per session into a temp cache."""

from __future__ import annotations

import json

import duckdb
import pytest

from harness.datagen import Instance, build_test_suite
from harness.datagen.build import generate
from harness.datagen.recipe import Recipe, load_recipe
from harness.inputs.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def recipe() -> Recipe:
    return load_recipe()


@pytest.fixture(scope="session")
def suite_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("suite")


@pytest.fixture(scope="session")
def suite(catalog: Catalog, suite_dir) -> list[Instance]:
    return build_test_suite(catalog, cache_dir=suite_dir)


@pytest.fixture(scope="session")
def connections(suite: list[Instance]):
    """One read-only connection per instance, as scoring opens them."""
    cons = [duckdb.connect(str(inst.path), read_only=True) for inst in suite]
    yield cons
    for con in cons:
        con.close()


@pytest.fixture(scope="session")
def instance_for_gold(catalog: Catalog, recipe: Recipe, tmp_path_factory):
    """Instance 0's tables generated for a golden file holding only one gold, `(id, sql)`: what
    a held-out gold, one the shipped sets lack, gets from the passes that read the golds."""
    def build(gold_id: str, sql: str):
        path = tmp_path_factory.mktemp("golds") / "held_out.jsonl"
        path.write_text(json.dumps({"id": gold_id, "question": "q", "sql_gold": sql}) + "\n")
        shape = recipe.targeted.model_copy(update={"golden": [path]})
        return generate(catalog, recipe.model_copy(update={"targeted": shape}), recipe.base_seed)
    return build
