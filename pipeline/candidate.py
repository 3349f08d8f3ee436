"""The package step: merge → quantize → `candidates/<id>/` with manifest and vLLM config.

`python -m pipeline.candidate --recipe pipeline/configs/tiny.yaml` reads the train step's run
manifest (`<work_dir>/run_manifest.json`), merges the adapters of the recipe's `merge` section
(default: the run's own, see below) into the base, quantizes the merged model, and writes

    candidates/<id>/adapter/          the (last) LoRA adapter, as trained
    candidates/<id>/merged/           base + adapters, full precision, plain HF model
    candidates/<id>/quantized/        W4A16/W8A16 (compressed-tensors; AutoAWQ's own format
                                      with method autoawq): what is served and gated
    candidates/<id>/manifest.json     harness.gate.promotion.CandidateManifest (hashes of the three)
    candidates/<id>/pipeline.json     run manifest, merge record, quantization validation
    candidates/<id>/vllm_config.yaml  `vllm serve --config` settings of the recipe's `serve`

Without `merge.adapters` the adapters are the run's own, in training order: those the SFT
stage was trained on top of (`base_adapters`: the DAPT adapter when the recipe has a `dapt`
section), then the SFT adapter. Each must still hash to what the run manifest recorded, so a
candidate never pairs an SFT adapter with a DAPT adapter retrained since. `pipeline.json`'s
merge record lists every merged adapter with its sha256.

The candidate is then evaluated like any other:
`nox -s evaluate -- --candidate <id> --engine hf --model candidates/<id>/quantized ...`.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from harness.gate.promotion import CandidateManifest
from harness.io.atomic import write_text_atomic
from harness.io.hashing import artifact_sha256
from pipeline.dataset import load_conversations
from pipeline.merge import merge
from pipeline.quantize import quantize
from pipeline.recipe import REPO_ROOT, Recipe, git_sha, load_recipe


def vllm_settings(model_dir: str, serve: dict[str, Any], quant_method: str) -> dict[str, Any]:
    """`vllm serve --config` keys. The answer budget (`max_tokens`) is a request parameter,
    not a server option, so it becomes the server's default through
    `override-generation-config` (vLLM's `max_new_tokens`)."""
    settings = {k: v for k, v in serve.items() if k != "max_tokens"}
    settings["quantization"] = quant_method
    settings["override-generation-config"] = json.dumps(
        {"max_new_tokens": serve["max_tokens"], "temperature": 0.0})
    return {"model": model_dir, **settings}


def _relative(path: Path) -> str:
    """Manifest paths are relative to the repository root, where sqlgate commands run."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def _chat_texts(tokenizer_dir: Path) -> Any:
    """Calibration text renderer: prompt and answer through the model's chat template."""
    from transformers import AutoTokenizer

    from harness.prompting.prompts import render_chat

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))

    def render(records: Sequence[dict[str, Any]]) -> list[str]:
        return [render_chat(tokenizer, r["conversations"][0]["content"],
                            assistant=r["conversations"][1]["content"]) for r in records]

    return render


def run_adapters(run_manifest: dict[str, Any]) -> list[Path]:
    """The run's adapters in the order they were trained (base adapters, DAPT, then SFT),
    after checking that the DAPT and SFT adapters are still the ones the run recorded."""
    recorded = [run_manifest["adapter"]]
    if "dapt" in run_manifest:
        recorded.insert(0, run_manifest["dapt"]["adapter"])
    for adapter in recorded:
        if artifact_sha256(adapter["path"]) != adapter["sha256"]:
            raise ValueError(f"{adapter['path']}: changed since the train step recorded it "
                             f"(sha256 {adapter['sha256']}); rerun the train step")
    base_adapters = run_manifest["config"]["model"]["base_adapters"]
    return [Path(a) for a in base_adapters] + [Path(run_manifest["adapter"]["path"])]


