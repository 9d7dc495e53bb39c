"""``<command> grants create|list|revoke``: grants in the store ``--grants-db`` names.

``create`` prints, once, ``{"id", "name", "url", "token", "expires_at"}``; the
token is not stored (only its hash) and cannot be shown again. ``list`` never
shows tokens or keys. The scoping flags mean what the server's flags mean, and
are checked against the tools this configuration serves: a grant only narrows.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from .grants import GrantError, GrantScope, iso, utcnow  # the standard library only
from .grantstore import Store
from .options import OPTIONS, convert, parse_time

if TYPE_CHECKING:
    from .server import ToolServer

LIST_FLAGS = ("methods", "tags", "tools", "exclude_tools")


def add_parser(sub: Any) -> None:
    grants = sub.add_parser(
        "grants",
        help="create, list and revoke grants: scoped, expiring URLs (needs --grants-db)",
        description=(
            "Grants live in the store named by --grants-db; their URLs start with --public-url. "
            "Server options go before 'grants' (or in the environment), grant options after 'create'."
        ),
    )
    actions = grants.add_subparsers(dest="grants_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a grant and print its URL and token, once")
    create.add_argument("--name", required=True, help="what the grant is for, e.g. a tenant")
    for name in LIST_FLAGS:
        option = next(o for o in OPTIONS if o.name == name)
        create.add_argument(
            "--" + name.replace("_", "-"),
            dest="grant_" + name,
            metavar="LIST",
            help=option.help + " (comma-separated)",
        )
    create.add_argument(
        "--read-only",
        dest="grant_read_only",
        action="store_true",
        help="only tools whose readOnlyHint is true",
    )
    create.add_argument(
        "--expires-at",
        dest="grant_expires_at",
        metavar="RFC3339",
        help="refused after this instant",
    )
    create.add_argument(
        "--upstream-key-stdin",
        dest="grant_key_stdin",
        action="store_true",
        help="read the grant's own upstream API key from standard input (stored encrypted)",
    )
    actions.add_parser("list", help="every grant with its scope and state (never tokens or keys)")
    revoke = actions.add_parser("revoke", help="revoke a grant: refused by every server within 5 s")
    revoke.add_argument("id", help="the grant's id (from create or list)")


def preflight(tool_server: ToolServer) -> str | None:
    """Why serving with grants or OAuth cannot start (the options, the store), or None.
    The store is opened, and migrated, here once."""
    from .grantroutes import Guard
    from .grantscope import active

    if not active(tool_server.settings):
        return None
    try:
        guard = Guard(tool_server)
    except (GrantError, ValueError) as exc:
        return str(exc)
    if guard.store is not None:
        guard.store.close()
    return None


def run(tool_server: ToolServer, args: argparse.Namespace) -> int:
    command = tool_server.package.command
    try:
        return _run(tool_server, args)
    except (GrantError, ValueError) as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 2


def _run(tool_server: ToolServer, args: argparse.Namespace) -> int:
    from .grantscope import grant_url, narrow, public_base

    settings = tool_server.settings
    if not settings.grants_db:
        raise ValueError(
            f"name the grants store with --grants-db or {tool_server.package.option_env_prefix}GRANTS_DB"
        )
    action = args.grants_command
    if action == "create":
        scope, expires_at, key = _create_args(tool_server, args)
        public_base(settings)  # a bad --public-url is an error before anything is written
        sealed = tool_server.perimeter.box().seal(key) if key is not None else None
        store = Store.open(settings.grants_db)
        try:
            grant, token = store.create(args.name, scope, expires_at, sealed)
        finally:
            store.close()
        served = narrow(tool_server.operations, scope)
        print(
            json.dumps(
                {
                    "id": grant.id,
                    "name": grant.name,
                    "url": grant_url(settings, token),
                    "token": token,
                    "expires_at": iso(grant.expires_at),
                },
                indent=2,
            )
        )
        if len(served) == len(tool_server.operations):
            which = f"all {len(served)} of the server's tools"
        elif len(served) <= 20:
            which = f"{len(served)} tool(s): {', '.join(served)}"
        else:
            which = f"{len(served)} of the server's {len(tool_server.operations)} tools"
        print(f"grant {grant.id}: {which}. The token is shown only now.", file=sys.stderr)
        return 0
    store = Store.open(settings.grants_db)
    try:
        if action == "list":
            print(json.dumps([g.public() for g in store.list()], indent=2))
            return 0
        revoked = store.revoke(args.id)
        if revoked is None:
            print(f"{tool_server.package.command}: error: no grant {args.id!r}", file=sys.stderr)
            return 1
        print(
            json.dumps(
                {"id": revoked.id, "name": revoked.name, "revoked_at": iso(revoked.revoked_at)}
            )
        )
        return 0
    finally:
        store.close()


def _create_args(
    tool_server: ToolServer, args: argparse.Namespace
) -> tuple[GrantScope, Any, str | None]:
    from .grantscope import check_scope, narrow

    if not tool_server.settings.public_url:
        raise ValueError(
            f"set --public-url or {tool_server.package.option_env_prefix}PUBLIC_URL: "
            "a grant's URL is <public URL><path>/g/<token>"
        )
    by_name = {o.name: o for o in OPTIONS}
    lists = {
        name: tuple(convert(by_name[name], getattr(args, "grant_" + name) or ""))
        for name in LIST_FLAGS
    }
    scope = GrantScope(read_only=bool(args.grant_read_only), **lists)
    check_scope(scope, tool_server.all_operations)
    if not narrow(tool_server.operations, scope):
        raise ValueError(
            "this grant would serve no tool: its flags leave none of the server's tools"
        )
    expires_at = parse_time(args.grant_expires_at) if args.grant_expires_at else None
    if expires_at is not None and expires_at <= utcnow():
        raise ValueError(f"--expires-at {args.grant_expires_at} has already passed")
    key = None
    if args.grant_key_stdin:
        key = sys.stdin.readline().strip()
        if not key:
            raise ValueError("--upstream-key-stdin: no key on standard input")
    return scope, expires_at, key
