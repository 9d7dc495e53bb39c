"""What a user configures, once; and ``server.json`` for the MCP Registry.

A generated package is configured through environment variables: the API key, the
base URL, and ``<PREFIX>_MCP_<OPTION>`` for every server option. ``settings`` names
the ones a listing offers (the key, the base URL, read-only and tags scoping), and
both the registry's ``server.json`` (here) and the MCP bundle's ``user_config``
(``generator.mcpb``) are written from that one list.

The registry (registry.modelcontextprotocol.io) checks that whoever publishes a PyPI
package owns it by finding ``mcp-name: <server name>`` in the package's README on
PyPI; ``ownership_line`` is that line, which the package README carries.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from generator.contract import contract

SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
SERVER_FILE = "server.json"  # beside the package's pyproject.toml
# io.github.<owner>/<name>: the registry lets a GitHub login publish under its own namespace.
DEFAULT_OWNER = "io.github.artie-labs"
NAME = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")  # the schema's pattern (3 to 200 chars)
MAX_DESCRIPTION = 100  # the schema's maxLength for description and title


@dataclass(frozen=True)
class Package:
    """What a listing needs to know about a generated package."""

    dist_name: str
    version: str
    description: str
    command: str
    title: str  # the API's title, e.g. "Artie API"
    api_key_env: str  # ARTIE_API_KEY
    base_url_env: str  # ARTIE_BASE_URL
    default_base_url: str
    option_env_prefix: str  # ARTIE_MCP_
    auth_kind: str  # the runtime's Auth.kind: bearer, oauth2, basic, header, query, cookie, none
    tags: tuple[str, ...] = ()  # the spec tags of the exposed tools
    requires_python: str = ">=3.11"


@dataclass(frozen=True)
class Setting:
    """One environment variable a user may set, as a listing offers it."""

    key: str  # the bundle's user_config key
    env: str
    title: str
    description: str
    kind: Literal["string", "boolean"] = "string"
    secret: bool = False
    required: bool = False
    default: str | bool = ""


def default_name(dist_name: str) -> str:
    return f"{DEFAULT_OWNER}/{dist_name}"


def check_name(name: str) -> str | None:
    """Why ``name`` is not a registry server name, or None."""
    if not 3 <= len(name) <= 200 or not NAME.match(name):
        return (
            f"registry name {name!r} must look like io.github.OWNER/NAME (or a reversed domain you "
            "own, com.example/NAME): letters, digits, '.', '-' before the '/', also '_' after it"
        )
    return None


def settings(pkg: Package) -> list[Setting]:
    """The variables a listing asks for, in the order a user fills them in."""
    out: list[Setting] = []
    title = pkg.title
    if pkg.auth_kind != "none":
        oauth = pkg.auth_kind == "oauth2"
        out.append(
            Setting(
                "api_key",
                pkg.api_key_env,
                "API key",
                f"Your {title} key"
                + (" (or leave it empty and give the OAuth2 client credentials)" if oauth else "")
                + "; sent only to the API.",
                secret=True,
                required=not oauth,
            )
        )
        if oauth:
            base = contract.env_base(pkg.api_key_env)
            out.append(
                Setting(
                    "client_id",
                    f"{base}_CLIENT_ID",
                    "OAuth2 client ID",
                    "Client-credentials ID; the server fetches and caches the token.",
                )
            )
            out.append(
                Setting(
                    "client_secret",
                    f"{base}_CLIENT_SECRET",
                    "OAuth2 client secret",
                    "Client-credentials secret.",
                    secret=True,
                )
            )
    out.append(
        Setting(
            "base_url",
            pkg.base_url_env,
            "API base URL",
            f"Where the {title} is served (default {pkg.default_base_url}).",
            default=pkg.default_base_url,
        )
    )
    out.append(
        Setting(
            "read_only",
            f"{pkg.option_env_prefix}READ_ONLY",
            "Read-only",
            "Serve only the tools that change nothing (readOnlyHint).",
            kind="boolean",
            default=False,
        )
    )
    tags = ", ".join(pkg.tags)
    out.append(
        Setting(
            "tags",
            f"{pkg.option_env_prefix}TAGS",
            "Only these tags",
            "Comma-separated spec tags: serve only their tools (empty: all)."
            + (f" Tags: {tags}." if tags else ""),
        )
    )
    return out


def _short(text: str, limit: int = MAX_DESCRIPTION) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def server_json(pkg: Package, name: str) -> str:
    """``server.json``: the package on PyPI, run over stdio, and its variables."""
    variables = []
    for s in settings(pkg):
        item: dict[str, Any] = {
            "name": s.env,
            "description": s.description,
            "isRequired": s.required,
            "isSecret": s.secret,
            "format": s.kind,
        }
        default = ("true" if s.default else "false") if isinstance(s.default, bool) else s.default
        if default:
            item["default"] = default
        variables.append(item)
    package: dict[str, Any] = {
        "registryType": "pypi",
        "registryBaseUrl": "https://pypi.org",
        "identifier": pkg.dist_name,
        "version": pkg.version,
    }
    if pkg.command == pkg.dist_name:  # `uvx <dist>` runs the script of the same name
        package["runtimeHint"] = "uvx"
    package["transport"] = {"type": "stdio"}
    package["environmentVariables"] = variables
    document = {
        "$schema": SCHEMA_URL,
        "name": name,
        "title": _short(pkg.title),
        "description": _short(pkg.description),
        "version": pkg.version,
        "packages": [package],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def ownership_line(name: str) -> str:
    """What the registry looks for in the PyPI README (exactly one space, nothing after)."""
    return f"<!-- mcp-name: {name} -->"
