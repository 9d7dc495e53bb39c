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
import hmac
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

TOKEN_PREFIX = "mcpg_"  # tells grant tokens from JWTs and static tokens at a glance
TOKEN_BYTES = 32  # 256 bits of randomness
ID_PREFIX = "g_"
TABLE = "mcp_grants"
SCHEMA_TABLE = "mcp_grants_schema"
SECRET_MIN_CHARS = 32

# Numbered migrations. Never edit a released step: add a new one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            f"CREATE TABLE {TABLE} ("
            " id TEXT PRIMARY KEY,"
            " name TEXT NOT NULL,"
            " token_hash TEXT NOT NULL UNIQUE,"
            " scope TEXT NOT NULL,"
            " created_at TEXT NOT NULL,"
            " expires_at TEXT,"
            " revoked_at TEXT)",
        ),
    ),
    (2, (f"ALTER TABLE {TABLE} ADD COLUMN upstream_key TEXT",)),
)
LATEST = MIGRATIONS[-1][0]
COLUMNS = "id, name, token_hash, scope, created_at, expires_at, revoked_at, upstream_key"


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


def _time(text: str | None) -> dt.datetime | None:
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


# -- the store -------------------------------------------------------------------------------


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


class Store:
    """Grants in SQLite or PostgreSQL. Thread-safe; one connection, reopened if it drops."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = is_postgres(url)
        self._lock = threading.Lock()
        self._conn: Any = None
        if self.postgres:
            try:
                import psycopg  # noqa: F401
            except ImportError:
                raise GrantError(
                    "a PostgreSQL grants store needs psycopg 3: pip install 'psycopg[binary]' "
                    "(or this package's [postgres] extra)"
                ) from None
        self.migrate()

    @classmethod
    def open(cls, url: str) -> Store:
        return cls(url)

    # connections and statements

    def _connect(self) -> Any:
        if self.postgres:
            import psycopg

            try:
                return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except psycopg.OperationalError as exc:
                raise GrantError(f"cannot reach the grants database: {_first_line(exc)}") from None
        path = self.url.removeprefix("sqlite:///").removeprefix("sqlite:")
        try:
            if not os.path.exists(path):  # hashes and sealed keys: readable by the operator only
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise GrantError(f"cannot open the grants store {path}: {reason}") from None
        return conn

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
            try:
                yield self._conn
            except Exception as exc:
                if self._dropped(exc):  # the next use reconnects
                    self._close_quietly()
                raise

    def _dropped(self, exc: Exception) -> bool:
        if not self.postgres:
            return False
        import psycopg

        return isinstance(exc, psycopg.OperationalError) or bool(getattr(self._conn, "closed", 0))

    def _close_quietly(self) -> None:
        try:
            if self._conn is not None:
                self._conn.close()
        except Exception:  # noqa: BLE001 - already broken
            pass
        self._conn = None

    def _run(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement; on a dropped PostgreSQL connection, reconnect and try once more."""
        for attempt in (1, 2):
            try:
                with self._connection() as conn:
                    cursor = conn.execute(self._sql(statement), tuple(params))
                    return list(cursor.fetchall()) if cursor.description else []
            except Exception as exc:
                if attempt == 1 and self.postgres and self._conn is None:
                    continue
                raise self._error(exc) from None
        raise AssertionError("unreachable")

    def _error(self, exc: Exception) -> Exception:
        if isinstance(exc, GrantError):
            return exc
        return GrantError(f"grants store error: {_first_line(exc)}")

    def close(self) -> None:
        with self._lock:
            self._close_quietly()

    # migrations

    def migrate(self) -> None:
        """Bring the schema to LATEST, one numbered step at a time, under a lock
        (PostgreSQL advisory lock; SQLite write lock), so replicas starting at
        once do not race."""
        try:
            with self._connection() as conn:
                if self.postgres:
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(7239001)")
                        self._migrate(conn)
                else:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        self._migrate(conn)
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
        except GrantError:
            raise
        except Exception as exc:
            raise self._error(exc) from None

    def _migrate(self, conn: Any) -> None:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (version INTEGER NOT NULL)")
        row = conn.execute(f"SELECT MAX(version) FROM {SCHEMA_TABLE}").fetchone()
        current = int(row[0]) if row and row[0] is not None else 0
        if current > LATEST:
            raise GrantError(
                f"the grants store is at schema version {current}, newer than this server "
                f"knows ({LATEST}): upgrade the server"
            )
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(self._sql(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (?)"), (version,))

    def version(self) -> int:
        rows = self._run(f"SELECT MAX(version) FROM {SCHEMA_TABLE}")
        return int(rows[0][0])

    # grants

    def create(
        self,
        name: str,
        scope: GrantScope,
        expires_at: dt.datetime | None = None,
        sealed_key: str | None = None,
    ) -> tuple[Grant, str]:
        """A new grant and its token (shown once; only its hash is kept)."""
        token = new_token()
        grant = Grant(
            id=ID_PREFIX + secrets.token_hex(8),
            name=name,
            scope=scope,
            created_at=utcnow().replace(microsecond=0),
            expires_at=expires_at,
            sealed_key=sealed_key,
            token_hash=token_hash(token),
        )
        self._run(
            f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                grant.id,
                grant.name,
                grant.token_hash,
                scope.to_json(),
                iso(grant.created_at),
                iso(expires_at),
                None,
                sealed_key,
            ),
        )
        return grant, token

    def list(self) -> list[Grant]:
        return [
            _grant(row)
            for row in self._run(f"SELECT {COLUMNS} FROM {TABLE} ORDER BY created_at, id")
        ]

    def get(self, grant_id: str) -> Grant | None:
        rows = self._run(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = ?", (grant_id,))
        return _grant(rows[0]) if rows else None

    def revoke(self, grant_id: str) -> Grant | None:
        """Revoke a grant (again is a no-op); None when there is no such grant."""
        self._run(
            f"UPDATE {TABLE} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (iso(utcnow()), grant_id),
        )
        return self.get(grant_id)

    def find(self, token: str) -> Grant | None:
        """The grant a presented token belongs to, whatever its state."""
        if not is_grant_token(token):
            return None
        digest = token_hash(token)
        rows = self._run(f"SELECT {COLUMNS} FROM {TABLE} WHERE token_hash = ?", (digest,))
        for row in rows:
            grant = _grant(row)
            if hmac.compare_digest(grant.token_hash.encode(), digest.encode()):
                return grant
        return None

    def keyed(self) -> int:
        """How many active grants carry their own API key."""
        return sum(1 for g in self.list() if g.sealed_key and g.state() == "active")


def _grant(row: Sequence[Any]) -> Grant:
    gid, name, digest, scope, created, expires, revoked, sealed = row
    return Grant(
        id=gid,
        name=name,
        scope=GrantScope.from_json(scope),
        created_at=_time(created) or utcnow(),
        expires_at=_time(expires),
        revoked_at=_time(revoked),
        sealed_key=sealed,
        token_hash=digest,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


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
