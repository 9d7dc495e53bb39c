"""The peer: fastmcp 4.1.2's ``FastMCP.from_openapi`` on the same spec.

Runs in the separate ``.venv-bench`` (fastmcp is never a project dependency).
The upstream client is an ``httpx2.AsyncClient`` on ``ARTIE_BASE_URL`` with the
key from ``ARTIE_API_KEY``, as fastmcp 4.x asks for.

    .venv-bench/bin/python bench/servers/fastmcp_server.py SPEC.json [--http PORT]
"""

from __future__ import annotations

import argparse
import json
import os

import httpx2
from fastmcp import FastMCP


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("spec")
    p.add_argument(
        "--http", type=int, metavar="PORT", help="serve streamable HTTP on 127.0.0.1:PORT/mcp"
    )
    args = p.parse_args()
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)
    client = httpx2.AsyncClient(
        base_url=(os.environ.get("ARTIE_BASE_URL") or "https://api.artie.com").rstrip("/"),
        headers={"Authorization": f"Bearer {os.environ.get('ARTIE_API_KEY', '')}"},
    )
    mcp = FastMCP.from_openapi(openapi_spec=spec, client=client, name="artie")
    if args.http:
        mcp.run(
            transport="http",
            host="127.0.0.1",
            port=args.http,
            path="/mcp",
            show_banner=False,
            log_level="warning",
        )
    else:
        mcp.run(show_banner=False)


if __name__ == "__main__":
    main()
