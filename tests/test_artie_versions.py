"""Every Artie spec version in ../shared generates, serves and lists correct tools."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from mcp import Client

from generator import naming
from generator.config import GeneratorConfig
from generator.diagnostics import Diagnostics
from generator.operations import build
from tests.conftest import ARTIE_VERSIONS, artie_spec
from tests.support import hints
from tests.support.schemas import check_2020_12, refs
from tests.support.served import build_tool_server


def load(version: str) -> dict[str, Any]:
    return yaml.load(artie_spec(version).read_text(), Loader=yaml.CSafeLoader)


def expected_tools(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    ops = [
        {**op, "method": m.upper(), "path": p}
        for p, item in doc["paths"].items()
        for m, op in item.items()
        if m in ("get", "put", "post", "delete", "patch", "head", "options", "trace")
    ]
    has_policy = any("x-artie-mcp" in op for op in ops)
    if has_policy:
        ops = [op for op in ops if op["x-artie-mcp"].get("exposure", "exposed") == "exposed"]
    return ops, has_policy


@pytest.mark.parametrize("version", ARTIE_VERSIONS)
def test_version_generates_and_serves(version: str, tmp_path: Path) -> None:
    doc = load(version)
    expected, has_policy = expected_tools(doc)
    server = build_tool_server(artie_spec(version), tmp_path, version)

    async def main() -> list[Any]:
        async with Client(server.server) as client:
            return (await client.list_tools()).tools

    tools = anyio.run(main)
    assert len(tools) == len(expected) > 0
    names = [t.name for t in tools]
    assert len(set(names)) == len(names)
    by_route = {(op["method"], op["path"]): op for op in expected}
    ops_by_name = {op.name: op for op in server.operations.values()}
    for tool in tools:
        assert naming.TOOL_NAME.match(tool.name) and len(tool.name) <= 48
        op = by_route[(ops_by_name[tool.name].method, ops_by_name[tool.name].path)]
        if "operationId" in op:
            assert tool.name == op["operationId"]
        a = tool.annotations
        assert a is not None
        if has_policy:
            block = op["x-artie-mcp"]
            assert hints.served(a) == hints.declared(
                block["readOnlyHint"],
                block["destructiveHint"],
                block["idempotentHint"],
                block["openWorldHint"],
            )
        else:
            read_only = op["method"] == "GET"
            assert hints.served(a)[0] == read_only
            assert read_only or hints.served(a)[1] == (op["method"] == "DELETE")
        for schema in (tool.input_schema, tool.output_schema):
            if schema is None:
                continue
            check_2020_12(schema)
            assert schema["type"] == "object"
            defs = schema.get("$defs", {})
            for ref in refs(schema):
                assert ref.startswith("#/$defs/") and ref.split("/")[-1] in defs, (tool.name, ref)
        assert set(tool.input_schema.get("required", [])) <= set(tool.input_schema["properties"])
    # the Pydantic models import
    pkg = type(server).__module__.split(".")[0]
    __import__(f"{pkg}.models")


def test_v1_0_0_names_are_derived_readably(tmp_path: Path) -> None:
    api = build(load("v1.0.0"), GeneratorConfig(), Diagnostics())
    names = {t.name for t in api.tools}
    assert {
        "pipeline_list",
        "pipeline_create",
        "pipeline_detail",
        "pipeline_start",
        "ssh_tunnel_delete",
    } <= names


def test_old_and_new_names_mostly_agree_across_the_operation_id_change() -> None:
    before = {
        (t.method, t.path): t.name
        for t in build(load("v1.0.53"), GeneratorConfig(), Diagnostics()).all_tools
    }
    after = {
        (t.method, t.path): t.name
        for t in build(load("v1.0.54"), GeneratorConfig(), Diagnostics()).all_tools
    }
    same = sum(1 for k, v in before.items() if after.get(k) == v)
    assert (
        same >= len(before) * 0.6
    ), f"only {same}/{len(before)} derived names match the operationIds"


def to_31(node: Any) -> Any:
    """The rewrite Artie did at v1.0.43: nullable -> type lists; enums left as they were."""
    if isinstance(node, dict):
        out = {k: to_31(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = ["null", out["type"]]
        return out
    if isinstance(node, list):
        return [to_31(v) for v in node]
    return node


@pytest.mark.parametrize("version", ["v1.0.0"])
def test_30_nullable_and_31_type_lists_give_identical_tool_schemas(version: str) -> None:
    old = load(version)
    assert old["openapi"].startswith("3.0") and "nullable" in json.dumps(old)
    new = to_31(copy.deepcopy(old))
    new["openapi"] = "3.1.0"
    a = build(old, GeneratorConfig(), Diagnostics())
    b = build(new, GeneratorConfig(), Diagnostics())
    for x, y in zip(a.all_tools, b.all_tools, strict=True):
        assert json.dumps(x.input_schema) == json.dumps(y.input_schema), x.name
        assert json.dumps(x.output_schema) == json.dumps(y.output_schema), x.name
