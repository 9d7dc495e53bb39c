"""Every server option, declared once in ``OPTIONS``: its flag (``--read-only``), its
environment variable (``<PREFIX>READ_ONLY``, e.g. ``ARTIE_MCP_READ_ONLY``) and its
config-file key (``read-only`` or ``read_only``) derive from the name; its kind, default,
help and check sit beside it. ``convert`` turns a flag, environment or file value into
the option's kind. Standard library only (the generator reads the table for the README).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .contract import METHOD_CLASSES

if TYPE_CHECKING:
    from .operation import PackageInfo

TRANSPORTS = ("stdio", "streamable-http", "sse")
PROFILES = ("default", "gemini")


@dataclass(frozen=True)
class Option:
    name: str  # attribute name; flag --name-with-dashes; env PREFIX + NAME
    kind: str  # str, int, float, bool, list, time
    help: str
    choices: tuple[str, ...] | None = None
    secret: bool = False  # never printed
    minimum: float | None = None  # int and float: the smallest value allowed
    maximum: float | None = None  # int and float: the largest value allowed
    positive: bool = False  # float: more than 0 (a timeout of 0 never succeeds)
    check: Callable[[Any], str | None] | None = None  # what is expected, when a value is not
    env: str = ""  # the PackageInfo field naming its environment variable, if not PREFIX + NAME

    def expected(self) -> str:
        """What a valid value is, in words."""
        if self.choices:
            return ("some of " if self.kind == "list" else "one of ") + ", ".join(self.choices)
        if self.kind in ("int", "float"):
            what = "a whole number" if self.kind == "int" else "a number"
            low, high = _plain(self.minimum), _plain(self.maximum)
            if self.positive:
                return f"{what} greater than 0"
            if low is not None and high is not None:
                return f"{what} from {low} to {high}"
            if low is not None:
                return f"{what} of at least {low}"
            return what
        if self.kind == "bool":
            return "true or false"
        if self.kind == "time":
            return "an RFC 3339 time with a time zone, e.g. 2026-12-31T23:59:59Z"
        return "a value"

    def problem(self, value: Any) -> str | None:
        """Why ``value`` (already converted) is not allowed, or None."""
        if self.kind in ("int", "float") and (
            not math.isfinite(value)
            or (self.positive and value <= 0)
            or (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        ):
            return f"expected {self.expected()}"
        if self.check is not None and value is not None:
            expected = self.check(value)
            if expected:
                return f"expected {expected}"
        return None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def env_name(self, package: PackageInfo) -> str:
        return (
            str(getattr(package, self.env))
            if self.env
            else package.option_env_prefix + self.name.upper()
        )


def _plain(number: float | None) -> str | None:
    if number is None:
        return None
    return str(int(number)) if float(number).is_integer() else str(number)


def _http_url(value: Any) -> str | None:
    from urllib.parse import urlsplit

    text = str(value)
    if not text:
        return None  # a spec without servers: unset until the operator gives one
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return "an http:// or https:// URL, e.g. https://api.example.com"
    return None


def _url_path(value: Any) -> str | None:
    text = str(value)
    if not text.startswith("/") or any(c.isspace() for c in text) or "?" in text or "#" in text:
        return "a URL path starting with /, e.g. /mcp"
    return None


def _not_empty(value: Any) -> str | None:
    return None if str(value).strip() else "a host name or IP address, e.g. 127.0.0.1"


OPTIONS = (
    Option(
        "base_url",
        "str",
        "upstream API base URL",
        check=_http_url,
        env="base_url_env",
    ),
    Option("transport", "str", "stdio (default), streamable-http or sse", TRANSPORTS),
    Option("host", "str", "HTTP bind address (default 127.0.0.1)", check=_not_empty),
    Option("port", "int", "HTTP port (default 8000)", minimum=1, maximum=65535),
    Option(
        "path", "str", "HTTP endpoint path (default /mcp; SSE: the event stream)", check=_url_path
    ),
    Option(
        "stateless",
        "bool",
        "streamable HTTP without sessions: any worker or replica answers any request",
    ),
    Option("workers", "int", "HTTP worker processes (stateless mode; default 1)", minimum=1),
    Option(
        "allowed_hosts",
        "list",
        "Host header values accepted (DNS-rebinding protection), e.g. mcp.example.com,10.0.0.5:8000",
    ),
    Option(
        "require_token",
        "bool",
        "HTTP requests need Authorization: Bearer <token> (tokens from ..._TOKENS or --tokens-file)",
    ),
    Option(
        "tokens",
        "list",
        "accepted bearer tokens, comma-separated (prefer the env var or --tokens-file)",
        secret=True,
    ),
    Option("tokens_file", "str", "file with one accepted bearer token per line"),
    Option(
        "upstream_key_from_header",
        "str",
        "take the upstream API key from this request header (multi-tenant HTTP); a call without it is "
        "unauthorized and nothing is sent",
    ),
    Option(
        "upstream_key_fallback",
        "bool",
        "with --upstream-key-from-header: send the server's own API key when a request lacks the header",
    ),
    Option(
        "max_sessions",
        "int",
        "most open streamable-HTTP sessions (default 256); past it, a new session gets HTTP 503",
        minimum=1,
    ),
    Option(
        "max_sessions_per_token",
        "int",
        "most open sessions per bearer token with --require-token (default 32); past it, HTTP 429",
        minimum=1,
    ),
    Option(
        "session_idle_timeout",
        "float",
        "seconds a session may sit with no request and no open stream before it is closed "
        "(default 600); its id then answers 404 and the client starts a new session",
        positive=True,
    ),
    Option(
        "shutdown_grace",
        "float",
        "seconds SIGTERM/SIGINT (and, on stdio, a closed stdin) waits for calls in flight "
        "(default 20); new HTTP calls get 503 meanwhile, then what is left is cancelled (audited "
        "as cancelled) and the server exits 0",
        minimum=0,
    ),
    Option(
        "methods",
        "list",
        "only these tool classes: read (GET), write (create/update/delete), custom (actions)",
        METHOD_CLASSES,
    ),
    Option("tags", "list", "only tools with one of these spec tags"),
    Option("tools", "list", "only these tools (allow list)"),
    Option("exclude_tools", "list", "never these tools"),
    Option("read_only", "bool", "only tools whose readOnlyHint is true"),
    Option(
        "confirm_destructive",
        "bool",
        "ask the user (MCP elicitation) before any destructive tool runs; default on for HTTP, off for stdio",
    ),
    Option("allow_unconfirmed", "list", "destructive tools that may run without asking"),
    Option(
        "confirm_expiry",
        "float",
        "seconds a user's approval of a destructive call stays valid (default 300); each is good for one call",
        positive=True,
    ),
    Option(
        "confirm_secret",
        "str",
        "key (32+ characters) that signs approvals, the same on every worker and replica "
        "(default: random per server, shared by its --workers)",
        secret=True,
    ),
    Option(
        "confirm_secret_file", "str", "file holding the approval signing key (see --confirm-secret)"
    ),
    Option(
        "confirm_state_dir",
        "str",
        "folder recording used approvals, so replicas that share it accept each approval once "
        "(default: memory; a private folder shared by --workers)",
    ),
    Option(
        "include_excluded",
        "bool",
        "also serve operations the spec marks exposure: excluded (credential-bearing)",
    ),
    Option(
        "expires_at",
        "time",
        "refuse every call after this instant (RFC 3339, e.g. 2026-12-31T23:59:59Z)",
    ),
    Option(
        "allow_file_dir", "list", "folders whose files tools may upload (multipart and raw bodies)"
    ),
    Option(
        "compact",
        "bool",
        "list three meta-tools (search, describe, call) instead of every tool; default: on when "
        "the full list has more tools than OpenAI takes (128) or more bytes than the budget",
    ),
    Option(
        "tools_list_budget",
        "int",
        "largest full tools/list in bytes before the server starts in compact mode (default 100000)",
        minimum=1000,
    ),
    Option("audit_log", "str", "append one JSON line per tool call to this file (default: stderr)"),
    Option("connect_timeout", "float", "seconds to connect upstream (default 10)", positive=True),
    Option("read_timeout", "float", "seconds to wait for upstream (default 60)", positive=True),
    Option(
        "retry",
        "str",
        "'safe': retry operations the spec marks safe on 429/502/503/504 and connection errors",
        ("off", "safe"),
    ),
    Option("retry_attempts", "int", "total tries per call when retrying (default 3)", minimum=1),
    Option("retry_max_seconds", "float", "time budget for retry waits (default 30)", minimum=0),
    Option("max_request_bytes", "int", "largest request body (default 10485760)", minimum=1),
    Option(
        "max_response_bytes",
        "int",
        "largest upstream answer read (default 10485760); reading stops there and the call fails "
        "with response_too_large",
        minimum=1024,
    ),
    Option(
        "max_result_chars",
        "int",
        "largest result; lists are windowed to fit (default 100000)",
        minimum=1000,
    ),
    Option(
        "reveal_credentials",
        "bool",
        "do not redact values under secret-looking keys in results (the configured API key and tokens are still scrubbed)",
    ),
    Option(
        "schema_profile",
        "str",
        "'gemini' serves input schemas in the subset Gemini accepts",
        PROFILES,
    ),
    Option(
        "grants_db",
        "str",
        "grants store (a SQLite file, or postgresql://...): serve each grant at <public URL><path>/g/<token>",
        secret=True,  # a PostgreSQL URL may hold a password
    ),
    Option(
        "public_url",
        "str",
        "the address clients reach this server at, without the path (e.g. https://mcp.example.com)",
    ),
    Option(
        "oauth_issuer",
        "str",
        "OAuth 2.1 authorization server (issuer URL) whose JWT access tokens for <public URL><path> are accepted",
    ),
)


def convert(option: Option, value: Any) -> Any:
    """A value from a flag, the environment (text) or TOML (typed) as the option's kind."""
    kind = option.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"expected {option.expected()}")
    if kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise ValueError(f"expected {option.expected()}")
        return int(text)
    if kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value).strip())
        except ValueError:
            raise ValueError(f"expected {option.expected()}") from None
    if kind == "list":
        items = value if isinstance(value, list) else str(value).split(",")
        out = [str(v).strip() for v in items if str(v).strip()]
        if option.choices:
            bad = [v for v in out if v not in option.choices]
            if bad:
                raise ValueError(f"expected {option.expected()}, not {', '.join(bad)}")
        return out
    if kind == "time":
        return parse_time(value)
    if not isinstance(value, str):
        raise ValueError(f"expected text, not {as_toml(value)}")
    if option.choices and value not in option.choices:
        raise ValueError(f"expected {option.expected()}")
    return value


def as_toml(value: Any) -> str:
    """A config-file value as TOML writes it (true, not True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(as_toml(v) for v in value) + "]"
    return str(value)


def rfc3339(when: dt.datetime) -> str:
    """``2026-12-01T19:27:33Z``: how the server writes an instant."""
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        when = value
    else:
        text = str(value).strip().replace("z", "Z")
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                "expected an RFC 3339 time with a time zone, e.g. 2026-12-31T23:59:59Z"
            ) from None
    if when.tzinfo is None:
        raise ValueError("expected a time zone: add Z or +00:00, e.g. 2026-12-31T23:59:59Z")
    return when.astimezone(dt.UTC)
