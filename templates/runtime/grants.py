"""Grants: scoped, expiring credentials, each one a URL a client can be given.

A grant names what its holder may use (the server's own scoping flags:
methods, tags, tools, exclude-tools, read-only; it can only narrow what the
server serves), until when, and optionally whose upstream API key its calls
carry. Its token is random (256 bits), shown once at creation and stored only
as a SHA-256 hash; a presented token is found by its hash and compared in
constant time. A grant's own API key is stored encrypted (Fernet, from the
``cryptography`` package) with a key derived from the operator's secret.

The store is a SQLite file (the default: nothing to start) or PostgreSQL
(``postgresql://...``, psycopg 3) so that several replicas share grants.
Schema changes are numbered migrations applied in order when a store is
opened, so a store written by an older version opens in a newer one.
"""

from __future__ import annotations

import base64
import contextvars
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

TOKEN_PREFIX = "mcpg_"  # tells grant tokens from JWTs and static tokens at a glance
TOKEN_BYTES = 32  # 256 bits of randomness
ID_PREFIX = "g_"
SECRET_MIN_CHARS = 32


class GrantError(ValueError):
    """A user-fixable problem with grants (a message, never a traceback)."""


# -- what a grant allows --------------------------------------------------------------


@dataclass(frozen=True)
class GrantScope:
    """The scoping flags of one grant; empty means "as the server"."""

    methods: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    exclude_tools: tuple[str, ...] = ()
    read_only: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {
                "methods": list(self.methods),
                "tags": list(self.tags),
                "tools": list(self.tools),
                "exclude_tools": list(self.exclude_tools),
                "read_only": self.read_only,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> GrantScope:
        data = json.loads(text)
        return cls(
            methods=tuple(data.get("methods", ())),
            tags=tuple(data.get("tags", ())),
            tools=tuple(data.get("tools", ())),
            exclude_tools=tuple(data.get("exclude_tools", ())),
            read_only=bool(data.get("read_only", False)),
        )


@dataclass(frozen=True)
class Grant:
    id: str
    name: str
    scope: GrantScope
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    sealed_key: str | None = field(default=None, repr=False)  # the grant's own API key, encrypted
    token_hash: str = field(default="", repr=False)

    def state(self, now: dt.datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and (now or utcnow()) >= self.expires_at:
            return "expired"
        return "active"

    def public(self) -> dict[str, Any]:
        """What ``grants list`` shows: never the token, its hash or a key."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state(),
            "methods": list(self.scope.methods),
            "tags": list(self.scope.tags),
            "tools": list(self.scope.tools),
            "exclude_tools": list(self.scope.exclude_tools),
            "read_only": self.scope.read_only,
            "upstream_key": "own" if self.sealed_key else "operator",
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
        }


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(when: dt.datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def stored_time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """Tokens carry 256 random bits, so one SHA-256 is the right hash (no stretching needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_grant_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and len(token) > len(TOKEN_PREFIX) + 20


# -- the grant's own upstream API key, encrypted at rest --------------------------------------


class KeyBox:
    """Seals API keys with Fernet under keys derived (HKDF-SHA256) from the
    operator's secret. Several comma-separated secrets: the first seals, any
    opens (rotation)."""

    def __init__(self, secret: str | None, env_name: str) -> None:
        self.env_name = env_name
        self._fernet: Any = None
        secrets_given = [s.strip() for s in (secret or "").split(",") if s.strip()]
        short = [s for s in secrets_given if len(s) < SECRET_MIN_CHARS]
        if short:
            raise GrantError(
                f"{env_name} must be at least {SECRET_MIN_CHARS} characters "
                "(e.g. the output of `openssl rand -base64 32`)"
            )
        if secrets_given:
            from cryptography.fernet import Fernet, MultiFernet
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF

            def fernet(text: str) -> Fernet:
                raw = HKDF(
                    algorithm=hashes.SHA256(),
                    length=32,
                    salt=None,
                    info=b"mcp-runtime grants upstream-key v1",
                ).derive(text.encode())
                return Fernet(base64.urlsafe_b64encode(raw))

            self._fernet = MultiFernet([fernet(s) for s in secrets_given])

    @property
    def ready(self) -> bool:
        return self._fernet is not None

    def seal(self, plain: str) -> str:
        if self._fernet is None:
            raise GrantError(f"set {self.env_name} to store a grant's own API key (encrypted)")
        return str(self._fernet.encrypt(plain.encode()).decode())

    def open(self, sealed: str) -> str:
        if self._fernet is None:
            raise GrantError(
                f"this grant carries its own API key: set {self.env_name} to the secret it was stored with"
            )
        from cryptography.fernet import InvalidToken

        try:
            return str(self._fernet.decrypt(sealed.encode()).decode())
        except InvalidToken:
            raise GrantError(
                f"this grant's API key does not open with {self.env_name}: "
                "it was stored with another secret"
            ) from None


# -- who is calling, for the audit log ---------------------------------------------------------

_AUDIT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "mcp_runtime_caller", default=None
)


def audit_fields() -> dict[str, Any]:
    """What the audit line says about the caller (the grant id, or the OAuth client)."""
    return dict(_AUDIT.get() or {})


@contextmanager
def audited(fields: dict[str, Any] | None) -> Iterator[None]:
    token = _AUDIT.set(fields)
    try:
        yield
    finally:
        _AUDIT.reset(token)
