"""Runtime behaviour through the mcp client, against a real HTTP server on loopback."""

from __future__ import annotations

import email.utils
import json
import socket
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.conftest import REPO
from tests.support.served import call_tool as call
from tests.support.served import generate_app, tool_server
from tests.support.upstream import Reply, Upstream

KEY = "sk-live-0123456789"
RUNTIME_SPEC = REPO / "tests/golden/runtime/spec.yaml"
RUNTIME_CONFIG = REPO / "tests/golden/runtime/config.toml"


@pytest.fixture(scope="module")
def artie(tmp_path_factory: pytest.TempPathFactory, pinned_spec: Path) -> Any:
    return generate_app(pinned_spec, tmp_path_factory.mktemp("artie"), "rt_artie")


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generate_app(
        RUNTIME_SPEC, tmp_path_factory.mktemp("own"), "rt_own", "--config", str(RUNTIME_CONFIG)
    )


@pytest.fixture()
def upstream() -> Any:
    with Upstream() as server:
        yield server


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error, result
    return json.loads(result.content[0].text)["error"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the one error shape ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, "unauthorized"),
        (403, "forbidden"),
        (404, "not_found"),
        (429, "rate_limited"),
        (413, "payload_too_large"),
        (500, "upstream_error"),
        (422, "upstream_error"),
    ],
)
def test_status_maps_to_error_type(artie: Any, upstream: Upstream, status: int, kind: str) -> None:
    body = {
        "error": "boom",
        "details": {"postgres": {"slot": "artie_slot", "state": "active", "hint": "drop it"}},
    }
    upstream.default = Reply(status, body, {"X-Request-Id": "r-1"})
    result = call(tool_server(artie, api_key=KEY, base_url=upstream.url), "pipeline_list", {})
    error = error_of(result)
    assert set(error) >= {
        "type",
        "status",
        "message",
        "upstream",
        "request_id",
        "ratelimit",
        "retry_after",
    }
    assert (error["type"], error["status"], error["request_id"]) == (kind, status, "r-1")
    assert error["upstream"] == body  # nested infrastructure details intact


def test_timeout_network_config_not_allowed_and_invalid(artie: Any, upstream: Upstream) -> None:
    upstream.default = Reply(200, {"items": []}, delay=2.0)
    slow = tool_server(artie, api_key=KEY, base_url=upstream.url, read_timeout=0.3)
    assert error_of(call(slow, "pipeline_list", {}))["type"] == "timeout"
    dead = tool_server(artie, api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}")
    error = error_of(call(dead, "pipeline_list", {}))
    assert error["type"] == "network" and error["status"] is None
    assert (
        error_of(call(tool_server(artie, base_url=upstream.url), "pipeline_list", {}))["type"]
        == "config"
    )
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    assert (
        error_of(call(server, "pipeline_detail", {"uuid": "x"}))["type"] == "not_allowed"
    )  # excluded by the spec
    invalid = error_of(call(server, "pipeline_start", {"uuid": 5}))
    assert invalid["type"] == "invalid_arguments" and invalid["details"][0]["path"] == "/uuid"
    assert len(upstream.requests) == 1  # only the slow call; nothing else was sent


def test_long_text_error_body_is_cut_with_a_marker(artie: Any, upstream: Upstream) -> None:
    upstream.default = Reply(502, "x" * 50_000)
    error = error_of(
        call(tool_server(artie, api_key=KEY, base_url=upstream.url), "pipeline_list", {})
    )
    assert (
        error["upstream"].startswith("xxx")
        and "[truncated 30000 more characters]" in error["upstream"]
    )


def test_api_key_never_reaches_the_model(artie: Any, upstream: Upstream) -> None:
    upstream.rules.append(
        lambda r: Reply(
            400, {"echo": r.headers["authorization"], "nested": [{"k": r.headers["authorization"]}]}
        )
    )
    text = (
        call(tool_server(artie, api_key=KEY, base_url=upstream.url), "pipeline_list", {})
        .content[0]
        .text
    )
    assert KEY not in text and "[redacted]" in text


# -- rate limits ----------------------------------------------------------------


