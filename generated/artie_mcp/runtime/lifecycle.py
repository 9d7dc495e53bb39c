"""Serving HTTP with uvicorn: keep-alive that outlives the clients', and a graceful stop.

Keep-alive. uvicorn closes an idle connection after 5 s by default, and httpx,
httpx2 (the ``mcp`` client) and Node's fetch keep theirs for 4-5 s too. When both
ends time out together, a client sometimes sends its next request on a
connection the server is closing that very moment: the kernel answers with a
reset and the client sees ``ReadError(BrokenResourceError)``, with nothing in
the server's log (the request never reached it). Under load, where calls take
seconds and a session's second pooled connection sits idle for about that long,
that happened to a few calls in 10,000. The server keeps idle connections for
``KEEP_ALIVE_SECONDS``, longer than any common client, so the client always
closes first.

Graceful stop. On SIGTERM or SIGINT the server answers new calls (``tools/call``, ``initialize``, new event streams) on open
ones with 503, and lets calls in flight finish for up to ``--shutdown-grace``
seconds (a client's follow-up reads, such as the tools/list it checks an answer
against, are still answered); then it ends open event streams cleanly,
cancels whatever is still running (the audit log records those calls as
``cancelled``) and exits 0. A second SIGINT stops at once.

Why calls were dropped before: sse-starlette (the SDK's event streams) patches
uvicorn's signal handler and ends every event stream the moment a signal
arrives, and on stateful streamable HTTP a call's answer travels on such a
stream (its POST's). Its automatic drain is turned off here and triggered by
``Drain.stop`` once the calls are done.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import uvicorn

from .hosts import reply

try:
    from uvicorn.supervisors import multiprocess as _multiprocess
except ImportError:  # pragma: no cover
    _multiprocess = None  # type: ignore[assignment]

log = logging.getLogger("mcp_runtime")

KEEP_ALIVE_SECONDS = 75  # above httpx/httpx2 (5 s), undici (4 s), aiohttp (15 s), ALB (60 s)
QUIET_SECONDS = 0.5  # nothing in flight for this long: the clients are done


class Drain:
    """ASGI middleware that knows what is in flight, and ends it in order at shutdown.

    Requests other than GET are calls (or their answers) in flight; GET requests
    are event streams, which end only when the server ends them.
    """

    def __init__(self, app: Any, active_calls: Callable[[], int] = lambda: 0) -> None:
        self.app = app
        self.active_calls = active_calls
        self.draining = False
        self.requests = 0
        self.streams: set[_Stream] = set()
        DRAINS.append(self)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.draining:
            receive, refused = await _starts_something(scope, receive)
            if refused:
                await reply(
                    send,
                    503,
                    {"error": "the server is shutting down"},
                    [(b"connection", b"close"), (b"retry-after", b"1")],
                )
                return
        if scope.get("method") == "GET" and scope.get("path") != "/healthz":
            stream = _Stream(send)
            self.streams.add(stream)
            try:
                with stream.scope:
                    await self.app(scope, receive, stream.send)
                await stream.finish()
            finally:
                self.streams.discard(stream)
            return
        self.requests += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.requests -= 1

    def busy(self) -> int:
        return self.requests + self.active_calls()

    async def stop(self, grace: float) -> None:
        """Refuse new requests, wait up to ``grace`` seconds for those in flight,
        then end the event streams."""
        self.draining = True
        deadline = time.monotonic() + grace
        if self.busy():
            log.warning(
                "shutting down: waiting up to %.0f s for %d call(s) in flight", grace, self.busy()
            )
        quiet_since = None if self.busy() else time.monotonic()
        while time.monotonic() < deadline:
            # an answer on an event stream, or a client's follow-up read, comes just after
            # the last call ends: wait for a moment with nothing in flight
            if self.busy():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_SECONDS:
                break
            await anyio.sleep(0.05)
        if self.busy():
            log.warning(
                "shutting down: %d call(s) still running after %.0f s are cancelled",
                self.busy(),
                grace,
            )
        _end_event_streams()
        for stream in list(self.streams):
            stream.scope.cancel()


def _sse_status() -> Any:
    try:
        from sse_starlette.sse import AppStatus
    except ImportError:  # pragma: no cover - the SDK without sse-starlette
        return None
    return AppStatus


def hold_event_streams() -> None:
    """Keep event streams (and the answers on them) open when a signal arrives."""
    status = _sse_status()
    if status is not None and hasattr(status, "disable_automatic_graceful_drain"):
        status.disable_automatic_graceful_drain()


def _end_event_streams() -> None:
    status = _sse_status()
    if status is not None:
        status.should_exit = True


NEW_WORK = ("initialize", "tools/call")
PEEKED = 4 << 20  # the SDK's own body limit


async def _starts_something(scope: dict[str, Any], receive: Any) -> tuple[Any, bool]:
    """(receive, refuse?) for a request that arrives while the server drains: new
    calls, sessions and streams are refused; anything else (reads a client makes to
    finish a call) is served. The body read here is replayed to the app."""
    method = scope.get("method")
    if method == "GET":
        return receive, scope.get("path") != "/healthz"
    if method != "POST":
        return receive, False
    chunks: list[bytes] = []
    messages: list[dict[str, Any]] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message.get("type") != "http.request":
            break
        chunks.append(message.get("body") or b"")
        size += len(chunks[-1])
        if not message.get("more_body") or size > PEEKED:
            break

    async def replay() -> dict[str, Any]:
        return messages.pop(0) if messages else await receive()

    try:
        body = json.loads(b"".join(chunks))
    except ValueError:
        return replay, False
    items = body if isinstance(body, list) else [body]
    named = {item.get("method") for item in items if isinstance(item, dict)}
    return replay, bool(named & set(NEW_WORK))


class _Stream:
    """One GET response: cancellable, and completed properly when cancelled."""

    def __init__(self, send: Any) -> None:
        self._send = send
        self.scope = anyio.CancelScope()
        self.started = False
        self.done = False

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            self.done = True
        await self._send(message)

    async def finish(self) -> None:
        if self.done or not self.scope.cancel_called:
            return
        with contextlib.suppress(Exception):
            if self.started:
                await self._send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await reply(self._send, 503, {"error": "the server is shutting down"})


DRAINS: list[Drain] = []  # the apps of this process, drained by GracefulServer


class GracefulServer(uvicorn.Server):  # type: ignore[misc]
    """A ``uvicorn.Server`` that drains before it stops and exits 0 after a signal."""

    async def shutdown(self, sockets: Any = None) -> None:
        # still listening: a client finishing a call may need a new connection, and
        # a load balancer retries a quick 503 elsewhere, not a refused connection
        grace = float(getattr(self.config, "shutdown_grace", 20.0))
        for drain in list(DRAINS):
            await drain.stop(grace)
        self.config.timeout_graceful_shutdown = 2
        await super().shutdown(sockets=sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises the signal after a graceful stop (exit status 143);
        # a stop that drained cleanly is a success
        handled = [s for s in (signal.SIGINT, signal.SIGTERM) if s is not None]
        original = {s: signal.signal(s, self.handle_exit) for s in handled}
        try:
            yield
        finally:
            for s, handler in original.items():
                signal.signal(s, handler)


_Process: Any = getattr(_multiprocess, "Process", None)
if _Process is not None and isinstance(getattr(_Process, "server", None), property):

    class GracefulProcess(_Process):  # type: ignore[misc, valid-type]
        """uvicorn's worker process, running ``GracefulServer``."""

        @property
        def server(self) -> Any:
            if getattr(self, "_server", None) is None:
                self._server: Any = GracefulServer(config=self.config)
            return self._server

