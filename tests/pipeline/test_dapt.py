"""The DAPT stage: its corpus (catalog and training SQL, never the golden sets), the token
blocks, and a tiny DAPT → SFT → merge run whose candidate is base + DAPT + SFT in that order."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.inputs.golden import GoldenExample
from harness.io.errors import InputError
from harness.io.hashing import artifact_sha256
from harness.io.jsonl import read_jsonl
from pipeline.dapt import TokenBlocks, build_corpus, corpus_documents, load_corpus
from pipeline.dataset import load_raw
from pipeline.recipe import CONFIG_DIR, load_recipe
from tests.pipeline.conftest import DAPT_STAGE, TRAIN_FILE, small_recipe

GOLDEN_DIR = TRAIN_FILE.parents[1] / "golden"


@pytest.fixture(scope="module")
def documents(catalog):
    return corpus_documents(TRAIN_FILE, catalog=catalog)


def test_corpus_is_deterministic(catalog, tmp_path):
    first = build_corpus(TRAIN_FILE, tmp_path / "a.json", catalog=catalog)
    second = build_corpus(TRAIN_FILE, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert {k: v for k, v in first.items() if k != "path"} == {
        k: v for k, v in second.items() if k != "path"}
    assert load_corpus(tmp_path / "a.json") == corpus_documents(TRAIN_FILE, catalog=catalog)
    assert first["documents"] == sum(first["by_kind"].values())
    assert first["characters"] > 100_000 and len(first["sha256"]) == 64


def test_documents_are_non_empty_and_named_uniquely(documents):
    assert all(set(asdict(d)) == {"kind", "name", "text"} and d.text for d in documents)
    assert len({(d.kind, d.name) for d in documents}) == len(documents)


def test_corpus_documents_the_catalog(documents, catalog):
    tables = {d.name: d.text for d in documents if d.kind == "table"}
    assert set(tables) == set(catalog.tables)
    for name, table in catalog.tables.items():
        assert table.description in tables[name]
        for col in table.columns:
            assert f"- {col.name} {col.type}" in tables[name]
            assert col.description in tables[name]
    for name, fk in catalog.join_edges():
        condition = f"{name}.{fk.columns[0]} = {fk.references}.{fk.ref_columns[0]}"
        assert condition in tables[name] and condition in tables[fk.references]
    lookups = {d.name: d.text for d in documents if d.kind == "lookup"}
    assert set(lookups) == set(catalog.lookups)
    assert "- P: Partially paid" in lookups["INVOICE PAYMENT STATUS"]
    synonyms = "\n".join(d.text for d in documents if d.kind == "synonyms")
    assert all(f'"{s.term}" means {s.maps_to}' in synonyms for s in catalog.synonyms)
    [security] = [d.text for d in documents if d.kind == "security"]
    assert catalog.security.rule in security
    assert "- 204: Vision Operations" in security and "AP_INVOICES_ALL" in security


def test_corpus_holds_the_training_sql_and_no_refusal(documents):
    sql = [d.text for d in documents if d.kind == "sql"]
    answerable = [e for e in load_raw(TRAIN_FILE) if e.kind == "answerable"]
    assert sql == [g.strip() for e in answerable for g in e.golds]
    assert not any("UNANSWERABLE" in d.text for d in documents)


def test_corpus_never_holds_golden_sql(documents):
    text = "\n".join(d.text for d in documents)
    golden = [e for path in sorted(GOLDEN_DIR.glob("*.jsonl"))
              for _, e in read_jsonl(path, GoldenExample)]
    golds = [g.strip() for e in golden if e.kind == "answerable" for g in e.golds]
    assert len(golds) > 300
    leaked = [g for g in golds if g in text]
    assert not leaked, leaked[:3]


def test_corpus_refuses_a_golden_set_as_training_file(tmp_path):
    with pytest.raises(InputError, match="golden eval set"):
        build_corpus(GOLDEN_DIR / "ebs_core.jsonl", tmp_path / "c.json")


class CharTokenizer:
    """One token per character: exact expectations for the packing."""

    eos_token_id = 0

    def __call__(self, texts, add_special_tokens=True):
        assert not add_special_tokens
        return {"input_ids": [[ord(c) for c in text] for text in texts]}


@given(texts=st.lists(st.text(alphabet="abc ", max_size=30), min_size=1, max_size=12),
       block_size=st.integers(2, 40))
def test_blocks_keep_every_token_but_the_remainder(texts, block_size):
    stream = [t for text in texts for t in [*map(ord, text), 0]]
    if len(stream) < block_size:
        with pytest.raises(ValueError, match="shorter than one block"):
            TokenBlocks(texts, CharTokenizer(), block_size)
        return
    blocks = TokenBlocks(texts, CharTokenizer(), block_size)
    assert all(len(b["input_ids"]) == block_size for b in blocks.items)
    assert all(b["labels"] == b["input_ids"] for b in blocks.items)
    packed = [t for b in blocks.items for t in b["input_ids"]]
    assert packed == stream[:len(packed)]
    assert blocks.remainder == len(stream) - len(packed) < block_size
    assert blocks.facts == {"blocks": len(blocks), "block_size": block_size,
                            "tokens": len(stream), "remainder_tokens": blocks.remainder}


def test_blocks_of_the_corpus_with_a_trained_tokenizer(documents, tmp_path):
    pytest.importorskip("tokenizers")
    pytest.importorskip("transformers")
    from pipeline.tokenizer import train_tokenizer

    texts = [d.text for d in documents[:80]]
    tokenizer = train_tokenizer(texts, tmp_path, vocab_size=400)
    blocks = TokenBlocks(texts, tokenizer, 128)
    assert blocks.tokens - len(blocks) * 128 == blocks.remainder < 128
    stream = [t for text in texts for t in [*tokenizer(text, add_special_tokens=False)
                                           ["input_ids"], tokenizer.eos_token_id]]
    assert [t for b in blocks.items for t in b["input_ids"]] == stream[:len(blocks) * 128]


@pytest.mark.parametrize(("dapt", "field"), [
    ({"max_steps": 3}, "dapt.block_size"),
    ({"block_size": 0}, "dapt.block_size"),
    ({"block_size": 64, "sources": ["golden"]}, "dapt.sources"),
    ({"block_size": 64, "max_stepz": 3}, "dapt.max_stepz"),
    ({"block_size": 64, "output_dir": "/tmp/x"}, "dapt.output_dir"),
])
def test_bad_dapt_section_names_file_and_field(tmp_path, dapt, field):
    pytest.importorskip("transformers")
    from pipeline.train import dapt_flags

    path = small_recipe(tmp_path, sections={"dapt": dapt})
    with pytest.raises(InputError) as err:
        dapt_flags(load_recipe(path))
    assert err.value.path == str(path) and err.value.field == field


def test_tiny_recipe_has_no_dapt_stage():
    assert load_recipe(CONFIG_DIR / "tiny.yaml").section("dapt") == {}


# ------------------------------------------------------------------ the tiny DAPT → SFT run


def _logits(model, vocab_size):
    import torch

    ids = torch.randint(0, vocab_size, (2, 32), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return model.eval()(ids).logits


def _base(run):
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(run["base_model"], dtype=torch.float32)


@pytest.mark.slow
def test_dapt_loss_decreases_and_manifest_records_the_stage(dapt_chain, catalog):
    recipe, run, _ = dapt_chain
    dapt = run["dapt"]
    losses = [point["loss"] for point in dapt["loss_curve"]]
    assert len(losses) == dapt["global_step"] == DAPT_STAGE["max_steps"]
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.2
    saved = json.loads((recipe.work_dir / "run_manifest.json").read_text())
    assert saved["dapt"]["adapter"] == dapt["adapter"]
    assert dapt["adapter"]["sha256"] == artifact_sha256(dapt["adapter"]["path"])
    corpus = dapt["corpus"]
    rebuilt = build_corpus(TRAIN_FILE, recipe.work_dir / "rebuilt.json", catalog=catalog)
    assert corpus["sha256"] == rebuilt["sha256"] and corpus["documents"] == rebuilt["documents"]
    assert dapt["blocks"] == dapt["examples"] == dapt["tokens"] // 64
    assert dapt["remainder_tokens"] == dapt["tokens"] % 64
    assert dapt["config"]["training"]["max_steps"] == 12
    assert saved["config"]["training"]["max_steps"] == 6  # the SFT stage keeps its own flags
    assert saved["config"]["training"]["output_dir"].endswith("train")
    assert dapt["config"]["training"]["output_dir"].endswith("train_dapt")


@pytest.mark.slow
def test_dapt_adapter_is_saved_and_reloadable(dapt_chain):
    from peft import PeftModel

    _, run, _ = dapt_chain
    model = PeftModel.from_pretrained(_base(run), run["dapt"]["adapter"]["path"])
    lora_b = [p for n, p in model.named_parameters() if "lora_B" in n]
    assert len(lora_b) == 2 * 7 and any(p.abs().sum() > 0 for p in lora_b)


@pytest.mark.slow
def test_sft_starts_from_base_plus_dapt(dapt_chain, tmp_path):
    import torch
    from peft import PeftModel

    from pipeline.state import BuildState
    from pipeline.train import ModelArguments, _load_model, merged_base, parse_arguments

    _, run, _ = dapt_chain
    dapt = run["dapt"]["adapter"]["path"]
    assert run["config"]["model"]["base_adapters"] == [dapt]
    _, _, training, lora = parse_arguments(["--output_dir", str(tmp_path)])
    start, _ = _load_model(merged_base(ModelArguments(**run["config"]["model"]), training,
                                       BuildState(tmp_path)), training, lora)
    vocab = start.config.vocab_size
    expected = _logits(PeftModel.from_pretrained(_base(run), dapt), vocab)
    torch.testing.assert_close(_logits(start, vocab), expected, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(_logits(_base(run), vocab), expected, atol=1e-2)


@pytest.mark.slow
def test_candidate_is_base_then_dapt_then_sft(dapt_chain):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from pipeline.merge import merge_adapters

    recipe, run, manifest = dapt_chain
    dapt, sft = run["dapt"]["adapter"], run["adapter"]
    merged = AutoModelForCausalLM.from_pretrained(recipe.candidate_dir / "merged",
                                                  dtype=torch.float32)
    vocab = merged.config.vocab_size
    with_dapt = PeftModel.from_pretrained(_base(run), dapt["path"]).merge_and_unload()
    expected = _logits(PeftModel.from_pretrained(with_dapt, sft["path"]), vocab)
    actual = _logits(merged, vocab)
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=1e-4)
    # Out of order, the DAPT copy of the fully trained embeddings and head wins: not the model.
    swapped = _logits(merge_adapters(_base(run), [sft["path"], dapt["path"]]), vocab)
    assert (swapped - actual).abs().max() > 1e-2
    record = json.loads((recipe.candidate_dir / "pipeline.json").read_text())["merge"]
    assert record["adapters"] == [dapt, sft]
    assert manifest.adapter_sha256 == sft["sha256"]  # candidates/<id>/adapter/ is the SFT one


@pytest.mark.slow
def test_candidate_refuses_a_dapt_adapter_changed_since_training(dapt_chain, tmp_path):
    from pipeline.candidate import run_adapters

    _, run, _ = dapt_chain
    changed = json.loads(json.dumps(run))
    changed["dapt"]["adapter"]["sha256"] = "0" * 64
    with pytest.raises(ValueError, match="changed since the train step"):
        run_adapters(changed)


@pytest.mark.slow
def test_a_finished_dapt_stage_is_reused_and_sft_resumes_on_it(dapt_chain):
    from pipeline.train import run

    recipe, first, _ = dapt_chain
    again = run(recipe, ["--max_steps", "7"])  # the DAPT stage keeps its own max_steps
    assert again["dapt"]["reused"] and not first["dapt"]["reused"]
    assert again["dapt"]["adapter"] == first["dapt"]["adapter"]
    assert again["resumed_from"].endswith("checkpoint-6") and again["global_step"] == 7


@pytest.mark.slow
def test_dapt_resumes_and_stale_sft_checkpoints_are_refused(dapt_chain):
    """Last of the DAPT chain's tests: it trains the shared run's DAPT adapter further."""
    import yaml

    from pipeline.train import run

    recipe, first, _ = dapt_chain
    assert (recipe.work_dir / "train_dapt" / "checkpoint-12").is_dir()
    data = yaml.safe_load(recipe.path.read_text())
    data["dapt"]["max_steps"] = 14
    longer = recipe.path.with_name("longer.yaml")
    longer.write_text(yaml.safe_dump(data))
    with pytest.raises(RuntimeError, match="trained on other base adapters"):
        run(load_recipe(longer))
    stage = json.loads((recipe.work_dir / "build_state.json").read_text())["steps"]["dapt"]
    assert stage["facts"]["resumed_from"].endswith("checkpoint-12")
    assert stage["facts"]["global_step"] == 14
    assert stage["facts"]["adapter"]["sha256"] != first["dapt"]["adapter"]["sha256"]


@pytest.mark.slow
def test_merged_base_is_written_once_and_redone_when_an_adapter_changes(dapt_chain, tmp_path):
    import shutil

    from pipeline.state import BuildState
    from pipeline.train import ModelArguments, merged_base, parse_arguments

    _, run, _ = dapt_chain
    _, _, training, _ = parse_arguments(["--output_dir", str(tmp_path / "train")])
    state = BuildState(tmp_path)
    assert merged_base(ModelArguments(model_name_or_path="base-x"), training, state) == "base-x"
    adapter = tmp_path / "dapt"
    shutil.copytree(run["dapt"]["adapter"]["path"], adapter)
    args = ModelArguments(model_name_or_path=run["base_model"], base_adapters=[str(adapter)])
    first = Path(merged_base(args, training, state))
    weights = next(first.glob("*.safetensors"))
    written = weights.stat().st_mtime_ns
    assert merged_base(args, training, state) == str(first)
    assert weights.stat().st_mtime_ns == written and "train/base_merged" in state.steps()
    assert not first.with_name(first.name + ".partial").exists()
    (adapter / "adapter_config.json").write_text(
        (adapter / "adapter_config.json").read_text() + "\n")  # the adapter changed
    assert merged_base(args, training, state) == str(first)
    assert next(first.glob("*.safetensors")).stat().st_mtime_ns != written
