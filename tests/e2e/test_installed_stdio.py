"""The generated package as a user gets it: pip-installed into a fresh virtual
environment, started as `artie-mcp` over stdio, driven by the `mcp` SDK client,
calling a real HTTP server on loopback."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from generator.policy import is_redundant
from tests.conftest import REPO
from tests.support.hints import declared as declared_hints
from tests.support.hints import served as served_hints
from tests.support.install import fresh_install
from tests.support.upstream import Reply, Upstream

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with ./generated installed; returns the console script."""
    root = tmp_path_factory.mktemp("fresh")
    src = root / "generated"
    shutil.copytree(
        REPO / "generated", src, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build")
    )
    env_dir = root / "venv"
    fresh_install(env_dir, src)
    script = env_dir / "bin" / "artie-mcp"
    assert script.is_file()
    return script


def spec_operations(pinned_spec: Path) -> dict[str, dict[str, Any]]:
    doc = json.loads(pinned_spec.read_text())
    return {
        op["operationId"]: {**op, "method": m.upper(), "path": p}
        for p, item in doc["paths"].items()
        for m, op in item.items()
    }


def params(script: Path, **env: str) -> StdioServerParameters:
    return StdioServerParameters(command=str(script), args=[], env=env)


def test_installed_server_lists_the_exposed_tools_as_the_spec_says(
    installed: Path, pinned_spec: Path
) -> None:
    ops = spec_operations(pinned_spec)
    exposed = {k for k, op in ops.items() if op["x-artie-mcp"]["exposure"] == "exposed"}
    assert len(exposed) == 41

    async def main() -> list[Any]:
        async with Client(params(installed)) as client:  # no API key: must still start
            return (await client.list_tools()).tools

    tools = anyio.run(main)
    assert {t.name for t in tools} == exposed
    for tool in tools:
        op = ops[tool.name]
        hints = op["x-artie-mcp"]
        a = tool.annotations
        assert a is not None
        assert served_hints(a) == declared_hints(
            hints["readOnlyHint"],
            hints["destructiveHint"],
            hints["idempotentHint"],
            hints["openWorldHint"],
        ), tool.name
        assert tool.title == hints["title"]
        # each thing once: the summary as the title when it says the same, a trigger
        # description unless its words are all there already
        assert tool.description and op["summary"].rstrip(".") in f"{tool.title} {tool.description}"
        assert hints["triggerDescription"] in tool.description or is_redundant(
            hints["triggerDescription"], tool.title, op["summary"], op.get("description", "")
        )
        assert len(tool.description) < 2048
        schema = tool.input_schema
        assert schema["type"] == "object" and not {"oneOf", "anyOf", "allOf"} & set(schema)
        for p in op.get("parameters", []):
            if p["in"] == "path":
                assert (
                    p["name"] in schema["required"] or f"{p['name']}_path" in schema["required"]
                ), tool.name
        if tool.output_schema is not None:
            assert tool.output_schema["type"] == "object"


def test_installed_server_sends_exactly_the_right_requests(installed: Path) -> None:
    with Upstream() as upstream:
        upstream.on("GET", "/connectors", Reply(200, {"items": [], "total": 0}))
        upstream.on("POST", "/pipelines/p%2F..%2Fx%3Fa%3Db/start", Reply(204))
        upstream.on("DELETE", "/pipelines/abc", Reply(204))
        upstream.on(
            "POST",
            "/connectors/c1/postgres-drop-replication-slot",
            Reply(
                409,
                {"error": "slot busy", "details": {"pg": {"code": "55006", "slot": "artie_1"}}},
                {"X-Request-Id": "req-9"},
            ),
        )

        async def main() -> dict[str, Any]:
            env = {"ARTIE_API_KEY": "sk-test-123", "ARTIE_BASE_URL": upstream.url}
            async with Client(params(installed, **env)) as client:
                out: dict[str, Any] = {}
                out["list"] = await client.call_tool(
                    "connector_list", {"includeSourceConnectors": True}
                )
                out["start"] = await client.call_tool(
                    "pipeline_start", {"uuid": "p/../x?a=b", "keepPaused": True}
                )
                out["delete"] = await client.call_tool("pipeline_delete", {"uuid": "abc"})
                out["slot"] = await client.call_tool(
                    "connector_drop_postgres_replication_slot",
                    {"uuid": "c1", "slotName": "artie_1"},
                )
                out["bad"] = await client.call_tool(
                    "pipeline_start", {"keepPaused": "yes", "extra": 1}
                )
                return out

        results = anyio.run(main)
    reqs = upstream.requests
    assert [(r.method, r.raw_path) for r in reqs] == [
        ("GET", "/connectors?includeSourceConnectors=true"),
        ("POST", "/pipelines/p%2F..%2Fx%3Fa%3Db/start"),
        ("DELETE", "/pipelines/abc"),
        ("POST", "/connectors/c1/postgres-drop-replication-slot"),
    ]  # the invalid call sent nothing
    for r in reqs:
        assert r.headers["authorization"] == "Bearer sk-test-123"
        assert r.headers["accept"] == "application/json"
    assert reqs[0].body == b"" and "content-type" not in reqs[0].headers
    assert (
        reqs[1].json() == {"keepPaused": True}
        and reqs[1].headers["content-type"] == "application/json"
    )
    assert reqs[2].body == b""
    assert reqs[3].json() == {"slotName": "artie_1"}

    assert not results["list"].is_error and results["list"].structured_content == {
        "items": [],
        "total": 0,
    }
    assert results["start"].structured_content == {"ok": True, "status": 204}
    assert results["delete"].structured_content == {"ok": True, "status": 204}
    slot = results["slot"]
    assert slot.is_error
    error = json.loads(slot.content[0].text)["error"]
    # the tool declares an outputSchema: TypeScript clients would check an error's
    # structuredContent against it, so the error travels as text only
    assert slot.structured_content is None
    assert (
        error["type"] == "upstream_error"
        and error["status"] == 409
        and error["request_id"] == "req-9"
    )
    assert error["upstream"] == {
        "error": "slot busy",
        "details": {"pg": {"code": "55006", "slot": "artie_1"}},
    }
    bad = results["bad"]
    assert bad.is_error
    bad_error = json.loads(bad.content[0].text)["error"]
    assert bad_error["type"] == "invalid_arguments"
    assert {d["path"] for d in bad_error["details"]} == {"/uuid", "/extra", "/keepPaused"}
    assert "sk-test-123" not in json.dumps([r.content[0].text for r in results.values()])


def test_missing_api_key_is_a_config_error_at_call_time(installed: Path) -> None:
    async def main() -> Any:
        async with Client(params(installed)) as client:
            return await client.call_tool("pipeline_list", {})

    result = anyio.run(main)
    assert result.is_error
    error = json.loads(result.content[0].text)["error"]
    assert error["type"] == "config" and "ARTIE_API_KEY" in error["message"]


def test_python_dash_m_and_help(installed: Path) -> None:
    python = installed.parent / "python"
    proc = subprocess.run(
        [str(python), "-m", "artie_mcp", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "ARTIE_API_KEY" in proc.stdout and "--transport" in proc.stdout
