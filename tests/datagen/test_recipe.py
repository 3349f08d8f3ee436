"""The recipe loader: validation at the edge, with file, line and field in the error."""

from __future__ import annotations

import pytest

from harness.datagen.recipe import DEFAULT_RECIPE_PATH, load_recipe
from harness.errors import InputError


def _write(tmp_path, old: str, new: str):
    text = DEFAULT_RECIPE_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "recipe.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_shipped_recipe_loads():
    recipe = load_recipe()
    assert recipe.k == 5
    assert recipe.row_range("NO_SUCH_TABLE") == recipe.default_rows


@pytest.mark.parametrize(("old", "new", "field"), [
    ("    GL_LEDGERS.LEDGER_ID: 2\n", "    GL_LEDGERS.LEDGER_ID: 1\n", "ids"),
    ("  boundary_year: 2024", "  boundary_year: 2030", "dates"),
    ("default_rows: [40, 80]", "default_rows: [80, 40]", None),
    ("null_fraction: 0.1 ", "null_fraction: lots ", "null_fraction"),
])
def test_bad_recipes_name_the_field(tmp_path, old, new, field):
    with pytest.raises(InputError) as info:
        load_recipe(_write(tmp_path, old, new))
    assert "recipe.yaml" in str(info.value)
    if field:
        assert field in str(info.value)


def test_fingerprint_ignores_k_only(tmp_path):
    base = load_recipe().fingerprint()
    assert load_recipe(_write(tmp_path, "k: 5", "k: 7")).fingerprint() == base
    assert load_recipe(_write(tmp_path, "max_gap: 3", "max_gap: 4")).fingerprint() != base
