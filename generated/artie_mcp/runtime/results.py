"""Tool results: successes shaped to the declared outputSchema, failures in
the one error shape."""

from __future__ import annotations

import json
from typing import Any

import mcp.types as types

from .errors import ToolError, upstream_body
from .operation import Operation

RESULT_KEY = "result"


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def error_result(error: ToolError) -> types.CallToolResult:
    payload = error.payload()
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=_text(payload))],
        structured_content=payload,
        is_error=True,
    )


def success_payload(op: Operation, status: int, content: bytes, content_type: str) -> Any:
    """The structured result for a 2xx answer (None when there is no JSON)."""
    if op.bodiless or not content:
        payload: dict[str, Any] = {"ok": True, "status": status}
        if content:
            payload["body"] = upstream_body(content, content_type)
        return payload
    try:
        data = json.loads(content)
    except ValueError:
        return None
    if op.output_wrapped:
        return {RESULT_KEY: data}
    return data


def success_result(structured: Any, text: str | None = None) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text if text is not None else _text(structured))],
        structured_content=structured if isinstance(structured, dict) else None,
        is_error=False,
    )
