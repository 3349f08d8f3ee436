"""The build state of one pipeline run: `<work_dir>/build_state.json`, the single record of
which steps are built and from which inputs.

Each step (the random base, a merged base, the DAPT stage, the SFT checkpoints, the SFT run)
is recorded under its name with the SHA-256 of its inputs (canonical JSON of the settings and
the hashes of the files it read) and the facts it produced. A step is reused only while the
hash of its inputs is unchanged; any other state (no entry, other inputs) means "build it".
One file instead of a marker per directory, so what a rerun will reuse can be read in one place.

The file is rewritten whole and atomically; under `accelerate launch` only the main process
writes it (callers pass `should_write`), the others read it after a barrier.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.io.atomic import write_text_atomic

STATE_FILE = "build_state.json"


def inputs_sha256(inputs: Any) -> str:
    """SHA-256 of `inputs` as canonical JSON (sorted keys; paths and other objects as text)."""
    text = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class BuildState:
    """`<directory>/build_state.json`: {"steps": {name: {"inputs_sha256", "facts"}}}."""

    directory: Path

    @property
    def path(self) -> Path:
        return self.directory / STATE_FILE

    def steps(self) -> dict[str, dict[str, Any]]:
        if not self.path.is_file():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8")).get("steps", {})

    def built(self, step: str, inputs: Any) -> dict[str, Any] | None:
        """The facts recorded for `step` when it was built from these very `inputs`, else
        None."""
        record = self.steps().get(step)
        if record is None or record["inputs_sha256"] != inputs_sha256(inputs):
            return None
        return record["facts"]

    def recorded_inputs(self, step: str) -> str | None:
        """The inputs hash `step` was last built from (None: never built)."""
        record = self.steps().get(step)
        return record["inputs_sha256"] if record else None

    def record(self, step: str, inputs: Any, facts: dict[str, Any] | None = None) -> None:
        """Record `step` as built from `inputs`, replacing what it was built from before."""
        steps = self.steps()
        steps[step] = {"inputs_sha256": inputs_sha256(inputs),
                       "facts": json.loads(json.dumps(facts or {}, default=str))}
        self.directory.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps({"steps": steps}, indent=1, sort_keys=True)
                          + "\n")
