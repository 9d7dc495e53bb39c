"""The installed `artie-mcp` on each transport, driven as clients drive it: raw JSON-RPC
lines and requests, the mcp client, MCP Inspector, and signals."""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.jsonrpc import HEADERS, INIT
from tests.support.npm_tools import inspector_cli
from tests.support.serving import SCRIPT, artie_mcp
from tests.support.upstream import Reply, Upstream

pytestmark = pytest.mark.slow

DEEP = (
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"pipeline_list","arguments":{"a":'
    + "[" * 600
    + "]" * 600
    + "}}}"
)
SURROGATE = '{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"\\ud800"}}'
TRUNCATED = '{"jsonrpc":"2.0","id":4,"method":"tools/li'
UNREADABLE = {"nested 600 deep": DEEP, "lone surrogate": SURROGATE, "truncated": TRUNCATED}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIE_")}
    env.update(extra)
    return env


class Stdio:
    """`artie-mcp` over stdio, written to and read from line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(SCRIPT), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(ARTIE_API_KEY="k"),
        )

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def receive(self, timeout: float = 20) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "no answer from the server"
        return json.loads(self.proc.stdout.readline())

    def initialize(self) -> None:
        self.send(json.dumps(INIT))
        assert self.receive()["id"] == 1
        self.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")


def parse_error(answer: dict[str, Any]) -> None:
    assert answer["jsonrpc"] == "2.0" and answer["id"] is None, answer
    assert answer["error"]["code"] == -32700, answer
    assert answer["error"]["message"].startswith("Parse error"), answer


# -- a message that is not JSON gets a parse error, on every transport -----------------


def test_unreadable_messages_get_a_parse_error_on_stdio() -> None:
    server = Stdio()
    try:
        server.initialize()
        for line in UNREADABLE.values():
            server.send(line)
            parse_error(server.receive())
        server.send(json.dumps({"jsonrpc": "2.0", "id": 9, "method": "tools/list"}))
        assert server.receive()["id"] == 9  # and the session goes on
    finally:
        stderr = server.stop()
    assert "Traceback" not in stderr


def test_unreadable_messages_get_a_parse_error_over_streamable_http(tmp_path: Path) -> None:
    with artie_mcp(["--transport", "streamable-http"], {"ARTIE_API_KEY": "k"}, tmp_path) as server:
        for line in UNREADABLE.values():
            answer = httpx.post(server.base + "/mcp", content=line.encode(), headers=HEADERS)
            assert answer.status_code == 400
            parse_error(answer.json())


def test_unreadable_messages_get_a_parse_error_over_sse(tmp_path: Path) -> None:
    events: queue.Queue[tuple[str, str]] = queue.Queue()
    with artie_mcp(["--transport", "sse"], {"ARTIE_API_KEY": "k"}, tmp_path) as server:

        def listen() -> None:
            try:
                with httpx.stream("GET", server.base + "/mcp", timeout=60) as stream:
                    kind = ""
                    for line in stream.iter_lines():
                        if line.startswith("event: "):
                            kind = line[7:]
                        elif line.startswith("data: "):
                            events.put((kind, line[6:]))
            except httpx.HTTPError:
                pass  # the server stops while the stream is open

        threading.Thread(target=listen, daemon=True).start()
        kind, endpoint = events.get(timeout=20)
        assert kind == "endpoint"
        url = server.base + endpoint
        assert httpx.post(url, json=INIT).status_code == 202
        assert json.loads(events.get(timeout=20)[1])["id"] == 1
        for line in UNREADABLE.values():
            httpx.post(url, content=line.encode(), headers={"Content-Type": "application/json"})
            kind, data = events.get(timeout=20)
            assert kind == "message"
            parse_error(json.loads(data))


# -- Ctrl-C ------------------------------------------------------------------------------


def test_sigint_on_stdio_exits_at_once_without_a_traceback() -> None:
    server = Stdio()
    try:
        server.initialize()
        started = time.monotonic()
        server.proc.send_signal(signal.SIGINT)  # stdin stays open, as in a terminal
        server.proc.wait(timeout=10)
        assert time.monotonic() - started < 10
        assert server.proc.returncode == 128 + signal.SIGINT
    finally:
        stderr = server.stop()
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr


# -- resources/templates/list ---------------------------------------------------------


def test_inspector_lists_resource_templates() -> None:
    proc = inspector_cli(
        ["-e", "ARTIE_API_KEY=k", str(SCRIPT), "--method", "resources/templates/list"]
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["resourceTemplates"] == []
    assert "Failed" not in proc.stderr


# -- a per-request key no HTTP header can carry ----------------------------------------


def test_a_non_ascii_per_request_key_is_unauthorized_and_nothing_is_sent(tmp_path: Path) -> None:
    with Upstream() as upstream:
        upstream.default = Reply(200, {"items": []})
        args = ["--transport", "streamable-http", "--upstream-key-from-header", "X-Artie-Api-Key"]
        with artie_mcp(args, {"ARTIE_BASE_URL": upstream.url}, tmp_path) as server:

            async def main() -> Any:
                headers = {"X-Artie-Api-Key": "clé-ключ".encode()}
                async with httpx2.AsyncClient(headers=headers) as hc:
                    async with Client(
                        streamable_http_client(server.base + "/mcp", http_client=hc)
                    ) as client:
                        return await client.call_tool("pipeline_list", {})

            result = anyio.run(main)
            stderr = server.stderr()
    assert result.is_error and upstream.requests == []
    error = json.loads(result.content[0].text)["error"]
    assert error["type"] == "unauthorized" and "ASCII" in error["message"], error
    assert "Traceback" not in stderr and "UnicodeEncodeError" not in stderr
