"""Path values that would reach another endpoint are refused by the server, not
by a schema pattern (lookaround is not portable: OpenAI rejects it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.support.served import generate_app, tool_server
from tests.support.upstream import Reply, Upstream


@pytest.fixture(scope="module")
def artie(tmp_path_factory: pytest.TempPathFactory, pinned_spec: Path) -> Any:
    return generate_app(pinned_spec, tmp_path_factory.mktemp("calls"), "calls_artie")


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_empty_and_dot_segment_path_values_are_invalid_arguments(artie: Any, value: str) -> None:
    with Upstream() as upstream:
        server = tool_server(artie, api_key="k", base_url=upstream.url)

        async def main() -> Any:
            async with Client(server.server) as client:
                listed = {t.name: t for t in (await client.list_tools()).tools}
                result = await client.call_tool("pipeline_delete", {"uuid": value})
            await server.aclose()
            return listed, result

        listed, result = anyio.run(main)
        assert upstream.requests == []
    assert listed["pipeline_delete"].input_schema["properties"]["uuid"] == {"type": "string"}
    error = json.loads(result.content[0].text)["error"]
    assert result.is_error and error["type"] == "invalid_arguments"
    assert error["details"][0]["path"] == "/uuid" and json.dumps(value) in error["message"]


def test_a_write_whose_answer_is_too_big_is_windowed_without_advertised_arguments(
    artie: Any,
) -> None:
    tables = [{"uuid": f"00000000-0000-0000-0000-{i:012d}", "name": f"t{i}"} for i in range(400)]
    with Upstream() as upstream:
        upstream.default = Reply(200, {"uuid": "p-1", "name": "p", "tables": tables})
        server = tool_server(artie, api_key="k", base_url=upstream.url, max_result_chars=5000)

        async def main() -> Any:
            async with Client(server.server) as client:
                listed = {t.name: t for t in (await client.list_tools()).tools}
                result = await client.call_tool(
                    "pipeline_create_from_source", {"sourceType": "postgresql"}
                )
            await server.aclose()
            return listed, result

        listed, result = anyio.run(main)
    assert not any(
        k.startswith("result_")
        for k in listed["pipeline_create_from_source"].input_schema["properties"]
    )
    assert not result.is_error and len(result.content[0].text) <= 5000
    window = result.structured_content["_window"]
    assert window["total"] == 400 and 0 < window["returned"] < 400
