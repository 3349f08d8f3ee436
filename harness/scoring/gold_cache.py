"""On-disk cache of gold query results, keyed by prepared SQL and database instance.

Scoring a second candidate then executes only its predictions. Entries are JSON with typed
values (no pickle: a cache file is data, never code), written atomically.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path

from harness.backends.base import Execution, ResultSet
from harness.io.atomic import write_text_atomic
from harness.io.cache_dir import cache_root

CACHE_FORMAT = 1

# Entries already read in this process, by file, with the (inode, size, mtime) they were
# read at: a warm run reads each gold once per process instead of once per prediction.
# A file rewritten (atomically: a new inode) or damaged since is read again; Execution
# and ResultSet are immutable, so sharing one decoded entry is safe. Least recently used
# entries go first beyond _DECODED_ENTRIES (results are capped by the row limit).
_DECODED_ENTRIES = 4096
_DECODED: OrderedDict[Path, tuple[tuple[int, int, int], Execution]] = OrderedDict()


def _encode(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"f": repr(value)}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, dt.datetime):
        return {"ts": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"td": value.total_seconds()}
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode()}
    raise TypeError(f"cannot cache a value of type {type(value).__name__}")


def _decode(value: object) -> object:
    if not isinstance(value, dict):
        return value
    (tag, raw), = value.items()
    return {
        "f": float,
        "d": Decimal,
        "ts": dt.datetime.fromisoformat,
        "date": dt.date.fromisoformat,
        "time": dt.time.fromisoformat,
        "td": lambda s: dt.timedelta(seconds=s),
        "b": base64.b64decode,
    }[tag](raw)


class GoldCache:
    """Gold executions under `directory/gold/<key>.json`; only successful runs are kept."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory or cache_root()) / "gold"
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(prepared_sql: str, instance_id: str) -> str:
        text = f"{CACHE_FORMAT}\0{instance_id}\0{prepared_sql}"
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, prepared_sql: str, instance_id: str) -> Execution | None:
        path = self.directory / f"{self.key(prepared_sql, instance_id)}.json"
        try:
            stat = path.stat()
            version = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            remembered = _DECODED.get(path)
            if remembered is not None and remembered[0] == version:
                _DECODED.move_to_end(path)
                self.hits += 1
                return remembered[1]
            data = json.loads(path.read_text(encoding="utf-8"))
            result = ResultSet(tuple(data["columns"]),
                               tuple(tuple(_decode(v) for v in row) for row in data["rows"]))
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1  # absent or damaged: recompute rather than trust it
            return None
        self.hits += 1
        execution = Execution("ok", result, seconds=data.get("seconds", 0.0))
        _DECODED[path] = (version, execution)
        if len(_DECODED) > _DECODED_ENTRIES:
            _DECODED.popitem(last=False)
        return execution

    def put(self, prepared_sql: str, instance_id: str, execution: Execution) -> None:
        if execution.status != "ok" or execution.result is None:
            return
        try:
            rows = [[_encode(v) for v in row] for row in execution.result.rows]
        except TypeError:
            return  # an uncacheable type: the gold simply runs again next time
        payload = {"columns": list(execution.result.columns), "rows": rows,
                   "seconds": execution.seconds, "sql": prepared_sql}
        target = self.directory / f"{self.key(prepared_sql, instance_id)}.json"
        write_text_atomic(target, json.dumps(payload), durable=False)
