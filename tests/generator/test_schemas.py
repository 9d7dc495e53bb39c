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
from generator.schemas import SchemaWalker
from generator.schematools import deferred_finalize, finalize, json_size, merge_all_of, strip
from tests.conftest import ARTIE_SPECS, PINNED_SPEC, REPO
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
            check_2020_12(bad)
        with pytest.raises(Exception, match="Failed validating"):
            Draft202012Validator.check_schema(bad)
    check_2020_12(SHARED_IN_CYCLE["components"]["schemas"]["Address"])


def test_a_subschema_that_failed_is_not_remembered_as_checked() -> None:
    """The process-wide memory holds what passed: the same invalid subschema fails every time."""
    bad = {"properties": {"a": {"minLength": -2}}}
    for _ in range(2):
        with pytest.raises(Exception, match="Failed validating"):
            check_2020_12(bad)


@pytest.mark.parametrize("spec", SPECS, ids=[p.name for p in SPECS])
def test_every_served_schema_of_every_spec_resolves_and_is_2020_12(spec: Path) -> None:
    doc = load.load(str(spec), validate=False).doc
    api = operations.build(doc, GeneratorConfig(), Diagnostics())
    checked_schemas = 0
    for where, schema in served_schemas(api):
        assert unresolved(schema) == [], where
        check_2020_12(schema)
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


class Walker(SchemaWalker):
    """convert() without the origin markers that finalize() consumes."""

    def convert(self, schema, direction, where):  # type: ignore[no-untyped-def]
        out, defs = super().convert(schema, direction, where)
        return strip(out), strip(defs)


def walker(components: dict, openapi: str = "3.1.0") -> SchemaWalker:
    return Walker({"openapi": openapi, "components": {"schemas": components}}, Diagnostics())


def test_nullable_30_equals_type_list_31() -> None:
    old = walker(
        {
            "S": {
                "type": "object",
                "properties": {"a": {"type": "string", "nullable": True, "enum": ["x", "y"]}},
            }
        },
        "3.0.3",
    )
    new = walker(
        {
            "S": {
                "type": "object",
                "properties": {"a": {"type": ["null", "string"], "enum": ["x", "y"]}},
            }
        }
    )
    a, _ = old.convert({"$ref": "#/components/schemas/S"}, "output", "t")
    b, _ = new.convert({"$ref": "#/components/schemas/S"}, "output", "t")
    assert json.dumps(a) == json.dumps(b)
    # OAS 3.0.3: nullable does not widen an enum that does not list null
    assert a["properties"]["a"] == {"type": ["string", "null"], "enum": ["x", "y"]}


def test_nullable_ref_without_type_becomes_any_of_null() -> None:
    w = walker(
        {"A": {"oneOf": [{"type": "string"}, {"type": "integer"}]}, "B": {"type": "object"}},
        "3.0.3",
    )
    out, _ = w.convert({"$ref": "#/components/schemas/A", "nullable": True}, "input", "t")
    assert out == {
        "anyOf": [{"oneOf": [{"type": "string"}, {"type": "integer"}]}, {"type": "null"}]
    }


def test_exclusive_minimum_boolean_30() -> None:
    w = walker({}, "3.0.3")
    out, _ = w.convert({"type": "number", "minimum": 0, "exclusiveMinimum": True}, "input", "t")
    assert out == {"type": "number", "exclusiveMinimum": 0}


def test_recursive_schema_uses_defs_not_infinite_inlining() -> None:
    w = walker(
        {
            "Json": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/Json"}},
                ]
            },
            "Holder": {
                "type": "object",
                "properties": {"value": {"$ref": "#/components/schemas/Json"}},
            },
        }
    )
    out, defs = w.convert({"$ref": "#/components/schemas/Holder"}, "output", "t")
    assert out["properties"]["value"] == {"$ref": "#/$defs/Json"}
    assert defs["Json"]["oneOf"][1]["items"] == {"$ref": "#/$defs/Json"}


def test_mutual_recursion_is_detected() -> None:
    w = walker(
        {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
            "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}},
            "C": {"type": "object", "properties": {"x": {"type": "string"}}},
        }
    )
    out, defs = w.convert({"$ref": "#/components/schemas/A"}, "input", "t")
    assert out == {"$ref": "#/$defs/A"}
    assert set(defs) == {"A", "B"}
    plain, none = w.convert({"$ref": "#/components/schemas/C"}, "input", "t")
    assert plain == {"type": "object", "properties": {"x": {"type": "string"}}} and none == {}


