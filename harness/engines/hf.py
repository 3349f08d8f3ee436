"""The transformers engine: a local causal LM, batched generation through its chat template.

torch and transformers are imported when the engine is built, never when harness is imported,
so scoring and replay work on machines without them.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from harness.engines.base import Generation, SamplingParams
from harness.prompting.prompts import render_chat

SMALL_FILE = 1 << 20  # configs, tokenizers and chat templates are hashed whole; weights are not


def model_fingerprint(model: str | Path) -> str:
    """Identity of a model directory: small files by content, weights by name, size and mtime.

    Hashing tens of GB of weights per run is too slow; a retrained model written to the same
    path gets a new mtime, and a copy without preserved times only costs a cache miss. A hub
    name (not a local directory) is identified by the name alone.
    """
    root = Path(model)
    digest = hashlib.sha256()
    if not root.is_dir():
        digest.update(str(model).encode())
        return digest.hexdigest()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if stat.st_size <= SMALL_FILE:
            digest.update(path.read_bytes())
        else:
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


class HFEngine:
    """`AutoModelForCausalLM` + its tokenizer's chat template; left-padded batches."""

    name = "hf"

    def __init__(self, model: str | Path, *, batch_size: int = 8, dtype: str = "auto",
                 device: str | None = None, system: str | None = None) -> None:
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._torch = torch
        self.model_path = str(model)
        self.batch_size = batch_size
        self.system = system
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        # Decoder-only models continue the last token: pad on the left so it is the prompt's.
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        # transformers 5 renamed torch_dtype to dtype (the old name still works, with a warning).
        dtype_arg = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
        self.model = AutoModelForCausalLM.from_pretrained(self.model_path, **{dtype_arg: dtype})
        self.model.to(self.device).eval()
        self._fingerprint = "hf:" + hashlib.sha256(json.dumps(
            [model_fingerprint(model), dtype, system]).encode()).hexdigest()

    @property
    def fingerprint(self) -> str:
        """The model directory's identity, dtype and system prompt (batching changes nothing
        under greedy decoding beyond numerical noise)."""
        return self._fingerprint

    def generate(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        """Greedy (or sampled, when temperature > 0) completions, `batch_size` at a time."""
        out: list[Generation] = []
        for start in range(0, len(prompts), self.batch_size):
            out.extend(self._batch(prompts[start:start + self.batch_size], params))
        return out

    def _batch(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        texts = [render_chat(self.tokenizer, p, system=self.system) for p in prompts]
        # The chat template already holds the special tokens (BOS, turn markers).
        inputs = self.tokenizer(texts, return_tensors="pt", padding=True,
                                add_special_tokens=False).to(self.device)
        sample = params.temperature > 0
        start = time.perf_counter()
        with self._torch.inference_mode():
            output = self.model.generate(
                **inputs, max_new_tokens=params.max_new_tokens, do_sample=sample,
                temperature=params.temperature if sample else None,
                top_p=params.top_p if sample else None,
                pad_token_id=self.tokenizer.pad_token_id)
        seconds = time.perf_counter() - start
        width = inputs["input_ids"].shape[1]
        generations = []
        for row, mask in zip(output, inputs["attention_mask"], strict=True):
            new = row[width:].tolist()
            completion = _until_stop(new, self.tokenizer.eos_token_id,
                                     self.tokenizer.pad_token_id)
            generations.append(Generation(
                text=self.tokenizer.decode(completion, skip_special_tokens=True),
                prompt_tokens=int(mask.sum()), completion_tokens=len(completion),
                seconds=seconds))
        return generations


def _until_stop(tokens: list[int], eos: int | list[int] | None, pad: int | None) -> list[int]:
    """The generated tokens up to the first end-of-sequence (kept) or padding (dropped)."""
    stops = set(eos) if isinstance(eos, list) else {eos}
    for index, token in enumerate(tokens):
        if token in stops:
            return tokens[:index + 1]
        if token == pad:
            return tokens[:index]
    return tokens
