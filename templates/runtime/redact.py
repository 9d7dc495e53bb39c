"""Secrets never reach the model: redaction by key name, scrubbing by value.

The key-name rule (README, "Secrets in results"). A key is compared in lower
case with ``-``, ``_``, ``.`` and spaces removed (``awsAccessKeyID`` ->
``awsaccesskeyid``):

- every tool: a key containing one of ``SECRET_WORDS`` (``password``,
  ``secret``, ``apikey``, ``accesskey``, ``privatekey``, ``sslkey``,
  ``serviceaccountkey``, ``credential``, ``salt``, ``sastoken``, ...), or equal
  to one of ``SECRET_NAMES`` (``token``, ``dsn``, ...);
- tools whose spec marks the output ``restricted-credentials`` (unless
  ``--reveal-credentials``): also ``key`` and any key ending in ``key``/``keys``
  (``publicKey``, ``primaryKey`` and the like excepted), and any key containing
  ``token`` (page tokens excepted).

Under such a key every string becomes ``[redacted]``, inside lists and objects
too (``apiKeys: ["a", "b"]``, a service-account object); numbers, booleans and
nulls stay, so the shape is unchanged. In every string, anywhere, the password
of a URL or DSN (``postgres://user:pw@host/db``) becomes ``[redacted]``.

``scrub``: the configured API key, tokens and other secrets are replaced
wherever they occur in a value, so an answer or error that echoes them carries
the marker instead.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterable
from typing import Any

from .contract import REDACTED

SECRET_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "apikey",
    "accesskey",
    "privatekey",
    "secretkey",
    "sslkey",
    "clientkey",
    "signingkey",
    "serviceaccountkey",
    "credential",
    "salt",
    "sastoken",
    "accesstoken",
    "refreshtoken",
    "authtoken",
    "bearertoken",
    "sessiontoken",
    "idtoken",
    "connectionstring",
)
SECRET_NAMES = ("token", "dsn", "pwd", "authorization")
# restricted-credentials tools: names ending in key(s) that are not secrets
NOT_SECRET_KEYS = (
    "primarykey",
    "primarykeys",
    "publickey",
    "foreignkey",
    "sortkey",
    "partitionkey",
    "idempotencykey",
    "startingprimarykey",
    "endingprimarykey",
    "isprimarykey",
)
NOT_SECRET_TOKENS = ("pagetoken", "nexttoken", "continuationtoken", "tokencount", "tokentype")

# scheme://user:password@  (the password may not contain "@" or "/")
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)([^\s@/]+)(@)")


def _compact(key: str) -> str:
    return re.sub(r"[-_.\s]", "", key.lower())


@functools.lru_cache(maxsize=4096)  # answers repeat their keys in every item
def secret_key(key: str, restricted: bool = False) -> bool:
    """Whether values under ``key`` are secrets (``restricted``: the stricter rule
    of credential-bearing operations)."""
    compact = _compact(key)
    if compact.endswith("uuid"):
        return False  # a reference to a secret (column_hashing_salt_list), not the secret
    if compact in SECRET_NAMES or any(word in compact for word in SECRET_WORDS):
        return True
    if not restricted:
        return False
    if compact in ("key", "keys") or (
        compact.endswith(("key", "keys")) and not compact.endswith(NOT_SECRET_KEYS)
    ):
        return True
    return "token" in compact and not compact.endswith(NOT_SECRET_TOKENS)


def redact_text(text: str) -> str:
    """``text`` with the password of every URL or DSN in it replaced."""
    if "://" not in text or "@" not in text:
        return text
    return _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)


def redact(value: Any, restricted: bool = False) -> Any:
    """``value`` with secrets by the key-name rule, and URL passwords, replaced."""
    return _redact(value, restricted, False)


def _redact(value: Any, restricted: bool, secret: bool) -> Any:
    if isinstance(value, str):
        return REDACTED if secret else redact_text(value)
    if isinstance(value, dict):
        return {
            key: _redact(item, restricted, secret or secret_key(str(key), restricted))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(v, restricted, secret) for v in value]
    return value


MIN_SECRET = 8  # shorter "secrets" would turn ordinary words into markers


def forms(secrets: Iterable[str]) -> list[str]:
    """Each secret as it may appear in an answer: as given, and for ``user:password``
    (HTTP basic) the password and the base64 of the pair; longest first."""
    out: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        out.add(secret)
        if ":" in secret:
            out.add(secret.split(":", 1)[1])
            out.add(base64.b64encode(secret.encode()).decode())
    return sorted((s for s in out if len(s) >= MIN_SECRET), key=len, reverse=True)


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with every occurrence of each secret (of ``MIN_SECRET`` characters
    or more) replaced by the marker."""
    chosen = forms(secrets)
    if not chosen:
        return value
    return _scrub(value, chosen)


def contains(data: bytes, secrets: Iterable[str]) -> bool:
    """Whether raw bytes carry one of the secrets."""
    return any(s.encode() in data for s in forms(secrets))


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