def test_ref_siblings_annotations_merge_and_constraints_use_all_of() -> None:
    w = walker({"S": {"type": "string"}})
    assert w.convert({"$ref": "#/components/schemas/S", "description": "d"}, "input", "t")[0] == {
        "type": "string",
        "description": "d",
    }
    assert w.convert({"$ref": "#/components/schemas/S", "maxLength": 3}, "input", "t")[0] == {
        "allOf": [{"type": "string"}],
        "maxLength": 3,
    }


def test_context_noise_dropped_and_read_only_hidden_from_input() -> None:
    w = walker({})
    schema = {
        "type": "object",
        "title": "T",
        "example": {"id": 1},
        "x-internal": True,
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "name": {"type": "string", "examples": ["n"]},
        },
    }
    inp, _ = w.convert(schema, "input", "t")
    assert inp == {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}},
    }
    out, _ = w.convert(schema, "output", "t")
    assert set(out["properties"]) == {"id", "name"}


def test_unresolvable_ref_is_a_warning_not_a_crash() -> None:
    d = Diagnostics()
    w = Walker({"openapi": "3.1.0", "components": {"schemas": {}}}, d)
    out, _ = w.convert({"$ref": "#/components/schemas/Missing"}, "input", "POST /x")
    assert out == {}
    assert d.of_level("warning") and "does not resolve" in d.items[0].message


def test_merge_all_of_objects() -> None:
    merged = merge_all_of(
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"type": "object", "properties": {"b": {"type": "integer"}}},
            ],
            "description": "both",
        }
    )
    assert merged == {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
        "description": "both",
    }


def test_finalize_shares_a_large_component_met_twice_and_inlines_small_ones() -> None:
    big = {
        "type": "object",
        "properties": {
            f"field_{i}": {"type": "string", "description": "x" * 20} for i in range(10)
        },
    }
    w = SchemaWalker(
        {
            "openapi": "3.1.0",
            "components": {
                "schemas": {"Big": big, "Small": {"type": "string", "enum": ["a", "b"]}}
            },
        },
        Diagnostics(),
    )
    root, _ = w.convert(
        {
            "type": "object",
            "properties": {
                "a": {"$ref": "#/components/schemas/Big"},
                "b": {"type": "array", "items": {"$ref": "#/components/schemas/Big"}},
                "c": {"$ref": "#/components/schemas/Small"},
                "d": {"$ref": "#/components/schemas/Small"},
            },
        },
        "input",
        "t",
    )
    out = finalize(root)
    assert out["properties"]["a"] == {"$ref": "#/$defs/Big"} and out["properties"]["b"][
        "items"
    ] == {"$ref": "#/$defs/Big"}
    assert out["$defs"]["Big"] == big
    assert out["properties"]["c"] == {"type": "string", "enum": ["a", "b"]}
    assert "x-mcp-origin" not in str(out)


def test_a_reference_cycle_through_thirty_schemas() -> None:
    n = 30
    components = {
        f"S{i}": {
            "type": "object",
            "properties": {
                "next": {"$ref": f"#/components/schemas/S{(i + 1) % n}"},
                "v": {"type": "integer"},
            },
        }
        for i in range(n)
    }
    components["Leaf"] = {
        "type": "object",
        "properties": {"start": {"$ref": "#/components/schemas/S0"}},
    }
    out, defs = walker(components).convert({"$ref": "#/components/schemas/Leaf"}, "output", "t")
    assert out == {"type": "object", "properties": {"start": {"$ref": "#/$defs/S0"}}}
    assert sorted(defs) == sorted(f"S{i}" for i in range(n))
    assert defs["S29"]["properties"]["next"] == {"$ref": "#/$defs/S0"}
    from jsonschema import Draft202012Validator

    schema = {**out, "$defs": defs}
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate({"start": {"v": 1, "next": {"v": 2, "next": {}}}})


def test_json_size_counts_what_compact_json_dumps_writes_without_origin_markers() -> None:
    from generator.schematools import ORIGIN

    spec = json.loads(PINNED_SPEC.read_text())
    samples: list[object] = [
        {},
        [],
        {"a": []},
        {"é": "ü\n\"", "n": None, "t": True, "f": 1.5e300, "i": -3, ORIGIN: "X"},
        [{"b": {ORIGIN: "Y"}}, [], "x"],
        spec["components"],
        {**spec["components"]["schemas"], ORIGIN: "Z"},
    ]
    for sample in samples:
        exact = len(json.dumps(strip(sample), separators=(",", ":")))
        assert json_size(sample, 10**9) == exact
        assert json_size(sample, exact) >= exact  # a bound stops early, never under it
