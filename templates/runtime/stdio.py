"""What stream transports leave unanswered: a line that is not JSON-RPC.

The SDK's stdio (and SSE) transports hand a message they cannot parse to the server as
an exception, which it drops: the client waits for its timeout. ``answering`` wraps the
server's read stream so that each such message gets the JSON-RPC error the HTTP
transport already sends (-32700 parse error, -32600 invalid request), with id null.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import mcp.types as types
from mcp.shared.message import SessionMessage


def error_for(exc: Exception) -> SessionMessage:
    """The JSON-RPC error answering a message that could not be read."""
    errors = getattr(exc, "errors", None)
    detail = errors()[0] if callable(errors) and errors() else {}
    if detail.get("type") == "json_invalid":
        reason = str(detail.get("ctx", {}).get("error") or "not valid JSON")
        code, message = types.PARSE_ERROR, f"Parse error: {reason}"
    else:
        code, message = types.INVALID_REQUEST, "Invalid request: not a JSON-RPC 2.0 message"
    error = types.JSONRPCError(
        jsonrpc="2.0", id=None, error=types.ErrorData(code=code, message=message)
    )
    return SessionMessage(error)


class Answering:
    """A read stream that answers unreadable messages itself and yields the rest."""

    def __init__(self, read: Any, write: Any) -> None:
        self._read = read
        self._write = write

    @property
    def last_context(self) -> Any:  # the SDK reads the sender's context from here
        return getattr(self._read, "last_context", None)

    async def receive(self) -> Any:
        while True:
            item = await self._read.receive()
            if not isinstance(item, Exception):
                return item
            await self._write.send(error_for(item))

    async def aclose(self) -> None:
        await self._read.aclose()

    def __aiter__(self) -> Answering:
        return self

    async def __anext__(self) -> Any:
        import anyio

        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Answering:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        await self.aclose()
        return None


def answering(read: Any, write: Any) -> Any:
    return Answering(read, write)
