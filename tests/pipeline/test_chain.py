"""The tiny end-to-end chain: train → merge → quantize → candidate → evaluated by the harness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.gate.promotion import CandidateManifest
from harness.io.hashing import artifact_sha256

pytestmark = pytest.mark.slow


def test_loss_decreases(chain):
    _, run, _ = chain
    losses = [point["loss"] for point in run["loss_curve"]]
    assert len(losses) == run["global_step"] == 12
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.2


def test_run_manifest_records_data_code_seed_and_config(chain):
    recipe, run, _ = chain
    saved = json.loads((recipe.work_dir / "run_manifest.json").read_text())
    assert saved["seed"] == 7 and saved["dataset"]["raw_sha256"] and "code_git_sha" in saved
    assert saved["dataset"]["examples"] == 48
    assert saved["config"]["lora"]["lora_r"] == 8
    assert saved["config"]["training"]["model_max_length"] == 4096
    assert saved["adapter"]["sha256"] == artifact_sha256(run["adapter"]["path"])


def test_one_build_state_records_every_step_and_no_marker_file_is_left(chain):
    recipe, run, _ = chain
    steps = json.loads((recipe.work_dir / "build_state.json").read_text())["steps"]
    assert {"base", "train/checkpoints", "sft"} <= set(steps)
    assert steps["sft"]["facts"]["adapter_sha256"] == run["adapter"]["sha256"]
    markers = ("sqlgate_settings.json", "dapt_stage.json", "base_adapters.json")
    assert [p for name in markers for p in recipe.work_dir.rglob(name)] == []


def test_adapter_is_saved_and_reloadable(chain):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    _, run, _ = chain
    base = AutoModelForCausalLM.from_pretrained(run["base_model"], dtype=torch.float32)
    model = PeftModel.from_pretrained(base, run["adapter"]["path"])
    lora = [n for n, _ in model.named_parameters() if "lora_B" in n]
    assert len(lora) == 2 * 7  # q/k/v/o/gate/up/down in each of the 2 layers
    assert any(p.abs().sum() > 0 for n, p in model.named_parameters() if "lora_B" in n)


def test_merged_logits_equal_base_plus_adapter(chain):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    recipe, run, _ = chain
    base = AutoModelForCausalLM.from_pretrained(run["base_model"], dtype=torch.float32)
    with_adapter = PeftModel.from_pretrained(base, run["adapter"]["path"]).eval()
    merged = AutoModelForCausalLM.from_pretrained(recipe.candidate_dir / "merged",
                                                  dtype=torch.float32).eval()
    ids = torch.randint(0, merged.config.vocab_size, (2, 48), generator=torch.Generator()
                        .manual_seed(0))
    with torch.no_grad():
        expected, actual = with_adapter(ids).logits, merged(ids).logits
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=1e-4)


def test_merge_refuses_a_quantized_base(chain):
    from transformers import AutoModelForCausalLM

    from pipeline.merge import QuantizedBaseError, merge_adapters

    recipe, run, _ = chain
    quantized = AutoModelForCausalLM.from_pretrained(recipe.candidate_dir / "quantized")
    with pytest.raises(QuantizedBaseError):
        merge_adapters(quantized, [run["adapter"]["path"]])


def test_quantized_model_is_compressed_tensors_and_generates_text(chain):
    from harness.engines.base import SamplingParams
    from harness.engines.hf import HFEngine

    recipe, _, manifest = chain
    quantized = recipe.candidate_dir / "quantized"
    config = json.loads((quantized / "config.json").read_text())["quantization_config"]
    assert config["quant_method"] == "compressed-tensors"
    assert config["format"] == "pack-quantized"
    weights = config["config_groups"]["group_0"]["weights"]
    assert (weights["num_bits"], weights["group_size"]) == (4, 64)
    assert manifest.quant_config["validation"]["samples"] == 2
    [generation] = HFEngine(quantized).generate(["Count the invoices."],
                                                SamplingParams(max_new_tokens=8))
    assert generation.text and generation.completion_tokens > 0


def test_quantization_never_calibrates_or_validates_on_golden_sets(chain):
    recipe, _, _ = chain
    quant = json.loads((recipe.candidate_dir / "pipeline.json").read_text())["quantize"]
    ids = quant["calibration_ids"] + quant["validation_ids"]
    assert ids and all(i.startswith("train-") for i in ids)
    assert not set(quant["calibration_ids"]) & set(quant["validation_ids"])


def test_manifest_hashes_verify_and_vllm_config_is_written(chain):
    import yaml

    recipe, _, manifest = chain
    saved = CandidateManifest.model_validate_json(
        (recipe.candidate_dir / "manifest.json").read_text())
    assert saved == manifest and saved.id == "citiny"
    assert set(saved.artifacts()) == {"adapter", "merged", "quantized"}
    for _kind, (path, recorded) in saved.artifacts().items():
        assert artifact_sha256(path) == recorded
    serve = yaml.safe_load((recipe.candidate_dir / "vllm_config.yaml").read_text())
    assert serve["max-model-len"] == 8192 and serve["max-num-seqs"] == 4
    assert serve["gpu-memory-utilization"] == 0.92
    assert serve["quantization"] == "compressed-tensors"
    assert json.loads(serve["override-generation-config"])["max_new_tokens"] == 512


def test_training_resumes_from_the_last_checkpoint(chain):
    from pipeline.train import run

    recipe, _, _ = chain
    assert (recipe.work_dir / "train" / "checkpoint-12").is_dir()
    resumed = run(recipe, ["--max_steps", "14"])
    assert resumed["resumed_from"].endswith("checkpoint-12")
    assert resumed["global_step"] == 14


def test_candidate_is_evaluated_by_the_harness(chain, catalog, tmp_path):
    from harness.engines.base import SamplingParams
    from harness.engines.hf import HFEngine
    from harness.inputs.golden import load_eval_set
    from harness.prompting.prompts import render_user_prompt
    from harness.prompting.rag_context import build_context
    from harness.scoring.run import duckdb_backends, score_predictions

    recipe, _, _ = chain
    examples = load_eval_set(Path("fixtures/examples/eval.jsonl")).examples[:3]
    eval_path = tmp_path / "eval.jsonl"
    eval_path.write_text("".join(e.model_dump_json(exclude_none=True) + "\n" for e in examples))
    prompts = [render_user_prompt(e, build_context(e.question, catalog)) for e in examples]
    answers = HFEngine(recipe.candidate_dir / "quantized").generate(
        prompts, SamplingParams(max_new_tokens=16))
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("".join(json.dumps({"id": e.id, "sql": a.text}) + "\n"
                                   for e, a in zip(examples, answers, strict=True)))
    result = score_predictions(eval_path, predictions, backends=duckdb_backends(catalog, 1, False),
                               catalog=catalog).to_json()
    assert len(result["examples"]) == 3
    assert all(e["status"] != "missing" for e in result["examples"])


def test_a_finished_run_is_reused_not_trained_a_step_further(chain):
    from pipeline.train import run

    recipe, _, _ = chain
    first = run(recipe, ["--max_steps", "14"])  # trains on to 14, or finds it done
    again = run(recipe, ["--max_steps", "14"])
    assert again["reused"] is True and again["global_step"] == first["global_step"] == 14
    assert again["adapter"] == first["adapter"]


def test_a_checkpoint_at_max_steps_without_its_adapter_is_refused(chain, tmp_path):
    import shutil

    from pipeline.train import run

    recipe, _, _ = chain
    run(recipe, ["--max_steps", "14"])
    kept = tmp_path / "sft"
    shutil.move(recipe.work_dir / "adapters" / "sft", kept)
    try:
        with pytest.raises(RuntimeError, match="already reached max_steps=14"):
            run(recipe, ["--max_steps", "14"])
    finally:
        shutil.move(kept, recipe.work_dir / "adapters" / "sft")


def test_the_candidate_tokenizer_keeps_the_base_length_not_the_training_cap(chain):
    from transformers import AutoTokenizer

    recipe, run_manifest, _ = chain
    base = AutoTokenizer.from_pretrained(run_manifest["base_model"]).model_max_length
    assert run_manifest["config"]["training"]["model_max_length"] != base
    for part in ("adapter", "merged", "quantized"):
        tokenizer = AutoTokenizer.from_pretrained(recipe.candidate_dir / part)
        assert tokenizer.model_max_length == base, part
