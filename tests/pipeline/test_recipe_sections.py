"""The train step's typed recipe sections and its one build state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.io.errors import InputError
from pipeline.recipe import (
    CONFIG_DIR,
    DataArguments,
    LoraArguments,
    ModelArguments,
    load_recipe,
    train_sections,
)
from pipeline.state import BuildState, inputs_sha256

RECIPE = Path("recipe.yaml")
TRAINING = {"max_steps", "learning_rate", "output_dir", "bf16"}


def test_settings_are_split_by_section_and_typed():
    sections = train_sections(
        {"model_name_or_path": "base", "data_path": "d.json", "lora_r": "8",
         "q_lora": "True", "max_steps": 5, "output_dir": "out",
         "deepspeed": "pipeline/configs/dp_zero3.json"}, RECIPE, TRAINING)
    assert sections.model == ModelArguments(model_name_or_path="base")
    assert sections.data == DataArguments(data_path="d.json")
    assert sections.lora == LoraArguments(lora_r=8, q_lora=True)
    assert sections.training == {"max_steps": 5, "output_dir": "out"}
    assert sections.deepspeed.config == "pipeline/configs/dp_zero3.json"
    assert train_sections({"deepspeed": ""}, RECIPE, TRAINING).deepspeed.config is None


@pytest.mark.parametrize(("settings", "field", "expected"), [
    ({"lora_rank": 8}, "lora.lora_rank", "not a setting"),
    ({"lora_r": "eight"}, "lora.lora_r", "valid integer"),
    ({"lora_target_modules": "q_proj"}, "lora.lora_target_modules", "valid list"),
    ({"deepspeed": "nowhere/zero3.json"}, "lora.deepspeed", "no such DeepSpeed config"),
])
def test_a_bad_setting_names_the_file_the_section_and_the_key(settings, field, expected):
    with pytest.raises(InputError, match=expected) as error:
        train_sections(settings, RECIPE, TRAINING, prefix="lora")
    assert error.value.field == field and error.value.path == str(RECIPE)


def test_every_shipped_recipe_splits_into_sections():
    pytest.importorskip("transformers", reason="TrainingArguments (pip install .[train])")
    from pipeline.train import given as given_settings
    from pipeline.train import training_fields

    recipes = [p for p in sorted(CONFIG_DIR.glob("*.yaml"))
               if p.name not in ("lora.yaml", "zero3.yaml")]  # an include, accelerate's config
    assert len(recipes) >= 8
    for path in recipes:
        recipe = load_recipe(path)
        settings = given_settings(recipe.section("train")) | given_settings(
            recipe.section("lora"))
        sections = train_sections(settings, recipe.path, training_fields())
        assert sections.lora.lora_r == settings.get("lora_r", 32), path


def test_command_line_flags_are_typed_and_only_given_ones_are_kept():
    pytest.importorskip("transformers", reason="TrainingArguments (pip install .[train])")
    from pipeline.train import command_line_settings

    assert command_line_settings(["--max_steps", "20", "--q_lora", "True",
                                  "--lora_target_modules", "q_proj", "v_proj",
                                  "--learning_rate", "0.01"]) == {
        "max_steps": 20, "q_lora": True, "lora_target_modules": ["q_proj", "v_proj"],
        "learning_rate": 0.01}
    assert command_line_settings([]) == {}


def test_build_state_reuses_only_the_same_inputs(tmp_path):
    state = BuildState(tmp_path)
    assert state.built("base", {"seed": 1}) is None
    state.record("base", {"seed": 1, "path": tmp_path}, {"path": str(tmp_path / "base")})
    state.record("sft", {"config": [1, 2]}, {"adapter_sha256": "ab"})
    assert state.built("base", {"path": tmp_path, "seed": 1}) == {"path": str(tmp_path / "base")}
    assert state.built("base", {"seed": 2, "path": tmp_path}) is None
    assert state.built("sft", {"config": [2, 1]}) is None
    saved = json.loads((tmp_path / "build_state.json").read_text())
    assert set(saved["steps"]) == {"base", "sft"}
    assert all(len(step["inputs_sha256"]) == 64 for step in saved["steps"].values())


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=6),
       st.randoms())
def test_the_inputs_hash_ignores_key_order_and_sees_every_value(inputs, random):
    keys = list(inputs)
    random.shuffle(keys)
    assert inputs_sha256({k: inputs[k] for k in keys}) == inputs_sha256(inputs)
    for key in keys:
        changed = {**inputs, key: [inputs[key]]}
        assert inputs_sha256(changed) != inputs_sha256(inputs)
