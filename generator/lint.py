"""Client-compatibility lint at generation time.

The rules live in the runtime (``templates/runtime/compat.py``) so the
generated server can lint its own ``tools/list`` with the same code; this module
applies them to the IR. Gemini is linted in the dialect the server serves it
(``--schema-profile gemini``); every other client in the default profile.
"""

from __future__ import annotations

import json
from typing import Any

from generator.contract import compat, dialects
from generator.ir import Api, Tool


def tool_json(tool: Tool, profile: str = "default") -> dict[str, Any]:
    """The tool as ``tools/list`` serves it."""
    content_type = tool.body.content_type if tool.body is not None else ""
    keep_null = dialects.keeps_null(tool.method, content_type)
    schema = dialects.served_schema(tool.input_schema, profile, keep_null)
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


def lint_api(api: Api, clients: tuple[str, ...], server_key: str) -> list[Any]:
    """What each client would reject of the tools. The tool-count rule applies to
    what the server lists by default: compact mode's three tools when the full
    list would break a limit (``compact_reason``)."""
    module = compat
    found: list[Any] = []
    tools = api.tools
    default_clients = tuple(c for c in clients if c != "gemini")
    if default_clients:
        found += module.lint([tool_json(t) for t in tools], default_clients, server_key)
    if "gemini" in clients:
        found += module.lint([tool_json(t, "gemini") for t in tools], ("gemini",), server_key)
    if compact_reason(api) is not None:
        found = [v for v in found if v.rule != "tool-count"]
    return found


def compact_reason(api: Api) -> str | None:
    """Why the generated server starts in compact mode by default, or None."""
    return compat.compact_reason(len(api.tools), tools_list_size(api))


def tools_list_size(api: Api) -> int:
    """Bytes of the tools/list result as JSON (a context-budget figure)."""
    payload = {"tools": [tool_json(t) for t in api.tools]}
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


def strict_report(api: Api) -> dict[str, list[tuple[str, str]]]:
    """Per served tool, why OpenAI's strict mode would not take its inputSchema
    (empty: strict-compatible)."""
    return {t.name: compat.strict_problems(tool_json(t)["inputSchema"]) for t in api.tools}


def model_facing_size(api: Api) -> int:
    """Bytes of what a model reads of the tools: name, description and inputSchema
    of each, as ``{"tools": [...]}`` JSON (how issue 17 measured the peers)."""
    tools = [
        {k: v for k, v in tool_json(t).items() if k in ("name", "description", "inputSchema")}
        for t in api.tools
    ]
    return len(json.dumps({"tools": tools}, ensure_ascii=False, separators=(",", ":")).encode())


# Other OpenAPI -> MCP servers on the same spec, measured the same way (issue 17):
# (model-facing bytes, tools/list bytes or None) for the 41 tools of Artie v1.0.76.
PEERS = {
    ("Artie API", "v1.0.76"): {
        "fastmcp from_openapi": (25_553, 72_223),
        "Artie's official shaping": (22_807, None),
        "openapi-mcp-generator": (28_449, None),
    }
}


def list_summary(api: Api) -> list[str]:
    """The generation summary's lines about what the server lists by default."""
    listed, facing = tools_list_size(api), model_facing_size(api)
    lines = [
        f"tools/list: {len(api.tools)} tools, {listed:,} bytes (about {listed // 4:,} tokens); "
        f"model-facing (name, description, inputSchema): {facing:,} bytes"
    ]
    for peer, (peer_facing, peer_listed) in PEERS.get((api.title, api.version), {}).items():
        whole = f", tools/list {peer_listed:,}" if peer_listed else ""
        lines.append(f"  beside {peer}: model-facing {peer_facing:,}{whole}")
    reason = compact_reason(api)
    if reason is None:
        lines.append("default mode: the full list")
    else:
        lines.append(
            f"default mode: compact ({reason}); the server says so at start, --no-compact forces "
            "the full list"
        )
    return lines
