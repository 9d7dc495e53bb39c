import json

from generator.diagnostics import Diagnostics
from generator.schemas import SchemaWalker, finalize, merge_all_of, strip


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
