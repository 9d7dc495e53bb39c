"""Issue-11 rules: each broken by a small spec of our own, fixed by the generator,
and checked by the lint that `make generate` runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from mcp import Client

from generator.config import GeneratorConfig
from generator.contract import compat, dialects
from generator.diagnostics import Diagnostics
from generator.lint import lint_api, tool_json
from generator.operations import build
from tests.conftest import ARTIE_VERSIONS, PUBLIC_SPECS, REPO, artie_spec
from tests.support.served import generate_app, tool_server

OK = {
    "200": {
        "description": "ok",
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"id": {"type": "string"}}}
            }
        },
    }
}


def spec(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas or {}},
    }


def api_of(doc: dict[str, Any], **options: Any) -> Any:
    return build(doc, GeneratorConfig(**options), Diagnostics())


ALL = ("claude", "claude-code", "cursor", "openai", "vscode", "gemini")


def test_long_operation_ids_are_shortened_for_every_client() -> None:
    long_id = "retrieve_the_complete_replication_status_history_for_a_pipeline_and_its_tables"
    api = api_of(
        spec(
            {
                "/a": {"get": {"operationId": long_id, "responses": OK}},
                "/b": {"get": {"operationId": long_id + "_v2", "responses": OK}},
            }
        )
    )
    names = [t.name for t in api.tools]
    assert all(len(n) <= 48 for n in names) and len(set(names)) == 2
    assert [r[1] for r in api.renames] == [long_id, long_id + "_v2"]
    # the raw names would break Claude Code and Cursor with a 9-character server key
    raw = [{**tool_json(t), "name": r[1]} for t, r in zip(api.tools, api.renames, strict=True)]
    assert {v.rule for v in compat.lint(raw, ("claude-code", "cursor"), "artie_ops")} == {
        "tool-name-pattern",
        "tool-name-length",
    }
    assert lint_api(api, ALL, "artie_ops") == []


def test_union_request_body_goes_under_a_property_and_passes() -> None:
    body = {
        "oneOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"type": "object", "properties": {"b": {"type": "integer"}}},
        ]
    }
    api = api_of(
        spec(
            {
                "/u": {
                    "post": {
                        "requestBody": {"content": {"application/json": {"schema": body}}},
                        "responses": OK,
                    }
                }
            }
        )
    )
    raw = [{**tool_json(api.tools[0]), "inputSchema": body}]
    assert {v.rule for v in compat.lint(raw, ("claude",), "artie")} >= {
        "input-root-combinator",
        "input-root-object",
    }
    assert lint_api(api, ALL, "artie") == []


def test_arrays_without_items_get_items() -> None:
    doc = spec(
        {
            "/x": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"tags": {"type": "array"}},
                                }
                            }
                        }
                    },
                    "responses": OK,
                }
            }
        }
    )
    api = api_of(doc)
    assert api.tools[0].input_schema["properties"]["tags"] == {"type": "array", "items": {}}
    assert lint_api(api, ALL, "artie") == []
    raw = [
        {
            **tool_json(api.tools[0]),
            "inputSchema": {"type": "object", "properties": {"tags": {"type": "array"}}},
        }
    ]
    assert {(v.client, v.rule) for v in compat.lint(raw, ("openai", "vscode"), "artie")} == {
        ("openai", "array-items"),
        ("vscode", "array-items"),
    }


def test_recursive_schemas_keep_defs_by_default_and_inline_for_gemini() -> None:
    schemas = {
        "Json": {
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": {"$ref": "#/components/schemas/Json"}},
                {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Json"}},
            ]
        }
    }
    body = {"type": "object", "properties": {"value": {"$ref": "#/components/schemas/Json"}}}
    api = api_of(
        spec(
            {
                "/j": {
                    "post": {
                        "requestBody": {"content": {"application/json": {"schema": body}}},
                        "responses": OK,
                    }
                }
            },
            schemas,
        )
    )
    tool = api.tools[0]
    assert "$defs" in tool.input_schema and "Json" in tool.input_schema["$defs"]
    gem = dialects.gemini_schema(tool.input_schema)
    text = json.dumps(gem)
    assert "$ref" not in text and "$defs" not in text and "recursive structure" in text
    assert lint_api(api, ALL, "artie") == []


def test_long_descriptions_are_cut_under_the_limit_with_essentials_first() -> None:
    op = {
        "summary": "Drop a slot",
        "description": "word " * 1000,
        "x-artie-mcp": {
            "exposure": "exposed",
            "destructiveHint": True,
            "readOnlyHint": False,
            "idempotentHint": False,
            "openWorldHint": True,
            "requiredScopes": ["connectors:write"],
        },
        "responses": {"204": {"description": "ok"}},
    }
    api = api_of(spec({"/s": {"post": op}}))
    description = api.tools[0].description
    assert len(description) < 2048
    assert description.endswith(
        "…\nDestructive: confirm with the user first. Scope: connectors:write."
    )


def test_list_responses_are_wrapped_in_an_object() -> None:
    ok = {
        "200": {
            "description": "ok",
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "string"}}}
            },
        }
    }
    api = api_of(spec({"/l": {"get": {"responses": ok}}}))
    assert api.tools[0].output_schema["type"] == "object"
    raw = [
        {**tool_json(api.tools[0]), "outputSchema": {"type": "array", "items": {"type": "string"}}}
    ]
    assert [v.rule for v in compat.lint(raw, ("claude",), "artie")] == ["output-root-object"]
    assert lint_api(api, ALL, "artie") == []


def test_gemini_rules_fire_on_the_default_profile_and_not_on_the_gemini_one() -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "n": {"type": ["integer", "null"], "enum": [1, 2, None]},
            "c": {"const": "x"},
            "m": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["id"],
        "additionalProperties": False,
    }
    tool = {"name": "t", "description": "d", "inputSchema": schema}
    rules = {v.rule for v in compat.lint([tool], ("gemini",), "artie")}
    assert {"gemini-format", "gemini-type-list", "gemini-enum", "gemini-keyword"} <= rules
    gem = dialects.gemini_schema(schema)
    assert compat.lint([{**tool, "inputSchema": gem}], ("gemini",), "artie") == []
    assert gem["properties"]["n"] == {
        "type": "integer",
        "nullable": True,
        "description": "Allowed values: 1, 2.",
    }
    assert gem["properties"]["c"] == {"type": "string", "enum": ["x"]}
    assert "(format: uuid)" in gem["properties"]["id"]["description"]


@pytest.mark.parametrize(
    "spec_path",
    [artie_spec(v) for v in ARTIE_VERSIONS] + sorted(PUBLIC_SPECS.glob("*.json")),
    ids=lambda p: p.name,
)
def test_lint_passes_for_every_shared_spec(
    spec_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator.cli import main  # the command, in-process: the same code, no interpreter start

    rc = main(["lint", "--spec", str(spec_path), "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 0, out[:3000] + err[-2000:]
    assert json.loads(out) == []


def test_generation_fails_on_a_lint_break(tmp_path: Path) -> None:
    """A name limit the user raised past what Claude Code accepts fails generation."""
    doc = spec({"/x": {"get": {"operationId": "o" * 60, "responses": OK}}})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    cmd = [
        sys.executable,
        "-m",
        "generator",
        "generate",
        "--spec",
        str(path),
        "--out",
        str(tmp_path / "o"),
    ]
    proc = subprocess.run(
        [*cmd, "--max-name-length", "64"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert (
        proc.returncode == 1 and "tool-name-length" in proc.stderr and "claude-code" in proc.stderr
    )
    assert not (tmp_path / "o").exists()
    assert (
        subprocess.run(cmd, cwd=REPO, capture_output=True, timeout=300).returncode == 0
    )  # the default fits


def test_served_gemini_profile_is_clean_and_still_validates_fully(
    tmp_path: Path, pinned_spec: Path
) -> None:
    app = generate_app(pinned_spec, tmp_path, "gem")
    server = tool_server(app, schema_profile="gemini", api_key="k", base_url="http://127.0.0.1:9")

    async def main() -> tuple[list[Any], Any]:
        async with Client(server.server) as client:
            tools = (await client.list_tools()).tools
            bad = await client.call_tool("pipeline_start", {"uuid": "x", "keepPaused": "nope"})
            return tools, bad

    tools, bad = anyio.run(main)
    listed = [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]
    assert compat.lint(listed, ("gemini",), "artie") == []
    assert bad.is_error and json.loads(bad.content[0].text)["error"]["type"] == "invalid_arguments"
