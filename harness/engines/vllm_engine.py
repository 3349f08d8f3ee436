"""The in-process vLLM engine: `LLM.generate` over chat-templated prompts.

vLLM is imported when the engine is built (the `serve` extra), never when harness is imported.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from harness.engines.base import Generation, SamplingParams
from harness.engines.hf import model_fingerprint
from harness.prompting.prompts import render_chat


class VLLMEngine:
    """One `vllm.LLM` for the model directory; every prompt batch goes to vLLM whole (it
    schedules continuous batching itself)."""

    name = "vllm"

    def __init__(self, model: str | Path, *, tensor_parallel_size: int = 1,
                 dtype: str = "auto", max_model_len: int | None = None,
                 system: str | None = None) -> None:
        import vllm

        self._vllm = vllm
        self.system = system
        self.llm = vllm.LLM(model=str(model), tensor_parallel_size=tensor_parallel_size,
                            dtype=dtype, max_model_len=max_model_len)
        self.tokenizer = self.llm.get_tokenizer()
        self._fingerprint = "vllm:" + hashlib.sha256(json.dumps(
            [model_fingerprint(model), dtype, system]).encode()).hexdigest()

    @property
    def fingerprint(self) -> str:
        """The model directory's identity, dtype and system prompt."""
        return self._fingerprint

    def generate(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        """Completions for every prompt; `seconds` is the whole call's wall time (vLLM
        interleaves the requests, so per-request time is not observable here)."""
        texts = [render_chat(self.tokenizer, p, system=self.system) for p in prompts]
        sampling = self._vllm.SamplingParams(
            temperature=params.temperature, top_p=params.top_p,
            max_tokens=params.max_new_tokens)
        start = time.perf_counter()
        outputs = self.llm.generate(texts, sampling, use_tqdm=False)
        seconds = time.perf_counter() - start
        return [Generation(text=o.outputs[0].text, prompt_tokens=len(o.prompt_token_ids),
                           completion_tokens=len(o.outputs[0].token_ids), seconds=seconds)
                for o in outputs]
