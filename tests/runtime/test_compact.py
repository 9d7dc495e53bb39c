"""The default configuration serves a tools/list every client can take: compact
mode when the full list would break a client's limit, and says so."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.conftest import REPO
from tests.support.served import generate_app, tool_server

sys.path.insert(0, str(REPO / "bench"))
from synth import spec as synth_spec  # noqa: E402


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("big")
    path = root / "synth200.json"
    path.write_text(json.dumps(synth_spec(200)))
    return generate_app(path, root, "compact_big")


def names(server: Any) -> list[str]:
    async def main() -> Any:
        async with Client(server.server) as client:
            return [t.name for t in (await client.list_tools()).tools]

    return anyio.run(main)


def test_more_tools_than_openai_takes_start_in_compact_mode_and_say_so(
    big: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mcp_runtime"):
        server = tool_server(big, compact=None)
        listed = names(server)
    assert listed == ["search_operations", "describe_operation", "call_operation"]
    notice = " ".join(r.getMessage() for r in caplog.records)
    assert "200 tools" in notice and "compact mode" in notice and "--no-compact" in notice


def test_no_compact_forces_the_full_list_and_tools_narrow_it(big: Any) -> None:
    assert len(names(tool_server(big, compact=False))) == 200
    few = ["r0000_list", "r0000_detail"]
    assert sorted(names(tool_server(big, compact=None, tools=few))) == sorted(few)


def test_a_list_over_the_size_budget_is_compact_too(big: Any) -> None:
    server = tool_server(big, compact=None, tags=["R0000"], tools_list_budget=1000)
    assert names(server) == ["search_operations", "describe_operation", "call_operation"]


def test_artie_serves_every_tool_by_default(pinned_spec: Path, tmp_path: Path) -> None:
    app = generate_app(pinned_spec, tmp_path, "compact_artie")
    assert len(names(tool_server(app, compact=None))) == 41
