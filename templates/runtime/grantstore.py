"""Where grants are kept: SQLite or PostgreSQL (``--grants-db``), with the schema
migrated in place, one connection reopened if it drops. What a grant is and
allows is declared in ``grants``."""

from __future__ import annotations

import datetime as dt
import hmac
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .grants import (
    ID_PREFIX,
    Grant,
    GrantError,
    GrantScope,
    is_grant_token,
    iso,
    new_token,
    stored_time,
    token_hash,
    utcnow,
)

TABLE = "mcp_grants"
SCHEMA_TABLE = "mcp_grants_schema"

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
        created_at=stored_time(created) or utcnow(),
        expires_at=stored_time(expires),
        revoked_at=stored_time(revoked),
        sealed_key=sealed,
        token_hash=digest,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