def http_date(seconds_from_now: int) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "ratelimit", "retry_after"),
    [
        (
            {"RateLimit-Limit": "100", "RateLimit-Remaining": "0", "RateLimit-Reset": "30"},
            {"limit": 100, "remaining": 0, "reset": 30},
            None,
        ),
        (
            {
                "X-RateLimit-Limit": "60",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "EPOCH+40",
            },
            {"limit": 60, "remaining": 0},
            None,
        ),
        (
            {"RateLimit": "limit=10, remaining=0, reset=7"},
            {"limit": 10, "remaining": 0, "reset": 7},
            None,
        ),
        (
            {"RateLimit": '"default";r=0;t=12', "RateLimit-Policy": '"default";q=50;w=60'},
            {"limit": 50, "remaining": 0, "reset": 12},
            None,
        ),
        ({"Retry-After": "17"}, {"limit": None, "remaining": None, "reset": 17}, 17),
        ({"Retry-After": "DATE+90"}, {"limit": None, "remaining": None}, 90),
    ],
)
def test_429_headers_normalised(
    artie: Any,
    upstream: Upstream,
    headers: dict[str, str],
    ratelimit: dict[str, Any],
    retry_after: int | None,
) -> None:
    now = time.time()  # times are made here, not when the tests were collected
    live = {
        k: {"EPOCH+40": str(int(now) + 40), "DATE+90": http_date(90)}.get(v, v)
        for k, v in headers.items()
    }
    upstream.default = Reply(429, {"error": "slow down"}, live)
    error = error_of(
        call(tool_server(artie, api_key=KEY, base_url=upstream.url), "pipeline_list", {})
    )
    assert error["type"] == "rate_limited" and error["status"] == 429
    for key, value in ratelimit.items():
        assert error["ratelimit"][key] == value, (key, error["ratelimit"])
    if "X-RateLimit-Reset" in headers:  # an epoch timestamp becomes seconds from now
        assert 35 <= error["ratelimit"]["reset"] <= 41
    if retry_after is not None:
        assert abs(error["retry_after"] - retry_after) <= 2
    assert len(upstream.requests) == 1  # by default: no retry


# -- retries --------------------------------------------------------------------


def test_retry_safe_retries_only_safe_operations_and_honours_retry_after(
    artie: Any, upstream: Upstream
) -> None:
    upstream.default = Reply(503, {"error": "busy"}, {"Retry-After": "0"})
    server = tool_server(artie, api_key=KEY, base_url=upstream.url, retry="safe", retry_attempts=3)
    assert error_of(call(server, "pipeline_list", {}))["status"] == 503  # safe: 3 tries
    assert len(upstream.requests) == 3
    upstream.requests.clear()
    assert error_of(call(server, "pipeline_start", {"uuid": "p"}))["status"] == 503  # unsafe: 1 try
    assert len(upstream.requests) == 1
    upstream.requests.clear()
    # safe-after-state-check: a read first; a 503 there leaves the state unknown, so no second DELETE
    assert error_of(call(server, "pipeline_delete", {"uuid": "p"}))["status"] == 503
    assert [r.method for r in upstream.requests] == ["DELETE", "GET"]


def test_retry_recovers_and_stops_within_its_time_budget(artie: Any, upstream: Upstream) -> None:
    answers = iter([Reply(429, {}, {"Retry-After": "0"}), Reply(200, {"items": []})])
    upstream.rules.append(lambda r: next(answers))
    server = tool_server(artie, api_key=KEY, base_url=upstream.url, retry="safe")
    assert not call(server, "pipeline_list", {}).is_error and len(upstream.requests) == 2
    upstream.rules.clear()
    upstream.requests.clear()
    upstream.default = Reply(429, {}, {"Retry-After": "120"})
    budget = tool_server(
        artie, api_key=KEY, base_url=upstream.url, retry="safe", retry_max_seconds=2
    )
    started = time.monotonic()
    error = error_of(call(budget, "pipeline_list", {}))
    assert (
        error["retry_after"] == 120
        and len(upstream.requests) == 1
        and time.monotonic() - started < 2
    )


def test_retry_on_connection_errors_is_bounded(artie: Any) -> None:
    server = tool_server(
        artie,
        api_key=KEY,
        base_url=f"http://127.0.0.1:{free_port()}",
        retry="safe",
        retry_attempts=4,
    )
    started = time.monotonic()
    assert error_of(call(server, "pipeline_list", {}))["type"] == "network"
    assert time.monotonic() - started < 15


# -- requests ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["../../ssh-tunnels/x", "a/b?c=d#e", "%2e%2e", "...", "p/.."])
def test_path_values_cannot_reach_another_endpoint(
    artie: Any, upstream: Upstream, value: str
) -> None:
    upstream.default = Reply(204)
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    assert not call(server, "pipeline_start", {"uuid": value}).is_error
    (request,) = upstream.requests
    assert request.method == "POST" and request.raw_path.startswith("/pipelines/")
    assert request.raw_path.endswith("/start")
    segment = request.raw_path[len("/pipelines/") : -len("/start")]
    assert "/" not in segment and "?" not in segment and "#" not in segment
    from urllib.parse import unquote

    assert unquote(segment) == value


