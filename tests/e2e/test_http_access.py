"""Access control and transports through real HTTP (uvicorn on loopback) and real clients."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from tests.support.jsonrpc import HEADERS, INIT
from tests.support.npm_tools import ensure_installed, inspector_cli
from tests.support.serving import SCRIPT, artie_mcp
from tests.support.upstream import Reply, Upstream

pytestmark = pytest.mark.slow
TOKEN = "tok-" + "a1b2c3d4e5f6"
KEY = "sk-upstream-secret-42"


def future(days: int = 1) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def http_session(
    url: str, headers: dict[str, str], calls: list[tuple[str, dict[str, Any]]]
) -> tuple[list[str], list[Any]]:
    async with httpx2.AsyncClient(headers=headers) as hc:
        async with Client(streamable_http_client(url, http_client=hc)) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            results = [await client.call_tool(n, a) for n, a in calls]
    return names, results


def test_token_filters_and_audit_over_streamable_http(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    with Upstream() as upstream:
        upstream.default = Reply(200, {"items": []}, {"X-Request-Id": "up-7"})
        env = {
            "ARTIE_API_KEY": KEY,
            "ARTIE_BASE_URL": upstream.url,
            "ARTIE_MCP_TOKENS": f"other,{TOKEN}",
        }
        args = [
            "--transport",
            "streamable-http",
            "--require-token",
            "--read-only",
            "--tags",
            "Pipelines,Connectors",
            "--expires-at",
            future(),
            "--audit-log",
            str(audit),
        ]
        with artie_mcp(args, env, tmp_path) as server:
            url = server.base + "/mcp"
            for headers in (
                {},
                {"Authorization": "Bearer wrong"},
                {"Authorization": f"Basic {TOKEN}"},
            ):
                r = httpx.post(url, json=INIT, headers={**HEADERS, **headers})
                assert r.status_code == 401 and r.headers["www-authenticate"].startswith(
                    "Bearer"
                ), headers
            assert httpx.get(server.base + "/healthz").json()["status"] == "ok"
            names, results = anyio.run(
                http_session,
                url,
                {"Authorization": f"Bearer {TOKEN}"},
                [("connector_list", {}), ("pipeline_start", {"uuid": "p1"})],
            )
            stderr = server.stderr()
    assert set(names) == {
        "pipeline_list",
        "connector_list",
        "connector_fetch_databases",
        "connector_fetch_schemas",
        "connector_fetch_table_detail",
        "connector_fetch_tables",
        "connector_generate_shadow_script",  # a POST the spec marks read-only
    }
    assert not results[0].is_error
    assert (
        json.loads(results[1].content[0].text)["error"]["type"] == "not_allowed"
    )  # filtered: not callable
    assert [r.path for r in upstream.requests] == ["/connectors"]
    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    assert [(x["tool"], x["outcome"], x["status"]) for x in lines] == [
        ("connector_list", "ok", 200),
        ("pipeline_start", "not_allowed", None),
    ]
    assert (
        lines[0]["request_id"] == "up-7"
        and lines[0]["duration_ms"] >= 0
        and set(lines[0]) >= {"time", "arguments"}
    )
    for text in (audit.read_text(), stderr):
        assert KEY not in text and TOKEN not in text


def test_expired_server_refuses_everything(tmp_path: Path) -> None:
    past = "2020-01-01T00:00:00Z"
    proc = subprocess.run(
        [str(SCRIPT), "--expires-at", past],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2 and "expired" in proc.stderr and "Traceback" not in proc.stderr
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = ["--transport", "streamable-http", "--stateless", "--expires-at", soon]
    with artie_mcp(args, {"ARTIE_API_KEY": KEY}, tmp_path) as server:
        assert httpx.post(server.base + "/mcp", json=INIT, headers=HEADERS).status_code == 200
        deadline = dt.datetime.fromisoformat(soon.replace("Z", "+00:00"))
        while dt.datetime.now(dt.UTC) <= deadline:
            anyio.run(anyio.sleep, 0.2)
        r = httpx.post(server.base + "/mcp", json=INIT, headers=HEADERS)
        assert r.status_code == 403 and "expired" in r.text
        assert httpx.get(server.base + "/healthz").status_code == 503


def test_stateless_session_spans_two_worker_processes(tmp_path: Path) -> None:
    """Two independent processes behind one 'load balancer': any request to either works."""
    with Upstream() as upstream:
        upstream.default = Reply(200, {"items": []})
        env = {"ARTIE_API_KEY": KEY, "ARTIE_BASE_URL": upstream.url}
        args = ["--transport", "streamable-http", "--stateless"]
        with artie_mcp(args, env, tmp_path) as a, artie_mcp(args, env, tmp_path) as b:
            assert a.process.pid != b.process.pid
            first = httpx.post(a.base + "/mcp", json=INIT, headers=HEADERS)
            assert (
                first.status_code == 200
                and first.json()["result"]["serverInfo"]["name"] == "artie-mcp"
            )
            version = first.json()["result"]["protocolVersion"]
            headers = {**HEADERS, "MCP-Protocol-Version": version}
            if "mcp-session-id" in first.headers:
                headers["Mcp-Session-Id"] = first.headers["mcp-session-id"]
            httpx.post(
                b.base + "/mcp",
                json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                headers=headers,
            )
            listed = httpx.post(
                b.base + "/mcp",
                json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                headers=headers,
            )
            assert len(listed.json()["result"]["tools"]) == 41
            called = httpx.post(
                a.base + "/mcp",
                json={
                    "jsonrpc": "2.0",
                    "id": 3,
                    "method": "tools/call",
                    "params": {"name": "pipeline_list", "arguments": {}},
                },
                headers=headers,
            )
            assert called.json()["result"]["isError"] is False
    assert len(upstream.requests) == 1


def test_workers_flag_runs_several_processes(tmp_path: Path) -> None:
    with artie_mcp(
        ["--transport", "streamable-http", "--stateless", "--workers", "2"],
        {"ARTIE_API_KEY": KEY},
        tmp_path,
    ) as server:
        names, _ = anyio.run(http_session, server.base + "/mcp", {}, [])
        assert len(names) == 41
        children = subprocess.run(
            ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) >= 2, server.stderr()


def test_sse_transport(tmp_path: Path) -> None:
    with Upstream() as upstream:
        upstream.default = Reply(204)
        with artie_mcp(
            ["--transport", "sse", "--path", "/sse"],
            {"ARTIE_API_KEY": KEY, "ARTIE_BASE_URL": upstream.url},
            tmp_path,
        ) as server:

            async def main() -> tuple[int, Any]:
                async with Client(sse_client(server.base + "/sse")) as client:
                    tools = (await client.list_tools()).tools
                    return len(tools), await client.call_tool("pipeline_start", {"uuid": "p9"})

            count, result = anyio.run(main)
    assert count == 41 and result.structured_content == {"ok": True, "status": 204}
    assert upstream.requests[0].path == "/pipelines/p9/start"


def test_allowed_hosts_and_dns_rebinding(tmp_path: Path) -> None:
    with artie_mcp(["--transport", "streamable-http"], {}, tmp_path) as server:
        evil = httpx.post(
            server.base + "/mcp", json=INIT, headers={**HEADERS, "Host": "evil.example.com"}
        )
        assert evil.status_code == 421
    with artie_mcp(
        [
            "--transport",
            "streamable-http",
            "--host",
            "127.0.0.1",
            "--allowed-hosts",
            "mcp.example.com",
        ],
        {},
        tmp_path,
    ) as server:
        named = httpx.post(
            server.base + "/mcp", json=INIT, headers={**HEADERS, "Host": "mcp.example.com"}
        )
        assert named.status_code == 200
        other = httpx.post(
            server.base + "/mcp", json=INIT, headers={**HEADERS, "Host": "evil.example.com"}
        )
        assert other.status_code == 421


def test_upstream_key_from_header_is_per_request_and_never_logged(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    with Upstream() as upstream:
        upstream.default = Reply(200, {"items": []})
        args = [
            "--transport",
            "streamable-http",
            "--upstream-key-from-header",
            "X-Artie-Api-Key",
            "--audit-log",
            str(audit),
        ]
        with artie_mcp(args, {"ARTIE_BASE_URL": upstream.url}, tmp_path) as server:
            url = server.base + "/mcp"
            anyio.run(
                http_session, url, {"X-Artie-Api-Key": "tenant-one-key"}, [("pipeline_list", {})]
            )
            anyio.run(
                http_session, url, {"X-Artie-Api-Key": "tenant-two-key"}, [("pipeline_list", {})]
            )
            _, (missing,) = anyio.run(http_session, url, {}, [("pipeline_list", {})])
            stderr = server.stderr()
    assert [r.headers["authorization"] for r in upstream.requests] == [
        "Bearer tenant-one-key",
        "Bearer tenant-two-key",
    ]
    error = json.loads(missing.content[0].text)["error"]
    assert error["type"] == "unauthorized" and "X-Artie-Api-Key" in error["message"]
    for text in (audit.read_text(), stderr):
        assert "tenant-one-key" not in text and "tenant-two-key" not in text


def test_inspector_cli_lists_and_calls_over_stdio_and_http(tmp_path: Path) -> None:
    ensure_installed()
    with Upstream() as upstream:
        upstream.default = Reply(204)
        env = ["-e", f"ARTIE_API_KEY={KEY}", "-e", f"ARTIE_BASE_URL={upstream.url}"]
        listed = inspector_cli([*env, str(SCRIPT), "--method", "tools/list"])
        assert listed.returncode == 0, listed.stderr
        assert len(json.loads(listed.stdout)["tools"]) == 41
        called = inspector_cli(
            [
                *env,
                str(SCRIPT),
                "--method",
                "tools/call",
                "--tool-name",
                "pipeline_start",
                "--tool-arg",
                "uuid=p1",
            ]
        )
        assert called.returncode == 0, called.stderr
        assert json.loads(called.stdout)["structuredContent"] == {"ok": True, "status": 204}
        with artie_mcp(
            # Inspector 0.15 cannot answer elicitation: let this destructive call through
            ["--transport", "streamable-http", "--allow-unconfirmed", "pipeline_delete"],
            {"ARTIE_API_KEY": KEY, "ARTIE_BASE_URL": upstream.url},
            tmp_path,
        ) as server:
            over_http = inspector_cli(
                [
                    server.base + "/mcp",
                    "--transport",
                    "http",
                    "--method",
                    "tools/call",
                    "--tool-name",
                    "pipeline_delete",
                    "--tool-arg",
                    "uuid=p2",
                ]
            )
        assert over_http.returncode == 0, over_http.stderr
        assert json.loads(over_http.stdout)["structuredContent"] == {"ok": True, "status": 204}
    assert [(r.method, r.path) for r in upstream.requests] == [
        ("POST", "/pipelines/p1/start"),
        ("DELETE", "/pipelines/p2"),
    ]


def test_config_command_prints_client_json(tmp_path: Path) -> None:
    def config(*args: str) -> dict[str, Any]:
        proc = subprocess.run(
            [str(SCRIPT), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"ARTIE_MCP_TOKENS": TOKEN, "PATH": str(SCRIPT.parent)},
        )
        assert proc.returncode == 0, proc.stderr
        assert TOKEN not in proc.stdout
        return json.loads(proc.stdout)

    desktop = config("--read-only", "config", "claude-desktop")["mcpServers"]["artie"]
    assert (
        desktop["command"].endswith("artie-mcp")
        and desktop["args"] == ["--read-only"]
        and "ARTIE_API_KEY" in desktop["env"]
    )
    code = config(
        "--transport",
        "streamable-http",
        "--port",
        "9000",
        "--require-token",
        "config",
        "claude-code",
    )["mcpServers"]["artie"]
    assert (
        code["type"] == "http"
        and code["url"] == "http://127.0.0.1:9000/mcp"
        and code["headers"]["Authorization"].startswith("Bearer ")
    )
    cursor = config("--transport", "sse", "--path", "/sse", "config", "cursor")["mcpServers"][
        "artie"
    ]
    assert cursor == {"url": "http://127.0.0.1:8000/sse"}
    bridged = config("--transport", "streamable-http", "config", "claude-desktop")["mcpServers"][
        "artie"
    ]
    assert bridged["command"] == "npx" and "mcp-remote" in bridged["args"]


def test_include_excluded_is_opt_in_and_logged(tmp_path: Path) -> None:
    async def listed(*args: str) -> tuple[list[str], str]:
        params = StdioServerParameters(
            command=str(SCRIPT),
            args=list(args),
            env={},
        )
        async with Client(params) as client:
            return [t.name for t in (await client.list_tools()).tools], ""

    default, _ = anyio.run(listed)
    # 67 tools are over the default tools/list budget: the full list is asked for
    everything, _ = anyio.run(listed, "--include-excluded", "--no-compact")
    assert len(default) == 41 and len(everything) == 67
    proc = subprocess.run(
        [str(SCRIPT), "--include-excluded", "tools"], capture_output=True, text=True, timeout=60
    )
    assert "opted in" in proc.stdout and "serving operations the spec excludes" in proc.stderr