def package(recipe: Recipe) -> CandidateManifest:
    """Merge, quantize and write the candidate directory; returns its manifest."""
    run_manifest_path = recipe.work_dir / "run_manifest.json"
    if not run_manifest_path.is_file():
        raise FileNotFoundError(f"{run_manifest_path}: run the train step first "
                                f"(python -m pipeline.train --recipe {recipe.path})")
    run_manifest = json.loads(run_manifest_path.read_text(encoding="utf-8"))
    if run_manifest.get("config", {}).get("model", {}).get("random_weights"):
        raise ValueError(f"{run_manifest_path}: trained on a base built in process "
                         f"(tiny_model.in_process): it has no weights on disk to merge the "
                         f"adapter into, so no candidate can be packaged (a benchmark run)")
    merge_settings = recipe.section("merge")
    adapters = ([REPO_ROOT / a for a in merge_settings["adapters"]]
                if merge_settings.get("adapters") else run_adapters(run_manifest))
    out = recipe.candidate_dir
    if out.exists():
        shutil.rmtree(out)  # a candidate is rebuilt whole: stale files would break its hashes
    out.mkdir(parents=True)
    shutil.copytree(adapters[-1], out / "adapter")
    merged = merge(run_manifest["base_model"], adapters, out / "merged",
                   dtype=merge_settings.get("dtype", "bfloat16"))
    quant = recipe.section("quantize")
    records = load_conversations(run_manifest["dataset"]["path"])
    quant_config = quantize(out / "merged", out / "quantized", records, seed=recipe.seed,
                            chat_texts=_chat_texts(out / "merged"), **quant)
    settings = vllm_settings(_relative(out / "quantized"), recipe.section("serve"),
                             quant_config["format"])
    write_text_atomic(out / "vllm_config.yaml",
                      f"# vllm serve {settings.pop('model')} --config "
                      f"{_relative(out / 'vllm_config.yaml')}\n"
                      + yaml.safe_dump(settings, sort_keys=False))
    write_text_atomic(out / "pipeline.json", json.dumps(
        {"run": run_manifest, "merge": merged, "quantize": quant_config}, indent=1) + "\n")
    paths = {kind: out / kind for kind in ("adapter", "merged", "quantized")}
    manifest = CandidateManifest(
        id=recipe.id, base_model=run_manifest["base_model"],
        adapter_sha256=artifact_sha256(paths["adapter"]), merged_sha256=merged["sha256"],
        quantized_sha256=quant_config["sha256"],
        artifact_paths={kind: _relative(path) for kind, path in paths.items()},
        dataset_version=(f"{run_manifest['dataset']['train_set_version']}"
                         f"+sha256:{run_manifest['dataset']['raw_sha256']}"),
        quant_config={k: v for k, v in quant_config.items()
                      if k not in ("calibration_ids", "validation_ids")},
        code_git_sha=git_sha())
    # The registry's manifest file; `sqlgate promote` registers it (register_candidate).
    write_text_atomic(out / "manifest.json", manifest.model_dump_json(indent=1) + "\n")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m pipeline.candidate --recipe R`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="pipeline/configs/tiny.yaml")
    parser.add_argument("--summary", type=Path, help="also write {id, dir, quantized} (paths "
                        "relative to the repository) as JSON here, for scripts that go on")
    args = parser.parse_args(argv)
    recipe = load_recipe(args.recipe)
    manifest = package(recipe)
    if args.summary:
        write_text_atomic(args.summary, json.dumps({
            "id": manifest.id, "dir": _relative(recipe.candidate_dir),
            "quantized": manifest.artifact_paths["quantized"]}) + "\n")
    validation = manifest.quant_config["validation"]
    print(f"candidate {manifest.id}: {_relative(recipe.candidate_dir)} "
          f"(quantized {manifest.quant_config['scheme']} {manifest.quant_config['method']}; "
          f"validation merged {validation['merged']} → quantized {validation['quantized']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
