"""The in-process random base (issue #16): meta skeleton, materialised module by module, the
recipe option that asks for it, and the refusal of 4-bit NF4 where there is no CUDA.

The NF4 quantization itself needs CUDA and bitsandbytes: it runs on the GPU machine
(benchmarks/gpu/qlora_70b.sh), never here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the random base needs torch (pip install .[train])")
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

from harness.io.errors import InputError  # noqa: E402
from pipeline import random_base  # noqa: E402
from pipeline.random_base import (  # noqa: E402
    FourBitUnavailable,
    build_random_model,
    empty_model,
    logical_parameters,
    materialise,
)
from pipeline.recipe import CONFIG_DIR, load_recipe  # noqa: E402
from tests.pipeline.conftest import small_recipe  # noqa: E402

TINY = dict(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=3,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192,
            rope_theta=500000.0, tie_word_embeddings=False,
            rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without CUDA")


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("config")
    LlamaConfig(**TINY).save_pretrained(str(directory))
    return directory


def test_the_built_model_has_the_shape_of_the_config_and_no_meta_tensor(base_dir):
    model, facts = build_random_model(str(base_dir), seed=1, dtype=torch.float32,
                                      quantize_4bit=False, device="cpu")
    with torch.device("meta"):
        reference = LlamaForCausalLM(LlamaConfig(**TINY))
    shapes = {n: tuple(p.shape) for n, p in model.named_parameters()}
    assert shapes == {n: tuple(p.shape) for n, p in reference.named_parameters()}
    assert not any(t.is_meta for t in [*model.parameters(), *model.buffers()])
    assert facts.parameters == sum(p.numel() for p in reference.parameters())
    assert facts.quantized_linears == 0 and facts.device == "cpu"
    assert all(p.requires_grad for p in model.parameters())  # as from_pretrained leaves them


def test_norms_are_ones_matrices_have_the_init_std_and_rope_is_the_configs(base_dir):
    model, _ = build_random_model(str(base_dir), seed=1, dtype=torch.float32,
                                  quantize_4bit=False, device="cpu")
    layer = model.model.layers[2]
    assert torch.equal(layer.post_attention_layernorm.weight, torch.ones(64))
    std = float(layer.mlp.down_proj.weight.detach().std())
    assert abs(std - 0.02) < 0.002
    reference = LlamaForCausalLM(LlamaConfig(**TINY))
    assert torch.equal(model.model.rotary_emb.inv_freq, reference.model.rotary_emb.inv_freq)


def test_same_seed_same_weights_other_seed_other_weights(base_dir):
    def build(seed):
        return build_random_model(str(base_dir), seed=seed, dtype=torch.float32,
                                  quantize_4bit=False, device="cpu")[0]

    a, b, c = build(5), build(5), build(6)
    assert torch.equal(a.model.layers[1].self_attn.q_proj.weight,
                       b.model.layers[1].self_attn.q_proj.weight)
    assert not torch.equal(a.lm_head.weight, c.lm_head.weight)


def test_modules_are_materialised_in_order_one_at_a_time(base_dir, monkeypatch):
    """Layer by layer: each weight is created when its module's turn comes, embedding first,
    head last, so no more than one matrix is ever being created at once."""
    created = []
    real = random_base._random

    def spy(shape, *args):
        created.append(shape)
        return real(shape, *args)

    monkeypatch.setattr(random_base, "_random", spy)
    model = empty_model(LlamaConfig(**TINY), torch.float32, "sdpa")
    materialise(model, seed=0, dtype=torch.float32, device=torch.device("cpu"))
    order = [tuple(p.shape) for _, p in model.named_parameters()]
    assert created == order
    assert created[0] == (300, 64) and created[-1] == (300, 64)  # embedding ... lm_head


def test_a_tied_head_is_the_embedding(tmp_path):
    LlamaConfig(**{**TINY, "tie_word_embeddings": True}).save_pretrained(str(tmp_path))
    model, _ = build_random_model(str(tmp_path), seed=1, dtype=torch.float32,
                                  quantize_4bit=False, device="cpu")
    assert model.lm_head.weight is model.model.embed_tokens.weight


def test_the_built_model_trains(base_dir):
    model, _ = build_random_model(str(base_dir), seed=1, dtype=torch.float32,
                                  quantize_4bit=False, device="cpu")
    ids = torch.randint(0, 300, (2, 24))
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    assert torch.isfinite(loss) and model.model.layers[0].mlp.up_proj.weight.grad is not None


@no_cuda
def test_4bit_without_cuda_is_refused_before_anything_is_built(base_dir, monkeypatch):
    monkeypatch.setattr(random_base, "empty_model", lambda *a: pytest.fail("built anyway"))
    with pytest.raises(FourBitUnavailable, match="needs a CUDA GPU"):
        build_random_model(str(base_dir), seed=1, dtype=torch.bfloat16, quantize_4bit=True)


@no_cuda
def test_q_lora_without_cuda_is_refused_by_the_training_loader(base_dir, tmp_path):
    from pipeline.train import _load_model, parse_arguments

    _, _, training, lora = parse_arguments(["--output_dir", str(tmp_path), "--q_lora", "True"])
    for random_weights in (True, False):
        with pytest.raises(FourBitUnavailable, match="set q_lora: false"):
            _load_model(str(base_dir), training, lora, random_weights)


def test_logical_parameters_count_a_packed_matrix_whole():
    class Packed(torch.nn.Module):  # what a bitsandbytes Linear4bit holds: n/2 bytes + state
        def __init__(self):
            super().__init__()
            self.in_features, self.out_features = 64, 32
            self.weight = torch.nn.Parameter(torch.zeros(1024, 1, dtype=torch.uint8),
                                             requires_grad=False)
            self.weight.quant_state = object()

    model = torch.nn.Sequential(Packed(), torch.nn.LayerNorm(8))
    assert logical_parameters(model) == 64 * 32 + 16


def test_the_70b_recipe_is_llama_3_1_70b_built_in_process_in_nf4():
    recipe = load_recipe(CONFIG_DIR / "gpu_70b_qlora.yaml")
    tiny = recipe.section("tiny_model")
    assert tiny["in_process"] is True and recipe.section("lora")["q_lora"] is True
    shape = {k: tiny[k] for k in ("num_hidden_layers", "hidden_size", "intermediate_size",
                                  "num_attention_heads", "num_key_value_heads", "vocab_size")}
    assert shape == {"num_hidden_layers": 80, "hidden_size": 8192, "intermediate_size": 28672,
                     "num_attention_heads": 64, "num_key_value_heads": 8, "vocab_size": 128256}
    train = recipe.section("train")
    assert train["model_max_length"] == 8192 and train["pad_to_model_max_length"] is True
    assert train["gradient_checkpointing"] is True and train["deepspeed"] is None
    production = load_recipe(CONFIG_DIR / "llama31_70b_ebs.yaml").section("lora")
    assert {k: v for k, v in recipe.section("lora").items() if k != "q_lora"} == \
        {k: v for k, v in production.items() if k != "q_lora"}
    config = {k: v for k, v in tiny.items() if k not in ("in_process", "dtype")}
    model = empty_model(LlamaConfig(**config), torch.bfloat16, "sdpa")
    assert sum(p.numel() for p in model.parameters()) == 70_553_706_496  # Llama-3.1-70B


def prepared(tmp_path: Path, **tiny) -> tuple:
    from pipeline.dataset import build_dataset, load_conversations
    from pipeline.train import prepare_base

    recipe = load_recipe(small_recipe(tmp_path, sections={"tiny_model": tiny}))
    settings = recipe.section("dataset")
    data = recipe.work_dir / "data.json"
    build_dataset(settings.pop("train_file"), data, seed=recipe.seed, **settings)
    return recipe, prepare_base(recipe, load_conversations(data))


def test_an_in_process_base_writes_its_config_and_tokenizer_only(tmp_path):
    _, base = prepared(tmp_path, in_process=True)
    files = {p.name for p in Path(base).iterdir()}
    assert "config.json" in files and "tokenizer.json" in files
    assert not any(name.endswith((".safetensors", ".bin")) for name in files)
    assert json.loads((Path(base) / "config.json").read_text())["num_hidden_layers"] == 2


@pytest.mark.parametrize(("tiny", "field"), [({"in_process": "yes"}, "tiny_model.in_process"),
                                            ({"in_process": True, "dtype": "bfloat16"},
                                             "tiny_model.dtype")])
def test_bad_in_process_settings_name_the_field(tmp_path, tiny, field):
    with pytest.raises(InputError, match=field.replace(".", r"\.")):
        prepared(tmp_path, **tiny)


def test_base_adapters_cannot_be_merged_into_an_in_process_base(tmp_path):
    from pipeline.state import BuildState
    from pipeline.train import ModelArguments, merged_base, parse_arguments

    _, _, training, _ = parse_arguments(["--output_dir", str(tmp_path)])
    args = ModelArguments(model_name_or_path=str(tmp_path), base_adapters=["a"],
                          random_weights=True)
    with pytest.raises(ValueError, match="built in process"):
        merged_base(args, training, BuildState(tmp_path))


@pytest.mark.slow
def test_pipeline_train_trains_on_an_in_process_base(tmp_path):
    """The production entry point end to end with `tiny_model.in_process` (CPU, FP32)."""
    from pipeline.train import run

    recipe = load_recipe(small_recipe(tmp_path, sections={"tiny_model": {"in_process": True}},
                                      max_steps=2, save_steps=2))
    manifest = run(recipe)
    assert manifest["config"]["model"]["random_weights"] is True
    load = manifest["base_load"]
    assert load["built_in_process"] and not load["q_lora"] and load["parameters"] > 0
    assert manifest["global_step"] == 2 and manifest["trainable_parameters"] > 0
    assert manifest["steps"]["host_peak_rss_gib"] > 0
    assert (Path(manifest["adapter"]["path"]) / "adapter_model.safetensors").is_file()


def test_no_candidate_is_packaged_from_an_in_process_base(tmp_path):
    from pipeline.candidate import package

    recipe = load_recipe(small_recipe(tmp_path, sections={"tiny_model": {"in_process": True}}))
    recipe.work_dir.mkdir(parents=True)
    (recipe.work_dir / "run_manifest.json").write_text(json.dumps(
        {"config": {"model": {"random_weights": True}}, "base_model": "x"}))
    with pytest.raises(ValueError, match="no weights on disk"):
        package(recipe)
    assert not recipe.candidate_dir.exists()
