"""stdio, streamable HTTP (stateful or stateless, one or several workers) and SSE."""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Any

from . import grantroutes, grantscope, hosts
from .access import BearerGate
from .options import OPTIONS
from .sessions import SessionLimits, StreamLimits
from .stdio import answering

if TYPE_CHECKING:
    from .server import ToolServer

LOOPBACK = hosts.LOOPBACK


def serve_stdio(tool_server: ToolServer) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    async def main() -> None:
        try:
            async with pipes(tool_server.settings.shutdown_grace) as streams:
                opened = stdio_server(*streams) if streams else stdio_server()
                async with opened as (read, write):
                    server = tool_server.server
                    read = answering(read, write)  # unparsable lines get -32700, as over HTTP
                    await server.run(read, write, server.create_initialization_options())
        finally:
            await tool_server.aclose()

    anyio.run(main)


def _is_pipe(fd: int) -> bool:
    import stat

    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


# An answer to a request as the SDK writes it (pydantic's field order: jsonrpc, id, then
# result or error); requests and notifications it sends have "method" there instead, and
# the answer to an unreadable line has a null id (no request of the count).
ANSWER = re.compile(r'\{"jsonrpc":"2\.0","id":(?:"(?:[^"\\]|\\.)*"|-?\d+),"(?:result|error)"')


class _Pending:
    """Requests read and not yet answered. A client closing stdin is shutting the
    server down (MCP's stdio lifecycle): the reader waits for answers in flight
    as the HTTP transports drain on SIGTERM, at most ``grace`` seconds
    (``--shutdown-grace``); what is still running then is cancelled (and
    audited as such)."""

    def __init__(self, grace: float) -> None:
        import asyncio

        self.grace = grace
        self.count = 0
        self.changed = asyncio.Event()

    def read(self, line: str) -> None:
        if '"method"' in line and '"id"' in line:
            self.count += 1

    def written(self, text: str) -> None:
        if ANSWER.match(text):
            self.count -= 1
            self.changed.set()

    async def drained(self) -> None:
        import asyncio

        deadline = asyncio.get_running_loop().time() + self.grace
        while self.count > 0:
            self.changed.clear()
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                return


class _LineReader:
    """stdin as the SDK's stdio transport reads it (``async for line``), from the
    event loop's own pipe reader instead of a worker thread per line."""

    def __init__(self, reader: Any, pending: _Pending) -> None:
        self._reader = reader
        self._pending = pending

    def __aiter__(self) -> _LineReader:
        return self

    async def __anext__(self) -> str:
        line = await self._reader.readline()
        if not line:
            await self._pending.drained()
            raise StopAsyncIteration
        text = str(line.decode("utf-8", errors="replace"))
        self._pending.read(text)
        return text


class _Writer:
    """stdout as the SDK writes it (``write`` then ``flush``), through the event
    loop's pipe transport: buffered, flushed by waiting for it to drain."""

    def __init__(self, writer: Any, pending: _Pending) -> None:
        self._writer = writer
        self._pending = pending

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))
        self._pending.written(text)

    async def flush(self) -> None:
        await self._writer.drain()


class _ThreadedReader:
    """A file or terminal as stdin (the event loop cannot watch those): each line
    read in a worker thread, as the SDK's own transport does."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    async def readline(self) -> bytes:
        import anyio

        return bytes(await anyio.to_thread.run_sync(self._raw.readline))


class _ThreadedWriter:
    """A file or terminal as stdout: writes buffered here, flushed in a worker thread."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._buffer: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._buffer.append(data)

    async def drain(self) -> None:
        import anyio

        data, self._buffer = b"".join(self._buffer), []

        def flush() -> None:
            self._raw.write(data)
            self._raw.flush()

        await anyio.to_thread.run_sync(flush)


def pipes(grace: float) -> Any:
    """(stdin, stdout) streams for ``stdio_server``: the event loop's own pipe reader
    and writer when both are pipes or sockets (how MCP clients start servers), a
    worker thread per read and flush for anything else (a file, a terminal); ``()``
    (the SDK's default) where there is no running asyncio loop. Either way a closed
    stdin lets calls in flight finish within ``grace`` seconds (``_Pending``).

    While serving, fds 0 and 1 point at the null device and stderr, as the SDK's
    own transport arranges, so stray reads get EOF and stray prints miss the wire.
    """
    import asyncio
    import contextlib

    @contextlib.asynccontextmanager
    async def opened() -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            yield ()
            return
        wire_in, wire_out = os.dup(0), os.dup(1)
        saved = (os.dup(0), os.dup(1))  # to put the wire back on 0 and 1 afterwards
        diverted = False
        transports: list[Any] = []
        files: list[Any] = []
        try:
            reader: Any
            writer: Any
            if _is_pipe(0) and _is_pipe(1):
                reader = asyncio.StreamReader(limit=2**26)
                transport, _ = await loop.connect_read_pipe(
                    lambda: asyncio.StreamReaderProtocol(reader),
                    os.fdopen(wire_in, "rb", buffering=0),
                )
                transports.append(transport)
                out_transport, protocol = await loop.connect_write_pipe(
                    asyncio.streams.FlowControlMixin, os.fdopen(wire_out, "wb", buffering=0)
                )
                transports.append(out_transport)
                writer = asyncio.StreamWriter(out_transport, protocol, None, loop)
            else:
                files += [os.fdopen(wire_in, "rb"), os.fdopen(wire_out, "wb")]
                reader, writer = _ThreadedReader(files[0]), _ThreadedWriter(files[1])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            os.dup2(2, 1)
            diverted = True
            pending = _Pending(grace)
            yield (_LineReader(reader, pending), _Writer(writer, pending))
        finally:
            for _ in range(1000):  # what is still buffered reaches the client first
                if not transports[1:] or not transports[1].get_write_buffer_size():
                    break
                await asyncio.sleep(0.005)
            for each in transports:
                each.close()
            for handle in files:
                with contextlib.suppress(OSError):
                    handle.close()
            if diverted:  # the wire back where it was, for whatever runs after
                os.dup2(saved[0], 0)
                os.dup2(saved[1], 1)
            for fd in saved:
                with contextlib.suppress(OSError):
                    os.close(fd)

    return opened()


