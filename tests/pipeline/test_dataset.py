"""The dataset builder: XiYan conversations, bad rows named, and the loss mask."""

from __future__ import annotations

import json

import pytest

from harness.authoring.train_data import with_context
from harness.inputs.golden import GoldenExample
from harness.io.errors import InputError
from harness.prompting.prompts import render_user_prompt
from pipeline.dataset import (
    IGNORE_INDEX,
    build_dataset,
    load_conversations,
    load_raw,
    tokenize_conversation,
)
from tests.pipeline.conftest import TRAIN_FILE

GOLDEN = TRAIN_FILE.parents[1] / "golden" / "ebs_core.jsonl"


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "train.json"
    facts = build_dataset(TRAIN_FILE, out, context_chars=[600, 1200], limit=24)
    assert facts["examples"] == 24 and facts["train_set_version"]
    return load_conversations(out)


@pytest.fixture(scope="module")
def tokenizer(records, tmp_path_factory):
    pytest.importorskip("tokenizers")
    pytest.importorskip("transformers")
    from pipeline.tokenizer import corpus, train_tokenizer

    return train_tokenizer(corpus(records), tmp_path_factory.mktemp("tok"), vocab_size=500)


def test_records_are_xiyan_conversations_with_the_harness_prompt(records, catalog):
    raw = load_raw(TRAIN_FILE)[0]
    record = records[0]
    assert record["sql_type"] == "oracle" and record["id"] == raw.id
    user, assistant = record["conversations"]
    assert (user["role"], assistant["role"]) == ("user", "assistant")
    assert assistant["content"] == raw.sql_gold.strip()  # SQL only
    expected = render_user_prompt(with_context(raw, catalog, target_chars=(600, 1200)))
    assert user["content"] == expected


def test_bad_raw_row_names_file_line_and_field(tmp_path):
    good = GoldenExample(id="t1", question="Count the invoices.", domain="AP",
                         difficulty="easy", sql_gold="SELECT COUNT(*) FROM AP_INVOICES_ALL")
    bad = {**good.model_dump(), "id": "t2", "difficulty": "trivial"}
    path = tmp_path / "raw.jsonl"
    path.write_text(good.model_dump_json() + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(InputError) as error:
        load_raw(path)
    assert error.value.line == 2 and error.value.field == "difficulty"
    assert str(path) in str(error.value)


def test_golden_sets_are_refused_as_training_data():
    with pytest.raises(InputError, match="golden"):
        load_raw(GOLDEN)


def test_loss_mask_covers_exactly_the_assistant_tokens(records, tokenizer):
    record = records[0]
    sql = record["conversations"][1]["content"]
    encoded = tokenize_conversation(tokenizer, record, max_length=4096)
    ids, labels = encoded["input_ids"], encoded["labels"]
    prompt = tokenizer.apply_chat_template([record["conversations"][0]], tokenize=False,
                                           add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    trained = [i for i, label in zip(ids, labels, strict=True) if label != IGNORE_INDEX]
    # Every prompt token is masked, every answer token is trained, and nothing else.
    assert all(label == IGNORE_INDEX for label in labels[:len(prompt_ids)])
    assert all(label != IGNORE_INDEX for label in labels[len(prompt_ids):])
    assert ids[:len(prompt_ids)] == prompt_ids
    assert tokenizer.decode(trained) == sql + "<|eot_id|>"
    assert labels[len(prompt_ids):] == ids[len(prompt_ids):]


def test_too_long_conversation_is_dropped_not_cut(records, tokenizer):
    assert tokenize_conversation(tokenizer, records[0], max_length=16) is None
