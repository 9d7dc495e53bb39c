"""Grants end to end (issue 19): `artie-mcp grants ...` against a SQLite store,
the installed server over streamable HTTP, the `mcp` client and the MCP
Inspector connecting with a grant's URL (or its token as a bearer header),
and a recording upstream that shows what was (not) sent."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import anyio
import httpx
import httpx2
import pytest
from artie_mcp.app import PACKAGE, main
from artie_mcp.runtime.operation import load_operations
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.jsonrpc import HEADERS, INIT
from tests.support.npm_tools import inspector_proxy
from tests.support.serving import SCRIPT, Running, artie_mcp
from tests.support.upstream import Reply, Upstream

pytestmark = pytest.mark.slow
KEY = "sk-operator-key-77"
TENANT_KEY = "sk-tenant-own-key-31"
SECRET = "grants-secret-" + "9f" * 16
OPS = [op for op in load_operations(PACKAGE.root / "tools") if op.exposure == "exposed"]  # type: ignore[operator]
READ_ONLY = {op.name for op in OPS if op.annotations.read_only}
PROMPTS = json.loads((PACKAGE.root / "prompts.json").read_text())  # type: ignore[operator]


def grants(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`artie-mcp [server flags] grants ...` as an operator runs it: the console script's
    own entry point, run in this process (starting a Python process takes seconds here)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, {"PATH": str(SCRIPT.parent), **env}, clear=True),
        mock.patch.object(sys, "stdin", io.StringIO(stdin)),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        rc = main(list(args))
    return subprocess.CompletedProcess(["artie-mcp", *args], rc, out.getvalue(), err.getvalue())


def grants_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same through the installed console script, in its own process."""
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(SCRIPT.parent), **env},
        stdin=subprocess.DEVNULL,
    )


def create(env: dict[str, str], *flags: str, stdin: str = "") -> dict[str, Any]:
    proc = grants(env, "grants", "create", *flags, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


async def session(
    url: str, headers: dict[str, str], calls: list[tuple[str, dict[str, Any]]]
) -> tuple[list[str], list[Any], list[str]]:
    async with httpx2.AsyncClient(headers=headers) as hc:
        async with Client(streamable_http_client(url, http_client=hc)) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            results = [await client.call_tool(n, a) for n, a in calls]
            prompts = [p.name for p in (await client.list_prompts()).prompts]
    return names, results, prompts


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error
    return dict(json.loads(result.content[0].text)["error"])


def status(url: str, headers: dict[str, str] | None = None) -> int:
    return httpx.post(url, json=INIT, headers={**HEADERS, **(headers or {})}).status_code


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Running, Upstream, dict[str, str], Path]]:
    """One server on one store for the module: (server, upstream, CLI env, audit log). Its
    own scope leaves out pipeline_delete; the CLI runs with the same environment."""
    tmp = tmp_path_factory.mktemp("grants")
    db, audit = tmp / "grants.db", tmp / "audit.jsonl"
    with Upstream() as upstream:
        upstream.default = Reply(200, {"items": []}, {"X-Request-Id": "up-1"})
        shared = {
            "ARTIE_MCP_GRANTS_DB": str(db),
            "ARTIE_MCP_EXCLUDE_TOOLS": "pipeline_delete",
            "ARTIE_MCP_GRANTS_SECRET": SECRET,
        }
        env = {"ARTIE_API_KEY": KEY, "ARTIE_BASE_URL": upstream.url, **shared}
        args = ["--transport", "streamable-http", "--audit-log", str(audit)]
        with artie_mcp(args, env, tmp) as server:
            yield server, upstream, {**shared, "ARTIE_MCP_PUBLIC_URL": server.base}, audit


def test_a_read_only_grant_serves_only_read_tools_at_its_url_and_with_its_token(
    served: tuple[Running, Upstream, dict[str, str], Path],
) -> None:
    server, upstream, cli, audit = served
    made = grants_process(cli, "grants", "create", "--name", "tenant-a", "--read-only")
    assert made.returncode == 0, made.stderr
    grant = json.loads(made.stdout)
    assert set(grant) == {"id", "name", "url", "token", "expires_at"}
    assert grant["name"] == "tenant-a" and grant["expires_at"] is None
    assert grant["url"] == f"{server.base}/mcp/g/{grant['token']}"
    before = len(upstream.requests)

    names, results, prompts = anyio.run(
        session,
        grant["url"],
        {},
        [("connector_list", {}), ("pipeline_start", {"uuid": "p1"})],
    )
    assert set(names) == READ_ONLY and len(names) < len(OPS)
    assert not results[0].is_error
    refused = error_of(results[1])
    assert refused["type"] == "not_allowed" and "grant" in refused["message"]
    readable = {p["name"] for p in PROMPTS if set(p["tools"]) <= READ_ONLY}
    assert set(prompts) == readable and len(readable) < len(PROMPTS)

    by_header, (listed,), _ = anyio.run(
        session,
        server.base + "/mcp",
        {"Authorization": f"Bearer {grant['token']}"},
        [("pipeline_list", {})],
    )
    assert set(by_header) == READ_ONLY and not listed.is_error
    sent = upstream.requests[before:]
    assert [r.path for r in sent] == ["/connectors", "/pipelines"]  # nothing for pipeline_start
    assert {r.headers["authorization"] for r in sent} == {f"Bearer {KEY}"}

    assert status(server.base + "/mcp") == 401
    assert status(server.base + "/mcp", {"Authorization": "Bearer mcpg_" + "x" * 43}) == 401
    assert status(grant["url"].replace(grant["token"], "mcpg_" + "y" * 43)) == 401
    assert status(server.base + "/mcp/g/not-a-token") == 404

    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    mine = [(x["tool"], x["outcome"]) for x in lines if x.get("grant") == grant["id"]]
    assert mine == [
        ("connector_list", "ok"),
        ("pipeline_start", "not_allowed"),
        ("pipeline_list", "ok"),
    ]
    for text in (audit.read_text(), server.stderr()):
        assert grant["token"] not in text and KEY not in text


