"""The floor: the least a low-level ``mcp.server.Server`` needs to serve the
same tools as artie-mcp.

Names, titles, descriptions, hints, method, path and schemas come from the
generated package's tool files (``tools/*.json``, read as plain JSON). Calls go
straight to ``ARTIE_BASE_URL`` with one pooled ``httpx.AsyncClient``: no
argument validation, no result shaping, no error mapping.

    python bench/servers/minimal_server.py --package-dir generated/artie_mcp [--http PORT]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import mcp.types as t
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError


def served_schema(schema: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The inputSchema as artie-mcp lists it, by its runtime's own dialects module
    (standard-library only, loaded from templates/runtime), so both servers list
    the same bytes."""
    if "compat" not in _loaded:
        import importlib
        import sys
        import types as pytypes

        package = pytypes.ModuleType("bench_runtime")
        package.__path__ = [str(Path(__file__).resolve().parents[2] / "templates" / "runtime")]
        sys.modules["bench_runtime"] = package
        _loaded["compat"] = importlib.import_module("bench_runtime.dialects")
    dialects = _loaded["compat"]
    content_type = (entry.get("body") or {}).get("content_type", "")
    keep_null = dialects.keeps_null(entry["method"], content_type)
    return dialects.served_schema(schema, "default", keep_null)  # type: ignore[no-any-return]


_loaded: dict[str, Any] = {}


def hints(a: dict[str, bool]) -> dict[str, bool]:
    """The hints as artie-mcp serves them: MCP's defaults left out."""
    out = {"read_only_hint": True} if a["read_only"] else {"destructive_hint": a["destructive"]}
    if not a["read_only"] and a["idempotent"]:
        out["idempotent_hint"] = True
    if not a["open_world"]:
        out["open_world_hint"] = False
    return out


def load_tools(package_dir: Path) -> tuple[list[t.Tool], dict[str, Any]]:
    tools: list[t.Tool] = []
    ops: dict[str, Any] = {}
    for path in sorted((package_dir / "tools").glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("exposure", "exposed") != "exposed":
            continue
        name = entry["name"]
        tools.append(
            t.Tool(
                name=name,
                title=entry["title"],
                description=entry["description"],
                input_schema=served_schema(entry["input_schema"], entry),
                output_schema=entry.get("output_schema"),
                annotations=t.ToolAnnotations(**hints(entry["annotations"])),
            )
        )
        ops[name] = entry
    return tools, ops


def build(package_dir: Path) -> Server[Any]:
    tools, ops = load_tools(package_dir)
    base_url = (os.environ.get("ARTIE_BASE_URL") or "https://api.artie.com").rstrip("/")
    headers = {"Authorization": f"Bearer {os.environ.get('ARTIE_API_KEY', '')}"}
    client: list[httpx.AsyncClient] = []

    async def list_tools(ctx: ServerRequestContext[Any], params: Any) -> t.ListToolsResult:
        return t.ListToolsResult(tools=tools)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: t.CallToolRequestParams
    ) -> t.CallToolResult:
        op = ops.get(params.name)
        if op is None:
            raise MCPError(code=t.INVALID_PARAMS, message=f"Unknown tool: {params.name}")
        if not client:
            client.append(httpx.AsyncClient(headers=headers))
        args = dict(params.arguments or {})
        path = op["path"]
        for key in list(args):
            if "{" + key + "}" in path:
                path = path.replace("{" + key + "}", quote(str(args.pop(key)), safe=""))
        if op["method"] in ("GET", "DELETE"):
            r = await client[0].request(op["method"], base_url + path, params=args or None)
        else:
            r = await client[0].request(op["method"], base_url + path, json=args)
        data: Any = r.json() if r.content else {"ok": True, "status": r.status_code}
        return t.CallToolResult(
            content=[t.TextContent(type="text", text=json.dumps(data))],
            structured_content=data if isinstance(data, dict) else None,
            is_error=r.status_code >= 400,
        )

    return Server("artie-minimal", version="0", on_list_tools=list_tools, on_call_tool=call_tool)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--package-dir", type=Path, required=True)
    p.add_argument(
        "--http", type=int, metavar="PORT", help="serve streamable HTTP on 127.0.0.1:PORT/mcp"
    )
    args = p.parse_args()
    server = build(args.package_dir)
    if args.http:
        import uvicorn

        uvicorn.run(
            server.streamable_http_app(), host="127.0.0.1", port=args.http, log_level="warning"
        )
        return
    from mcp.server.stdio import stdio_server

    async def run() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(run)


if __name__ == "__main__":
    main()
