"""Tool results: successes in the shape the tool advertises, failures in the
one error shape.

What a success promises (the README says the same): ``structuredContent`` is
always a JSON object that meets the advertised outputSchema, which names the
documented fields but asserts nothing below the root. An answer that follows a
newer release of the API (new fields, enum values, nulls, wider types) is passed
on unchanged; an answer that is not an object is put under ``"result"``.
"""

from __future__ import annotations

import json
from typing import Any

import mcp.types as types

from .contract import RESULT_KEY, WINDOW_KEY
from .errors import ToolError, upstream_body
from .operation import Operation
from .tolerance import META_KEY


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def error_result(error: ToolError, structured: bool = True) -> types.CallToolResult:
    """The error object as text, and as ``structuredContent`` when ``structured``.

    Clients built on the TypeScript SDK check ``structuredContent`` against the
    tool's outputSchema even when ``isError`` is set, so tools that declare an
    outputSchema carry the error as text only.
    """
    payload = error.payload()
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=_text(payload))],
        structured_content=payload if structured else None,
        is_error=True,
    )


def success_payload(op: Operation, status: int, content: bytes, content_type: str) -> Any:
    """The answer of a 2xx response: the bodiless shape, parsed JSON, or None
    when the body is not JSON."""
    if op.bodiless or not content:
        payload: dict[str, Any] = {"ok": True, "status": status}
        if content:
            payload["body"] = upstream_body(content, content_type)
        return payload
    try:
        return json.loads(content)
    except ValueError:
        return None


def not_json(op: Operation, status: int, content: bytes, content_type: str) -> ToolError:
    """A success whose body is not the JSON the operation documents (an HTML login
    page from a proxy, a mistyped base URL): an error that says what came."""
    head = content[:200].decode("utf-8", errors="replace")
    head = " ".join(head.split())
    kind = content_type.split(";")[0].strip() or "no content type"
    return ToolError(
        "upstream_error",
        f"upstream answered HTTP {status} with {kind} ({len(content)} bytes), not the JSON "
        f"{op.method} {op.path} documents; it begins: {head!r}. Check the base URL and any proxy.",
        status=status,
    )


def structured(op: Operation, data: Any) -> dict[str, Any]:
    """The object ``structuredContent`` carries: objects as they are, anything
    else (and every answer of a wrapped tool) as ``{"result": ...}``."""
    if op.output_wrapped or not isinstance(data, dict):
        return {RESULT_KEY: data}
    return data


TEXTUAL = ("text/", "json", "xml", "yaml", "javascript", "x-www-form-urlencoded", "csv")


