"""The generated server's command line (``artie-mcp``)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import grantcli
from .access import served
from .compat import CLIENTS, lint
from .contract import TOOLS_DIR, server_key
from .operation import Operation, PackageInfo, load_operations
from .options import OPTIONS, rfc3339
from .settings import Settings

if TYPE_CHECKING:
    from .server import ToolServer

CONFIG_CLIENTS = ("claude-desktop", "claude-code", "cursor")


def parser(package: PackageInfo) -> argparse.ArgumentParser:
    env = package.option_env_prefix
    p = argparse.ArgumentParser(
        prog=package.command,
        description=(
            f"MCP server for {package.title} {package.spec_version}. Serves stdio by default. "
            f"The API key comes from {package.api_key_env}; the API base URL from {package.base_url_env} "
            f"(default {package.default_base_url}). Every option below can also be set as an environment "
            f"variable ({env}<OPTION>, e.g. {env}READ_ONLY=true) or in a TOML file given with --config; "
            "flags win over the environment, the environment over the file."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "commands:\n"
            "  serve (default)       serve MCP\n"
            "  tools                 list the tools this configuration exposes, with class, tags and hints\n"
            "  config CLIENT         print the JSON to paste into claude-desktop, claude-code or cursor\n"
            "  lint                  check this configuration's tools/list against what MCP clients accept\n"
            "  grants ACTION         create, list or revoke grants (scoped, expiring URLs; --grants-db)\n"
        ),
    )
    p.add_argument("--version", action="version", version=version_line(package))
    add_options(p, package, argparse_default=None)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("serve", help="serve MCP (the default)")
    sub.add_parser("tools", help="list the tools this configuration exposes")
    config = sub.add_parser("config", help="print client configuration JSON")
    config.add_argument("client", choices=CONFIG_CLIENTS)
    config.add_argument(
        "--name",
        default=server_key(package.command),
        help="server key in the client",
    )
    config.add_argument(
        "--url",
        help="the public URL clients use for the HTTP transports (default: from --host/--port/--path)",
    )
    lint_p = sub.add_parser(
        "lint", help="check this configuration's tools/list against what MCP clients accept"
    )
    lint_p.add_argument(
        "--client",
        action="append",
        choices=(*CLIENTS, "all"),
        help="default: every client, Gemini included",
    )
    lint_p.add_argument(
        "--server-key",
        default=server_key(package.command),
        help="the key clients know the server by",
    )
    grantcli.add_parser(sub)
    for command in sub.choices.values():  # options after the command too: `tools --read-only`
        add_options(command, package, argparse_default=argparse.SUPPRESS)
    return p


def add_options(p: argparse.ArgumentParser, package: PackageInfo, argparse_default: Any) -> None:
    """--config and one flag per option. A command's copy defaults to SUPPRESS, so that
    only the options given after the command override those given before it."""
    p.add_argument(
        "--config",
        metavar="TOML",
        default=argparse_default,
        help="settings file (keys are the option names)",
    )
    for option in OPTIONS:
        flag = option.flag
        text = f"{option.help} (env {option.env_name(package)})"
        if option.kind == "bool":
            p.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=argparse_default, help=text
            )
        else:
            metavar = {"str": "VALUE", "list": "A,B"}.get(option.kind, option.kind.upper())
            p.add_argument(flag, help=text, metavar=metavar, default=argparse_default)


def version_line(package: PackageInfo) -> str:
    """``artie-mcp 1.0.76 (generated from Artie API v1.0.76, content digest 37d3...)``: the
    digest is of the spec's content, which ``artie-mcp-gen spec digest FILE`` prints for
    any copy of it (YAML or JSON alike), not of one file."""
    spec = " ".join(x for x in (package.title, package.spec_version) if x)
    digest = f", content digest {package.spec_digest}" if package.spec_digest else ""
    return f"{package.command} {package.version} (generated from {spec}{digest})"


def flags_of(args: argparse.Namespace) -> dict[str, Any]:
    return {o.name: getattr(args, o.name) for o in OPTIONS if getattr(args, o.name) is not None}


def main(package: PackageInfo, argv: Sequence[str] | None = None) -> int:
    args = parser(package).parse_args(argv)
    try:
        settings = Settings.load(package, flags_of(args), config_file=args.config)
        if args.command in ("tools", "config"):  # the tool files and settings suffice
            every = load_operations((package.root or Path(".")) / TOOLS_DIR)
            if args.command == "tools":
                return _tools(served(every, settings), len(every))
            served(every, settings)  # a filter naming nothing is refused here too
            print(json.dumps(client_config(package, settings, args), indent=2))
            return 0
        from .server import ToolServer

        tool_server = ToolServer.create(package, settings)
    except ValueError as exc:
        print(f"{package.command}: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "lint":
        return _lint(tool_server, args)
    if args.command == "grants":
        return grantcli.run(tool_server, args)
    if settings.expired() and settings.expires_at is not None:
        print(
            f"{package.command}: error: this server expired at {rfc3339(settings.expires_at)}; "
            "nothing served (give a later --expires-at)",
            file=sys.stderr,
        )
        return 2
    from .transports import serve_http, serve_stdio

    if (error := grantcli.preflight(tool_server)) is not None:  # grants, OAuth
        print(f"{package.command}: error: {error}", file=sys.stderr)
        return 2
    if settings.transport == "stdio":
        signal.signal(signal.SIGINT, _interrupted)
        serve_stdio(tool_server)
    else:
        serve_http(tool_server)
    return 0


def _interrupted(signum: int, frame: Any) -> None:
    """Ctrl-C on stdio: stop now, quietly (the stdin reader thread would hold a clean exit
    until the client closes stdin; every audit line is already flushed)."""
    print("interrupted", file=sys.stderr, flush=True)
    os._exit(128 + signum)


def _tools(ops: Sequence[Operation], total: int) -> int:
    rows = [
        (
            op.name,
            op.method_class,
            ", ".join(op.annotations.labels()),
            ", ".join(op.tags)
            + ("  [excluded by the spec, opted in]" if op.exposure == "excluded" else ""),
        )
        for op in ops
    ]
    header = ("tool", "class", "hints", "tags")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(3)]
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[3]]).rstrip(), file=sys.stdout)
    print(f"{len(ops)} of {total} operations exposed", file=sys.stderr)
    return 0


def _lint(tool_server: ToolServer, args: argparse.Namespace) -> int:
    """Every client's rules (Gemini's included) against this configuration's
    tools/list, and, where a client breaks in this profile, whether another
    profile serves it: one line per client says which profile it needs."""
    from .options import PROFILES

    profile = tool_server.settings.schema_profile
    chosen = args.client or ["all"]
    clients = CLIENTS if "all" in chosen else tuple(dict.fromkeys(chosen))
    catalog = tool_server.catalog
    listings = {p: catalog.listing(p) for p in (profile, *[q for q in PROFILES if q != profile])}
    instructions = tool_server.package.instructions or None
    broken = 0
    for client in clients:
        found = lint(listings[profile], (client,), args.server_key, instructions)
        if not found:
            print(f"{client}: ok with --schema-profile {profile}", file=sys.stderr)
            continue
        other = next(
            (
                p
                for p in listings
                if p != profile and not lint(listings[p], (client,), args.server_key, instructions)
            ),
            None,
        )
        if other is not None:
            print(
                f"{client}: {len(found)} problem(s) with --schema-profile {profile}; "
                f"needs --schema-profile {other}",
                file=sys.stderr,
            )
            continue
        broken += 1
        for v in found:
            print(
                f"{v.client}: {v.tool}: {v.rule} at {v.pointer}: {v.message} (client says: {v.client_error})"
            )
    print(
        f"{len(listings[profile])} tools, profile {profile}: "
        f"{broken} client(s) with problems in every profile",
        file=sys.stderr,
    )
    return 1 if broken else 0


NOT_FLAGS = ("transport", "host", "port", "path", "workers")  # where the server runs, not how


def effective_flags(package: PackageInfo, settings: Settings) -> tuple[list[str], dict[str, str]]:
    """Flags that reproduce this server's effective settings (from flags, environment
    and ``--config`` alike), and the environment for its secrets, as placeholders."""
    defaults = Settings(base_url=package.default_base_url.rstrip("/"))
    flags: list[str] = []
    env: dict[str, str] = {}
    for o in OPTIONS:
        if o.name in NOT_FLAGS:
            continue
        value = getattr(settings, o.name)
        if o.name == "confirm_secret" and settings.confirm_secret_file:
            continue  # read from the file, which the flags name
        if value == getattr(defaults, o.name) or value is None or value == []:
            continue
        if o.secret:
            env[package.option_env_prefix + o.name.upper()] = f"<your {o.name.replace('_', ' ')}>"
            continue
        if isinstance(value, list):
            value = ",".join(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat().replace("+00:00", "Z")
        elif isinstance(value, bool) and not value:
            flags.append("--no-" + o.name.replace("_", "-"))
            continue
        flags += _flag_args(o.name, value)
    return flags, env


def client_config(
    package: PackageInfo, settings: Settings, args: argparse.Namespace
) -> dict[str, Any]:
    """The JSON block a client needs: the stdio command with the arguments that give
    the same settings this command was run with, or the URL with headers."""
    if settings.transport == "stdio":
        command = shutil.which(package.command) or (
            os.path.abspath(sys.argv[0])
            if sys.argv and os.path.isfile(sys.argv[0])
            else package.command
        )
        passed, secret_env = effective_flags(package, settings)
        entry: dict[str, Any] = {
            "command": command,
            "args": passed,
            "env": {package.api_key_env: "<your API key>", **secret_env},
        }
        if args.client == "claude-code":
            entry = {"type": "stdio", **entry}
        return {"mcpServers": {args.name: entry}}
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = args.url or f"http://{host}:{settings.port}{settings.path}"
    headers: dict[str, str] = {}
    if settings.require_token:
        headers["Authorization"] = f"Bearer <one of {package.option_env_prefix}TOKENS>"
    if settings.upstream_key_from_header:
        headers[settings.upstream_key_from_header] = "<your API key>"
    if (
        args.client == "claude-desktop"
    ):  # Claude Desktop runs local commands: bridge with mcp-remote
        bridge = ["-y", "mcp-remote", url] + [
            a for k, v in headers.items() for a in ("--header", f"{k}:{v}")
        ]
        return {"mcpServers": {args.name: {"command": "npx", "args": bridge}}}
    kind = "sse" if settings.transport == "sse" else "http"
    entry = {"type": kind, "url": url} if args.client == "claude-code" else {"url": url}
    if headers:
        entry["headers"] = headers
    return {"mcpServers": {args.name: entry}}


def _flag_args(name: str, value: Any) -> list[str]:
    flag = "--" + name.replace("_", "-")
    if value is True:
        return [flag]
    if value is False:
        return []
    return [flag, str(value)]