def test_the_resource_says_which_tools_are_outside_a_grant(
    served: tuple[Running, Upstream, dict[str, str], Path],
) -> None:
    server, _, cli, _ = served
    grant = create(cli, "--name", "pipelines", "--tags", "Pipelines", "--methods", "read,custom")

    async def main() -> tuple[list[str], str]:
        async with Client(streamable_http_client(grant["url"])) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            (resource,) = (await client.list_resources()).resources
            read = await client.read_resource(str(resource.uri))
            return names, read.contents[0].text  # type: ignore[union-attr]

    names, text = anyio.run(main)
    expected = {
        op.name for op in OPS if "Pipelines" in op.tags and op.method_class in ("read", "custom")
    }
    assert set(names) == expected
    assert "outside this caller's scope" in text and "## connector_list" in text
    assert "## pipeline_list" not in text.split("outside this caller's scope")[1]


def test_revoked_and_expired_grants_are_refused_within_five_seconds_and_send_nothing(
    served: tuple[Running, Upstream, dict[str, str], Path],
) -> None:
    server, upstream, cli, audit = served
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expiring = create(cli, "--name", "short", "--expires-at", soon)
    assert expiring["expires_at"] == soon
    kept = create(cli, "--name", "kept")
    for g in (expiring, kept):
        assert status(g["url"]) == 200

    async def revoked_mid_session() -> float:
        async with Client(streamable_http_client(kept["url"])) as client:
            assert not (await client.call_tool("pipeline_list", {})).is_error
            proc = grants(cli, "grants", "revoke", kept["id"])
            assert proc.returncode == 0 and json.loads(proc.stdout)["id"] == kept["id"]
            started = time.monotonic()
            while status(kept["url"]) != 401:
                assert time.monotonic() - started < 5, "revocation not in effect after 5 s"
                await anyio.sleep(0.2)
            took = time.monotonic() - started
            before = len(upstream.requests)
            with pytest.raises(Exception):  # noqa: B017 - the open session is refused too (401)
                await client.call_tool("pipeline_list", {})
            assert len(upstream.requests) == before
            return took

    took = anyio.run(revoked_mid_session)
    assert took < 5
    deadline = dt.datetime.fromisoformat(soon.replace("Z", "+00:00"))
    while dt.datetime.now(dt.UTC) <= deadline:
        time.sleep(0.2)
    before = len(upstream.requests)
    assert status(expiring["url"]) == 401
    assert status(server.base + "/mcp", {"Authorization": f"Bearer {expiring['token']}"}) == 401
    assert len(upstream.requests) == before
    listed = {g["id"]: g["state"] for g in json.loads(grants(cli, "grants", "list").stdout)}
    assert listed[kept["id"]] == "revoked" and listed[expiring["id"]] == "expired"
    assert "is revoked: request refused" in server.stderr()
    again = grants(cli, "grants", "revoke", "g_does_not_exist")
    assert again.returncode == 1 and "no grant" in again.stderr


def test_the_inspector_lists_a_grants_tools_through_its_url(
    served: tuple[Running, Upstream, dict[str, str], Path],
) -> None:
    _, _, cli, _ = served
    grant = create(cli, "--name", "inspector", "--tools", "pipeline_list,connector_list")
    with inspector_proxy() as proxy:

        async def main() -> list[str]:
            headers = {"X-MCP-Proxy-Auth": f"Bearer {proxy.token}"}
            async with httpx2.AsyncClient(headers=headers) as hc:
                transport = streamable_http_client(proxy.url(grant["url"]), http_client=hc)
                async with Client(transport, mode="legacy") as client:
                    return [t.name for t in (await client.list_tools()).tools]

        names = anyio.run(main)
    assert sorted(names) == ["connector_list", "pipeline_list"]


