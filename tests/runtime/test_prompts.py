"""Prompts as an agent sees them through the mcp client: only workflows this configuration
can carry out are listed."""

from __future__ import annotations

import importlib
import json
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.support.served import tool_server


@pytest.fixture(scope="module")
def artie() -> Any:
    return importlib.import_module("artie_mcp.app")


def declared(artie: Any) -> dict[str, list[str]]:
    prompts = json.loads((artie.PACKAGE.root / "prompts.json").read_text())
    return {p["name"]: p["tools"] for p in prompts}


def listed(server: Any) -> list[str]:
    async def main() -> list[str]:
        async with Client(server.server) as client:
            return [p.name for p in (await client.list_prompts()).prompts]

    return anyio.run(main)


def test_every_prompt_is_listed_when_every_tool_is_served(artie: Any) -> None:
    assert sorted(listed(tool_server(artie))) == sorted(declared(artie))


def test_read_only_lists_only_prompts_whose_tools_are_all_served(artie: Any) -> None:
    server = tool_server(artie, read_only=True)
    served = {t.name for t in server.tools()}
    names = listed(server)
    assert names == ["pipeline_health_check"]
    for name in names:
        excluded = {n for n, op in server.all_operations.items() if op.exposure == "excluded"}
        assert set(declared(artie)[name]) - excluded <= served


def test_a_tool_filter_hides_the_prompts_that_need_a_filtered_tool(artie: Any) -> None:
    server = tool_server(artie, exclude_tools=["data_catalog_search"])
    assert "pipeline_health_check" not in listed(server)
    assert len(listed(server)) == len(declared(artie)) - 1


def test_a_hidden_prompt_asked_for_says_which_tools_it_lacks(artie: Any) -> None:
    server = tool_server(artie, read_only=True)

    async def main() -> str:
        async with Client(server.server) as client:
            with pytest.raises(MCPError) as caught:
                await client.get_prompt("onboard_source_database", {"connector": "c1"})
            return str(caught.value)

    message = anyio.run(main)
    assert "pipeline_create" in message and "pipeline_start" in message
    assert (
        "pipeline_validate_unsaved_source" not in message
    )  # excluded by the spec: the text says so
