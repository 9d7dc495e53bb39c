"""Client-compatibility lint at generation time.

The rules live in the runtime (``templates/runtime/compat.py``) so the
generated server can lint its own ``tools/list`` with the same code; this module
loads that file and applies it to the IR. Gemini is linted in the dialect the
server serves it (``--schema-profile gemini``); every other client in the
default profile.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from types import ModuleType
from typing import Any

from generator.ir import Api, Tool
from generator.render import TEMPLATES


@cache
def compat() -> ModuleType:
    path = TEMPLATES / "runtime" / "compat.py"
    spec = importlib.util.spec_from_file_location("artie_mcp_gen_compat", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def tool_json(tool: Tool, profile: str = "default") -> dict[str, Any]:
    """The tool as ``tools/list`` serves it."""
    a = tool.annotations
    assert a is not None
    schema = (
        tool.input_schema if profile == "default" else compat().gemini_schema(tool.input_schema)
    )
    out: dict[str, Any] = {
        "name": tool.name,
        "title": a.title,
        "description": tool.description,
        "inputSchema": schema,
        "annotations": a.as_mcp(),
    }
    if tool.output_schema is not None:
        out["outputSchema"] = tool.output_schema
    return out


def lint_api(api: Api, clients: tuple[str, ...], server_key: str = "artie") -> list[Any]:
    module = compat()
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