def test_a_grant_can_only_narrow_what_the_server_serves(
    served: tuple[Running, Upstream, dict[str, str], Path],
) -> None:
    server, upstream, cli, _ = served
    narrowed = grants(
        cli, "grants", "create", "--name", "n", "--tools", "pipeline_list,pipeline_delete"
    )
    assert narrowed.returncode == 0, narrowed.stderr
    assert (
        "1 tool(s): pipeline_list." in narrowed.stderr
    )  # the server does not serve pipeline_delete
    grant = json.loads(narrowed.stdout)
    before = len(upstream.requests)
    names, (other,), _ = anyio.run(session, grant["url"], {}, [("pipeline_delete", {"uuid": "p"})])
    assert names == ["pipeline_list"]
    assert error_of(other)["type"] == "not_allowed" and len(upstream.requests) == before

    elsewhere = {**cli, "ARTIE_MCP_PUBLIC_URL": "https://mcp.example.com"}
    made = grants(elsewhere, "grants", "create", "--name", "n", "--tags", "Pipelines")
    assert json.loads(made.stdout)["url"].startswith("https://mcp.example.com/mcp/g/mcpg_")
    for flags, message in [
        (["--tools", "pipeline_delete"], "would serve no tool"),
        (["--tools", "pipeline_lst"], "unknown tool(s): pipeline_lst"),
        (["--methods", "delete"], "expected some of read, write, custom"),
        (["--expires-at", "2020-01-01T00:00:00Z"], "already passed"),
        (["--expires-at", "2030-01-01T00:00:00"], "expected a time zone"),
    ]:
        proc = grants(cli, "grants", "create", "--name", "n", *flags)
        assert proc.returncode == 2 and message in proc.stderr, (flags, proc.stderr)
    no_url = {k: v for k, v in cli.items() if k != "ARTIE_MCP_PUBLIC_URL"}
    for env, message in [
        (no_url, "--public-url"),
        ({**cli, "ARTIE_MCP_PUBLIC_URL": server.base + "/mcp"}, "without the endpoint path"),
        ({"ARTIE_MCP_PUBLIC_URL": server.base}, "--grants-db"),
    ]:
        proc = grants(env, "grants", "create", "--name", "n")
        assert proc.returncode == 2 and message in proc.stderr, (env, proc.stderr)


def test_a_grants_own_key_goes_upstream_encrypted_at_rest_and_never_shown(
    served: tuple[Running, Upstream, dict[str, str], Path],
) -> None:
    server, upstream, cli, audit = served
    unsealed = grants(
        {**cli, "ARTIE_MCP_GRANTS_SECRET": ""},
        "grants",
        "create",
        "--name",
        "t",
        "--upstream-key-stdin",
        stdin=TENANT_KEY + "\n",
    )
    assert unsealed.returncode == 2 and "ARTIE_MCP_GRANTS_SECRET" in unsealed.stderr
    own = create(cli, "--name", "tenant", "--upstream-key-stdin", stdin=TENANT_KEY + "\n")
    operator = create(cli, "--name", "operator-key")
    listing = grants(cli, "grants", "list")
    assert listing.returncode == 0
    shown = {g["name"]: g["upstream_key"] for g in json.loads(listing.stdout)}
    assert shown["tenant"] == "own" and shown["operator-key"] == "operator"
    db = Path(cli["ARTIE_MCP_GRANTS_DB"])
    stored = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))
    for secret in (TENANT_KEY, own["token"], operator["token"], SECRET):
        assert secret not in listing.stdout + listing.stderr
        assert secret.encode() not in stored

    before = len(upstream.requests)
    for grant in (own, operator):
        _, (result,), _ = anyio.run(session, grant["url"], {}, [("pipeline_list", {})])
        assert not result.is_error
    sent = [r.headers["authorization"] for r in upstream.requests[before:]]
    assert sent == [f"Bearer {TENANT_KEY}", f"Bearer {KEY}"]
    for text in (audit.read_text(), server.stderr()):
        assert TENANT_KEY not in text and own["token"] not in text
    # a server that cannot open the stored keys does not start
    args = ["--transport", "streamable-http"]
    refused = grants({**cli, "ARTIE_MCP_GRANTS_SECRET": ""}, *args)
    assert refused.returncode == 2 and "set ARTIE_MCP_GRANTS_SECRET" in refused.stderr


def test_grant_and_oauth_options_are_checked_before_anything_is_served(tmp_path: Path) -> None:
    db = str(tmp_path / "grants.db")
    http = ["--transport", "streamable-http"]
    cases = [
        (["--grants-db", db], "over --transport streamable-http"),  # stdio
        (["--transport", "sse", "--grants-db", db], "over --transport streamable-http"),
        ([*http, "--grants-db", db, "--require-token"], "cannot be combined"),
        ([*http, "--oauth-issuer", "https://auth.example.com"], "needs --public-url"),
        (
            [*http, "--oauth-issuer", "auth.example.com", "--public-url", "https://m.example.com"],
            "issuer's URL",
        ),
        ([*http, "--grants-db", db, "--public-url", "mcp.example.com"], "http(s) URL"),
        (
            [*http, "--grants-db", str(tmp_path / "missing" / "g.db")],
            "cannot open the grants store",
        ),
    ]
    for args, message in cases:
        proc = grants({"ARTIE_MCP_TOKENS": "t" * 20}, *args)
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
