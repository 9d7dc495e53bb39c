"""Operations -> tools: which result controls a tool advertises."""

from __future__ import annotations

from typing import Any

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
