"""Secrets never reach the model: redaction by key name, scrubbing by value.

- ``redact``: values under secret-looking keys (``password``, ``sslKey``, ...) of
  operations the spec marks credential-bearing become ``[redacted]``.
- ``scrub``: the configured API key and tokens are replaced wherever they occur
  in a value, so an answer or error that echoes them carries the marker instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .contract import REDACTED

SECRET_WORDS = (
    "password",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "salt",
    "credential",
    "sastoken",
    "passphrase",
)


def secret_key(key: str) -> bool:
    compact = key.lower().replace("-", "").replace("_", "")
    return any(word in compact for word in SECRET_WORDS)


def redact(value: Any) -> Any:
    """Replace string values under secret-looking keys with the marker."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, str) and secret_key(str(key)):
                out[key] = REDACTED
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


MIN_SECRET = 8  # shorter "secrets" would turn ordinary words into markers


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with every occurrence of each secret (of ``MIN_SECRET`` characters
    or more) replaced by the marker."""
    chosen = [s for s in secrets if s and len(s) >= MIN_SECRET]
    if not chosen:
        return value
    return _scrub(value, chosen)


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value
