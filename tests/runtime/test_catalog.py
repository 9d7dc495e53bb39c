"""What the server tells the agent at initialisation, read through the mcp client.

tools/list as a real client reads it: what a model needs, in few bytes.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.support.served import generate_app, tool_server
from tests.support.upstream import Reply, Upstream


def instructions(**settings: Any) -> str:
    from mcp import Client

    server = tool_server(importlib.import_module("artie_mcp.app"), **settings)

    async def main() -> str:
        async with Client(server.server) as client:
            return client.instructions or ""

    return anyio.run(main)


def test_instruction_parts_are_joined_as_sentences() -> None:
    for text in (instructions(), instructions(read_only=True, confirm_destructive=True)):
        assert "External API endpoints for Artie. Each tool's description" in text
        # no sentence runs into the next: a capital after a word needs a full stop before it
        assert not re.search(r"[a-z0-9)] (Each|Destructive|Deliberately) ", text), text
        for paragraph in text.split("\n\n"):
            assert paragraph.endswith((".", "…")), paragraph


@pytest.fixture(scope="module")
def artie(tmp_path_factory: pytest.TempPathFactory, pinned_spec: Path) -> Any:
    return generate_app(pinned_spec, tmp_path_factory.mktemp("catalog"), "catalog_artie")


def listed(server: Any) -> list[dict[str, Any]]:
    async def main() -> Any:
        async with Client(server.server) as client:
            return (await client.list_tools()).tools

    return [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in anyio.run(main)]


def test_what_only_the_server_enforces_is_not_listed_but_still_enforced(artie: Any) -> None:
    with Upstream() as upstream:
        upstream.default = Reply(200, {"uuid": "p-1"})
        server = tool_server(artie, api_key="k", base_url=upstream.url)
        tools = {t["name"]: t for t in listed(server)}
        schema = tools["pipeline_create_from_source"]["inputSchema"]
        assert "additionalProperties" not in schema
        assert schema["properties"]["environmentUUID"] == {"format": "uuid", "type": "string"}

        async def main() -> Any:
            async with Client(server.server) as client:
                unknown = await client.call_tool("pipeline_create_from_source", {"nope": 1})
                null = await client.call_tool(
                    "pipeline_create_from_source", {"environmentUUID": None}
                )
            await server.aclose()
            return unknown, null

        unknown, null = anyio.run(main)
    assert unknown.is_error
    assert json.loads(unknown.content[0].text)["error"]["type"] == "invalid_arguments"
    assert not null.is_error and upstream.requests[0].json() == {"environmentUUID": None}


def test_each_artie_tool_keeps_what_a_model_needs(artie: Any, pinned_spec: Path) -> None:
    """The spec's summary and description, the scope, the destructive warning, the
    hints, and every parameter and body field with its type, enum and required flag."""
    spec = json.loads(pinned_spec.read_text())
    components = spec["components"]["schemas"]

    def resolve(node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    ops = {
        op["operationId"]: op
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("x-artie-mcp", {}).get("exposure") == "exposed"
    }
    tools = {t["name"]: t for t in listed(tool_server(artie))}
    assert set(tools) == set(ops)

    def same_type(served: Any, documented: Any) -> bool:
        kinds = documented.get("type")
        kinds = set(kinds) if isinstance(kinds, list) else {kinds}
        got = served.get("type")
        got = set(got) if isinstance(got, list) else {got}
        return got == kinds or got == kinds - {"null"}  # optional: null left out

    for name, op in ops.items():
        tool, policy = tools[name], op["x-artie-mcp"]
        text = f"{tool['title']} {tool['description']}"
        assert op["summary"].rstrip(".") in text, name
        assert (op.get("description") or "").strip() in tool["description"], name
        scopes = policy["requiredScopes"]
        label = "Scope: " if len(scopes) == 1 else "Scopes: "
        assert label + ", ".join(scopes) + "." in tool["description"], name
        warned = "Destructive: confirm with the user first." in tool["description"]
        assert warned == (policy["destructiveHint"] and not policy["readOnlyHint"]), name
        hints = tool.get("annotations") or {}
        assert hints.get("readOnlyHint", False) == policy["readOnlyHint"], name
        if not policy["readOnlyHint"]:
            assert hints["destructiveHint"] == policy["destructiveHint"], name
        schema = tool["inputSchema"]
        required = set(schema.get("required", []))
        for param in op.get("parameters", []):
            param = resolve(param)
            arg = next(
                k for k in schema["properties"] if k in (param["name"], f"{param['name']}_path")
            )
            served, documented = schema["properties"][arg], resolve(param["schema"])
            assert same_type(served, documented), (name, arg)
            assert served.get("enum") == documented.get("enum") or not documented.get("enum")
            assert (arg in required) == (param["in"] == "path" or param.get("required", False))
        body = (
            op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        )
        body = resolve(body) if body else None
        for field, documented in ((body or {}).get("properties") or {}).items():
            documented = resolve(documented)
            if documented.get("readOnly"):
                continue
            served = schema["properties"][field]
            if "type" in documented and "type" in served:
                assert same_type(served, documented), (name, field)
            if documented.get("enum"):
                assert set(served["enum"]) <= set(documented["enum"]), (name, field)
            assert (field in required) == (field in (body.get("required") or [])), (name, field)
