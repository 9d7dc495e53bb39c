"""The grants store (issue 19) on a real SQLite file: tokens, hashes, encrypted
keys, revocation, and schema migrations (an older store opens in a newer version)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import sqlite3
import sys
from pathlib import Path

import pytest
from artie_mcp.runtime.grants import TOKEN_PREFIX, GrantError, GrantScope, KeyBox
from artie_mcp.runtime.grantstore import LATEST, Store

SECRET = "s" * 16 + "0123456789abcdef0123"
OTHER_SECRET = "o" * 40

# The schema as the first release of grants wrote it (migration 1), frozen here on purpose.
V1_SCHEMA = (
    "CREATE TABLE mcp_grants_schema (version INTEGER NOT NULL)",
    "INSERT INTO mcp_grants_schema (version) VALUES (1)",
    "CREATE TABLE mcp_grants ( id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,"
    " scope TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)",
)


def test_a_token_has_256_random_bits_and_only_its_hash_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "grants.db"
    store = Store.open(str(db))
    made = [store.create(f"t{i}", GrantScope(read_only=True)) for i in range(3)]
    store.close()
    tokens = [token for _, token in made]
    assert len(set(tokens)) == 3
    for token in tokens:
        assert token.startswith(TOKEN_PREFIX)
        raw = base64.urlsafe_b64decode(token.removeprefix(TOKEN_PREFIX) + "=")
        assert len(raw) * 8 >= 256
    assert db.stat().st_mode & 0o777 == 0o600  # readable by the operator only
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # the file and any journal
    for grant, token in made:
        assert token.encode() not in data
        assert token.removeprefix(TOKEN_PREFIX).encode() not in data
        assert hashlib.sha256(token.encode()).hexdigest().encode() in data
        assert grant.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_a_token_finds_its_grant_and_nothing_else_does(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "g.db"))
    grant, token = store.create("tenant", GrantScope(tags=("Pipelines",)))
    found = store.find(token)
    assert found is not None and found.id == grant.id and found.scope.tags == ("Pipelines",)
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), token + "x", "", TOKEN_PREFIX):
        assert store.find(wrong) is None
    assert store.find(grant.token_hash) is None  # the stored hash is not a credential


def test_revocation_and_expiry_change_a_grants_state(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "g.db"))
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    grant, token = store.create("tenant", GrantScope(), expires_at=soon)
    assert grant.state() == "active"
    assert grant.state(soon + dt.timedelta(seconds=1)) == "expired"
    revoked = store.revoke(grant.id)
    assert revoked is not None and revoked.state() == "revoked" and revoked.revoked_at is not None
    again = store.revoke(grant.id)
    assert again is not None and again.revoked_at == revoked.revoked_at  # idempotent
    assert store.revoke("g_nope") is None
    found = store.find(token)
    assert found is not None and found.state() == "revoked"


def test_listing_shows_scope_and_state_but_never_a_token_or_key(tmp_path: Path) -> None:
    box = KeyBox(SECRET, "X_GRANTS_SECRET")
    store = Store.open(str(tmp_path / "g.db"))
    _, token = store.create(
        "tenant", GrantScope(methods=("read",)), sealed_key=box.seal("sk-tenant-1")
    )
    (listed,) = [g.public() for g in store.list()]
    text = repr(listed)
    assert token not in text and "sk-tenant-1" not in text and "token" not in listed
    assert listed["upstream_key"] == "own" and listed["methods"] == ["read"]
    assert listed["state"] == "active"


def test_a_grants_key_is_sealed_opened_and_rotated_with_the_operators_secret(
    tmp_path: Path,
) -> None:
    old = KeyBox(OTHER_SECRET, "X_GRANTS_SECRET")
    sealed = old.seal("sk-tenant-1")
    assert "sk-tenant-1" not in sealed
    store = Store.open(str(tmp_path / "g.db"))
    store.create("tenant", GrantScope(), sealed_key=sealed)
    store.close()
    assert b"sk-tenant-1" not in b"".join(p.read_bytes() for p in tmp_path.iterdir())
    rotated = KeyBox(f"{SECRET},{OTHER_SECRET}", "X_GRANTS_SECRET")  # new first, old still opens
    assert rotated.open(sealed) == "sk-tenant-1"
    with pytest.raises(GrantError):  # what the new secret seals, the old one alone cannot open
        old.open(rotated.seal("sk-tenant-2"))
    with pytest.raises(GrantError, match="another secret"):
        KeyBox(SECRET, "X_GRANTS_SECRET").open(sealed)
    with pytest.raises(GrantError, match="set X_GRANTS_SECRET"):
        KeyBox(None, "X_GRANTS_SECRET").open(sealed)
    with pytest.raises(GrantError, match="at least 32 characters"):
        KeyBox("short", "X_GRANTS_SECRET")


def test_a_store_written_by_the_first_schema_opens_and_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for statement in V1_SCHEMA:
        conn.execute(statement)
    token = TOKEN_PREFIX + "A" * 43
    conn.execute(
        "INSERT INTO mcp_grants VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            "g_old",
            "from v1",
            hashlib.sha256(token.encode()).hexdigest(),
            '{"read_only": true}',
            "2026-01-01T00:00:00Z",
            None,
            None,
        ),
    )
    conn.commit()
    conn.close()
    store = Store.open(str(db))
    assert store.version() == LATEST > 1
    found = store.find(token)
    assert found is not None and found.id == "g_old" and found.scope.read_only
    assert found.sealed_key is None  # a column the old schema did not have
    grant, _ = store.create("new", GrantScope(), sealed_key="sealed")
    assert store.get(grant.id) is not None and store.get(grant.id).sealed_key == "sealed"  # type: ignore[union-attr]
    store.close()
    assert Store.open(str(db)).version() == LATEST  # opening again changes nothing


def test_a_store_from_a_newer_version_is_refused_with_a_message(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    Store.open(str(db)).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO mcp_grants_schema (version) VALUES (?)", (LATEST + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(GrantError, match="newer than this server knows"):
        Store.open(str(db))


def test_a_postgres_store_needs_psycopg_and_a_reachable_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(GrantError, match="cannot reach the grants database"):
        Store.open("postgresql://postgres@127.0.0.1:1/none")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    with pytest.raises(GrantError, match=r"pip install 'psycopg\[binary\]'"):
        Store.open("postgresql://postgres@127.0.0.1:1/none")
