"""Arguments as agents send them, through the mcp client to the installed package's server
and on to a real HTTP server: what reaches upstream, and what the agent reads when an
argument is wrong."""

from __future__ import annotations

import importlib
import json
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.served import call_tool as call
from tests.support.served import tool_server
from tests.support.upstream import Reply, Upstream

KEY = "sk-validation-0123"


@pytest.fixture(scope="module")
def artie() -> Any:
    return importlib.import_module("artie_mcp.app")  # the committed package, as installed


@pytest.fixture()
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def error_of(result: Any) -> dict[str, Any]:
    assert result.is_error, result
    return json.loads(result.content[0].text)["error"]


SSH = {"host": "bastion.example.com", "username": "artie"}


# -- integers given as floats ----------------------------------------------------------


def test_a_whole_float_for_an_integer_is_sent_as_the_integer(
    artie: Any, upstream: Upstream
) -> None:
    upstream.default = Reply(200, {"uuid": "t1"})
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    result = call(server, "ssh_tunnel_create", {**SSH, "port": 22.0})
    assert not result.is_error, result.content
    assert (
        upstream.requests[0].body == b'{"host":"bastion.example.com","port":22,"username":"artie"}'
    )


def test_a_whole_float_result_limit_windows_the_list(artie: Any, upstream: Upstream) -> None:
    upstream.default = Reply(200, {"items": [{"uuid": f"p{i}"} for i in range(5)]})
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    result = call(server, "pipeline_list", {"result_limit": 2.0, "result_offset": 1.0})
    assert not result.is_error, result.content
    assert [p["uuid"] for p in result.structured_content["items"]] == ["p1", "p2"]


@pytest.mark.parametrize("value", [1e300, 22.5, -(2.0**60)])
def test_a_float_no_integer_can_hold_is_refused_and_nothing_is_sent(
    artie: Any, upstream: Upstream, value: float
) -> None:
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    error = error_of(call(server, "ssh_tunnel_create", {**SSH, "port": value}))
    assert error["type"] == "invalid_arguments" and upstream.requests == []
    assert error["details"][0]["path"] == "/port"
    assert "expected an integer" in error["details"][0]["message"]
    assert json.dumps(value) in error["details"][0]["message"]


# -- arguments no HTTP request can carry -----------------------------------------------


@pytest.mark.parametrize(
    ("tool", "args", "culprit"),
    [
        ("pipeline_start", {"uuid": "p" * 100_000}, "uuid"),
        ("connector_fetch_tables", {"uuid": "c1", "databaseName": "d" * 100_000}, "databaseName"),
    ],
)
def test_a_100_kb_path_or_query_value_is_invalid_and_nothing_is_sent(
    artie: Any, upstream: Upstream, tool: str, args: dict[str, Any], culprit: str, capfd: Any
) -> None:
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    error = error_of(call(server, tool, args))
    assert error["type"] == "invalid_arguments" and upstream.requests == []
    assert culprit in error["message"] and "nothing was sent" in error["message"]
    assert error["details"][0]["path"] == "/" + culprit
    assert "internal error" not in error["message"]
    assert "Traceback" not in capfd.readouterr().err


def test_a_non_ascii_api_key_is_unauthorized_and_nothing_is_sent(
    artie: Any, upstream: Upstream, capfd: Any
) -> None:
    server = tool_server(artie, api_key="sk-clé-ünïcode", base_url=upstream.url)
    error = error_of(call(server, "pipeline_list", {}))
    assert error["type"] == "unauthorized" and upstream.requests == []
    assert "ASCII" in error["message"] and "nothing was sent" in error["message"]
    assert "clé" not in error["message"]
    assert "Traceback" not in capfd.readouterr().err


# -- argument errors written for an agent ----------------------------------------------


def problems(artie: Any, upstream: Upstream, tool: str, args: dict[str, Any]) -> dict[str, str]:
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    error = error_of(call(server, tool, args))
    assert error["type"] == "invalid_arguments" and upstream.requests == []
    return {d["path"]: d["message"] for d in error["details"]}


def test_type_errors_name_the_argument_what_was_given_as_json_and_what_is_expected(
    artie: Any, upstream: Upstream
) -> None:
    found = problems(
        artie, upstream, "ssh_tunnel_create", {"host": None, "port": True, "username": "u"}
    )
    assert found == {
        "/host": "expected a string, got null",
        "/port": "expected an integer, got true",
    }


def test_pattern_errors_say_what_is_allowed_in_words(artie: Any, upstream: Upstream) -> None:
    found = problems(artie, upstream, "pipeline_start", {"uuid": ".."})
    assert found == {
        "/uuid": 'expected any text but "", "." or ".." (the value is one URL path segment), '
        'got ".."'
    }


def test_missing_and_unknown_arguments_are_named_one_by_one(artie: Any, upstream: Upstream) -> None:
    found = problems(artie, upstream, "ssh_tunnel_create", {"hots": "h", "port": 22})
    assert found["/host"] == "required argument missing: expected a string"
    assert found["/username"] == "required argument missing: expected a string"
    assert found["/hots"].startswith('unknown argument (given "h"); expected one of: ')
    assert "host" in found["/hots"]


def test_no_python_reprs_reach_the_agent(artie: Any, upstream: Upstream) -> None:
    server = tool_server(artie, api_key=KEY, base_url=upstream.url)
    error = error_of(
        call(server, "pipeline_start", {"uuid": "..", "keepPaused": None, "extra": {"a": False}})
    )
    text = json.dumps(error)
    for python in ("None", "True", "False", "'..'", "is not of type", "does not match"):
        assert python not in text, (python, text)
    assert error["message"].startswith("3 invalid argument(s), nothing was sent: ")


# -- a connection reset by upstream ----------------------------------------------------


@pytest.fixture()
def resetting() -> Iterator[str]:
    """A server that reads the request, then resets the connection (RST, no answer)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def test_a_reset_connection_is_reported_with_a_reason(artie: Any, resetting: str) -> None:
    server = tool_server(artie, api_key=KEY, base_url=resetting)
    error = error_of(call(server, "pipeline_list", {}))
    assert error["type"] == "network"
    prefix, _, reason = error["message"].partition("Error: ")
    assert prefix.startswith("could not reach upstream: ") and reason.strip(), error["message"]
