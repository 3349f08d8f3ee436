"""The promotion registry: candidate manifests, recorded verdicts, promotion and its audit log."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.gate.policy import PolicyRef, Verdict, load_policy
from harness.io.atomic import write_text_atomic
from harness.io.console import make_console
from harness.io.errors import InputError, describe_validation_error, pydantic_field
from harness.io.hashing import artifact_sha256
from harness.io.redact import redact

DEFAULT_REGISTRY = Path("registry")
ARTIFACT_KINDS = ("adapter", "merged", "quantized")


class PromotionRefused(Exception):
    """Promotion is not allowed; the message says why."""


class VerdictRecord(BaseModel):
    """The last gate verdict of a candidate, with the policy it was reached under."""

    model_config = ConfigDict(extra="forbid")

    policy: PolicyRef
    passed: bool
    at: str
    reasons: list[str] = []


class CandidateManifest(BaseModel):
    """`candidates/<id>/manifest.json`: what a candidate is made of and how it was judged."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    base_model: str
    adapter_sha256: str | None = None
    merged_sha256: str | None = None
    quantized_sha256: str | None = None
    artifact_paths: dict[str, str] = {}
    dataset_version: str | None = None
    eval_set_versions: dict[str, str] = {}
    quant_config: dict | None = None
    code_git_sha: str | None = None
    metrics: dict | None = None
    verdict: VerdictRecord | None = None

    @model_validator(mode="after")
    def _paths_for_hashes(self) -> CandidateManifest:
        unknown = set(self.artifact_paths) - set(ARTIFACT_KINDS)
        if unknown:
            raise ValueError(f"unknown artifact kind(s) {sorted(unknown)}; "
                             f"expected {', '.join(ARTIFACT_KINDS)}")
        for kind in ARTIFACT_KINDS:
            if getattr(self, f"{kind}_sha256") and kind not in self.artifact_paths:
                raise ValueError(f"{kind}_sha256 is set but artifact_paths has no {kind!r}")
        return self

    def artifacts(self) -> dict[str, tuple[str, str]]:
        """kind → (path, recorded sha256) for every artifact with a recorded hash."""
        return {k: (self.artifact_paths[k], getattr(self, f"{k}_sha256"))
                for k in ARTIFACT_KINDS if getattr(self, f"{k}_sha256")}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def registry_lock(root: Path) -> Iterator[None]:
    """Exclusive lock on `root/.lock` for one mutation (blocks until other writers finish)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _manifest_path(root: Path, candidate_id: str) -> Path:
    return root / "candidates" / candidate_id / "manifest.json"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not valid JSON: {exc}",
                         line=getattr(exc, "lineno", None)) from None
    except RecursionError:
        raise InputError(path, "not valid JSON: nested too deeply") from None


def load_manifest(candidate_id: str, root: Path = DEFAULT_REGISTRY) -> CandidateManifest:
    """Read a candidate's manifest; an unknown candidate or a bad manifest is an InputError."""
    path = _manifest_path(root, candidate_id)
    if not path.is_file():
        raise InputError(path, f"no candidate {candidate_id!r} in the registry")
    try:
        return CandidateManifest.model_validate(_read_json(path))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(path, describe_validation_error(err),
                         field=pydantic_field(err["loc"])) from None


def _write_manifest(root: Path, manifest: CandidateManifest) -> None:
    write_text_atomic(_manifest_path(root, manifest.id),
                      redact(manifest.model_dump_json(indent=1)) + "\n")


def register_candidate(manifest: CandidateManifest, root: Path = DEFAULT_REGISTRY) -> Path:
    """Add (or replace) a candidate's manifest; a replaced one loses its verdict on purpose,
    since the artifacts it judged may differ."""
    with registry_lock(root):
        _write_manifest(root, manifest.model_copy(update={"verdict": None}))
    return _manifest_path(root, manifest.id)


def record_verdict(candidate_id: str, verdict: Verdict, *, results: Path | None = None,
                   root: Path = DEFAULT_REGISTRY) -> CandidateManifest:
    """Store a gate verdict (and a copy of the results it judged) on the candidate."""
    with registry_lock(root):
        manifest = load_manifest(candidate_id, root)
        update: dict = {"verdict": VerdictRecord(policy=verdict.policy, passed=verdict.passed,
                                                 at=_now(), reasons=verdict.reasons)}
        if results is not None:
            summary = _read_json(Path(results)).get("summary") or {}
            update["metrics"] = summary
            run = summary.get("run") or {}
            if run.get("eval_set") and run.get("eval_set_sha256"):
                update["eval_set_versions"] = {**manifest.eval_set_versions,
                                               str(run["eval_set"]): run["eval_set_sha256"]}
            # A copy, so the baseline survives the deletion of the run's output folder.
            target = _manifest_path(root, candidate_id).parent / "results.json"
            write_text_atomic(target, redact(Path(results).read_text(encoding="utf-8")))
        manifest = manifest.model_copy(update=update)
        _write_manifest(root, manifest)
    return manifest


