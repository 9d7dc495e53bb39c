"""One error shape for every failed tool call.

``{"error": {"type", "status", "message", "upstream", "request_id",
"ratelimit", "retry_after"}}``, returned with ``isError: true`` as text and as
``structuredContent``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import ratelimit

ERROR_TYPES = (
    "invalid_arguments",
    "unauthorized",
    "forbidden",
    "not_found",
    "rate_limited",
    "upstream_error",
    "timeout",
    "network",
    "payload_too_large",
    "response_too_large",
    "not_allowed",
    "config",
)
MAX_TEXT_BODY = 20_000
REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-correlation-id",
    "cf-ray",
)


class ToolError(Exception):
    """A tool call that failed; ``payload()`` is what the model sees."""

    def __init__(
        self,
        type: str,
        message: str,
        *,
        status: int | None = None,
        upstream: Any = None,
        request_id: str | None = None,
        ratelimit: dict[str, Any] | None = None,
        retry_after: int | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        assert type in ERROR_TYPES, type
        self.type = type
        self.message = message
        self.status = status
        self.upstream = upstream
        self.request_id = request_id
        self.ratelimit = ratelimit
        self.retry_after = retry_after
        self.details = details

    def payload(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "type": self.type,
            "status": self.status,
            "message": self.message,
            "upstream": self.upstream,
            "request_id": self.request_id,
            "ratelimit": self.ratelimit,
            "retry_after": self.retry_after,
        }
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def status_type(status: int) -> str:
    return {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        413: "payload_too_large",
        429: "rate_limited",
    }.get(status, "upstream_error")


def upstream_body(content: bytes, content_type: str) -> Any:
    """The body exactly as sent: parsed when JSON, text cut with a marker."""
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type.lower() or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    if len(text) > MAX_TEXT_BODY:
        cut = len(text) - MAX_TEXT_BODY
        return text[:MAX_TEXT_BODY] + f"\n…[truncated {cut} more characters]"
    return text


def request_id(headers: Mapping[str, str]) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in REQUEST_ID_HEADERS:
        if name in lowered:
            return lowered[name]
    return None


def from_response(status: int, headers: Mapping[str, str], content: bytes) -> ToolError:
    kind = status_type(status)
    body = upstream_body(content, headers.get("content-type", ""))
    summary = _summary(body)
    message = f"upstream answered HTTP {status}" + (f": {summary}" if summary else "")
    limits = ratelimit.parse(headers)
    retry_after = ratelimit.retry_after_seconds(
        {k.lower(): v for k, v in headers.items()}.get("retry-after")
    )
    return ToolError(
        kind,
        message,
        status=status,
        upstream=body,
        request_id=request_id(headers),
        ratelimit=limits,
        retry_after=retry_after,
    )


def _summary(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "message", "detail", "title", "msg"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:300]
            if isinstance(value, dict):
                inner = _summary(value)
                if inner:
                    return inner
        return ""
    if isinstance(body, str):
        return body.strip().splitlines()[0][:300] if body.strip() else ""
    return ""
