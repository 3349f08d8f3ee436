"""The recipe loader: validation at the edge, with file, line and field in the error."""

from __future__ import annotations

import datetime as dt

import pytest

from harness.datagen.recipe import DEFAULT_RECIPE_PATH, load_recipe
from harness.io.errors import InputError


def _write(tmp_path, old: str, new: str):
    text = DEFAULT_RECIPE_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "recipe.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_shipped_recipe_loads():
    recipe = load_recipe()
    assert recipe.k == 7
    assert recipe.row_range("NO_SUCH_TABLE") == recipe.default_rows


@pytest.mark.parametrize(("old", "new", "field"), [
    ("    GL_LEDGERS.LEDGER_ID: 2\n", "    GL_LEDGERS.LEDGER_ID: 1\n", "ids"),
    ("  boundary_year: 2024", "  boundary_year: 2030", "dates"),
    ("  today: 2025-06-15", "  today: 2027-06-15", "dates"),
    ("searched_seeds: [20240113, 20240108]", "searched_seeds: [20240113, 20240102]",
     "searched_seeds"),
    ("  aging_days: [1, 7, 30, 60, 90]", "  aging_days: [1, 7, 30, 60, 900]", "dates"),
    ("default_rows: [40, 80]", "default_rows: [80, 40]", None),
    ("null_fraction: 0.1 ", "null_fraction: lots ", "null_fraction"),
])
def test_bad_recipes_name_the_field(tmp_path, old, new, field):
    with pytest.raises(InputError) as info:
        load_recipe(_write(tmp_path, old, new))
    assert "recipe.yaml" in str(info.value)
    if field:
        assert field in str(info.value)


def test_fingerprint_ignores_which_instances_exist_only(tmp_path):
    base = load_recipe().fingerprint()
    assert load_recipe(_write(tmp_path, "k: 7", "k: 9")).fingerprint() == base
    assert load_recipe(_write(tmp_path, "searched_seeds: [20240113, 20240108]",
                              "searched_seeds: [20240113]")).fingerprint() == base
    assert load_recipe(_write(tmp_path, "max_gap: 3", "max_gap: 4")).fingerprint() != base


def test_the_recipes_today_is_the_pinned_sysdate_and_its_edges_are_midnights():
    from harness.translate import PINNED_SYSDATE

    dates = load_recipe(DEFAULT_RECIPE_PATH).dates
    assert dates.today == PINNED_SYSDATE.date()
    extra = dates.extra_edges()
    assert dt.date(2025, 6, 15) in extra and dt.date(2025, 3, 17) in extra  # today - 90
    assert dt.date(2023, 2, 1) in extra and dt.date(2025, 12, 1) in extra
    assert all(dates.start <= d <= dates.end for d in extra)


def test_instance_seeds_are_the_plain_ones_then_the_searched_ones_and_never_repeat():
    recipe = load_recipe()
    plain = recipe.k - len(recipe.searched_seeds)
    seeds = [recipe.seed(i) for i in range(recipe.k + 3)]
    assert seeds[:plain] == [recipe.base_seed + i for i in range(plain)]
    assert seeds[plain:recipe.k] == recipe.searched_seeds
    assert len(set(seeds)) == len(seeds)  # asking for more instances adds new seeds
