"""The tool lists as real client SDKs convert them, offline (no network, no keys):
the OpenAI Agents SDK's strict conversion, pydantic-ai's OpenAI and Google schema
transformers, and google-genai's MCP helper with the gemini profile; on Artie and
on every public spec in ../shared. Each test counts the tools a client takes
unchanged and asserts what must hold for every tool."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import anyio
import mcp.types as mt
import pytest
from mcp import Client

from tests.conftest import PINNED_SPEC, PUBLIC_SPECS
from tests.support.served import generate_app, tool_server

SPECS = [PINNED_SPEC, *sorted(PUBLIC_SPECS.glob("*.json")), *sorted(PUBLIC_SPECS.glob("*.yaml"))]


@pytest.fixture(scope="module", params=SPECS, ids=lambda p: p.name)
def listed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every tool of the spec as a client receives it, in both profiles."""
    spec: Path = request.param
    app = generate_app(spec, tmp_path_factory.mktemp("sdk"), f"sdk_{spec.stem}")

    async def tools(profile: str) -> list[mt.Tool]:
        server = tool_server(app, compact=False, schema_profile=profile)
        async with Client(server.server) as client:
            return (await client.list_tools()).tools

    return spec.name, {p: anyio.run(tools, p) for p in ("default", "gemini")}


def agents_strict(tool: mt.Tool) -> tuple[bool, bool]:
    """(kept strict, sent unchanged) by openai-agents' MCP conversion."""
    from agents.mcp import MCPServerStdio
    from agents.mcp.util import MCPUtil

    server = MCPServerStdio(params={"command": "true"}, name="offline")  # never started
    function = MCPUtil.to_function_tool(tool, server, convert_schemas_to_strict=True)
    return function.strict_json_schema, function.params_json_schema == tool.input_schema


def pydantic_openai(tool: mt.Tool) -> tuple[bool, bool]:
    """(sent strict, unchanged) by pydantic-ai's transformer for OpenAI models,
    with strict inferred as for MCP tools."""
    from pydantic_ai.profiles.openai import _OpenAIJsonSchemaTransformer

    transformer = _OpenAIJsonSchemaTransformer(copy.deepcopy(tool.input_schema), strict=None)
    out = transformer.walk()
    return transformer.is_strict_compatible, out == tool.input_schema


def pydantic_google(tool: mt.Tool) -> bool:
    from pydantic_ai.profiles.google import GoogleJsonSchemaTransformer

    return GoogleJsonSchemaTransformer(copy.deepcopy(tool.input_schema), strict=None).walk() == (
        tool.input_schema
    )


def genai_loads(tool: mt.Tool) -> bool:
    from google.genai import _mcp_utils

    try:
        _mcp_utils.mcp_to_gemini_tool(tool)
    except Exception:
        return False
    return True


def test_openai_agents_sdk_keeps_every_artie_tool_strict(listed: Any, record_property: Any) -> None:
    name, profiles = listed
    logging.getLogger("openai.agents").setLevel(logging.ERROR)
    verdicts = [agents_strict(t) for t in profiles["default"]]
    strict = sum(1 for s, _ in verdicts if s)
    record_property("agents_strict", f"{strict}/{len(verdicts)}")
    record_property("agents_unchanged", sum(1 for s, u in verdicts if s and u))
    if name == PINNED_SPEC.name:
        assert strict == len(verdicts) == 41
    assert strict > 0


def test_pydantic_ai_transformers_take_the_tools(listed: Any, record_property: Any) -> None:
    name, profiles = listed
    openai = [pydantic_openai(t) for t in profiles["default"]]
    google = [pydantic_google(t) for t in profiles["default"]]
    record_property("pydantic_openai_strict", sum(1 for s, _ in openai if s))
    record_property("pydantic_openai_unchanged", sum(1 for s, u in openai if u))
    record_property("pydantic_google_unchanged", sum(google))
    # nothing to rewrite for Gemini but formats it moves into the description
    assert sum(google) >= len(google) // 2


def test_google_genai_loads_every_tool_of_the_gemini_profile(
    listed: Any, record_property: Any
) -> None:
    name, profiles = listed
    loaded = [t.name for t in profiles["gemini"] if genai_loads(t)]
    record_property("genai_gemini_profile", f"{len(loaded)}/{len(profiles['gemini'])}")
    record_property("genai_default_profile", sum(genai_loads(t) for t in profiles["default"]))
    assert len(loaded) == len(profiles["gemini"])
