"""The generated server's command line (``artie-mcp``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .operation import Operation, PackageInfo

if TYPE_CHECKING:
    from .server import ToolServer
from .compat import CLIENTS, lint
from .schemas import SchemaStore
from .settings import PROFILES, TRANSPORTS, Settings


def parser(package: PackageInfo) -> argparse.ArgumentParser:
    env = package.option_env_prefix
    p = argparse.ArgumentParser(
        prog=package.command,
        description=(
            f"MCP server for {package.title} {package.spec_version}. "
            f"Serves stdio by default. The API key comes from {package.api_key_env}; "
            f"the API base URL from {package.base_url_env} (default {package.default_base_url})."
        ),
    )
    p.add_argument("--transport", choices=TRANSPORTS, help=f"default stdio (env {env}TRANSPORT)")
    p.add_argument("--host", help=f"HTTP bind address, default 127.0.0.1 (env {env}HOST)")
    p.add_argument("--port", type=int, help=f"HTTP port, default 8000 (env {env}PORT)")
    p.add_argument("--path", help=f"HTTP endpoint path, default /mcp (env {env}PATH)")
    p.add_argument("--base-url", help=f"upstream API base URL (env {package.base_url_env})")
    p.add_argument("--connect-timeout", type=float, help="seconds, default 10")
    p.add_argument("--read-timeout", type=float, help="seconds, default 60")
    p.add_argument(
        "--retry",
        choices=("off", "safe"),
        help=f"retry operations the spec marks safe on 429/502/503/504 and connection errors (env {env}RETRY)",
    )
    p.add_argument(
        "--retry-attempts", type=int, help="total tries per call when retrying, default 3"
    )
    p.add_argument(
        "--retry-max-seconds", type=float, help="time budget for retry waits, default 30"
    )
    p.add_argument(
        "--max-request-bytes",
        type=int,
        help=f"largest request body, default 10485760 (env {env}MAX_REQUEST_BYTES)",
    )
    p.add_argument(
        "--max-result-chars",
        type=int,
        help=f"largest result; lists are windowed to fit, default 100000 (env {env}MAX_RESULT_CHARS)",
    )
    p.add_argument(
        "--reveal-credentials",
        action="store_true",
        default=None,
        help="do not redact secrets in results of operations the spec marks restricted-credentials",
    )
    p.add_argument(
        "--schema-profile",
        choices=PROFILES,
        help=f"'gemini' serves input schemas in the subset Gemini accepts (env {env}SCHEMA_PROFILE)",
    )
    sub = p.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve MCP (the default)")
    sub.add_parser("tools", help="list the tools this configuration exposes")
    lint = sub.add_parser(
        "lint", help="check this configuration's tools/list against what MCP clients accept"
    )
    lint.add_argument(
        "--client",
        action="append",
        choices=(*CLIENTS, "all"),
        help="default: every client the profile serves",
    )
    lint.add_argument(
        "--server-key",
        default=package.command.replace("-mcp", ""),
        help="the key clients know the server by",
    )
    return p


FLAG_FIELDS = (
    "transport",
    "host",
    "port",
    "path",
    "connect_timeout",
    "read_timeout",
    "retry",
    "retry_attempts",
    "retry_max_seconds",
    "max_request_bytes",
    "max_result_chars",
    "reveal_credentials",
    "schema_profile",
)


def settings_from(args: argparse.Namespace, package: PackageInfo) -> Settings:
    settings = Settings.from_env(package)
    for field in FLAG_FIELDS:
        value = getattr(args, field)
        if value is not None:
            setattr(settings, field, value)
    if args.base_url:
        settings.base_url = args.base_url.rstrip("/")
    settings.check()
    return settings


def _lint(tool_server: ToolServer, args: argparse.Namespace) -> int:
    profile = tool_server.settings.schema_profile
    chosen = args.client or ["all"]
    if "all" in chosen:
        clients = ("gemini",) if profile == "gemini" else tuple(c for c in CLIENTS if c != "gemini")
    else:
        clients = tuple(dict.fromkeys(chosen))
    tools = [
        t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tool_server.tools()
    ]
    found = lint(tools, clients, args.server_key, tool_server.package.instructions or None)
    for v in found:
        print(
            f"{v.client}: {v.tool}: {v.rule} at {v.pointer}: {v.message} (client says: {v.client_error})"
        )
    if "gemini" in clients and profile != "gemini":
        print("hint: serve Gemini clients with --schema-profile gemini", file=sys.stderr)
    print(
        f"{len(tools)} tools, profile {profile}: {len(found)} problem(s) for {', '.join(clients)}",
        file=sys.stderr,
    )
    return 1 if found else 0


def main(
    package: PackageInfo,
    operations: Sequence[Operation],
    schema_dir: Path,
    argv: Sequence[str] | None = None,
) -> int:
    args = parser(package).parse_args(argv)
    try:
        settings = settings_from(args, package)
    except ValueError as exc:
        print(f"{package.command}: error: {exc}", file=sys.stderr)
        return 2
    from .server import ToolServer, serve_http, serve_stdio

    tool_server = ToolServer(package, operations, SchemaStore(schema_dir), settings)
    if args.command == "tools":
        for op in tool_server.operations.values():
            a = op.annotations
            hints = [
                h
                for h, on in (
                    ("read-only", a.read_only),
                    ("destructive", a.destructive),
                    ("idempotent", a.idempotent),
                )
                if on
            ]
            print(
                json.dumps(
                    {
                        "name": op.name,
                        "class": op.method_class,
                        "tags": list(op.tags),
                        "hints": hints,
                    }
                )
            )
        return 0
    if args.command == "lint":
        return _lint(tool_server, args)
    if settings.transport == "stdio":
        serve_stdio(tool_server)
    else:
        serve_http(tool_server)
    return 0
