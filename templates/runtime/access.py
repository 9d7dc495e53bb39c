"""What an operator lets the agent do, enforced by the server.

- ``select``: which operations are served (exposure, classes, tags, allow and
  deny lists, read-only). A tool filtered out is neither listed nor callable.
- ``BearerGate``: HTTP requests need one of the configured tokens (compared in
  constant time) and are refused once the server has expired.
- ``Audit``: one JSON line per tool call; never the API key or tokens. Argument
  values are redacted (all of them for tools whose input the spec marks
  sensitive; otherwise by the key-name rule and the configured secrets), each
  cut to ``AUDIT_ARG_CHARS`` characters; the line itself is never rewritten.
  ``outcome`` is ``ok``, an error type, ``unknown_tool``, ``internal_error`` or
  ``cancelled`` (shutdown, a closed stdin, the client's cancellation).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hmac
import json
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TextIO

from .contract import REDACTED
from .grants import audit_fields
from .hosts import reply
from .operation import Operation
from .redact import redact, scrub
from .settings import Settings

ASGIApp = Callable[
    [
        dict[str, Any],
        Callable[[], Awaitable[dict[str, Any]]],
        Callable[[dict[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]
OPEN_PATHS = ("/healthz",)
log = logging.getLogger("mcp_runtime")

AUDIT_ARG_CHARS = 1000  # each logged argument value, as JSON


def served(operations: Sequence[Operation], settings: Settings) -> list[Operation]:
    """The operations this configuration serves (``select``), saying so on stderr when
    they include some the spec excludes: the server and its ``tools`` command alike."""
    chosen = select(operations, settings)
    opted_in = [op.name for op in chosen if op.exposure == "excluded"]
    if opted_in:
        log.warning(
            "serving operations the spec excludes (credential-bearing): %s", ", ".join(opted_in)
        )
    return chosen


def select(operations: Sequence[Operation], settings: Settings) -> list[Operation]:
    _check_filters(operations, settings)
    tags = {t.casefold() for t in settings.tags}
    chosen = []
    for op in operations:
        if op.exposure == "excluded" and not settings.include_excluded:
            continue
        if settings.methods and op.method_class not in settings.methods:
            continue
        if tags and not {t.casefold() for t in op.tags} & tags:
            continue
        if settings.tools and op.name not in settings.tools:
            continue
        if op.name in settings.exclude_tools:
            continue
        if settings.read_only and not op.annotations.read_only:
            continue
        chosen.append(op)
    return chosen


def _check_filters(operations: Sequence[Operation], settings: Settings) -> None:
    """Names in filters that match nothing are mistakes: say which, and what would match."""
    by_name = {op.name: op for op in operations}
    for flag, names in (
        ("--tools", settings.tools),
        ("--exclude-tools", settings.exclude_tools),
        ("--allow-unconfirmed", settings.allow_unconfirmed),
    ):
        unknown = [name for name in names if name not in by_name]
        if unknown:
            close = [
                m for name in unknown for m in difflib.get_close_matches(name, list(by_name), n=3)
            ]
            hint = f" (did you mean {', '.join(dict.fromkeys(close))}?)" if close else ""
            raise ValueError(
                f"{flag}: unknown tool(s) {', '.join(repr(n) for n in unknown)}{hint}; "
                f"valid names: {_valid_names(operations)}"
            )
    if not settings.include_excluded:
        excluded = [n for n in settings.tools if by_name[n].exposure == "excluded"]
        if excluded:
            raise ValueError(
                f"--tools: {', '.join(excluded)} "
                f"{'is an operation' if len(excluded) == 1 else 'are operations'} the spec excludes "
                "(credential-bearing); add --include-excluded to serve "
                f"{'it' if len(excluded) == 1 else 'them'}"
            )
    known_tags = {t.casefold(): t for op in operations for t in op.tags}
    unknown_tags = [t for t in settings.tags if t.casefold() not in known_tags]
    if unknown_tags:
        raise ValueError(
            f"--tags: unknown tag(s) {', '.join(repr(t) for t in unknown_tags)}; "
            f"tags (any case): {', '.join(sorted(known_tags.values()))}"
        )


def _valid_names(operations: Sequence[Operation]) -> str:
    served = [op.name for op in operations if op.exposure != "excluded"]
    excluded = [op.name for op in operations if op.exposure == "excluded"]
    text = ", ".join(served)
    if excluded:
        text += (
            f"; excluded by the spec (add --include-excluded to serve them): {', '.join(excluded)}"
        )
    return text


def token_ok(presented: str, accepted: Iterable[str]) -> bool:
    """Constant-time comparison against every accepted token."""
    ok = False
    for token in accepted:
        ok |= hmac.compare_digest(presented.encode(), token.encode())
    return ok


class BearerGate:
    """ASGI middleware: bearer tokens and expiry for the HTTP transports."""

    def __init__(self, app: ASGIApp, settings: Settings, realm: str) -> None:
        self.app = app
        self.settings = settings
        self.realm = realm

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if self.settings.expired():
            await reply(
                send,
                403,
                {"error": "this server expired", "expires_at": _iso(self.settings.expires_at)},
            )
            return
        if self.settings.require_token:
            header = _header(scope, b"authorization")
            scheme, _, token = header.partition(" ")
            if (
                scheme.lower() != "bearer"
                or not token
                or not token_ok(token.strip(), self.settings.tokens)
            ):
                error = "invalid_token" if token else "invalid_request"
                await reply(
                    send,
                    401,
                    {"error": "a valid bearer token is required"},
                    [
                        (
                            b"www-authenticate",
                            f'Bearer realm="{self.realm}", error="{error}"'.encode(),
                        )
                    ],
                )
                return
        await self.app(scope, receive, send)


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when else None


class Audit:
    """One JSON line per tool call, to stderr or a file."""

    def __init__(self, path: str | None, secrets: Callable[[], Iterable[str]]) -> None:
        self.path = path
        self.secrets = secrets
        self._lock = threading.Lock()
        self._handle: TextIO | None = None

    def _stream(self) -> TextIO:
        if self.path is None:
            return sys.stderr
        if self._handle is None:
            self._handle = open(
                self.path, "a", encoding="utf-8"
            )  # noqa: SIM115 - kept open for the process
        return self._handle

    def arguments(self, op: Operation | None, arguments: Any, api_key: str | None = None) -> Any:
        """The arguments as logged: values redacted and scrubbed, each one bounded."""
        secrets = [api_key or "", *self.secrets()]
        if not isinstance(arguments, dict):
            return _cap(scrub(redact(arguments), secrets))
        if op is not None and op.input_sensitivity != "none":
            return {k: REDACTED for k in arguments}
        cleaned = scrub(redact(arguments), secrets)
        return {k: _cap(v) for k, v in cleaned.items()}

    def record(
        self,
        op: Operation | None,
        tool: str,
        arguments: dict[str, Any],
        outcome: str,
        status: int | None,
        request_id: str | None,
        duration_ms: float,
        *,
        api_key: str | None = None,
    ) -> None:
        args = self.arguments(op, arguments, api_key)
        entry = {
            "time": dt.datetime.now(dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "tool": tool,
            "outcome": outcome,
            "status": status,
            "request_id": request_id,
            "duration_ms": round(duration_ms, 1),
            "arguments": args,
            **audit_fields(),  # the caller's grant id or OAuth client, when scoped per caller
        }
        line = json.dumps(entry, ensure_ascii=False, default=str)
        with self._lock:
            stream = self._stream()
            stream.write(line + "\n")
            stream.flush()


def _cap(value: Any) -> Any:
    """``value``, or its JSON cut to ``AUDIT_ARG_CHARS`` characters with a marker."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= AUDIT_ARG_CHARS:
        return value
    return text[:AUDIT_ARG_CHARS] + f"…[{len(text) - AUDIT_ARG_CHARS} more characters]"
