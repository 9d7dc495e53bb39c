"""The audit log (issue 14): values redacted, not text; each argument bounded;
calls that never finished recorded as cancelled. Through the mcp client against
a real HTTP server on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.support.served import call_tools, generate_app, tool_server
from tests.support.upstream import Reply, Upstream


@pytest.fixture(scope="module")
def artie(tmp_path_factory: pytest.TempPathFactory, pinned_spec: Path) -> Any:
    return generate_app(pinned_spec, tmp_path_factory.mktemp("audit"), "au_artie")


def audit_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_audit_log_redacts_values_not_text(artie: Any, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    with Upstream() as upstream:
        upstream.default = Reply(200, {"items": []})
        # a one-letter key: replacing it in the line's text would mangle every word with a "k"
        server = tool_server(artie, api_key="k", base_url=upstream.url, audit_log=str(audit))
        call_tools(
            server,
            [
                ("data_catalog_search", {"query": "network keys"}),
                # invalid (unknown argument), and audited with what was sent
                ("data_catalog_search", {"query": "x", "apiKey": "sk-caller-secret-1234"}),
            ],
        )
    first, second = audit_lines(audit)
    assert first["tool"] == "data_catalog_search" and first["outcome"] == "ok"
    assert first["arguments"] == {"query": "network keys"}
    assert second["outcome"] == "invalid_arguments"
    assert second["arguments"] == {"query": "x", "apiKey": "[redacted]"}
    assert "sk-caller-secret-1234" not in audit.read_text()


def test_the_audit_log_bounds_each_argument(artie: Any, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    huge = "x" * 3_000_000
    with Upstream() as upstream:
        upstream.default = Reply(200, {"items": []})
        server = tool_server(
            artie, api_key="sk-0123456789", base_url=upstream.url, audit_log=str(audit)
        )
        (result,) = call_tools(server, [("data_catalog_search", {"query": huge})])
        assert not result.is_error
        assert upstream.requests[0].json()["query"] == huge  # the call itself is not cut
    text = audit.read_text()
    assert len(text) < 5_000, len(text)
    (line,) = audit_lines(audit)
    assert line["arguments"]["query"].startswith("x" * 100)
    assert "more characters" in line["arguments"]["query"]


def test_a_call_cancelled_before_it_finished_is_audited_as_cancelled(
    artie: Any, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    with Upstream() as upstream:
        upstream.default = Reply(200, {"items": []}, delay=5)
        server = tool_server(
            artie, api_key="sk-0123456789", base_url=upstream.url, audit_log=str(audit)
        )

        async def main() -> None:
            try:
                async with Client(server.server) as client:
                    with anyio.move_on_after(1):
                        await client.call_tool("pipeline_list", {})
                    await anyio.sleep(0.5)  # the server sees the cancellation
            finally:
                await server.aclose()

        anyio.run(main)
    (line,) = audit_lines(audit)
    assert line["tool"] == "pipeline_list"
    assert line["outcome"] == "cancelled" and line["status"] is None
