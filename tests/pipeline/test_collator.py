"""The training collator: right padding, masked labels, and fixed-width batches."""

from __future__ import annotations

import pytest

from pipeline.dataset import IGNORE_INDEX

torch = pytest.importorskip("torch", reason="the collator builds tensors (pip install .[train])")
from pipeline.train import PadCollator, parse_arguments  # noqa: E402

BATCH = [{"input_ids": [5, 6, 7], "labels": [IGNORE_INDEX, 6, 7]},
         {"input_ids": [8], "labels": [8]}]


def test_batch_is_padded_to_its_longest_item():
    out = PadCollator(pad_token_id=0)(BATCH)
    assert out["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert out["labels"].tolist() == [[IGNORE_INDEX, 6, 7], [8, IGNORE_INDEX, IGNORE_INDEX]]
    assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


def test_fixed_width_pads_every_batch_to_it_and_trains_on_no_padding():
    out = PadCollator(pad_token_id=0, width=6)(BATCH)
    assert out["input_ids"].shape == out["labels"].shape == out["attention_mask"].shape == (2, 6)
    padding = out["attention_mask"] == 0
    assert (out["labels"][padding] == IGNORE_INDEX).all()
    assert int(out["attention_mask"].sum()) == 4


def test_pad_to_model_max_length_is_a_data_flag_off_by_default():
    _, data, training, _ = parse_arguments(["--output_dir", "/tmp/x"])
    assert data.pad_to_model_max_length is False and training.model_max_length == 8192
    _, data, _, _ = parse_arguments(["--output_dir", "/tmp/x", "--pad_to_model_max_length",
                                     "True"])
    assert data.pad_to_model_max_length is True


def test_whole_weights_pauses_zero3_load_sharding_and_restores_it():
    from transformers.integrations.deepspeed import (
        is_deepspeed_zero3_enabled,
        set_hf_deepspeed_config,
        unset_hf_deepspeed_config,
    )

    from pipeline.train import whole_weights

    class Zero3Config:  # what TrainingArguments registers for a ZeRO-3 run
        def is_zero3(self) -> bool:
            return True

    config = Zero3Config()
    set_hf_deepspeed_config(config)
    try:
        assert is_deepspeed_zero3_enabled()
        with whole_weights():
            assert not is_deepspeed_zero3_enabled()
        assert is_deepspeed_zero3_enabled()
    finally:
        unset_hf_deepspeed_config()
    with whole_weights():  # without a ZeRO-3 run it changes nothing
        assert not is_deepspeed_zero3_enabled()
    assert not is_deepspeed_zero3_enabled()
