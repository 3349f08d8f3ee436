"""Recipes: the YAML file that configures one pipeline run, its single loader, and the typed
sections of its train step.

The train step's settings (the recipe's `train` and `lora` sections, the command line's flags
and, for the DAPT stage, its own flags) are one flat mapping of XiYan's flag names, split here
by what they configure: `model`, `data`, `lora` (checked dataclasses), `training` (keywords of
`pipeline.train.TrainingArguments`, which checks them itself) and `deepspeed` (the ZeRO config
file, checked to exist). `pipeline.train` builds its arguments from these sections directly;
no setting is turned into flag text and parsed back.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pydantic
import yaml

from harness.io.errors import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = Path(__file__).resolve().parent / "configs"
SECTIONS = ("dataset", "tokenizer", "tiny_model", "dapt", "train", "lora", "merge", "quantize",
            "serve")


@dataclass(frozen=True)
class Recipe:
    """One run: its candidate id, where intermediate files go, and each step's settings."""

    path: Path
    id: str
    seed: int
    work_dir: Path
    candidates_dir: Path
    sections: dict[str, dict[str, Any]]

    def section(self, name: str) -> dict[str, Any]:
        """A copy of one step's settings (empty when the recipe leaves the step out)."""
        return copy.deepcopy(self.sections.get(name) or {})

    @property
    def candidate_dir(self) -> Path:
        """`candidates/<id>/`: what `pipeline.candidate` produces."""
        return self.candidates_dir / self.id


def _merge(base: dict, override: dict) -> dict:
    """`override` on top of `base`, recursively for nested mappings."""
    out = dict(base)
    for key, value in override.items():
        out[key] = (_merge(out[key], value) if isinstance(value, dict)
                    and isinstance(out.get(key), dict) else value)
    return out


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(path, "a recipe is a mapping")
    # `include` lists shared files (lora.yaml) read first, so the recipe's keys win.
    merged: dict = {}
    for name in data.pop("include", []):
        merged = _merge(merged, _read(path.parent / name))
    return _merge(merged, data)


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe; relative paths in it are relative to the repository root."""
    path = Path(path)
    data = _read(path)
    unknown = set(data) - {"id", "seed", "work_dir", "candidates_dir", *SECTIONS}
    if unknown:
        raise InputError(path, f"unknown key(s) {sorted(unknown)}", field=sorted(unknown)[0])
    for key in ("id", "seed", "work_dir"):
        if key not in data:
            raise InputError(path, "missing", field=key)
    return Recipe(path=path, id=str(data["id"]), seed=int(data["seed"]),
                  work_dir=REPO_ROOT / data["work_dir"],
                  candidates_dir=REPO_ROOT / data.get("candidates_dir", "candidates"),
                  sections={k: data.get(k) or {} for k in SECTIONS})


LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class ModelArguments:
    """Which base model to fine-tune (a hub name or a local directory)."""

    model_name_or_path: str = "meta-llama/Llama-3.1-70B-Instruct"
    base_adapters: list[str] = field(default_factory=list, metadata={
        "help": "Adapters merged into the base, in order, before training (DAPT → SFT)."})
    random_weights: bool = field(default=False, metadata={
        "help": "Take only config.json (and the tokenizer) from model_name_or_path and build "
                "random weights in this process, layer by layer (pipeline.random_base), in "
                "4-bit NF4 with q_lora: a benchmark base too large to write in BF16."})


@dataclass
class DataArguments:
    """The conversation JSON written by pipeline.dataset."""

    data_path: str = ""
    pad_to_model_max_length: bool = field(default=False, metadata={
        "help": "Pad every batch to model_max_length: fixed-shape steps, so a benchmark "
                "measures full-length sequences (padding costs the same compute)."})


@dataclass
class LoraArguments:
    """The LoRA adapter (defaults: the production recipe's)."""

    lora_r: int = 32
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_target_modules: list[str] = field(default_factory=lambda: list(LORA_TARGETS))
    lora_bias: str = "none"
    lora_modules_to_save: list[str] = field(default_factory=list, metadata={
        "help": "Modules trained in full beside the adapter (the tiny recipe's random "
                "embeddings and head, which LoRA alone cannot move far enough)."})
    q_lora: bool = False


@dataclass(frozen=True)
class DeepSpeedSection:
    """The DeepSpeed (ZeRO) JSON config of a multi-GPU run; None trains without DeepSpeed."""

    config: str | dict | None = None


@dataclass(frozen=True)
class TrainSections:
    """The train step's settings, split by what they configure."""

    model: ModelArguments
    data: DataArguments
    lora: LoraArguments
    training: dict[str, Any]
    deepspeed: DeepSpeedSection


PLAIN_SECTIONS = {"model": ModelArguments, "data": DataArguments, "lora": LoraArguments}


def _typed(cls: type, values: dict[str, Any], path: Path, prefix: str) -> Any:
    """`cls(**values)` with each value checked (and safely coerced) against its field's type."""
    try:
        return pydantic.TypeAdapter(cls).validate_python(values)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise InputError(path, f"{first['msg']} (got {first.get('input')!r})",
                         field=f"{prefix}.{name}") from None


def train_sections(settings: Mapping[str, Any], path: Path,
                   training_fields: Collection[str], *, prefix: str = "train") -> TrainSections:
    """Split a flat mapping of train-step settings into typed sections; a key no section knows
    is an InputError naming it (`prefix`: the recipe section it came from, for the message)."""
    owner = {f.name: name for name, cls in PLAIN_SECTIONS.items() for f in fields(cls)}
    split: dict[str, dict[str, Any]] = {name: {} for name in (*PLAIN_SECTIONS, "training")}
    deepspeed = None
    for key, value in settings.items():
        if key == "deepspeed":
            deepspeed = value or None  # `--deepspeed ""` on the command line turns it off
        elif key in owner:
            split[owner[key]][key] = value
        elif key in training_fields:
            split["training"][key] = value
        else:
            raise InputError(path, "not a setting of the model, data, lora, training or "
                             "deepspeed section", field=f"{prefix}.{key}")
    if isinstance(deepspeed, str) and not (REPO_ROOT / deepspeed).is_file():
        raise InputError(path, f"no such DeepSpeed config file: {deepspeed}",
                         field=f"{prefix}.deepspeed")
    return TrainSections(**{name: _typed(cls, split[name], path, prefix)
                            for name, cls in PLAIN_SECTIONS.items()},
                         training=split["training"], deepspeed=DeepSpeedSection(deepspeed))


def git_sha() -> str | None:
    """The repository's HEAD commit, with `-dirty` when the tree has local changes."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, check=True,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{sha}-dirty" if dirty else sha
