"""Training data: raw examples → XiYan conversation JSON, and its tokenisation with a loss mask.

The user turn is rendered by `harness.prompting.prompts.render_user_prompt` over the context that
`harness.authoring.train_data.with_context` rebuilds, so a model is trained on exactly the prompt text
it is evaluated on; the assistant turn is the gold SQL only (or the refusal marker).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.authoring.train_data import DEFAULT_SEED, with_context
from harness.inputs.catalog import Catalog, load_catalog
from harness.inputs.golden import GoldenExample
from harness.io.atomic import write_text_atomic
from harness.io.errors import InputError
from harness.io.jsonl import read_jsonl
from harness.prompting.prompts import chat_messages, render_chat, render_user_prompt

FORMAT_VERSION = "1"  # bump when the conversation layout changes
IGNORE_INDEX = -100  # what torch's cross-entropy skips: prompt tokens carry no loss
GOLDEN_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "golden"


def load_raw(path: str | Path) -> list[GoldenExample]:
    """The raw training examples; a bad row raises InputError naming file, line and field.

    A file of the golden sets is refused: they are the exam and must never be trained on.
    """
    path = Path(path)
    if path.resolve().parent == GOLDEN_DIR:
        raise InputError(path, "is a golden eval set; training data must come from elsewhere")
    return [example for _, example in read_jsonl(path, GoldenExample)]


def to_conversation(example: GoldenExample, catalog: Catalog, *, style: str = "xiyan",
                    context_chars: tuple[int, int] | None = None,
                    seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """One XiYan (`sft4xiyan`) record: user prompt, SQL-only assistant answer, `sql_type`."""
    kwargs = {"seed": seed} if context_chars is None else {"seed": seed,
                                                           "target_chars": tuple(context_chars)}
    user = render_user_prompt(with_context(example, catalog, **kwargs), style=style)
    return {"id": example.id,
            "conversations": [{"role": "user", "content": user},
                              {"role": "assistant", "content": example.sql_gold.strip()}],
            "sql_type": "oracle"}


def build_dataset(train_file: str | Path, out: str | Path, *, style: str = "xiyan",
                  context_chars: Sequence[int] | None = None, seed: int = DEFAULT_SEED,
                  limit: int | None = None, catalog: Catalog | None = None) -> dict[str, Any]:
    """Write the conversation JSON to `out` and return its description (for run manifests).

    The description names the raw file's sha256 and the training set's generator version
    (from `manifest.json` beside it), so a run records exactly which data it saw.
    """
    train_file = Path(train_file)
    catalog = catalog or load_catalog()
    examples = load_raw(train_file)[:limit]
    chars = tuple(context_chars) if context_chars else None
    records = [to_conversation(e, catalog, style=style, context_chars=chars, seed=seed)
               for e in examples]
    text = json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    write_text_atomic(Path(out), text)
    manifest_file = train_file.parent / "manifest.json"
    version = (json.loads(manifest_file.read_text())["version"]
               if manifest_file.is_file() else None)
    return {"raw_file": str(train_file), "raw_sha256": _sha256(train_file.read_bytes()),
            "train_set_version": version, "format_version": FORMAT_VERSION,
            "prompt_style": style, "context_chars": list(chars) if chars else None,
            "seed": seed, "examples": len(records), "path": str(out),
            "sha256": _sha256(text.encode())}


def load_conversations(path: str | Path) -> list[dict[str, Any]]:
    """The records `build_dataset` wrote."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def tokenize_conversation(tokenizer: Any, record: dict[str, Any],
                          max_length: int) -> dict[str, list[int]] | None:
    """input_ids and labels of one conversation through the tokenizer's chat template.

    Labels are IGNORE_INDEX on every prompt token and the token id on every assistant token
    (the SQL and the end-of-turn marker, so the model learns to stop). The split is made on
    character offsets, not by tokenising the prompt alone, because BPE may merge across the
    boundary (`\\n\\n` + `SELECT`) and a prefix tokenisation would then be off by one.
    Returns None when the example does not fit `max_length`: truncating it would cut the SQL.
    """
    user, assistant = (turn["content"] for turn in record["conversations"])
    full = render_chat(tokenizer, user, assistant=assistant)
    prompt = tokenizer.apply_chat_template(chat_messages(user), tokenize=False,
                                           add_generation_prompt=True)
    if not full.startswith(prompt):
        raise ValueError("the chat template renders the prompt differently with an answer")
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = encoded["input_ids"]
    if len(ids) > max_length:
        return None
    labels = [token if start >= len(prompt) else IGNORE_INDEX
              for token, (start, _) in zip(ids, encoded["offset_mapping"], strict=True)]
    return {"input_ids": ids, "labels": labels}


class TrainingItems:
    """Training items ({"input_ids", "labels"} token lists) held in memory and indexed by the
    Trainer; `facts` is what the run manifest records about them besides their number."""

    items: list[dict[str, list[int]]]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.items[index]

    @property
    def facts(self) -> dict[str, int]:
        return {}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