@pytest.mark.parametrize("value", [".", ".."])
def test_dot_segments_are_invalid_arguments(artie: Any, upstream: Upstream, value: str) -> None:
    """Servers resolve '.' and '..' (even percent-encoded) to another path: refused."""
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    error = error_of(call(server, "pipeline_start", {"uuid": value}))
    assert error["type"] == "invalid_arguments" and upstream.requests == []


def test_header_values_with_crlf_are_refused(own: Any, upstream: Upstream) -> None:
    server = tool_server(own, api_key=KEY, base_url=upstream.url)
    error = error_of(call(server, "rows_list", {"X-Trace": "a\r\nX-Admin: 1"}))
    assert error["type"] == "invalid_arguments" and upstream.requests == []
    upstream.default = Reply(200, {"items": []})
    assert not call(server, "rows_list", {"X-Trace": "t-1"}).is_error
    assert upstream.requests[0].headers["x-trace"] == "t-1"


def test_oversize_body_is_refused_and_nothing_is_sent(artie: Any, upstream: Upstream) -> None:
    server = tool_server(artie, api_key=KEY, base_url=upstream.url, max_request_bytes=1000)
    error = error_of(call(server, "data_catalog_search", {"query": "q" * 2000}))
    assert (
        error["type"] == "payload_too_large" and error["status"] is None and upstream.requests == []
    )


def rows(n: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"row-{i}", "note": "n" * 40} for i in range(n)]


def test_chunkable_bodies_are_split_in_order(own: Any, upstream: Upstream) -> None:
    upstream.rules.append(lambda r: Reply(200, {"accepted": len(r.json()["rows"])}))
    server = tool_server(own, api_key=KEY, base_url=upstream.url, max_request_bytes=1000)
    result = call(server, "rows_bulk_insert", {"table": "t", "rows": rows(40)})
    assert not result.is_error
    bodies = [r.json() for r in upstream.requests]
    assert len(bodies) > 1 and all(len(r.body) <= 1000 for r in upstream.requests)
    assert [row["id"] for b in bodies for row in b["rows"]] == list(
        range(40)
    )  # in order, none twice
    assert all(b["table"] == "t" for b in bodies)
    report = json.loads(result.content[0].text)
    assert report["items"] == 40 and sum(c["result"]["accepted"] for c in report["chunks"]) == 40


def test_chunking_stops_at_the_first_failure(own: Any, upstream: Upstream) -> None:
    count = {"n": 0}

    def rule(r: Any) -> Reply:
        count["n"] += 1
        return Reply(200, {"accepted": 1}) if count["n"] < 3 else Reply(500, {"error": "disk full"})

    upstream.rules.append(rule)
    server = tool_server(own, api_key=KEY, base_url=upstream.url, max_request_bytes=1000)
    error = error_of(call(server, "rows_bulk_insert", {"table": "t", "rows": rows(60)}))
    assert len(upstream.requests) == 3  # stopped at the failing chunk
    sent = sum(len(r.json()["rows"]) for r in upstream.requests[:2])
    assert error["status"] == 500 and "chunk 3" in error["message"]
    assert f"{sent} items in 2 earlier chunk(s) were accepted" in error["message"]
    assert [c["chunk"] for c in error["details"]] == [1, 2]


def test_200_concurrent_calls(artie: Any, upstream: Upstream) -> None:
    upstream.rules.append(
        lambda r: Reply(
            200,
            {
                "uuid": r.path.rsplit("/", 1)[-1],
                "name": "t",
                "host": "h",
                "port": 22,
                "publicKey": "k",
                "username": "u",
                "companyUUID": "00000000-0000-4000-8000-000000000000",
                "environmentUUID": "00000000-0000-4000-8000-000000000000",
            },
        )
    )
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(200)]
    results: dict[str, Any] = {}

    async def main() -> None:
        async with Client(server.server) as client:

            async def one(uuid: str) -> None:
                results[uuid] = await client.call_tool("ssh_tunnel_detail", {"uuid": uuid})

            async with anyio.create_task_group() as tg:
                for uuid in ids:
                    tg.start_soon(one, uuid)

    anyio.run(main)
    assert len(upstream.requests) == 200
    for uuid in ids:
        assert not results[uuid].is_error and results[uuid].structured_content["uuid"] == uuid


