"""The optional AutoAWQ path: used only where the package imports, refused clearly otherwise."""

from __future__ import annotations

import sys
import types

import pytest

pytest.importorskip("transformers", reason="tokenizers (pip install .[train])")
from pipeline.candidate import vllm_settings  # noqa: E402
from pipeline.quantize import SERVING_FORMAT, quantize_autoawq  # noqa: E402
from pipeline.tokenizer import train_tokenizer  # noqa: E402

SERVE = {"max-model-len": 8192, "max-num-seqs": 4, "max_tokens": 512}


@pytest.fixture
def merged(tmp_path):
    train_tokenizer(["SELECT 1 FROM dual"] * 10, tmp_path / "merged", vocab_size=300)
    return tmp_path / "merged"


def test_without_the_package_the_error_names_the_supported_path(merged, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "awq", None)  # `import awq` raises ImportError
    with pytest.raises(RuntimeError, match="use method awq"):
        quantize_autoawq(merged, tmp_path / "q", scheme="W4A16", group_size=None,
                         calibration_texts=["x"], max_seq_length=512)


def test_with_the_package_it_calibrates_on_the_given_texts_and_saves(merged, tmp_path,
                                                                      monkeypatch):
    calls = {}

    class FakeAutoAWQ:
        @classmethod
        def from_pretrained(cls, path):
            calls["loaded"] = path
            return cls()

        def quantize(self, tokenizer, **kwargs):
            calls["quantize"] = kwargs

        def save_quantized(self, path):
            calls["saved"] = path

    monkeypatch.setitem(sys.modules, "awq", types.SimpleNamespace(AutoAWQForCausalLM=FakeAutoAWQ))
    texts = ["first calibration conversation", "second"]
    quantize_autoawq(merged, tmp_path / "q", scheme="W4A16", group_size=64,
                     calibration_texts=texts, max_seq_length=2048)
    assert calls["loaded"] == str(merged) and calls["saved"] == str(tmp_path / "q")
    assert calls["quantize"]["calib_data"] == texts
    assert calls["quantize"]["max_calib_samples"] == 2
    assert calls["quantize"]["max_calib_seq_len"] == 2048
    assert calls["quantize"]["quant_config"] == {"zero_point": True, "q_group_size": 64,
                                                 "w_bit": 4, "version": "GEMM"}
    assert (tmp_path / "q" / "tokenizer.json").is_file()


def test_autoawq_writes_4_bit_weights_only(merged, tmp_path):
    with pytest.raises(ValueError, match="W4A16"):
        quantize_autoawq(merged, tmp_path / "q", scheme="W8A16", group_size=None,
                         calibration_texts=["x"], max_seq_length=512)


def test_vllm_is_told_the_format_each_method_writes():
    assert vllm_settings("m", SERVE, SERVING_FORMAT["autoawq"])["quantization"] == "awq"
    for method in ("rtn", "awq", "gptq"):
        settings = vllm_settings("m", SERVE, SERVING_FORMAT[method])
        assert settings["quantization"] == "compressed-tensors"