else:  # pragma: no cover - a uvicorn built differently: its workers stop as uvicorn's do
    GracefulProcess = None  # type: ignore[assignment, misc]


def _config(app: Any, host: str, port: int, grace: float, **more: Any) -> Any:
    """uvicorn's settings for this server: idle connections kept past the
    clients' own keep-alive, and ``grace`` seconds for calls in flight at shutdown
    (``GracefulServer`` reads it; uvicorn's own timeout a little later)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=max(1, int(grace) + 2),
        **more,
    )
    config.shutdown_grace = grace  # type: ignore[attr-defined]
    return config


def serve(app: Any, host: str, port: int, grace: float) -> None:
    """One process: drain on SIGTERM/SIGINT, then exit normally."""
    GracefulServer(_config(app, host, port, grace)).run()


def serve_workers(target: str, host: str, port: int, workers: int, grace: float) -> None:
    """Several processes (stateless mode), each a ``GracefulServer``: on SIGTERM or
    SIGINT every worker drains as one process does, and the supervisor exits 0."""
    config = _config(target, host, port, grace, factory=True, workers=workers)
    if GracefulProcess is None:  # pragma: no cover - another uvicorn: its own stop
        uvicorn.run(
            target,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=max(1, int(grace)),
        )
        return
    setattr(_multiprocess, "Process", GracefulProcess)  # noqa: B010 - the supervisor starts these
    _multiprocess.Multiprocess(config, sockets=[config.bind_socket()]).run()
