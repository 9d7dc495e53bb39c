"""stdio, streamable HTTP (stateful or stateless, one or several workers) and SSE."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from . import grantscope
from .access import BearerGate
from .settings import OPTIONS
from .stdio import answering

if TYPE_CHECKING:
    from .server import ToolServer

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_stdio(tool_server: ToolServer) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    async def main() -> None:
        try:
            async with stdio_server() as (read, write):
                server = tool_server.server
                read = answering(read, write)  # unparsable lines get -32700, as over HTTP
                await server.run(read, write, server.create_initialization_options())
        finally:
            await tool_server.aclose()

    anyio.run(main)


def security(tool_server: ToolServer) -> Any:
    """DNS-rebinding protection: on for loopback, or for the hosts the operator names."""
    from mcp.server.transport_security import TransportSecuritySettings

    settings = tool_server.settings
    if settings.allowed_hosts:
        hosts = list(settings.allowed_hosts)
        hosts += [f"{h}:*" for h in settings.allowed_hosts if ":" not in h]
        origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        )
    if settings.host in LOOPBACK:
        return None  # the SDK's loopback defaults
    return TransportSecuritySettings(enable_dns_rebinding_protection=False)


def http_app(tool_server: ToolServer) -> Any:
    """The ASGI app for the configured HTTP transport, behind the bearer gate."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    settings = tool_server.settings
    guard = grantscope.Guard(tool_server) if grantscope.active(settings) else None

    async def healthz(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "expired" if settings.expired() else "ok",
                "tools": len(tool_server.operations),
            },
            status_code=503 if settings.expired() else 200,
        )

    if settings.transport == "sse":
        app = sse_app(tool_server, [Route("/healthz", healthz)])
    else:
        app = tool_server.server.streamable_http_app(
            streamable_http_path=settings.path,
            stateless_http=settings.stateless,
            json_response=settings.stateless,
            transport_security=security(tool_server),
            host=settings.host,
            custom_starlette_routes=[Route("/healthz", healthz)],
            **(guard.sdk_auth() if guard else {}),
        )
    app = BearerGate(app, settings, tool_server.package.command)
    return guard.wrap(app) if guard else app


def serve_http(tool_server: ToolServer) -> None:
    import uvicorn

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
        os.environ.update(settings_env(tool_server))
        target = f"{tool_server.package.module}.app:http_app"
        uvicorn.run(
            target,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level="warning",
        )
    else:
        uvicorn.run(
            http_app(tool_server), host=settings.host, port=settings.port, log_level="warning"
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
    transport = SseServerTransport(messages, security_settings=security(tool_server))

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
