"""Bare JSON-RPC MCP clients for measuring servers, not clients.

The SDK's ``Client`` parses every result into pydantic models; timing through
it would add the client's own cost (for a 100-170 KB tools/list, milliseconds)
to every figure. These clients write the request, read bytes until the answer
with the same id arrives and decode it with ``json.loads``: the same small
cost for every server measured.

``StdioPeer`` speaks newline-delimited JSON-RPC over a child's stdin/stdout.
``HttpPeer`` speaks streamable HTTP (POST; JSON or SSE answers; session id).
Both use the 2025-11-25 ``initialize`` handshake that every server here
supports.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

PROTOCOL = "2025-11-25"
CLIENT_INFO = {"name": "artie-mcp-bench", "version": "1"}


class McpError(RuntimeError):
    pass


def _initialize_params() -> dict[str, Any]:
    return {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": CLIENT_INFO}


def _check(message: dict[str, Any], method: str) -> dict[str, Any]:
    if "error" in message:
        raise McpError(f"{method}: {message['error']}")
    result: dict[str, Any] = message["result"]
    return result


class StdioPeer:
    """A server child process spoken to over stdio."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], stderr_path: str) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.stderr_path = stderr_path
        self.proc: asyncio.subprocess.Process | None = None
        self._next = 0
        self.last_bytes = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def spawn(self) -> None:
        with open(self.stderr_path, "ab") as err:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                env=self.env,
                limit=64 * 1024 * 1024,
                start_new_session=True,
            )

    async def _write(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
        if params is not None:
            message["params"] = params
        await self._write(message)
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                raise McpError(f"{method}: server closed stdout; see {self.stderr_path}")
            if not line.lstrip().startswith(b"{"):
                continue  # not JSON-RPC (a wrapper such as py-spy printing to stdout)
            answer = json.loads(line)
            if answer.get("id") == ident:
                self.last_bytes = len(line)
                return _check(answer, method)
            # notifications and log messages are skipped

    async def notify(self, method: str) -> None:
        await self._write({"jsonrpc": "2.0", "method": method})

    async def initialize(self) -> dict[str, Any]:
        result = await self.request("initialize", _initialize_params())
        await self.notify("notifications/initialized")
        return result

    async def close(self) -> None:
        """Close stdin (a clean exit), then kill whatever is still running."""
        proc = self.proc
        if proc is None:
            return
        if proc.returncode is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                await asyncio.wait_for(proc.wait(), 3)
            except TimeoutError:
                kill_group(proc.pid)
                await proc.wait()
        self.proc = None


def kill_group(pid: int) -> None:
    """Kill a child started with ``start_new_session`` and everything it started."""
    import signal

    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class HttpPeer:
    """A server spoken to over streamable HTTP at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.AsyncClient(timeout=60, follow_redirects=True)
        self.session: str | None = None
        self._next = 0

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        }
        if self.session:
            headers["mcp-session-id"] = self.session
            headers["mcp-protocol-version"] = PROTOCOL
        return headers

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
        if params is not None:
            message["params"] = params
        r = await self.client.post(self.url, content=json.dumps(message), headers=self._headers())
        if r.status_code >= 400:
            raise McpError(f"{method}: HTTP {r.status_code}: {r.text[:300]}")
        session = r.headers.get("mcp-session-id")
        if session:
            self.session = session
        if r.headers.get("content-type", "").startswith("application/json"):
            return _check(r.json(), method)
        for answer in _sse_messages(r.text):
            if answer.get("id") == ident:
                return _check(answer, method)
        raise McpError(f"{method}: no answer with id {ident} in {r.text[:300]!r}")

    async def notify(self, method: str) -> None:
        r = await self.client.post(
            self.url,
            content=json.dumps({"jsonrpc": "2.0", "method": method}),
            headers=self._headers(),
        )
        if r.status_code >= 400:
            raise McpError(f"{method}: HTTP {r.status_code}")

    async def initialize(self) -> dict[str, Any]:
        result = await self.request("initialize", _initialize_params())
        await self.notify("notifications/initialized")
        return result

    async def close(self) -> None:
        if self.session:
            try:
                await self.client.delete(self.url, headers=self._headers())
            except httpx.HTTPError:
                pass
        await self.client.aclose()


def _sse_messages(text: str) -> list[dict[str, Any]]:
    out = []
    for event in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip() for line in event.split("\n") if line.startswith("data:")]
        if data:
            try:
                out.append(json.loads("\n".join(data)))
            except ValueError:
                continue
    return out
