"""The transformers engine on a tiny random Llama built in the test (needs torch)."""

from __future__ import annotations

import importlib.util
import os

import pytest

from harness.engines import SamplingParams
from harness.engines.hf import _until_stop, model_fingerprint

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="the hf engine needs torch, which is "
                                                       "not installed (pip install torch)")
CHAT_TEMPLATE = ("{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}"
                 "{% if add_generation_prompt %}assistant :{% endif %}")


def test_importing_the_engine_does_not_import_torch():
    import sys

    import harness.engines.hf  # noqa: F401

    assert HAS_TORCH or "torch" not in sys.modules


def test_model_fingerprint_follows_config_content_and_weight_stat(tmp_path):
    (tmp_path / "config.json").write_text('{"hidden_size": 16}')
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\0" * ((1 << 20) + 1))  # above the whole-content threshold
    first = model_fingerprint(tmp_path)
    assert first == model_fingerprint(tmp_path)
    os.utime(weights, ns=(1, 1))
    second = model_fingerprint(tmp_path)
    assert second != first
    (tmp_path / "config.json").write_text('{"hidden_size": 32}')
    assert model_fingerprint(tmp_path) != second
    assert model_fingerprint("org/model") != model_fingerprint("org/other")


def test_until_stop_keeps_eos_and_drops_padding():
    assert _until_stop([5, 6, 2, 0, 0], eos=2, pad=0) == [5, 6, 2]
    assert _until_stop([5, 6, 0, 0], eos=[2, 3], pad=0) == [5, 6]
    assert _until_stop([5, 6], eos=2, pad=2) == [5, 6]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 1-layer random Llama and a word-level tokenizer with a chat template."""
    if not HAS_TORCH:
        pytest.skip("the hf engine needs torch, which is not installed (pip install torch)")
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = ["<pad>", "<unk>", "<s>", "</s>", "user", "assistant", ":", "SELECT", "FROM",
             "COUNT", "(", ")", "*", "AP_INVOICES_ALL", "how", "many", "invoices", "list"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>",
                                        unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(words), hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=128, pad_token_id=0, bos_token_id=2,
                         eos_token_id=3)
    path = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@needs_torch
def test_batched_greedy_generation(tiny_model):
    from harness.engines.hf import HFEngine

    engine = HFEngine(tiny_model, batch_size=2, device="cpu", dtype="float32")
    params = SamplingParams(max_new_tokens=6)
    prompts = ["how many invoices", "list invoices", "how many"]
    out = engine.generate(prompts, params)
    assert len(out) == 3
    assert all(isinstance(g.text, str) and 0 < g.completion_tokens <= 6 for g in out)
    # Chat template "user : <prompt> assistant :": 4 tokens around the prompt's words.
    assert [g.prompt_tokens for g in out] == [3 + 4, 2 + 4, 2 + 4]
    assert [g.text for g in engine.generate(prompts, params)] == [g.text for g in out]
    # Left padding: an example answers the same alone as in a padded batch.
    alone = engine.generate(["list invoices"], params)[0]
    assert alone.text == out[1].text
    assert engine.fingerprint.startswith("hf:")
