"""The generation cache: one JSON file per (engine fingerprint, prompt, sampling params).

An evaluation of a few hundred prompts on a real model takes long enough to crash half way.
`CachedEngine` writes every finished chunk before asking for the next, so a rerun generates only
what is missing. Entries are data (JSON, never pickle), written atomically but not fsynced:
a lost entry is regenerated, never misread.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.engines.base import EngineError, Generation, ModelEngine, SamplingParams
from harness.io.atomic import write_text_atomic

CACHE_FORMAT = 1


def cache_key(fingerprint: str, prompt: str, params: SamplingParams) -> str:
    """sha256 over the engine fingerprint, the prompt and the sampling params."""
    material = json.dumps([CACHE_FORMAT, fingerprint, prompt, params.to_json()],
                          sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()


class GenerationCache:
    """A directory of cached generations, `<dir>/<key[:2]>/<key>.json`."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Generation | None:
        """The cached generation, or None (an unreadable entry counts as absent)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            generation = Generation(**data["generation"])
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return generation

    def put(self, key: str, generation: Generation) -> None:
        """Store one generation atomically."""
        text = json.dumps({"format": CACHE_FORMAT, "generation": generation.to_json()},
                          ensure_ascii=False)
        write_text_atomic(self._path(key), text + "\n", durable=False)


class CachedEngine:
    """A ModelEngine that answers from the cache and asks `engine` only for what is missing,
    `chunk` prompts at a time, storing each chunk before the next one starts."""

    def __init__(self, engine: ModelEngine, cache: GenerationCache, chunk: int = 32) -> None:
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self.engine = engine
        self.cache = cache
        self.chunk = chunk
        self.name = engine.name

    @property
    def fingerprint(self) -> str:
        """The wrapped engine's: caching does not change what the model says."""
        return self.engine.fingerprint

    def generate(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        """Cached generations where present; the rest from the engine, stored as they come."""
        keys = [cache_key(self.engine.fingerprint, p, params) for p in prompts]
        found: dict[str, Generation] = {}
        todo: dict[str, str] = {}  # key -> prompt; identical prompts are generated once
        for key, prompt in zip(keys, prompts, strict=True):
            if key in found or key in todo:
                continue
            cached = self.cache.get(key)
            if cached is None:
                todo[key] = prompt
            else:
                found[key] = cached
        pending = list(todo.items())
        for start in range(0, len(pending), self.chunk):
            batch = pending[start:start + self.chunk]
            try:
                generations = self.engine.generate([p for _, p in batch], params)
            except EngineError as exc:
                # Keep what finished before the failure: a rerun asks only for the rest.
                for (key, _), generation in zip(batch, exc.partial, strict=False):
                    if generation is not None:
                        self.cache.put(key, generation)
                        found[key] = generation
                # `partial` per prompt of *this* call (cached, or finished before the
                # failure; None for the rest), so the caller can score what exists.
                raise EngineError(str(exc), partial=[found.get(key) for key in keys]) from exc
            for (key, _), generation in zip(batch, generations, strict=True):
                self.cache.put(key, generation)
                found[key] = generation
        return [found[key] for key in keys]
