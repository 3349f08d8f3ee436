"""The random base: its vocabulary, dtype and determinism."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the tiny model needs torch (pip install .[train])")
from pipeline.tiny_model import build_tiny_model  # noqa: E402
from pipeline.tokenizer import train_tokenizer  # noqa: E402

TEXTS = ["SELECT invoice_id FROM ap_invoices_all WHERE org_id = 204"] * 20
ARCH = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
            num_key_value_heads=1, max_position_embeddings=64)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return train_tokenizer(TEXTS, tmp_path_factory.mktemp("tok"), vocab_size=300)


def test_vocabulary_defaults_to_the_tokenizer_and_can_be_padded(tokenizer, tmp_path):
    assert build_tiny_model(tokenizer, tmp_path / "a", seed=1, **ARCH).config.vocab_size == \
        len(tokenizer)
    padded = build_tiny_model(tokenizer, tmp_path / "b", seed=1, vocab_size=512, **ARCH)
    assert padded.get_input_embeddings().weight.shape[0] == 512


def test_a_vocabulary_smaller_than_the_tokenizer_is_refused(tokenizer, tmp_path):
    with pytest.raises(ValueError, match="smaller than the tokenizer"):
        build_tiny_model(tokenizer, tmp_path, seed=1, vocab_size=len(tokenizer) - 1, **ARCH)


def test_dtype_is_applied_and_saved(tokenizer, tmp_path):
    from transformers import AutoModelForCausalLM

    build_tiny_model(tokenizer, tmp_path, seed=1, dtype="bfloat16", **ARCH)
    reloaded = AutoModelForCausalLM.from_pretrained(str(tmp_path), dtype="auto")
    assert {p.dtype for p in reloaded.parameters()} == {torch.bfloat16}


def test_same_seed_same_weights(tokenizer, tmp_path):
    a = build_tiny_model(tokenizer, tmp_path / "a", seed=3, **ARCH)
    b = build_tiny_model(tokenizer, tmp_path / "b", seed=3, **ARCH)
    c = build_tiny_model(tokenizer, tmp_path / "c", seed=4, **ARCH)
    assert torch.equal(a.lm_head.weight, b.lm_head.weight)
    assert not torch.equal(a.lm_head.weight, c.lm_head.weight)