def host_rules(tool_server: ToolServer) -> hosts.HostRules:
    """DNS-rebinding protection: on for loopback, or for the hosts the operator names."""
    settings = tool_server.settings
    return hosts.rules(settings.host, settings.allowed_hosts)


def security(tool_server: ToolServer) -> Any:
    """The same rules as the SDK's settings, for every transport (SSE included)."""
    return host_rules(tool_server).sdk_settings()


def http_app(tool_server: ToolServer) -> Any:
    """The ASGI app for the configured HTTP transport, behind the bearer gate."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    settings = tool_server.settings
    guard = grantroutes.Guard(tool_server) if grantscope.active(settings) else None

    async def healthz(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "expired" if settings.expired() else "ok",
                "tools": len(tool_server.operations),
            },
            status_code=503 if settings.expired() else 200,
        )

    app: Any
    if settings.transport == "sse":
        app = StreamLimits(
            sse_app(tool_server, [Route("/healthz", healthz)]),
            path=settings.path,
            max_sessions=settings.max_sessions,
            per_token=settings.max_sessions_per_token,
            require_token=settings.require_token,
        )
    else:
        app = tool_server.server.streamable_http_app(
            streamable_http_path=settings.path,
            stateless_http=settings.stateless,
            json_response=settings.stateless,
            transport_security=security(tool_server),
            host=settings.host,
            custom_starlette_routes=[Route("/healthz", healthz)],
            session_idle_timeout=settings.session_idle_timeout,
            max_sessions=settings.max_sessions,
            **(guard.sdk_auth() if guard else {}),
        )
        if not settings.stateless:
            app = SessionLimits(
                app,
                max_sessions=settings.max_sessions,
                per_token=settings.max_sessions_per_token,
                idle_timeout=settings.session_idle_timeout,
                require_token=settings.require_token or guard is not None,
            )
    from . import lifecycle

    lifecycle.hold_event_streams()  # answers on event streams survive a signal (every worker)
    app = BearerGate(app, settings, tool_server.package.command)
    if guard is not None:  # grant URLs and OAuth metadata: outside the bearer gate
        app = guard.wrap(app)
    checked = hosts.HostGate(app, host_rules(tool_server))
    return lifecycle.Drain(checked, tool_server.caller.in_flight)


def serve_http(tool_server: ToolServer) -> None:
    from . import lifecycle

    settings = tool_server.settings
    where = f"http://{settings.host}:{settings.port}{settings.path}"
    print(
        f"{tool_server.package.command}: {settings.transport} on {where} "
        f"({len(tool_server.operations)} tools{', token required' if settings.require_token else ''}"
        f"{', stateless' if settings.stateless else ''}{f', {settings.workers} workers' if settings.workers > 1 else ''})",
        file=sys.stderr,
    )
    if settings.workers > 1:
        # each worker process builds its own server from the same settings
        env = settings_env(tool_server)
        os.environ.update(env)
        target = f"{tool_server.package.module}.app:http_app"
        try:
            lifecycle.serve_workers(
                target, settings.host, settings.port, settings.workers, settings.shutdown_grace
            )
        finally:
            if not settings.confirm_state_dir:  # the folder made for this run's workers
                import shutil

                shutil.rmtree(
                    env[tool_server.package.option_env_prefix + "CONFIRM_STATE_DIR"], True
                )
    else:
        lifecycle.serve(
            http_app(tool_server), settings.host, settings.port, settings.shutdown_grace
        )


def settings_env(tool_server: ToolServer) -> dict[str, str]:
    prefix = tool_server.package.option_env_prefix
    settings = tool_server.settings
    out: dict[str, str] = {}
    for option in OPTIONS:
        value = getattr(settings, option.name)
        if value is None or value == [] or option.name == "workers":
            continue
        if isinstance(value, list):
            value = ",".join(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[prefix + option.name.upper()] = str(value)
    out[prefix + "WORKERS"] = "1"
    out[tool_server.package.base_url_env] = settings.base_url
    # approvals of destructive calls: one signing key and one record of used approvals
    # for all workers, so that any worker accepts (once) what another asked for
    from .confirm import shared_state

    secret, state_dir = shared_state(settings)
    out[prefix + "CONFIRM_SECRET"] = secret
    out[prefix + "CONFIRM_STATE_DIR"] = state_dir
    out.pop(prefix + "CONFIRM_SECRET_FILE", None)
    return out


def sse_app(tool_server: ToolServer, routes: list[Any]) -> Any:
    from mcp.server.sse import SseServerTransport
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Mount, Route

    server = tool_server.server
    path = tool_server.settings.path
    messages = path.rstrip("/") + "/messages/"
    # HostGate in front applies the Host/Origin rules; the SDK's own check would answer a
    # refusal by raising (a traceback in the log), so it is left to the gate
    transport = SseServerTransport(
        messages, security_settings=hosts.HostRules(enabled=False).sdk_settings()
    )

    async def handle_sse(request: Request) -> Response:
        async with transport.connect_sse(request.scope, request.receive, request._send) as (r, w):
            await server.run(answering(r, w), w, server.create_initialization_options())
        return Response()

    return Starlette(
        routes=[
            *routes,
            Route(path, endpoint=handle_sse, methods=["GET"]),
            Mount(messages, app=transport.handle_post_message),
        ]
    )
