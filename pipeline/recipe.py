"""Recipes: the YAML file that configures one pipeline run, and its single loader."""

from __future__ import annotations

import copy
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
