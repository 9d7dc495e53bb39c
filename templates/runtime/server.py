"""The MCP server: a low-level ``mcp.server.Server`` over the generated operations.

``tools/list`` serves the spec's schemas as they are; ``tools/call`` validates
the arguments, sends one request upstream and shapes the answer. Every failure
becomes an ``isError`` result in the one error shape, never a protocol error.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import mcp.types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError

from . import http
from .compat import gemini_schema
from .errors import ToolError, from_response, upstream_body
from .operation import Operation, PackageInfo
from .results import (
    REDACTED,
    error_result,
    item_schema,
    project,
    redact,
    size,
    success_payload,
    success_result,
    window,
)
from .retry import RetryPolicy, retryable
from .schemas import SchemaStore
from .settings import Settings
from .validation import ArgumentValidator

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("mcp_runtime")


class ToolServer:
    """Everything one server process needs; ``server`` is the MCP face of it."""

    def __init__(
        self,
        package: PackageInfo,
        operations: Sequence[Operation],
        schemas: SchemaStore,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.package = package
        self.settings = settings
        self.schemas = schemas
        self.all_operations = {op.name: op for op in operations}
        self.operations = {op.name: op for op in operations if op.exposure == "exposed"}
        self.upstream = http.Upstream(
            settings.base_url,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            transport=transport,
            user_agent=f"{package.command}/{package.version}",
        )
        self.arguments = ArgumentValidator()
        self.outputs = ArgumentValidator()
        self._tools: list[types.Tool] | None = None
        self.server: Server[Any] = Server(
            package.name,
            version=package.version,
            title=package.title,
            instructions=package.instructions or None,
            on_list_tools=self._on_list_tools,
            on_call_tool=self._on_call_tool,
        )

    # -- tools/list ----------------------------------------------------------

    def tools(self) -> list[types.Tool]:
        if self._tools is None:
            self._tools = [self._tool(op) for op in self.operations.values()]
        return self._tools

    def _tool(self, op: Operation) -> types.Tool:
        a = op.annotations
        input_schema = self.schemas.input(op.name)
        if self.settings.schema_profile == "gemini":
            input_schema = gemini_schema(
                input_schema
            )  # arguments are still checked against the full schema
        return types.Tool(
            name=op.name,
            title=op.title,
            description=op.description,
            input_schema=input_schema,
            output_schema=self.schemas.output(op.name),
            annotations=types.ToolAnnotations(
                title=op.title,
                read_only_hint=a.read_only,
                destructive_hint=a.destructive,
                idempotent_hint=a.idempotent,
                open_world_hint=a.open_world,
            ),
        )

    async def _on_list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.tools())

    # -- tools/call ----------------------------------------------------------

    async def _on_call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        return await self.call(params.name, params.arguments or {})

    async def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        op = self.operations.get(name)
        if op is None:
            if name in self.all_operations:
                return error_result(
                    ToolError("not_allowed", f"tool {name!r} is not enabled on this server")
                )
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown tool: {name}")
        structured = not op.has_output_schema
        try:
            return await self._call(op, arguments)
        except ToolError as exc:
            return error_result(self._bound(self._scrub(exc)), structured)
        except Exception as exc:  # never a protocol error: the model gets a result
            log.exception("tool %s failed", name)
            return error_result(
                ToolError("upstream_error", f"internal error: {type(exc).__name__}: {exc}"),
                structured,
            )

    async def _call(self, op: Operation, arguments: dict[str, Any]) -> types.CallToolResult:
        problems = self.arguments.problems(op.name, self.schemas.input(op.name), arguments)
        if problems:
            summary = "; ".join(f"{p['path']}: {p['message']}" for p in problems[:5])
            raise ToolError(
                "invalid_arguments",
                f"{len(problems)} invalid argument(s): {summary}",
                details=problems,
            )
        controls = {
            name: arguments[name]
            for name in (*op.window_args, op.fields_arg)
            if name and name in arguments
        }
        call_args = {k: v for k, v in arguments.items() if k not in controls}
        request = http.build_request(op, call_args)
        if not self.settings.api_key:
            raise ToolError(
                "config",
                f"no API key: set {self.package.api_key_env} in the server's environment",
            )
        limit = self.settings.max_request_bytes
        if request.content is not None and len(request.content) > limit:
            if op.chunk_field and op.body is not None:
                return await self._chunked(op, call_args, limit)
            raise ToolError(
                "payload_too_large",
                f"the request body is {len(request.content)} bytes, over the limit of {limit}; nothing was sent",
            )
        response = await self._send(op, request)
        return self._shape(op, response, controls)

    async def _send(self, op: Operation, request: http.Request) -> httpx.Response:
        headers, query = http.auth_headers(self.package.auth, self.settings.api_key or "")
        policy = None
        if self.settings.retry == "safe" and retryable(op.retry):
            policy = RetryPolicy(self.settings.retry_attempts, self.settings.retry_max_seconds)
        response = await self.upstream.send(request, headers, query, policy)
        if response.status_code >= 400 or response.status_code < 200:
            raise from_response(response.status_code, response.headers, response.content)
        return response

    def _shape(
        self, op: Operation, response: httpx.Response, controls: dict[str, Any]
    ) -> types.CallToolResult:
        content_type = response.headers.get("content-type", "")
        structured = success_payload(op, response.status_code, response.content, content_type)
        if structured is None:
            return success_result(None, response.text[: self.settings.max_result_chars])
        output_schema = self.schemas.output(op.name)
        if output_schema is not None:
            problems = self.outputs.problems(op.name, output_schema, structured)
            if problems:
                raise ToolError(
                    "upstream_error",
                    "upstream answered with data that does not match its documented schema",
                    status=response.status_code,
                    upstream=structured,
                    details=problems[:20],
                )
        if (
            op.output_sensitivity == "restricted-credentials"
            and not self.settings.reveal_credentials
        ):
            structured = redact(structured)
        fields = controls.get(op.fields_arg) if op.fields_arg else None
        if op.list_field and isinstance(structured, dict):
            if fields and output_schema is not None:
                items_schema = item_schema(output_schema, op.list_field)
                items = structured.get(op.list_field)
                if isinstance(items, list):
                    structured = {
                        **structured,
                        op.list_field: [project(i, fields, items_schema) for i in items],
                    }
            offset_arg, limit_arg = op.window_args
            structured = window(
                structured,
                op.list_field,
                int(controls.get(offset_arg, 0)),
                controls.get(limit_arg),
                self.settings.max_result_chars,
            )
        elif fields:
            structured = project(structured, fields, output_schema)
        if size(structured) > self.settings.max_result_chars:
            hint = f"; ask for fewer fields with {op.fields_arg}" if op.fields_arg else ""
            raise ToolError(
                "payload_too_large",
                f"the result is {size(structured)} characters, over the limit of "
                f"{self.settings.max_result_chars}{hint}",
                status=response.status_code,
            )
        return success_result(structured)

    async def _chunked(
        self, op: Operation, arguments: dict[str, Any], limit: int
    ) -> types.CallToolResult:
        """Split the chunkable array into requests under the limit; send them in
        order; stop at the first failure and say exactly what was accepted."""
        assert op.body is not None and op.chunk_field
        field_arg = next(arg for arg, prop in op.body.fields if prop == op.chunk_field)
        items = list(arguments.get(field_arg) or [])
        batches: list[list[Any]] = []
        current: list[Any] = []
        for item in items:
            trial = http.build_request(op, {**arguments, field_arg: [*current, item]})
            if current and trial.content is not None and len(trial.content) > limit:
                batches.append(current)
                current = [item]
            else:
                current.append(item)
        if current:
            batches.append(current)
        report: list[dict[str, Any]] = []
        start = 0
        for index, batch in enumerate(batches):
            request = http.build_request(op, {**arguments, field_arg: batch})
            if request.content is not None and len(request.content) > limit:
                raise ToolError(
                    "payload_too_large",
                    f"item {start} alone makes a body over the limit of {limit} bytes; "
                    f"chunks before it were sent: {report}",
                    details=report,
                )
            try:
                response = await self._send(op, request)
            except ToolError as exc:
                exc.message = (
                    f"chunk {index + 1} of {len(batches)} (items {start}..{start + len(batch) - 1}) failed: "
                    f"{exc.message}; {sum(c['items'] for c in report)} items in {len(report)} earlier chunk(s) "
                    f"were accepted; {len(items) - start - len(batch)} later items were not sent"
                )
                exc.details = report
                raise
            body = response.content
            report.append(
                {
                    "chunk": index + 1,
                    "first_item": start,
                    "items": len(batch),
                    "status": response.status_code,
                    "result": upstream_body(body, response.headers.get("content-type", "")),
                }
            )
            start += len(batch)
        return success_result({"ok": True, "chunks": report, "items": len(items)})

    def _bound(self, error: ToolError) -> ToolError:
        """Errors obey the result size limit too: a huge upstream body is cut."""
        limit = self.settings.max_result_chars
        if size(error.payload()) <= limit:
            return error
        if error.details and len(error.details) > 10:
            error.details = error.details[:10]
        text = (
            error.upstream
            if isinstance(error.upstream, str)
            else json.dumps(error.upstream, ensure_ascii=False)
        )
        room = max(200, limit - size({**error.payload(), "upstream": None}) - 200)
        if len(text) > room:
            error.upstream = text[:room] + f"…[truncated {len(text) - room} more characters]"
        return error

    def _scrub(self, error: ToolError) -> ToolError:
        """The API key never appears in anything the model sees."""
        key = self.settings.api_key
        if key and key in json.dumps(error.payload(), ensure_ascii=False, default=str):
            error.message = error.message.replace(key, REDACTED)
            error.upstream = _replace(error.upstream, key)
            error.details = _replace(error.details, key)
        return error

    async def aclose(self) -> None:
        await self.upstream.aclose()


def _replace(value: Any, secret: str) -> Any:
    if isinstance(value, str):
        return value.replace(secret, REDACTED)
    if isinstance(value, dict):
        return {_replace(k, secret): _replace(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, secret) for v in value]
    return value


def serve_stdio(tool_server: ToolServer) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    async def main() -> None:
        try:
            async with stdio_server() as (read, write):
                server = tool_server.server
                await server.run(read, write, server.create_initialization_options())
        finally:
            await tool_server.aclose()

    anyio.run(main)


def serve_http(tool_server: ToolServer) -> None:
    import uvicorn

    settings = tool_server.settings
    server = tool_server.server
    if settings.transport == "sse":
        app = sse_app(server, settings.path)
    else:
        app = server.streamable_http_app(streamable_http_path=settings.path, host=settings.host)
    print(
        f"serving {settings.transport} on http://{settings.host}:{settings.port}{settings.path}",
        file=sys.stderr,
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def sse_app(server: Server[Any], path: str) -> Any:
    from mcp.server.sse import SseServerTransport
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Mount, Route

    messages = path.rstrip("/") + "/messages/"
    transport = SseServerTransport(messages)

    async def handle_sse(request: Request) -> Response:
        async with transport.connect_sse(request.scope, request.receive, request._send) as (r, w):
            await server.run(r, w, server.create_initialization_options())
        return Response()

    return Starlette(
        routes=[
            Route(path, endpoint=handle_sse, methods=["GET"]),
            Mount(messages, app=transport.handle_post_message),
        ]
    )
