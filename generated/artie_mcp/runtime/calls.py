"""The one call path: validate -> build -> send -> shape.

Every tool call, whether named directly or through ``call_operation`` in
compact mode, goes through ``Caller.call``. Every failure becomes an
``isError`` result in the one error shape, never a protocol error; each call
writes one audit line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
import mcp.types as types
from mcp.shared.exceptions import MCPError

from . import http
from .access import Audit
from .contract import INLINE_BYTES, env_base
from .errors import ToolError, from_response, request_id, upstream_body
from .oauth import TokenSource
from .operation import Operation, PackageInfo
from .redact import contains, redact, redact_text, scrub
from .request import Request, build_request
from .results import (
    bound,
    error_result,
    finish,
    non_json_result,
    not_json,
    success_payload,
    success_result,
)
from .retry import RetryPolicy, retryable
from .settings import Settings
from .tolerance import SpecDrift
from .validation import ArgumentValidator, exact_integers, path_problems

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("mcp_runtime")


class Caller:
    def __init__(
        self,
        package: PackageInfo,
        settings: Settings,
        served: Mapping[str, Operation],
        known: Mapping[str, Operation],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.package = package
        self.settings = settings
        self.served = served
        self.known = known
        self.audit = Audit(settings.audit_log, self.secrets)
        self.upstream = http.Upstream(
            settings.base_url,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            transport=transport,
            user_agent=f"{package.command}/{package.version}",
            max_response_bytes=settings.max_response_bytes,
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
        self.drift = SpecDrift(package.spec_version)
        self._in_flight = 0

    def in_flight(self) -> int:
        """Calls running now (a graceful shutdown waits for them)."""
        return self._in_flight

    def secrets(self) -> list[str]:
        s = self.settings
        fetched = getattr(self.tokens, "_token", None)  # an OAuth2 access token, once fetched
        return [x for x in (s.api_key, s.client_secret, *s.tokens, s.confirm_secret, fetched) if x]

    def restricted(self, op: Operation | None) -> bool | None:
        """How strictly ``op``'s upstream data is redacted: True for credential-bearing
        operations, False for the others, None (not at all) when the operator reveals
        credentials (--reveal-credentials)."""
        if self.settings.reveal_credentials:
            return None
        return op is not None and op.output_sensitivity == "restricted-credentials"

    def clean(self, op: Operation | None, value: Any, api_key: str | None) -> Any:
        """Upstream data as the model may see it: redacted by the key-name rule
        (and the spec's outputSensitivity), the configured secrets scrubbed."""
        strict = self.restricted(op)
        if strict is not None:
            value = redact(value, strict)
        return scrub(value, [api_key or "", *self.secrets()])

    def invalid(self, op: Operation, arguments: Any) -> ToolError | None:
        """The ``invalid_arguments`` error for ``arguments``, or None when they are valid.

        Whole floats become ints in place first (2.0 -> 2): what is validated is what is sent.
        """
        if isinstance(arguments, dict):
            arguments.update(exact_integers(arguments))
        problems = self.arguments.problems(op.name, op.input_schema, arguments)
        problems += path_problems(op, arguments)
        if not problems:
            return None
        summary = "; ".join(f"{p['path']}: {p['message']}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        return ToolError(
            "invalid_arguments",
            f"{len(problems)} invalid argument(s), nothing was sent: {summary}{more}. "
            "The tool's inputSchema lists every argument it takes.",
            details=problems,
        )

    async def call(
        self,
        name: str,
        arguments: dict[str, Any],
        api_key: str | None = None,
        served: Mapping[str, Operation] | None = None,  # a caller's narrower scope
    ) -> types.CallToolResult:
        started = time.perf_counter()
        op = (self.served if served is None else served).get(name)
        outcome: dict[str, Any] = {"outcome": "ok", "status": None, "request_id": None}
        self._in_flight += 1
        try:
            if op is None:
                if name not in self.known:
                    raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown tool: {name}")
                raise ToolError("not_allowed", f"tool {name!r} is not enabled on this server")
            if self.settings.expired():
                raise ToolError("not_allowed", "this server has expired: every call is refused")
            return await self._call(op, arguments, self._caller_key(api_key), outcome)
        except ToolError as exc:
            outcome.update(outcome=exc.type, status=exc.status, request_id=exc.request_id)
            return self.error(op, exc, api_key)
        except MCPError:
            outcome["outcome"] = "unknown_tool"
            raise
        except anyio.get_cancelled_exc_class():
            # shutdown, a closed stdin or the client's cancellation: the answer, if any, is lost
            outcome["outcome"] = "cancelled"
            raise
        except Exception as exc:  # never a protocol error: the model gets a result
            log.exception("tool %s failed", name)
            outcome["outcome"] = "internal_error"
            error = ToolError("upstream_error", f"internal error: {type(exc).__name__}: {exc}")
            return self.error(op, error, api_key)
        finally:
            self._in_flight -= 1
            self.audit.record(
                op,
                name,
                arguments,
                outcome["outcome"],
                outcome["status"],
                outcome["request_id"],
                (time.perf_counter() - started) * 1000,
                api_key=api_key,
            )

    def _caller_key(self, header_key: str | None) -> str | None:
        """The upstream key of this call: the request header's in multi-tenant mode
        (the server's own only with --upstream-key-fallback), else the server's."""
        if header_key:
            return header_key
        if self.settings.upstream_key_from_header and not self.settings.upstream_key_fallback:
            raise ToolError(
                "unauthorized",
                f"this server takes the API key from the {self.settings.upstream_key_from_header} "
                "request header, and this request has none; nothing was sent",
            )
        return self.settings.api_key

    def error(
        self, op: Operation | None, error: ToolError, api_key: str | None = None
    ) -> types.CallToolResult:
        """The error result: upstream data redacted, secrets scrubbed, size bounded.
        Tools that declare an outputSchema carry it as text only (TypeScript-SDK
        clients check structuredContent against the outputSchema even on errors)."""
        secrets = [api_key or "", *self.secrets()]
        error.message = scrub(redact_text(error.message), secrets)
        error.upstream = self.clean(op, error.upstream, api_key)
        error.details = scrub(redact(error.details), secrets)
        return error_result(
            bound(error, self.settings.max_result_chars), op is None or op.output_schema is None
        )

    async def _call(
        self, op: Operation, arguments: dict[str, Any], api_key: str | None, outcome: dict[str, Any]
    ) -> types.CallToolResult:
        invalid = self.invalid(op, arguments)
        if invalid is not None:
            raise invalid
        controls = {name: arguments[name] for name in op.control_args if name in arguments}
        call_args = {k: v for k, v in arguments.items() if k not in controls}
        request = build_request(op, call_args, self.settings.allow_file_dir)
        api_key = await self._key(api_key)
        limit = self.settings.max_request_bytes
        if request.content is not None and len(request.content) > limit:
            if op.chunk_field and op.body is not None:
                return await self._chunked(op, call_args, limit, api_key)
            raise ToolError(
                "payload_too_large",
                f"the request body is {len(request.content)} bytes, over the limit of {limit}; nothing was sent",
            )
        response = await self._send(op, request, call_args, api_key)
        outcome.update(status=response.status_code, request_id=request_id(response.headers))
        return await self._shape(op, response, controls, api_key)

    async def _key(self, api_key: str | None) -> str | None:
        if not api_key and self.tokens is not None:
            api_key = await self.tokens.token(self.upstream.client())
        if not api_key and self.package.auth.kind != "none":
            where = f"set {self.package.api_key_env} in the server's environment"
            if self.package.auth.kind == "oauth2":
                base = env_base(self.package.api_key_env)
                where += f" (a bearer token), or {base}_CLIENT_ID and {base}_CLIENT_SECRET"
            if self.settings.upstream_key_from_header:
                where = f"send it in the {self.settings.upstream_key_from_header} header"
            raise ToolError("config", f"no API key: {where}")
        return api_key

    async def _send(
        self,
        op: Operation,
        request: Request,
        arguments: dict[str, Any],
        api_key: str | None,
    ) -> httpx.Response:
        headers, query = http.auth_headers(self.package.auth, api_key or "")
        check = self._state_check(op, arguments, headers, query)
        policy = None
        if self.settings.retry == "safe" and (retryable(op.retry) or check is not None):
            policy = RetryPolicy(self.settings.retry_attempts, self.settings.retry_max_seconds)
        response = await self.upstream.send(
            request, headers, query, policy, check if policy is not None else None
        )
        if response.status_code >= 400 or response.status_code < 200:
            raise from_response(response.status_code, response.headers, response.content)
        return response

    def _state_check(
        self,
        op: Operation,
        arguments: dict[str, Any],
        headers: dict[str, str],
        query: list[tuple[str, str]],
    ) -> Callable[[], Any] | None:
        """retrySemantics safe-after-state-check: retry only after the read the
        generator named shows the item still there; a 404 shows the first try
        took effect."""
        reader = self.known.get(op.state_check or "")
        if reader is None:
            return None
        read = build_request(
            reader, {p.arg: arguments[p.arg] for p in reader.params if p.arg in arguments}
        )

        async def check() -> Any:
            import httpx

            answer = await self.upstream.send(read, headers, query)
            if answer.status_code == 404:
                note = f"{op.method} failed; {reader.method} {read.path} then answered 404: it took effect"
                return httpx.Response(200, json={"state_check": note})
            return 200 <= answer.status_code < 300  # unknown state: do not risk a second call

        return check

    async def _shape(
        self, op: Operation, response: httpx.Response, controls: dict[str, Any], api_key: str | None
    ) -> types.CallToolResult:
        """The answer as the tool's result. Large answers are parsed, redacted and
        shaped in a worker thread, so one big answer does not stall other sessions."""
        content_type = response.headers.get("content-type", "")
        content = response.content
        status = response.status_code
        data = await self._offload(
            len(content), self._parse, op, status, content, content_type, api_key
        )
        if isinstance(data, types.CallToolResult):
            return data
        note = None if op.bodiless else await self.drift.note(op, data, len(content))
        if note is not None:
            note = scrub(note, [api_key or "", *self.secrets()])
        return await self._offload(
            len(content), finish, op, data, controls, status, note, self.settings.max_result_chars
        )

    async def _offload(self, size_hint: int, fn: Callable[..., Any], *args: Any) -> Any:
        if size_hint <= INLINE_BYTES:
            return fn(*args)
        return await anyio.to_thread.run_sync(fn, *args)

    def _parse(
        self,
        op: Operation,
        status: int,
        content: bytes,
        content_type: str,
        api_key: str | None,
    ) -> Any:
        """The answer's data, redacted and scrubbed; or the finished result when it is not JSON."""
        data = success_payload(op, status, content, content_type)
        if data is None:
            if op.json_response:
                raise not_json(op, status, content, content_type)
            secrets = [api_key or "", *self.secrets()]
            result = non_json_result(content, content_type, self.settings.max_result_chars)
            for block in result.content:
                if isinstance(block, types.TextContent):
                    block.text = scrub(redact_text(block.text), secrets)
            if contains(content, secrets):  # binary that echoes a secret: summary only
                result.content = [c for c in result.content if isinstance(c, types.TextContent)]
            return result
        return self.clean(op, data, api_key)

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
            trial = build_request(op, {**arguments, field_arg: [*current, item]})
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
            request = build_request(op, {**arguments, field_arg: batch})
            if request.content is not None and len(request.content) > limit:
                raise ToolError(
                    "payload_too_large",
                    f"item {start} alone makes a body over the limit of {limit} bytes; "
                    f"chunks before it were sent: {report}",
                    details=report,
                )
            try:
                response = await self._send(op, request, arguments, api_key)
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
                    "result": self.clean(
                        op, upstream_body(body, response.headers.get("content-type", "")), api_key
                    ),
                }
            )
            start += len(batch)
        return success_result({"ok": True, "chunks": report, "items": len(items)})

    async def aclose(self) -> None:
        await self.upstream.aclose()