def non_json_result(content: bytes, content_type: str, max_chars: int) -> types.CallToolResult:
    """Text as text (cut with a marker); binary as a summary, never raw bytes in
    the context, plus the bytes as an embedded resource when they are small."""
    import base64
    import hashlib

    kind = content_type.split(";")[0].strip().lower() or "application/octet-stream"
    if any(t in kind for t in TEXTUAL):
        text = content.decode("utf-8", errors="replace")
        if len(text) > max_chars:
            text = text[:max_chars] + f"\n…[truncated {len(text) - max_chars} more characters]"
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], is_error=False
        )
    summary = {
        "binary": True,
        "content_type": kind,
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    blocks: list[Any] = [types.TextContent(type="text", text=_text(summary))]
    if len(content) * 4 // 3 <= max_chars:
        blob = types.BlobResourceContents(
            uri=f"data:sha256,{summary['sha256']}",
            mime_type=kind,
            blob=base64.b64encode(content).decode(),
        )
        blocks.append(types.EmbeddedResource(type="resource", resource=blob))
    return types.CallToolResult(content=blocks, is_error=False)


def success_result(
    structured: Any, text: str | None = None, meta: dict[str, Any] | None = None
) -> types.CallToolResult:
    return types.CallToolResult(
        content=[
            types.TextContent(type="text", text=text if text is not None else _text(structured))
        ],
        structured_content=structured if isinstance(structured, dict) else None,
        is_error=False,
        _meta=meta,
    )


# -- keeping results within what a client can take -------------------------


def size(value: Any) -> int:
    return len(_text(value))


def _required(schema: Any) -> set[str]:
    if isinstance(schema, dict) and isinstance(schema.get("required"), list):
        return set(schema["required"])
    return set()


def project(value: Any, fields: list[str], schema: Any) -> Any:
    """Keep only ``fields`` (and what ``schema`` requires) of an object."""
    if not isinstance(value, dict):
        return value
    keep = set(fields) | _required(schema) | {WINDOW_KEY}
    return {k: v for k, v in value.items() if k in keep}


def documented(op: Operation) -> dict[str, Any] | None:
    """The documented schema of ``structuredContent`` (a wrapped answer under "result")."""
    if op.response_schema is None or not op.output_wrapped:
        return op.response_schema
    return {"type": "object", "properties": {RESULT_KEY: op.response_schema}}


def item_schema(schema: dict[str, Any] | None, list_field: str) -> Any:
    prop = ((schema or {}).get("properties") or {}).get(list_field) or {}
    return prop.get("items") if isinstance(prop, dict) else None


def window(
    structured: dict[str, Any],
    list_field: str,
    offset: int,
    limit: int | None,
    max_chars: int,
) -> dict[str, Any]:
    """Cut the list to [offset, offset+limit) and, if still too large, to what fits.

    Items are never cut in half: the result stays valid JSON of the same shape,
    with ``_window`` saying what was returned and where the next window starts.
    """
    items = structured.get(list_field)
    if not isinstance(items, list):
        return structured
    total = len(items)
    end = total if limit is None else min(total, offset + limit)
    chosen = items[offset:end]

    def shaped(count: int) -> dict[str, Any]:
        returned = chosen[:count]
        next_offset = offset + count if offset + count < total else None
        meta = {
            "offset": offset,
            "returned": len(returned),
            "total": total,
            "truncated": next_offset is not None or offset > 0,
            "next_offset": next_offset,
        }
        return {**structured, list_field: returned, WINDOW_KEY: meta}

    # Items are measured one at a time, and only until the limit is passed: a huge list
    # is never serialised whole (which would hold the interpreter for the whole dump
    # and stall every other session), and the cost follows the limit, not the answer.
    room = max_chars - size(shaped(0))
    count, used = 0, 0
    for item in chosen:
        used += size(item) + 2  # ", " between items
        if used > room:
            break
        count += 1
    while count > 0 and size(shaped(count)) > max_chars:
        count -= 1  # the meta's numbers grew by a digit or two
    while count < len(chosen) and size(shaped(count + 1)) <= max_chars:
        count += 1
    if count == len(chosen) and offset == 0 and end == total:
        return structured  # nothing was cut: no window to report
    return shaped(count)


def finish(
    op: Operation,
    data: Any,
    controls: dict[str, Any],
    status: int,
    note: dict[str, Any] | None,
    max_chars: int,
) -> types.CallToolResult:
    """A success as the tool advertises it: projected to the fields asked for, a list
    windowed to what fits, the drift note in ``_meta``; over the limit, an error."""
    if op.output_schema is None:
        return success_result(data)
    result = structured(op, data)
    fields = controls.get(op.fields_arg) if op.fields_arg else None
    if op.list_field and isinstance(result.get(op.list_field), list):
        if fields:
            items_schema = item_schema(documented(op), op.list_field)
            result = {
                **result,
                op.list_field: [project(i, fields, items_schema) for i in result[op.list_field]],
            }
        offset_arg, limit_arg = op.window_args or ("", "")  # none advertised: fit only
        result = window(
            result,
            op.list_field,
            int(controls.get(offset_arg, 0)),
            controls.get(limit_arg),
            max_chars,
        )
    elif fields:
        result = project(result, fields, documented(op))
    if size(result) > max_chars:
        hint = f"; ask for fewer fields with {op.fields_arg}" if op.fields_arg else ""
        raise ToolError(
            "payload_too_large",
            f"the result is {size(result)} characters, over the limit of " f"{max_chars}{hint}",
            status=status,
        )
    return success_result(result, meta={META_KEY: note} if note else None)


def bound(error: ToolError, limit: int) -> ToolError:
    """Errors obey the result size limit too: a huge upstream body is cut."""
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
