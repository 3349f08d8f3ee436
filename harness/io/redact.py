"""Secret redaction: what sqlgate writes (results, verdicts, manifests, reports, error lines)
never carries a password, DSN credential or API key.

Two nets, because either alone leaks: the exact values of the secret environment variables
(a password echoed by a driver error, a key a model was prompted with), and the shapes
secrets take whatever their value (`user/password@host`, `scheme://user:pass@host`,
`sk-...`, `Bearer ...`).
"""

from __future__ import annotations

import os
import re
from typing import Any

MASK = "[REDACTED]"

# Environment variables whose values are secrets wherever they appear.
SECRET_ENV = ("SQLGATE_ORACLE_PASSWORD", "SQLGATE_ORACLE_DSN", "SQLGATE_OPENAI_API_KEY")
# Any other variable with one of these words in its name is treated as a secret too; a word is
# a whole `_`-separated part (HF_TOKEN, AWS_SECRET_ACCESS_KEY, DB_PASSWORD), so settings such as
# TOKENIZERS_PARALLELISM=false do not turn every "false" of a report into the mask.
_SECRET_NAME = re.compile(r"(?:^|_)(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_KEY)(?:_|$)",
                          re.IGNORECASE)
# Setting values that are never secrets, whatever the variable is called.
_NOT_SECRETS = frozenset({"true", "false", "none", "null", "yes", "no", "on", "off"})
# Shorter values would mask ordinary words (a password "ap" must not eat every "AP").
_MIN_SECRET_LEN = 4

_PATTERNS = (
    # Oracle easy-connect credentials: scott/tiger@host:1521/svc (the password part).
    (re.compile(r"(\b[\w.$#-]+/)([^\s/@'\"]+)(@[\w.-]+)"), rf"\1{MASK}\3"),
    # URL credentials: oracle://user:pass@host, https://user:token@host.
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:)([^\s@'\"]+)(@)", re.IGNORECASE),
     rf"\1{MASK}\3"),
    # OpenAI-style keys (sk-..., sk-proj-...).
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), MASK),
    # Authorization headers.
    (re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), rf"\1{MASK}"),
    # key=value and "key": "value" pairs whose key names a secret.
    (re.compile(r"(\b(?:password|passwd|pwd|api_key|apikey|secret|token)\b[\"']?\s*[:=]\s*"
                r"[\"']?)([^\s\"',;&]+)", re.IGNORECASE), rf"\1{MASK}"),
)


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    """The secret values in the environment, longest first (so a DSN is masked before the
    password inside it)."""
    env = os.environ if environ is None else environ
    values = set()
    for name, value in env.items():
        if value.strip().lower() in _NOT_SECRETS:
            continue
        if (name in SECRET_ENV or _SECRET_NAME.search(name)) and len(value) >= _MIN_SECRET_LEN:
            values.add(value)
            # A DSN's password is a secret on its own as well.
            found = re.match(r"[^/\s]+/([^@\s]+)@", value)
            if found and len(found.group(1)) >= _MIN_SECRET_LEN:
                values.add(found.group(1))
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    """`text` with every known secret value and every secret-shaped string masked."""
    for value in secret_values(environ):
        # Case-insensitively: an error message may echo a secret upper-cased (an identifier
        # "not in the catalog: T.QZKEY..." once the SQL was normalised).
        text = re.sub(re.escape(value), MASK, text, flags=re.IGNORECASE)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_data(data: Any, environ: dict[str, str] | None = None) -> Any:
    """A JSON-like structure with every string in it redacted (keys included)."""
    if isinstance(data, str):
        return redact(data, environ)
    if isinstance(data, dict):
        return {redact_data(k, environ): redact_data(v, environ) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact_data(v, environ) for v in data]
    return data