# -- results ------------------------------------------------------------------------


def pipelines(n: int) -> dict[str, Any]:
    """Light pipelines that follow the v1.0.76 item schema."""
    zero = "00000000-0000-4000-8000-000000000000"
    return {
        "items": [
            {
                "uuid": f"00000000-0000-4000-8000-{i:012d}",
                "companyUUID": zero,
                "environmentUUID": zero,
                "dataPlaneName": "aws-us-east-1",
                "name": f"pipeline {i}",
                "status": "running",
                "createdAt": "2026-01-01T00:00:00Z",
                "lastUpdatedAt": "2026-01-02T00:00:00Z",
                "isDeploying": False,
                "sourceType": "postgresql",
                "hasUndeployedChanges": False,
            }
            for i in range(n)
        ]
    }


def test_large_json_error_bodies_stay_within_the_result_limit(
    artie: Any, upstream: Upstream
) -> None:
    upstream.default = Reply(500, {"items": [{"uuid": str(i)} for i in range(2000)]})
    server = tool_server(artie, api_key=KEY, base_url=upstream.url, max_result_chars=5000)
    result = call(server, "pipeline_list", {})
    error = error_of(result)
    assert error["type"] == "upstream_error" and error["status"] == 500
    assert len(result.content[0].text) <= 5000 and "truncated" in error["upstream"]


def test_answers_outside_the_pinned_schema_are_windowed_like_any_other(
    artie: Any, upstream: Upstream
) -> None:
    upstream.default = Reply(200, {"items": [{"uuid": str(i)} for i in range(2000)]})
    server = tool_server(artie, api_key=KEY, base_url=upstream.url, max_result_chars=5000)
    result = call(server, "pipeline_list", {})
    assert not result.is_error and len(result.content[0].text) <= 5000
    assert result.structured_content["_window"]["total"] == 2000
    assert result.meta["spec_drift"]["differences"]


def test_large_lists_are_windowed_never_cut_mid_json(artie: Any, upstream: Upstream) -> None:
    upstream.default = Reply(200, pipelines(500))
    server = tool_server(artie, api_key=KEY, base_url=upstream.url, max_result_chars=5000)
    result = call(server, "pipeline_list", {})
    if result.is_error:
        pytest.fail(result.content[0].text)
    data = json.loads(result.content[0].text)  # valid JSON
    window = data["_window"]
    assert window["truncated"] and window["total"] == 500 and window["offset"] == 0
    assert len(result.content[0].text) <= 5000 and window["returned"] == len(data["items"]) > 0
    nxt = call(server, "pipeline_list", {"result_offset": window["next_offset"], "result_limit": 3})
    page = nxt.structured_content
    assert [i["name"] for i in page["items"]] == [
        f"pipeline {window['next_offset'] + k}" for k in range(3)
    ]
    assert (
        page["_window"]["returned"] == 3
        and page["_window"]["next_offset"] == window["next_offset"] + 3
    )


def test_field_projection_keeps_required_fields(artie: Any, upstream: Upstream) -> None:
    upstream.default = Reply(200, pipelines(3))
    result = call(
        tool_server(artie, api_key=KEY, base_url=upstream.url),
        "pipeline_list",
        {"result_fields": ["name"]},
    )
    item = result.structured_content["items"][0]
    assert "name" in item and "status" not in item  # status is not required by the item schema
    small = call(tool_server(artie, api_key=KEY, base_url=upstream.url), "pipeline_list", {})
    assert "_window" not in small.structured_content  # nothing cut, nothing to report


def test_restricted_credentials_are_redacted_unless_revealed(own: Any, upstream: Upstream) -> None:
    upstream.default = Reply(
        200, {"id": "s1", "apiKey": "AKIA-SECRET", "config": {"password": "hunter2", "host": "db"}}
    )
    hidden = call(
        tool_server(own, api_key=KEY, base_url=upstream.url), "secret_detail", {"id": "s1"}
    )
    assert hidden.structured_content == {
        "id": "s1",
        "apiKey": "[redacted]",
        "config": {"password": "[redacted]", "host": "db"},
    }
    shown = call(
        tool_server(own, api_key=KEY, base_url=upstream.url, reveal_credentials=True),
        "secret_detail",
        {"id": "s1"},
    )
    assert shown.structured_content["apiKey"] == "AKIA-SECRET"
