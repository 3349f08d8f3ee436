"""Content hashes of artifacts (files and directories): what manifests and the registry record."""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK = 1 << 20


def artifact_sha256(path: str | Path) -> str:
    """sha256 of a file, or of a directory: its sorted relative paths with each file's sha256."""
    path = Path(path)
    if path.is_file():
        return _file_sha256(path)
    if not path.is_dir():
        raise FileNotFoundError(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path).as_posix()}\0{_file_sha256(file)}\n".encode())
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
