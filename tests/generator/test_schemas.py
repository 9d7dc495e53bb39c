"""Served tool schemas are complete JSON Schema 2020-12 documents: every ``$ref``
resolves, on every spec we test (issue 21); and OAS 3.0 ``nullable`` means what
OAS 3.0.3 says: "null" joins the type, an enum without null still rejects null.

Served schemas resolve completely, and big reference cycles are not copied
whole into every tool.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from jsonschema import Draft202012Validator
from mcp import Client

from generator import load, operations, outlines
from generator.config import GeneratorConfig
from generator.diagnostics import Diagnostics
from generator.operations import build
from generator.schemas import SchemaWalker, deferred_finalize, finalize, json_size
from tests.conftest import ARTIE_SPECS, REPO
from tests.support.schemas import check_2020_12, refs, unresolved
from tests.support.served import generate_app, tool_server

ADDRESS = {
    "type": "object",
    "required": ["line1", "city", "country"],
    "properties": {
        name: {"type": "string", "maxLength": 5000, "description": f"The address's {name}."}
        for name in ("line1", "line2", "city", "postal_code", "country", "state")
    },
}
# Node is recursive (so it lives in $defs) and holds the large Address twice, so
# finalize() shares Address while it rewrites Node: a definition made inside another.
SHARED_IN_CYCLE = {
    "openapi": "3.1.0",
    "info": {"title": "Nodes", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:9"}],
    "paths": {
        "/nodes/{id}": {
            "get": {
                "operationId": "get_node",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                        },
                    }
                },
            },
            "put": {
                "operationId": "put_node",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                    },
                },
                "responses": {"204": {"description": "ok"}},
            },
        }
    },
    "components": {
        "schemas": {
            "Node": {
                "type": "object",
                "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "primary": {"$ref": "#/components/schemas/Address"},
                    "backup": {"$ref": "#/components/schemas/Address"},
                },
            },
            "Address": ADDRESS,
        }
    },
}
A_NODE = {
    "primary": {"line1": "1 Main St", "city": "Springfield", "country": "US"},
    "children": [{"backup": {"line1": "2 Side St", "city": "Shelbyville", "country": "US"}}],
}
NOT_A_NODE = {"children": [{"backup": {"line1": "2 Side St"}}]}  # city and country missing


def served_schemas(api: Any) -> list[tuple[str, Any]]:
    out = []
    for tool in api.all_tools:
        for side in ("input_schema", "output_schema", "response_schema"):
            schema = getattr(tool, side)
            if schema is not None:
                out.append((f"{tool.name}.{side}", schema))
    return out


def test_a_component_shared_inside_a_cycle_is_defined_in_the_served_schemas(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "nodes.yaml"
    spec.write_text(yaml.safe_dump(SHARED_IN_CYCLE, sort_keys=False))
    app = generate_app(spec, tmp_path, "shared_in_cycle")
    server = tool_server(app)

    async def listed() -> dict[str, Any]:
        try:
            async with Client(server.server) as client:
                return {t.name: t for t in (await client.list_tools()).tools}
        finally:
            await server.aclose()

    tools = anyio.run(listed)
    put = tools["put_node"].input_schema
    assert unresolved(put) == [] and "Address" in put["$defs"]
    Draft202012Validator.check_schema(put)
    Draft202012Validator(put).validate({"id": "n1", "body": A_NODE})  # resolves every $ref
    assert not Draft202012Validator(put).is_valid({"id": "n1", "body": NOT_A_NODE})
    # the documented response schema travels in the tool file
    tool_file = Path(app.__file__).parent / "tools" / "get_node.json"
    documented = json.loads(tool_file.read_text())["response_schema"]
    assert unresolved(documented) == [] and "Address" in documented["$defs"]
    Draft202012Validator(documented).validate(A_NODE)
    assert not Draft202012Validator(documented).is_valid(NOT_A_NODE)


# Artie and our feature specs here; every public spec is checked on the files its generated
# package serves (tests/runtime/test_big_apis.py), with the same checks.
SPECS = sorted(ARTIE_SPECS.glob("v*.yaml"))
SPECS += sorted((REPO / "tests" / "specs").glob("*.yaml"))


def test_the_subschema_check_finds_what_check_schema_finds() -> None:
    for bad in ({"type": "strin"}, {"properties": {"a": {"minLength": -1}}}, {"anyOf": [5]}):
        with pytest.raises(Exception, match="Failed validating"):
            check_2020_12(bad, set())
        with pytest.raises(Exception, match="Failed validating"):
            Draft202012Validator.check_schema(bad)
    check_2020_12(SHARED_IN_CYCLE["components"]["schemas"]["Address"], set())


@pytest.mark.parametrize("spec", SPECS, ids=[p.name for p in SPECS])
def test_every_served_schema_of_every_spec_resolves_and_is_2020_12(spec: Path) -> None:
    doc = load.load(str(spec), validate=False).doc
    api = operations.build(doc, GeneratorConfig(), Diagnostics())
    checked_schemas = 0
    checked: set[str] = set()
    for where, schema in served_schemas(api):
        assert unresolved(schema) == [], where
        check_2020_12(schema, checked)
        checked_schemas += 1
    assert checked_schemas >= len(api.all_tools)


# -- OAS 3.0 nullable --------------------------------------------------------------------


def converted(schema: dict[str, Any], components: dict[str, Any] | None = None) -> Any:
    spec = {"openapi": "3.0.3", "components": {"schemas": components or {}}}
    out, defs = SchemaWalker(spec, Diagnostics()).convert(schema, "input", "t")
    return finalize({**out, "$defs": defs} if defs else out)


@pytest.mark.parametrize(
    "schema, components, accepts_null",
    [
        ({"type": "string", "nullable": True}, None, True),
        ({"type": "string", "nullable": True, "enum": ["gzip", ""]}, None, False),
        ({"type": "string", "nullable": True, "enum": ["gzip", None]}, None, True),
        ({"nullable": True, "enum": ["gzip", ""]}, None, False),
        ({"$ref": "#/components/schemas/E", "nullable": True}, {"E": {"type": "integer"}}, True),
        (
            {"$ref": "#/components/schemas/E", "nullable": True},
            {"E": {"type": "string", "enum": ["a", "b"]}},
            False,
        ),
    ],
)
def test_30_nullable_adds_null_to_the_type_but_never_to_an_enum(
    schema: dict[str, Any], components: dict[str, Any] | None, accepts_null: bool
) -> None:
    out = converted(schema, components)
    Draft202012Validator.check_schema(out)
    assert Draft202012Validator(out).is_valid(None) is accepts_null
    for value in schema.get("enum") or (components or {}).get("E", {}).get("enum") or []:
        assert Draft202012Validator(out).is_valid(value)


def test_artie_v1_0_42_and_its_31_rewrite_v1_0_43_serve_the_same_enum() -> None:
    def compression(version: str) -> Any:
        doc = load.load(str(ARTIE_SPECS / f"{version}.yaml"), validate=False).doc
        api = operations.build(doc, GeneratorConfig(), Diagnostics())
        tool = next(t for t in api.all_tools if t.name == "source_reader_create")
        return tool.input_schema["properties"]["settings"]["properties"]["messageCompression"]

    old, new = compression("v1.0.42"), compression("v1.0.43")
    assert old == new == {"enum": ["gzip", ""], "type": ["string", "null"]}


# -- deferred finalize and the bounded size ------------------------------------------------


def test_deferred_finalize_keeps_shared_objects_and_normal_finalize_equals_json() -> None:
    spec = {**SHARED_IN_CYCLE, "openapi": "3.1.0"}
    with deferred_finalize():
        kept = operations.build(spec, GeneratorConfig(), Diagnostics())
    served = operations.build(spec, GeneratorConfig(), Diagnostics())
    a = next(t for t in kept.all_tools if t.name == "put_node").input_schema
    b = next(t for t in served.all_tools if t.name == "put_node").input_schema
    assert "x-mcp-origin" in json.dumps(a) and "x-mcp-origin" not in json.dumps(b)
    assert unresolved(b) == []
    text = json.dumps(b, separators=(",", ":"))
    assert json_size(b, 10**9) == len(text)
    assert len(text) > 100 and 100 <= json_size(b, 100) < len(text)


BIG = {
    "type": "object",
    "properties": {f"field_{i}": {"type": "string", "description": "x" * 20} for i in range(20)},
}


def resolves(schema: dict[str, Any]) -> bool:
    defs = schema.get("$defs") or {}
    return all(r.startswith("#/$defs/") and r.rsplit("/", 1)[-1] in defs for r in refs(schema))


def doc(schemas_: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    answer = {"200": {"description": "ok", "content": {"application/json": {"schema": body}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": {"/a": {"get": {"operationId": "a_get", "responses": answer}}},
        "components": {"schemas": schemas_},
    }


def test_a_component_shared_inside_a_cycle_is_defined_too() -> None:
    ref = {"$ref": "#/components/schemas/"}
    components = {
        "Node": {
            "type": "object",
            "properties": {
                "left": {"$ref": "#/components/schemas/Big"},
                "right": {"$ref": "#/components/schemas/Big"},
                "child": {"$ref": "#/components/schemas/Node"},
            },
        },
        "Big": BIG,
    }
    tool = build(
        doc(components, {"$ref": ref["$ref"] + "Node"}), GeneratorConfig(), Diagnostics()
    ).tools[0]
    schema = tool.response_schema
    assert schema is not None and resolves(schema), json.dumps(schema)[:500]
    Draft202012Validator.check_schema(schema)


def test_a_big_cycle_is_summarised_to_the_size_bound() -> None:
    components: dict[str, Any] = {}
    for i in range(60):  # sixty components that all reach each other
        components[f"C{i}"] = {
            "type": "object",
            "properties": {
                **BIG["properties"],
                "next": {"$ref": f"#/components/schemas/C{(i + 1) % 60}"},
                "other": {"$ref": f"#/components/schemas/C{(i + 7) % 60}"},
            },
        }
    tool = build(
        doc(components, {"$ref": "#/components/schemas/C0"}), GeneratorConfig(), Diagnostics()
    ).tools[0]
    schema = tool.response_schema
    assert schema is not None and resolves(schema)
    assert len(json.dumps(schema)) <= outlines.RESPONSE_LIMIT
    assert "next" in schema["properties"] and "field_0" in schema["properties"]
    Draft202012Validator.check_schema(schema)
