"""What the server tells the agent at initialisation, read through the mcp client."""

from __future__ import annotations

import importlib
import re
from typing import Any

import anyio

from tests.support.served import tool_server


def instructions(**settings: Any) -> str:
    from mcp import Client

    server = tool_server(importlib.import_module("artie_mcp.app"), **settings)

    async def main() -> str:
        async with Client(server.server) as client:
            return client.instructions or ""

    return anyio.run(main)


def test_instruction_parts_are_joined_as_sentences() -> None:
    for text in (instructions(), instructions(read_only=True, confirm_destructive=True)):
        assert "External API endpoints for Artie. Each tool's description" in text
        # no sentence runs into the next: a capital after a word needs a full stop before it
        assert not re.search(r"[a-z0-9)] (Each|Destructive|Deliberately) ", text), text
        for paragraph in text.split("\n\n"):
            assert paragraph.endswith((".", "…")), paragraph
