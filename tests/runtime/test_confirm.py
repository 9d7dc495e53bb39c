"""Confirmation of destructive calls (issue 14, "Access"): an approval is good for
one call and for a short time, and what the model reads about confirmation is
what this configuration does. Through the mcp client against a real HTTP server
on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp import Client

from tests.conftest import REPO
from tests.support.served import generate_app, tool_server
from tests.support.upstream import Reply, Upstream

KEY = "sk-test-0123456789"
ACCEPT = {"confirm": types.ElicitResult(action="accept", content={"confirm": True})}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, pinned_spec: Path) -> Any:
    return generate_app(
        pinned_spec, tmp_path_factory.mktemp("cf"), "cf", "--prompts", str(REPO / "specs/prompts")
    )


def answering(action: str, asked: list[str]) -> Any:
    async def callback(context: Any, params: Any) -> Any:
        asked.append(params.message)
        if action == "accept":
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action=action)

    return callback


def deletes(upstream: Upstream) -> list[str]:
    return [r.path for r in upstream.requests if r.method == "DELETE"]


def test_one_approval_authorises_one_call(app: Any) -> None:
    asked: list[str] = []
    with Upstream() as upstream:
        upstream.default = Reply(204)
        server = tool_server(app, api_key=KEY, base_url=upstream.url, confirm_destructive=True)
        args = {"uuid": "p-1"}

        async def main() -> list[Any]:
            try:
                async with Client(
                    server.server, elicitation_callback=answering("decline", asked)
                ) as client:
                    first = await client.session.call_tool(
                        "pipeline_delete", args, allow_input_required=True
                    )
                    assert isinstance(first, types.InputRequiredResult)
                    state = first.request_state
                    results = [
                        await client.call_tool(
                            "pipeline_delete", args, input_responses=ACCEPT, request_state=state
                        )
                        for _ in range(2)
                    ]
                # the same approval, replayed from a new connection
                async with Client(
                    server.server, elicitation_callback=answering("decline", asked)
                ) as other:
                    results.append(
                        await other.call_tool(
                            "pipeline_delete", args, input_responses=ACCEPT, request_state=state
                        )
                    )
                return results
            finally:
                await server.aclose()

        used, replayed, elsewhere = anyio.run(main)
    assert not used.is_error
    assert deletes(upstream) == ["/pipelines/p-1"]  # one approval, one delete
    for refused in (replayed, elsewhere):
        error = json.loads(refused.content[0].text)["error"]
        assert error["type"] == "not_allowed" and "already used" in error["message"], error


def test_an_approval_expires(app: Any) -> None:
    asked: list[str] = []
    with Upstream() as upstream:
        upstream.default = Reply(204)
        server = tool_server(
            app, api_key=KEY, base_url=upstream.url, confirm_destructive=True, confirm_expiry=1.0
        )

        async def main() -> Any:
            try:
                async with Client(
                    server.server, elicitation_callback=answering("decline", asked)
                ) as client:
                    first = await client.session.call_tool(
                        "pipeline_delete", {"uuid": "p-2"}, allow_input_required=True
                    )
                    await anyio.sleep(1.5)
                    return await client.call_tool(
                        "pipeline_delete",
                        {"uuid": "p-2"},
                        input_responses=ACCEPT,
                        request_state=first.request_state,
                    )
            finally:
                await server.aclose()

        late = anyio.run(main)
    assert asked, "a stale approval makes the server ask again"
    assert late.is_error and deletes(upstream) == []  # the user declined the fresh question


def test_an_approval_signed_elsewhere_is_not_accepted(app: Any) -> None:
    """Two servers with different keys: an approval one issued means nothing to the other;
    with the same --confirm-secret, either accepts it (replicas behind one name)."""
    secret = "s" * 40
    with Upstream() as upstream:
        upstream.default = Reply(204)
        common = {"api_key": KEY, "base_url": upstream.url, "confirm_destructive": True}
        issuer = tool_server(app, **common)
        stranger = tool_server(app, **common)
        twin_a = tool_server(app, **common, confirm_secret=secret)
        twin_b = tool_server(app, **common, confirm_secret=secret)

        async def approve_on(first: Any, second: Any, uuid: str) -> Any:
            asked: list[str] = []
            try:
                async with Client(
                    first.server, elicitation_callback=answering("decline", asked)
                ) as a:
                    state = (
                        await a.session.call_tool(
                            "pipeline_delete", {"uuid": uuid}, allow_input_required=True
                        )
                    ).request_state
                async with Client(
                    second.server, elicitation_callback=answering("decline", asked)
                ) as b:
                    return await b.call_tool(
                        "pipeline_delete",
                        {"uuid": uuid},
                        input_responses=ACCEPT,
                        request_state=state,
                    )
            finally:
                await first.aclose()
                await second.aclose()

        foreign = anyio.run(approve_on, issuer, stranger, "p-3")
        shared = anyio.run(approve_on, twin_a, twin_b, "p-4")
    assert foreign.is_error and not shared.is_error
    assert deletes(upstream) == ["/pipelines/p-4"]


@pytest.mark.parametrize("transport", ["stdio", "streamable-http"])
def test_what_the_model_reads_about_confirmation_is_what_the_server_does(
    app: Any, transport: str
) -> None:
    server = tool_server(app, api_key=KEY, transport=transport)
    asks = server.settings.confirms("connector_delete")
    assert asks == (transport != "stdio")

    async def main() -> tuple[str | None, list[str]]:
        async with Client(server.server) as client:
            texts = []
            for name, args in (
                ("cleanup_deleted_pipeline", {"pipeline": "orders"}),
                ("troubleshoot_stalled_postgres_sync", {"pipeline": "orders", "slot_name": "s"}),
            ):
                prompt = await client.get_prompt(name, args)
                texts.append(prompt.messages[0].content.text)
            return client.instructions, texts

    instructions, prompts = anyio.run(main)
    for text in [instructions or "", *prompts]:
        says_it_asks = "the server asks the user to confirm" in text or "will ask the user" in text
        assert says_it_asks == asks, text
        assert ("does not ask the user" in text) == (not asks), text
