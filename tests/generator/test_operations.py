"""Operations -> tools: which result controls a tool advertises."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from generator.config import GeneratorConfig
from generator.diagnostics import Diagnostics
from generator.operations import build

ITEM = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}


def answer(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def tools(paths: dict[str, Any]) -> dict[str, Any]:
    doc = {"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": paths}
    return {t.name: t for t in build(doc, GeneratorConfig(), Diagnostics()).tools}


def test_only_reads_of_lists_advertise_window_and_field_arguments() -> None:
    envelope = {"type": "object", "properties": {"items": {"type": "array", "items": ITEM}}}
    strings = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "zones": {"type": "array", "items": {"type": "string"}},
        },
    }
    found = tools(
        {
            "/things": {
                "get": {"operationId": "thing_list", "responses": answer(envelope)},
                "post": {"operationId": "thing_import", "responses": answer(envelope)},
            },
            "/things/{id}": {
                "get": {
                    "operationId": "thing_detail",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": answer(strings),
                }
            },
        }
    )
    listing, imported, detail = found["thing_list"], found["thing_import"], found["thing_detail"]
    assert set(listing.input_schema["properties"]) == {
        "result_offset",
        "result_limit",
        "result_fields",
    }
    assert listing.window_args == ("result_offset", "result_limit")
    # a write whose answer holds a list: windowed by the server to fit, nothing advertised
    assert imported.list_field == "items" and imported.window_args is None
    assert imported.fields_arg is None and imported.input_schema["properties"] == {}
    # a read whose only array is a list of strings inside one object: not a list result
    assert detail.window_args is None and set(detail.input_schema["properties"]) == {"id"}


def test_window_arguments_are_described_in_a_few_words() -> None:
    envelope = {"type": "object", "properties": {"items": {"type": "array", "items": ITEM}}}
    listing = tools(
        {"/things": {"get": {"operationId": "thing_list", "responses": answer(envelope)}}}
    )
    props = listing["thing_list"].input_schema["properties"]
    assert props["result_offset"] == {"type": "integer", "minimum": 0}
    assert props["result_limit"] == {"type": "integer", "minimum": 1}
    assert props["result_fields"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Only these fields of each item.",
    }


def spec(
    paths: dict[str, Any], schemas: dict[str, Any] | None = None, **top: Any
) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas or {}},
        **top,
    }


def one(doc: dict[str, Any], options: GeneratorConfig = GeneratorConfig()):  # type: ignore[no-untyped-def]
    api = build(doc, options, Diagnostics())
    assert len(api.tools) == 1
    return api.tools[0]


def test_path_and_body_with_same_name_keep_both() -> None:
    tool = one(
        spec(
            {
                "/tunnels/{uuid}": {
                    "put": {
                        "operationId": "tunnel_update",
                        "parameters": [
                            {
                                "name": "uuid",
                                "in": "path",
                                "required": True,
                                "schema": {"type": "string"},
                            }
                        ],
                        "requestBody": {
                            "required": True,
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/T"}}
                            },
                        },
                        "responses": {"200": {"description": "ok"}},
                    }
                }
            },
            {
                "T": {
                    "type": "object",
                    "required": ["uuid"],
                    "properties": {"uuid": {"type": "string"}, "n": {"type": "integer"}},
                }
            },
        )
    )
    assert [(p.arg, p.wire, p.location) for p in tool.params] == [("uuid_path", "uuid", "path")]
    assert tool.body is not None and tool.body.mode == "flat"
    assert dict(tool.body.fields) == {"uuid": "uuid", "n": "n"}
    schema = tool.input_schema
    assert set(schema["properties"]) == {"uuid_path", "uuid", "n"}
    assert schema["required"] == ["uuid_path", "uuid"]
    assert schema["additionalProperties"] is False


def test_union_body_goes_under_a_named_property() -> None:
    tool = one(
        spec(
            {
                "/things": {
                    "post": {
                        "requestBody": {
                            "required": True,
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {
                                                "type": "object",
                                                "properties": {"a": {"type": "string"}},
                                            },
                                            {"type": "string"},
                                        ]
                                    }
                                }
                            },
                        },
                        "responses": {"204": {"description": "done"}},
                    }
                }
            }
        )
    )
    assert tool.body is not None and tool.body.mode == "wrapped" and tool.body.arg == "body"
    root = tool.input_schema
    assert root["type"] == "object" and "oneOf" not in root
    assert "oneOf" in root["properties"]["body"] and root["required"] == ["body"]
    assert (
        tool.bodiless
        and tool.output_schema is not None
        and tool.output_schema["required"] == ["ok", "status"]
    )


def test_array_response_is_wrapped_under_result() -> None:
    tool = one(
        spec(
            {
                "/items": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {
                                    "application/json": {
                                        "schema": {"type": "array", "items": {"type": "string"}}
                                    }
                                },
                            }
                        }
                    }
                }
            }
        )
    )
    assert tool.output_wrapped
    assert tool.response_schema == {"type": "array", "items": {"type": "string"}}
    # advertised: the wrapper, and an outline that asserts nothing about the answer
    assert tool.output_schema == {
        "type": "object",
        "properties": {"result": {"items": {}}},
        "required": ["result"],
    }
    # a list result: windowing arguments in; the window report meets the outline
    assert tool.list_field == "result" and tool.window_args == ("result_offset", "result_limit")
    assert {"result_offset", "result_limit", "result_fields"} <= set(
        tool.input_schema["properties"]
    )
    windowed = {"result": ["a", 1, None], "_window": {"offset": 0, "next_offset": 3}}
    Draft202012Validator(tool.output_schema).validate(windowed)


def test_a_json_answer_or_no_body_advertises_an_outline_both_meet() -> None:
    tool = one(
        spec(
            {
                "/ping": {
                    "post": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/json": {"schema": {"type": "object"}}},
                            },
                            "204": {"description": "nothing"},
                        }
                    }
                }
            }
        )
    )
    assert tool.output_schema == {"type": "object"} and not tool.bodiless
    assert tool.json_response
    for answer in ({"anything": [1]}, {"ok": True, "status": 204}):
        Draft202012Validator(tool.output_schema).validate(answer)


def test_without_policy_annotations_follow_the_http_method() -> None:
    doc = spec(
        {
            "/a": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/a/{id}": {
                "delete": {
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"204": {"description": "ok"}},
                },
                "put": {
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"204": {"description": "ok"}},
                },
            },
        }
    )
    d = Diagnostics()
    api = build(doc, GeneratorConfig(), d)
    hints = {t.name: t.annotations for t in api.tools}
    assert (
        hints["a_list"].read_only and hints["a_list"].idempotent and not hints["a_list"].destructive
    )
    assert hints["a_delete"].destructive and hints["a_delete"].idempotent
    assert hints["a_update"].idempotent and not hints["a_update"].destructive
    assert not api.has_policy and any("no x-artie-mcp" in i.message for i in d.items)


def test_policy_block_drives_exposure_and_hints() -> None:
    block = {
        "exposure": "excluded",
        "readOnlyHint": True,
        "destructiveHint": False,
        "idempotentHint": True,
        "openWorldHint": False,
        "title": "Get a secret",
        "requiredScopes": ["secrets:read"],
        "exclusionReason": "Returns a secret.",
        "remediation": "Use secret_list.",
    }
    doc = spec(
        {
            "/s": {
                "get": {
                    "operationId": "secret_get",
                    "x-artie-mcp": block,
                    "responses": {"200": {"description": "ok"}},
                }
            }
        }
    )
    api = build(doc, GeneratorConfig(), Diagnostics())
    assert api.tools == [] and [t.name for t in api.excluded] == ["secret_get"]
    tool = api.excluded[0]
    assert tool.annotations is not None and tool.title == "Get a secret"
    assert "Scope: secrets:read." in tool.description and "Use secret_list." in tool.description


def test_long_and_clashing_names_are_settled_in_one_pass() -> None:
    long_id = "x" * 70
    doc = spec(
        {
            "/a": {"get": {"operationId": long_id, "responses": {"200": {"description": "ok"}}}},
            "/b": {"get": {"operationId": "same", "responses": {"200": {"description": "ok"}}}},
            "/c": {"get": {"operationId": "same.", "responses": {"200": {"description": "ok"}}}},
        }
    )
    api = build(doc, GeneratorConfig(tool_prefix="p_", max_name_length=48), Diagnostics())
    names = [t.name for t in api.tools]
    assert len(set(names)) == 3 and all(len(n) <= 48 for n in names)
    assert names[1] == "p_same" and names[2] == "p_same_2"
    assert {r[1] for r in api.renames} == {"p_" + long_id, "p_same."}


def test_webhooks_are_not_tools() -> None:
    doc = spec(
        {},
        webhooks={
            "thing.done": {"post": {"summary": "Done", "responses": {"200": {"description": "ok"}}}}
        },
    )
    api = build(doc, GeneratorConfig(), Diagnostics())
    assert api.tools == [] and [w.name for w in api.webhooks] == ["thing.done"]
