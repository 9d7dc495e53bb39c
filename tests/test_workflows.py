"""Issue 9: prompts, confirmation before destructive calls, honest gaps, state-checked retries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.conftest import REPO
from tests.support.served import generate_app, tool_server
from tests.support.upstream import Reply, Upstream

KEY = "sk-test"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, pinned_spec: Path) -> Any:
    return generate_app(
        pinned_spec, tmp_path_factory.mktemp("wf"), "wf", "--prompts", str(REPO / "specs/prompts")
    )


def served(app: Any, **settings: Any) -> Any:
    return tool_server(app, api_key=KEY, **settings)


def test_prompts_are_listed_and_rendered(app: Any) -> None:
    server = served(app)

    async def main() -> tuple[list[Any], Any]:
        async with Client(server.server) as client:
            prompts = (await client.list_prompts()).prompts
            rendered = await client.get_prompt(
                "troubleshoot_stalled_postgres_sync",
                {"pipeline": "orders-prod", "slot_name": "artie_orders"},
            )
            return prompts, rendered

    prompts, rendered = anyio.run(main)
    assert {p.name for p in prompts} == {
        "troubleshoot_stalled_postgres_sync",
        "onboard_source_database",
        "pipeline_health_check",
        "cleanup_deleted_pipeline",
    }
    text = rendered.messages[0].content.text
    assert "orders-prod" in text and "artie_orders" in text and "{{" not in text
    assert "`connector_drop_postgres_replication_slot`" in text


def test_a_prompt_naming_a_missing_tool_fails_generation(tmp_path: Path, pinned_spec: Path) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "specs/prompts", prompts)
    bad = prompts / "pipeline_health_check.md"
    bad.write_text(
        bad.read_text().replace(
            "  - data_catalog_search\n", "  - data_catalog_search\n  - pipeline_get_health\n"
        )
    )
    from generator.cli import main

    rc = main(
        [
            "generate",
            "--spec",
            str(pinned_spec),
            "--out",
            str(tmp_path / "out"),
            "--prompts",
            str(prompts),
            "-q",
        ]
    )
    assert rc == 1 and not (tmp_path / "out").exists()


def test_instructions_name_excluded_operations_and_a_resource_explains_them(app: Any) -> None:
    server = served(app)

    async def main() -> tuple[str | None, Any, Any]:
        async with Client(server.server) as client:
            resources = (await client.list_resources()).resources
            body = await client.read_resource(str(resources[0].uri))
            return client.instructions, resources, body

    instructions, resources, body = anyio.run(main)
    assert instructions is not None and len(instructions) < 2048
    assert "connector_create" in instructions and "pipeline_validate_unsaved_source" in instructions
    assert (
        str(resources[0].uri) == server.catalog.resource_uri()
        and server.catalog.resource_uri() in instructions
    )
    text = body.contents[0].text
    assert "## connector_create" in text and "instead:" in text
    assert "Use column_hashing_salt_list for non-secret salt references." in text
    everything = served(app, include_excluded=True)
    assert "Deliberately not exposed" not in everything.instructions


def elicit(answer: str, value: bool = True, seen: list[str] | None = None) -> Any:
    import mcp.types as types

    async def callback(context: Any, params: Any) -> Any:
        if seen is not None:
            seen.append(params.message)
        if answer == "accept":
            return types.ElicitResult(action="accept", content={"confirm": value})
        return types.ElicitResult(action=answer)

    return callback


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize(
    ("answer", "value", "sent"),
    [
        ("accept", True, True),
        ("decline", True, False),
        ("cancel", True, False),
        ("accept", False, False),
    ],
)
def test_destructive_calls_ask_first(
    app: Any, mode: str, answer: str, value: bool, sent: bool
) -> None:
    seen: list[str] = []
    with Upstream() as upstream:
        upstream.default = Reply(204)
        server = served(app, base_url=upstream.url, confirm_destructive=True)

        async def main() -> Any:
            async with Client(
                server.server, mode=mode, elicitation_callback=elicit(answer, value, seen)
            ) as client:
                return await client.call_tool(
                    "connector_drop_postgres_replication_slot",
                    {"uuid": "c-1", "slotName": "artie_orders"},
                )

        result = anyio.run(main)
    assert seen and "artie_orders" in seen[0] and "cannot be undone" in seen[0]
    if sent:
        assert not result.is_error and [r.path for r in upstream.requests] == [
            "/connectors/c-1/postgres-drop-replication-slot"
        ]
    else:
        error = json.loads(result.content[0].text)["error"]
        assert (
            error["type"] == "not_allowed"
            and "confirmation" in error["message"]
            and upstream.requests == []
        )


def test_clients_that_cannot_elicit_get_a_clear_error(app: Any) -> None:
    with Upstream() as upstream:
        server = served(
            app, base_url=upstream.url, transport="streamable-http"
        )  # on by default for HTTP

        async def main() -> tuple[Any, Any]:
            async with Client(server.server) as client:
                return (
                    await client.call_tool("pipeline_delete", {"uuid": "p-1"}),
                    await client.call_tool(
                        "pipeline_list", {}
                    ),  # not destructive: no question asked
                )

        deleted, listed = anyio.run(main)
    error = json.loads(deleted.content[0].text)["error"]
    assert (
        error["type"] == "not_allowed"
        and "--no-confirm-destructive" in error["message"]
        and "--allow-unconfirmed pipeline_delete" in error["message"]
    )
    assert [r.path for r in upstream.requests] == ["/pipelines"]
    assert not served(app, transport="stdio").settings.confirms(
        "pipeline_delete"
    )  # opt-in for stdio
    assert not served(
        app, transport="streamable-http", allow_unconfirmed=["pipeline_delete"]
    ).settings.confirms("pipeline_delete")


def test_scopes_are_in_every_description(app: Any) -> None:
    server = served(app)
    for op in server.operations.values():
        if op.scopes:
            label = "Scope: " if len(op.scopes) == 1 else "Scopes: "
            assert label + ", ".join(op.scopes) + "." in op.description


def test_safe_after_state_check_deletes_retry_only_after_a_read(app: Any) -> None:
    with Upstream() as upstream:
        answers = iter([Reply(503), Reply(200, {"uuid": "p-1"}), Reply(503), Reply(404)])
        upstream.rules.append(lambda r: next(answers))
        server = served(app, base_url=upstream.url, retry="safe", retry_attempts=4)
        result = anyio.run(lambda: _call(server, "pipeline_delete", {"uuid": "p-1"}))
        assert [(r.method, r.path) for r in upstream.requests] == [
            ("DELETE", "/pipelines/p-1"),
            ("GET", "/pipelines/p-1"),  # still there: retry
            ("DELETE", "/pipelines/p-1"),
            ("GET", "/pipelines/p-1"),  # gone: the deletion took effect
        ]
        assert not result.is_error and "took effect" in json.dumps(result.structured_content)
        upstream.requests.clear()
        upstream.rules.clear()
        upstream.default = Reply(503)
        result = anyio.run(
            lambda: _call(server, "pipeline_update_status", {"uuid": "p-1", "status": "paused"})
        )
        assert result.is_error and [r.method for r in upstream.requests] == [
            "POST"
        ]  # no read can tell: no retry


async def _call(server: Any, name: str, args: dict[str, Any]) -> Any:
    try:
        async with Client(server.server) as client:
            return await client.call_tool(name, args)
    finally:
        await server.aclose()
