"""Grants shared by replicas (issue 19): a real PostgreSQL server (started by
the tests from Debian's binaries), two `--stateless` server processes on one
store. A grant created while they run is served by both; a revocation stops
both within 5 s; the schema migrates under concurrent starts and from the
first schema."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import psycopg
import pytest
from artie_mcp.runtime.grants import TOKEN_PREFIX
from artie_mcp.runtime.grantstore import LATEST, Store
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.test_grants import HEADERS, INIT, READ_ONLY, grants
from tests.support.postgres import postgres_server
from tests.support.serving import artie_mcps
from tests.support.upstream import Reply, Upstream

pytestmark = pytest.mark.slow
KEY = "sk-operator-key-99"


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def database(dsn: str, name: str) -> str:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return dsn.rsplit("/", 1)[0] + "/" + name


def status(url: str, headers: dict[str, str] | None = None) -> int:
    return httpx.post(url, json=INIT, headers={**HEADERS, **(headers or {})}).status_code


async def tools(url: str) -> list[str]:
    async with Client(streamable_http_client(url)) as client:
        return [t.name for t in (await client.list_tools()).tools]


def test_two_stateless_replicas_share_grants_and_a_revocation_stops_both(
    dsn: str, tmp_path: Path
) -> None:
    store = database(dsn, "replicas")
    with Upstream() as upstream:
        upstream.default = Reply(200, {"items": []})
        env = {"ARTIE_API_KEY": KEY, "ARTIE_BASE_URL": upstream.url}
        args = ["--transport", "streamable-http", "--stateless", "--grants-db", store]
        with artie_mcps(2, args, env, tmp_path) as (a, b):  # both migrate the fresh store at once
            cli = {"ARTIE_MCP_GRANTS_DB": store, "ARTIE_MCP_PUBLIC_URL": a.base}
            made = grants(cli, "grants", "create", "--name", "shared", "--read-only")
            assert made.returncode == 0, made.stderr
            grant = json.loads(made.stdout)
            at_a, at_b = grant["url"], grant["url"].replace(a.base, b.base)
            assert set(anyio.run(tools, at_a)) == READ_ONLY
            assert set(anyio.run(tools, at_b)) == READ_ONLY

            # one stateless conversation spread over both replicas
            bearer = {"Authorization": f"Bearer {grant['token']}"}
            first = httpx.post(a.base + "/mcp", json=INIT, headers={**HEADERS, **bearer})
            assert first.status_code == 200
            version = first.json()["result"]["protocolVersion"]
            call = {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "pipeline_list", "arguments": {}},
            }
            headers = {**HEADERS, **bearer, "MCP-Protocol-Version": version}
            called = httpx.post(b.base + "/mcp", json=call, headers=headers)
            assert called.json()["result"]["isError"] is False
            assert [r.path for r in upstream.requests] == ["/pipelines"]

            revoked = grants(cli, "grants", "revoke", grant["id"])
            assert revoked.returncode == 0, revoked.stderr
            started = time.monotonic()
            pending = {"a": at_a, "b": at_b}
            took: dict[str, float] = {}
            while pending:
                for name, url in list(pending.items()):
                    if status(url) == 401:
                        took[name] = time.monotonic() - started
                        del pending[name]
                assert time.monotonic() - started < 5, f"still served after 5 s: {sorted(pending)}"
                time.sleep(0.1)
            assert status(b.base + "/mcp", bearer) == 401
            assert len(upstream.requests) == 1
            for server in (a, b):
                assert f"grant {grant['id']} is revoked" in server.stderr()
                assert grant["token"] not in server.stderr()
    assert max(took.values()) < 5


def test_replicas_starting_at_once_migrate_a_fresh_store_once(dsn: str) -> None:
    """Each replica migrates at start-up; four at once, each on its own connection."""
    store = database(dsn, "fresh")
    barrier = threading.Barrier(4)

    def start(_: int) -> int:
        barrier.wait()
        opened = Store.open(store)
        try:
            return opened.version()
        finally:
            opened.close()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert list(pool.map(start, range(4))) == [LATEST] * 4
    with psycopg.connect(store) as conn:
        rows = conn.execute("SELECT version FROM mcp_grants_schema ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, LATEST + 1))


def test_a_store_from_the_first_schema_opens_on_postgres(dsn: str) -> None:
    store = database(dsn, "old")
    token = TOKEN_PREFIX + "B" * 43
    with psycopg.connect(store, autocommit=True) as conn:
        conn.execute("CREATE TABLE mcp_grants_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO mcp_grants_schema (version) VALUES (1)")
        conn.execute(
            "CREATE TABLE mcp_grants ( id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL"
            " UNIQUE, scope TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)"
        )
        conn.execute(
            "INSERT INTO mcp_grants VALUES (%s, %s, %s, %s, %s, NULL, NULL)",
            (
                "g_v1",
                "from v1",
                hashlib.sha256(token.encode()).hexdigest(),
                '{"tags": ["Pipelines"]}',
                "2026-01-01T00:00:00Z",
            ),
        )
    listed = grants({"ARTIE_MCP_GRANTS_DB": store}, "grants", "list")
    assert listed.returncode == 0, listed.stderr
    (grant,) = json.loads(listed.stdout)
    expected: dict[str, Any] = {
        "id": "g_v1",
        "tags": ["Pipelines"],
        "upstream_key": "operator",
        "state": "active",
    }
    assert {k: grant[k] for k in expected} == expected
    with psycopg.connect(store) as conn:
        assert conn.execute("SELECT MAX(version) FROM mcp_grants_schema").fetchone() == (LATEST,)
