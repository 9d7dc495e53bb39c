"""Compact mode (``--compact``): three meta-tools instead of every tool, so a
large API does not flood the context window. The model searches, reads one
operation's schema, then calls it; calls go through the same checks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import mcp.types as types

from .errors import ToolError
from .operation import Operation
from .results import error_result, success_result

if TYPE_CHECKING:
    from .catalog import Catalog

SEARCH = "search_operations"
DESCRIBE = "describe_operation"
CALL = "call_operation"
NAMES = (SEARCH, DESCRIBE, CALL)


def _looks_up(title: str) -> types.ToolAnnotations:
    """Hints of a meta-tool that only reads this server's own catalog."""
    return types.ToolAnnotations(
        title=title,
        read_only_hint=True,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=False,
    )


def tools(count: int) -> list[types.Tool]:
    return [
        types.Tool(
            name=SEARCH,
            title="Search operations",
            description=f"Find the API operations ({count}) matching words in their name, title, description, path or tags. Start here.",
            input_schema={
                "type": "object",
                "properties": {
                    "query": {
                        "type": "string",
                        "description": "Words to look for, e.g. 'list pipelines'",
                    },
                    "limit": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 50,
                        "description": "Default 10",
                    },
                },
                "required": ["query"],
                "additionalProperties": False,
            },
            annotations=_looks_up("Search operations"),
        ),
        types.Tool(
            name=DESCRIBE,
            title="Describe an operation",
            description="The full description, input schema and output schema of one operation, before calling it.",
            input_schema={
                "type": "object",
                "properties": {
                    "name": {
                        "type": "string",
                        "description": "An operation name from search_operations",
                    }
                },
                "required": ["name"],
                "additionalProperties": False,
            },
            annotations=_looks_up("Describe an operation"),
        ),
        types.Tool(
            name=CALL,
            title="Call an operation",
            description="Call one operation with arguments that follow its input schema (see describe_operation). Destructive operations may ask the user to confirm.",
            input_schema={
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "The operation name"},
                    "arguments": {"type": "object", "description": "The operation's arguments"},
                },
                "required": ["name"],
                "additionalProperties": False,
            },
            annotations=types.ToolAnnotations(
                title="Call an operation",
                read_only_hint=False,
                destructive_hint=True,
                idempotent_hint=False,
                open_world_hint=True,
            ),
        ),
    ]


def search(operations: Iterable[Operation], query: str, limit: int = 10) -> dict[str, Any]:
    words = [w for w in re.split(r"[^a-z0-9]+", query.lower()) if w]
    scored = []
    for op in operations:
        hay = " ".join((op.name, op.title, op.path, " ".join(op.tags), op.description)).lower()
        name_hay = f"{op.name} {op.title}".lower()
        score = sum(3 if w in name_hay else 1 for w in words if w in hay)
        if score or not words:
            scored.append((-score, op.name, op))
    scored.sort()
    found = [
        {
            "name": op.name,
            "title": op.title,
            "method": op.method,
            "path": op.path,
            "summary": op.description.split("\n")[0][:200],
        }
        for _, _, op in scored[:limit]
    ]
    return {"operations": found, "total": len(scored)}


def route(
    name: str, arguments: dict[str, Any], served: Mapping[str, Operation], catalog: Catalog
) -> types.CallToolResult | tuple[str, dict[str, Any]]:
    """A meta-tool call: the answer of search/describe, or the (tool, arguments)
    that ``call_operation`` names, for the one call path."""
    if name == SEARCH:
        limit = arguments.get("limit", 10)
        limit = limit if isinstance(limit, int) and 1 <= limit <= 50 else 10
        return success_result(search(served.values(), str(arguments.get("query", "")), limit))
    target = str(arguments.get("name", ""))
    if target not in served:
        return error_result(ToolError("not_allowed", f"no operation {target!r}: use {SEARCH}"))
    if name == DESCRIBE:
        tool = catalog.tool(served[target])
        return success_result(tool.model_dump(by_alias=True, exclude_none=True, mode="json"))
    inner = arguments.get("arguments") or {}
    if not isinstance(inner, dict):
        return error_result(ToolError("invalid_arguments", "arguments must be an object"))
    return target, inner
