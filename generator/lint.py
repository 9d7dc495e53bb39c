"""Client-compatibility lint at generation time.

The rules live in the runtime (``templates/runtime/compat.py``) so the
generated server can lint its own ``tools/list`` with the same code; this module
applies them to the IR. Gemini is linted in the dialect the server serves it
(``--schema-profile gemini``); every other client in the default profile.
"""

from __future__ import annotations

import json
from typing import Any

from generator.contract import compat
from generator.ir import Api, Tool


def tool_json(tool: Tool, profile: str = "default") -> dict[str, Any]:
    """The tool as ``tools/list`` serves it."""
    schema = tool.input_schema if profile == "default" else compat.gemini_schema(tool.input_schema)
    out: dict[str, Any] = {
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "inputSchema": schema,
    }
    if tool.output_schema is not None:
        out["outputSchema"] = tool.output_schema
    out["annotations"] = tool.annotations.as_mcp()
    return out


def lint_api(api: Api, clients: tuple[str, ...], server_key: str = "artie") -> list[Any]:
    module = compat
    found: list[Any] = []
    tools = api.tools
    default_clients = tuple(c for c in clients if c != "gemini")
    if default_clients:
        found += module.lint([tool_json(t) for t in tools], default_clients, server_key)
    if "gemini" in clients:
        found += module.lint([tool_json(t, "gemini") for t in tools], ("gemini",), server_key)
    return found


def tools_list_size(api: Api) -> int:
    """Bytes of the tools/list result as JSON (a context-budget figure)."""
    payload = {"tools": [tool_json(t) for t in api.tools]}
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
