"""The MCP server: a low-level ``mcp.server.Server`` over the generated operations.

``tools/list`` serves the spec's schemas as they are; ``tools/call`` validates
the arguments, sends one request upstream and shapes the answer. Every failure
becomes an ``isError`` result in the one error shape, never a protocol error.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import mcp.types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError

from . import compact, confirm, http
from .access import Audit, select
from .compat import gemini_schema
from .errors import ToolError, from_response, request_id, upstream_body
from .oauth import TokenSource
from .operation import Operation, PackageInfo
from .prompts import Prompts
from .results import (
    REDACTED,
    error_result,
    item_schema,
    non_json_result,
    project,
    redact,
    size,
    success_payload,
    success_result,
    window,
)
from .retry import RETRY_STATUSES, RetryPolicy, retryable
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
        prompts_file: Path | None = None,
    ) -> None:
        self.package = package
        self.settings = settings
        self.schemas = schemas
        self.all_operations = {op.name: op for op in operations}
        self.operations = {op.name: op for op in select(operations, settings)}
        opted_in = [op.name for op in self.operations.values() if op.exposure == "excluded"]
        if opted_in:
            log.warning(
                "serving operations the spec excludes (credential-bearing): %s", ", ".join(opted_in)
            )
        self.audit = Audit(settings.audit_log, self._secrets)
        self.upstream = http.Upstream(
            settings.base_url,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            transport=transport,
            user_agent=f"{package.command}/{package.version}",
        )
        self.tokens: TokenSource | None = None
        auth = package.auth
        if (
            auth.kind == "oauth2"
            and auth.token_url
            and settings.client_id
            and settings.client_secret
        ):
            self.tokens = TokenSource(
                auth.token_url, settings.client_id, settings.client_secret, auth.scopes
            )
        self.arguments = ArgumentValidator()
        self.outputs = ArgumentValidator()
        self._tools: list[types.Tool] | None = None
        self.prompts = Prompts(prompts_file) if prompts_file else Prompts(Path("/nonexistent"))
        self.not_exposed = [
            op for op in operations if op.exposure == "excluded" and op.name not in self.operations
        ]
        self.instructions = instructions(
            package, self.operations.values(), self.not_exposed, settings
        )
        self.server: Server[Any] = Server(
            package.name,
            version=package.version,
            title=package.title,
            instructions=self.instructions,
            on_list_tools=self._on_list_tools,
            on_call_tool=self._on_call_tool,
            on_list_prompts=self._on_list_prompts,
            on_get_prompt=self._on_get_prompt,
            on_list_resources=self._on_list_resources,
            on_read_resource=self._on_read_resource,
        )

    # -- tools/list ----------------------------------------------------------

    def tools(self) -> list[types.Tool]:
        if self._tools is None:
            if self.settings.compact:
                self._tools = compact.tools(len(self.operations))
            else:
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
    ) -> types.CallToolResult | types.InputRequiredResult:
        api_key = None
        header = self.settings.upstream_key_from_header
        if header and ctx.request is not None:
            api_key = getattr(ctx.request, "headers", {}).get(header) or None
        arguments = params.arguments or {}
        if self.settings.compact and params.name in compact.NAMES:
            if params.name != compact.CALL:
                return self._meta(params.name, arguments)
            target = str(arguments.get("name", ""))
            inner = arguments.get("arguments") or {}
            if not isinstance(inner, dict):
                return error_result(ToolError("invalid_arguments", "arguments must be an object"))
            if target not in self.operations:
                return error_result(
                    ToolError("not_allowed", f"no operation {target!r}: use {compact.SEARCH}")
                )
            params = params.model_copy(update={"name": target, "arguments": inner})
            arguments = inner
        op = self.operations.get(params.name)
        if op is not None and op.annotations.destructive and self.settings.confirms(op.name):
            if not self.arguments.problems(op.name, self.schemas.input(op.name), arguments):
                gate = await self._confirm(ctx, params, op, arguments)
                if gate is not None:
                    return gate
        return await self.call(params.name, arguments, api_key=api_key)

    def _meta(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        """search_operations and describe_operation (compact mode)."""
        if name == compact.SEARCH:
            limit = arguments.get("limit", 10)
            limit = limit if isinstance(limit, int) and 1 <= limit <= 50 else 10
            return success_result(
                compact.search(self.operations.values(), str(arguments.get("query", "")), limit)
            )
        op = self.operations.get(str(arguments.get("name", "")))
        if op is None:
            return error_result(
                ToolError(
                    "not_allowed", f"no operation {arguments.get('name')!r}: use {compact.SEARCH}"
                )
            )
        tool = self._tool(op).model_dump(by_alias=True, exclude_none=True, mode="json")
        return success_result(tool)

    async def _confirm(
        self,
        ctx: ServerRequestContext[Any],
        params: types.CallToolRequestParams,
        op: Operation,
        arguments: dict[str, Any],
    ) -> types.CallToolResult | types.InputRequiredResult | None:
        """None when the user accepted; otherwise what to answer instead."""
        if not confirm.can_elicit(ctx.session.client_capabilities):
            return self._refuse(op, arguments, confirm.not_possible(op, self.package.command))
        if confirm.modern(ctx.protocol_version):
            answers = params.input_responses or {}
            if confirm.KEY not in answers or params.request_state != confirm.binding(op, arguments):
                return confirm.input_required(op, arguments)
            answer: Any = answers[confirm.KEY]
        else:
            answer = await ctx.session.elicit_form(
                confirm.message(op, arguments), confirm.SCHEMA, related_request_id=ctx.request_id
            )
        ok, action = confirm.accepted(answer)
        if ok:
            return None
        return self._refuse(op, arguments, confirm.declined(op, arguments, action))

    def _refuse(
        self, op: Operation, arguments: dict[str, Any], error: ToolError
    ) -> types.CallToolResult:
        self.audit.record(op, op.name, arguments, error.type, None, None, 0.0)
        return error_result(error, not op.has_output_schema)

    # -- prompts and resources -------------------------------------------------

    async def _on_list_prompts(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=self.prompts.listing())

    async def _on_get_prompt(
        self, ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        return self.prompts.render(params.name, params.arguments)

    def resource_uri(self) -> str:
        return f"{self.package.command}://excluded-operations"

    async def _on_list_resources(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        if not self.not_exposed:
            return types.ListResourcesResult(resources=[])
        resource = types.Resource(
            uri=self.resource_uri(),
            name="excluded-operations",
            title="Operations this server does not expose",
            description="Why each is left out and what to do instead.",
            mime_type="text/markdown",
        )
        return types.ListResourcesResult(resources=[resource])

    async def _on_read_resource(
        self, ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        if str(params.uri) != self.resource_uri() or not self.not_exposed:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown resource: {params.uri}")
        lines = ["# Operations not exposed by this server", ""]
        for op in self.not_exposed:
            lines.append(f"## {op.name} ({op.method} {op.path})")
            lines.append(f"- why: {op.exclusion_reason or 'excluded by the API spec'}")
            lines.append(f"- instead: {op.remediation or 'use the Artie UI or API directly'}")
            lines.append("")
        text = "\n".join(lines)
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(
                    uri=self.resource_uri(), mime_type="text/markdown", text=text
                )
            ]
        )

    async def call(
        self, name: str, arguments: dict[str, Any], api_key: str | None = None
    ) -> types.CallToolResult:
        started = time.perf_counter()
        op = self.operations.get(name)
        outcome: dict[str, Any] = {"outcome": "ok", "status": None, "request_id": None}
        try:
            if op is None:
                if name not in self.all_operations:
                    raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown tool: {name}")
                raise ToolError("not_allowed", f"tool {name!r} is not enabled on this server")
            if self.settings.expired():
                raise ToolError("not_allowed", "this server has expired: every call is refused")
            return await self._call(op, arguments, api_key or self.settings.api_key, outcome)
        except ToolError as exc:
            outcome.update(outcome=exc.type, status=exc.status, request_id=exc.request_id)
            structured = op is None or not op.has_output_schema
            return error_result(self._bound(self._scrub(exc, api_key)), structured)
        except MCPError:
            outcome["outcome"] = "unknown_tool"
            raise
        except Exception as exc:  # never a protocol error: the model gets a result
            log.exception("tool %s failed", name)
            outcome["outcome"] = "internal_error"
            return error_result(
                ToolError("upstream_error", f"internal error: {type(exc).__name__}: {exc}"),
                op is None or not op.has_output_schema,
            )
        finally:
            self.audit.record(
                op,
                name,
                arguments,
                outcome["outcome"],
                outcome["status"],
                outcome["request_id"],
                (time.perf_counter() - started) * 1000,
            )

    def _secrets(self) -> list[str]:
        s = self.settings
        return [x for x in (s.api_key, s.client_secret, *s.tokens) if x]

    async def _call(
        self, op: Operation, arguments: dict[str, Any], api_key: str | None, outcome: dict[str, Any]
    ) -> types.CallToolResult:
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
        request = http.build_request(op, call_args, self.settings.allow_file_dir)
        if not api_key and self.tokens is not None:
            api_key = await self.tokens.token(self.upstream.client())
        if not api_key and self.package.auth.kind != "none":
            where = f"set {self.package.api_key_env} in the server's environment"
            if self.package.auth.kind == "oauth2":
                base = self.package.api_key_env.removesuffix("_API_KEY")
                where += f" (a bearer token), or {base}_CLIENT_ID and {base}_CLIENT_SECRET"
            if self.settings.upstream_key_from_header:
                where = f"send it in the {self.settings.upstream_key_from_header} header"
            raise ToolError("config", f"no API key: {where}")
        limit = self.settings.max_request_bytes
        if request.content is not None and len(request.content) > limit:
            if op.chunk_field and op.body is not None:
                return await self._chunked(op, call_args, limit, api_key)
            raise ToolError(
                "payload_too_large",
                f"the request body is {len(request.content)} bytes, over the limit of {limit}; nothing was sent",
            )
        response = await self._send(op, request, api_key)
        outcome.update(status=response.status_code, request_id=request_id(response.headers))
        return self._shape(op, response, controls)

    async def _send(
        self, op: Operation, request: http.Request, api_key: str | None
    ) -> httpx.Response:
        headers, query = http.auth_headers(self.package.auth, api_key or "")
        policy = None
        if self.settings.retry == "safe" and retryable(op.retry):
            policy = RetryPolicy(self.settings.retry_attempts, self.settings.retry_max_seconds)
        checked = self.settings.retry == "safe" and op.state_check is not None
        try:
            response = await self.upstream.send(request, headers, query, policy)
        except ToolError as exc:
            if not checked or exc.type != "network":
                raise
            response = await self._after_state_check(op, request, headers, query, exc)
        else:
            if checked and response.status_code in RETRY_STATUSES:
                response = await self._after_state_check(op, request, headers, query, response)
        if response.status_code >= 400 or response.status_code < 200:
            raise from_response(response.status_code, response.headers, response.content)
        return response

    async def _after_state_check(
        self,
        op: Operation,
        request: http.Request,
        headers: dict[str, str],
        query: list[tuple[str, str]],
        failure: httpx.Response | ToolError,
    ) -> httpx.Response:
        """retrySemantics safe-after-state-check: retry a DELETE only after a GET of
        the same item shows it is still there; a 404 shows the deletion took effect."""
        import httpx

        policy = RetryPolicy(self.settings.retry_attempts, self.settings.retry_max_seconds)
        started = time.monotonic()
        for attempt in range(1, policy.attempts):
            check = await self.upstream.send(http.Request("GET", request.path), headers, query)
            if check.status_code == 404:
                said = (
                    failure.status_code if isinstance(failure, httpx.Response) else failure.message
                )
                note = f"{op.method} answered {said}; GET {request.path} then answered 404: the deletion took effect"
                return httpx.Response(200, json={"state_check": note})
            if not 200 <= check.status_code < 300:
                break  # the state is unknown: do not risk a second call
            wait = policy.delay(attempt, None)
            if time.monotonic() - started + wait > policy.max_seconds:
                break
            await anyio.sleep(wait)
            try:
                failure = await self.upstream.send(request, headers, query)
            except ToolError as exc:
                if exc.type != "network":
                    raise
                failure = exc
                continue
            if failure.status_code not in RETRY_STATUSES:
                return failure
        if isinstance(failure, ToolError):
            raise failure
        return failure

    def _shape(
        self, op: Operation, response: httpx.Response, controls: dict[str, Any]
    ) -> types.CallToolResult:
        content_type = response.headers.get("content-type", "")
        structured = success_payload(op, response.status_code, response.content, content_type)
        if structured is None:
            return non_json_result(response.content, content_type, self.settings.max_result_chars)
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
        self, op: Operation, arguments: dict[str, Any], limit: int, api_key: str | None
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
                response = await self._send(op, request, api_key)
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

    def _scrub(self, error: ToolError, api_key: str | None = None) -> ToolError:
        """API keys and tokens never appear in anything the model sees."""
        for secret in (api_key, *self._secrets()):
            if secret and secret in json.dumps(error.payload(), ensure_ascii=False, default=str):
                error.message = error.message.replace(secret, REDACTED)
                error.upstream = _replace(error.upstream, secret)
                error.details = _replace(error.details, secret)
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


def instructions(
    package: PackageInfo,
    served: Iterable[Operation],
    not_exposed: list[Operation],
    settings: Settings,
) -> str:
    """Sent at initialisation; kept under the 2,048 characters Claude Code shows."""
    served = list(served)
    parts = [package.instructions.strip()] if package.instructions.strip() else []
    destructive = [op.name for op in served if op.annotations.destructive]
    if destructive:
        how = (
            "the server asks the user to confirm"
            if settings.confirm_destructive is not False
            else "confirm with the user first"
        )
        parts.append(f"Destructive tools ({len(destructive)}): {how} before they run.")
    if not_exposed:
        names = ", ".join(op.name for op in not_exposed)
        parts.append(
            f"Deliberately not exposed ({len(not_exposed)}): {names}. If asked for one of these, do not guess: "
            f"read the resource {package.command}://excluded-operations for why and what to do instead."
        )
    text = "\n\n".join(parts)
    return text if len(text) <= 2000 else text[:1999] + "…"