def read_promoted(root: Path = DEFAULT_REGISTRY) -> dict | None:
    """`promoted.json` ({"promoted": entry, "baseline": entry or null}) or None before any."""
    path = root / "promoted.json"
    return _read_json(path) if path.is_file() else None


def baseline_results(root: Path = DEFAULT_REGISTRY) -> Path | None:
    """The promoted model's results.json: the baseline of the next gate (None before any)."""
    promoted = read_promoted(root)
    if not promoted or not promoted.get("promoted"):
        return None
    path = _manifest_path(root, promoted["promoted"]["id"]).parent / "results.json"
    return path if path.is_file() else None


def _check_promotable(manifest: CandidateManifest, policy_ref: PolicyRef) -> None:
    verdict = manifest.verdict
    if verdict is None:
        raise PromotionRefused(f"{manifest.id}: no gate verdict on record")
    if verdict.policy.sha256 != policy_ref.sha256:
        raise PromotionRefused(
            f"{manifest.id}: the verdict on record was reached under policy "
            f"{verdict.policy.name} v{verdict.policy.version} ({verdict.policy.sha256[:12]}), "
            f"not the current {policy_ref.name} v{policy_ref.version} ({policy_ref.sha256[:12]})")
    if not verdict.passed:
        raise PromotionRefused(f"{manifest.id}: the gate verdict is FAIL: "
                               + "; ".join(verdict.reasons))
    artifacts = manifest.artifacts()
    if not artifacts:
        raise PromotionRefused(f"{manifest.id}: no artifact hashes recorded; nothing to verify")
    for kind, (path, recorded) in artifacts.items():
        try:
            current = artifact_sha256(path)
        except FileNotFoundError:
            raise PromotionRefused(f"{manifest.id}: {kind} artifact {path} is missing") from None
        if current != recorded:
            raise PromotionRefused(f"{manifest.id}: artifact changed since evaluation "
                                   f"({kind} {path}: recorded {recorded[:12]}, now {current[:12]})")


def promote(candidate_id: str, policy: Path, root: Path = DEFAULT_REGISTRY) -> dict:
    """Promote a candidate with a passing verdict under this very policy file.

    Artifacts are re-hashed first; then promoted.json is replaced atomically (the previous
    promoted model becomes its `baseline`) and one JSON line is appended to audit.log. Returns
    the audit entry; raises PromotionRefused with the reason otherwise.
    """
    policy_ref = load_policy(policy).ref()
    with registry_lock(root):
        manifest = load_manifest(candidate_id, root)
        _check_promotable(manifest, policy_ref)
        current = read_promoted(root) or {}
        previous = current.get("promoted")
        if previous and previous.get("id") == candidate_id:
            raise PromotionRefused(f"{candidate_id} is already the promoted model")
        entry = {"id": candidate_id, "at": _now(), "policy": policy_ref.model_dump(),
                 **{f"{k}_sha256": sha for k, (_, sha) in manifest.artifacts().items()}}
        write_text_atomic(root / "promoted.json",
                          json.dumps({"promoted": entry, "baseline": previous}, indent=1) + "\n")
        audit = {"who": os.environ.get("USER") or "ci", "when": entry["at"],
                 "what": f"promote {candidate_id}", "candidate": candidate_id,
                 "previous": previous.get("id") if previous else None,
                 "policy": policy_ref.model_dump()}
        # One write of one line under the lock: a reader never sees half an entry.
        with (root / "audit.log").open("a", encoding="utf-8") as log:
            log.write(json.dumps(audit) + "\n")
            log.flush()
            os.fsync(log.fileno())
    return audit


def promote_command(candidate: str, registry: Path, policy: Path) -> int:
    """`sqlgate promote`: 0 when promoted, 1 when refused, 2 on bad input files."""
    console = make_console()
    try:
        audit = promote(candidate, policy, registry)
    except PromotionRefused as exc:
        console.print(f"[bold red]promotion refused:[/] {exc}", highlight=False)
        return 1
    except InputError as exc:
        console.print(f"[red]error:[/] {redact(exc.render())}", highlight=False, soft_wrap=True)
        return 2
    console.print(f"[bold green]promoted[/] {candidate}"
                  + (f" (previous: {audit['previous']}, now the baseline)"
                     if audit["previous"] else ""))
    return 0
