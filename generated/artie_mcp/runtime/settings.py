"""Server settings from three places: flags win over environment, environment
over an optional TOML file (``--config``), the file over defaults.

Every option is declared once in ``OPTIONS``: its flag (``--read-only``), its
environment variable (``<PREFIX>READ_ONLY``, e.g. ``ARTIE_MCP_READ_ONLY``) and
its config-file key (``read-only`` or ``read_only``) all derive from the name.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .operation import PackageInfo

TRANSPORTS = ("stdio", "streamable-http", "sse")
PROFILES = ("default", "gemini")
METHOD_CLASSES = ("read", "write", "custom")


@dataclass(frozen=True)
class Option:
    name: str  # attribute name; flag --name-with-dashes; env PREFIX + NAME
    kind: str  # str, int, float, bool, list, time
    help: str
    choices: tuple[str, ...] | None = None
    secret: bool = False  # never printed


OPTIONS = (
    Option("transport", "str", "stdio (default), streamable-http or sse", TRANSPORTS),
    Option("host", "str", "HTTP bind address (default 127.0.0.1)"),
    Option("port", "int", "HTTP port (default 8000)"),
    Option("path", "str", "HTTP endpoint path (default /mcp; SSE: the event stream)"),
    Option(
        "stateless",
        "bool",
        "streamable HTTP without sessions: any worker or replica answers any request",
    ),
    Option("workers", "int", "HTTP worker processes (stateless mode; default 1)"),
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
    ),
    Option(
        "max_sessions_per_token",
        "int",
        "most open sessions per bearer token with --require-token (default 32); past it, HTTP 429",
    ),
    Option(
        "session_idle_timeout",
        "float",
        "seconds a session may sit with no request and no open stream before it is closed "
        "(default 600); its id then answers 404 and the client starts a new session",
    ),
    Option(
        "shutdown_grace",
        "float",
        "seconds SIGTERM/SIGINT waits for calls in flight (default 20); new calls get 503 meanwhile, "
        "then what is left is cancelled (audited as cancelled) and the server exits 0",
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
        "list three meta-tools (search, describe, call) instead of every tool: for large APIs",
    ),
    Option("audit_log", "str", "append one JSON line per tool call to this file (default: stderr)"),
    Option("connect_timeout", "float", "seconds to connect upstream (default 10)"),
    Option("read_timeout", "float", "seconds to wait for upstream (default 60)"),
    Option(
        "retry",
        "str",
        "'safe': retry operations the spec marks safe on 429/502/503/504 and connection errors",
        ("off", "safe"),
    ),
    Option("retry_attempts", "int", "total tries per call when retrying (default 3)"),
    Option("retry_max_seconds", "float", "time budget for retry waits (default 30)"),
    Option("max_request_bytes", "int", "largest request body (default 10485760)"),
    Option(
        "max_response_bytes",
        "int",
        "largest upstream answer read (default 10485760); reading stops there and the call fails "
        "with response_too_large",
    ),
    Option("max_result_chars", "int", "largest result; lists are windowed to fit (default 100000)"),
    Option(
        "reveal_credentials",
        "bool",
        "do not redact secrets in results of restricted-credentials operations",
    ),
    Option(
        "schema_profile",
        "str",
        "'gemini' serves input schemas in the subset Gemini accepts",
        PROFILES,
    ),
)


@dataclass
class Settings:
    api_key: str | None = None
    client_id: str | None = None  # OAuth2 client credentials, when the API uses them
    client_secret: str | None = None
    base_url: str = ""
    transport: str = "stdio"
    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/mcp"
    stateless: bool = False
    workers: int = 1
    allowed_hosts: list[str] = field(default_factory=list)
    require_token: bool = False
    tokens: list[str] = field(default_factory=list)
    tokens_file: str | None = None
    upstream_key_from_header: str | None = None
    upstream_key_fallback: bool = False
    max_sessions: int = 256
    max_sessions_per_token: int = 32
    session_idle_timeout: float = 600.0
    shutdown_grace: float = 20.0
    methods: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    exclude_tools: list[str] = field(default_factory=list)
    read_only: bool = False
    confirm_destructive: bool | None = None  # None: on for HTTP transports, off for stdio
    allow_unconfirmed: list[str] = field(default_factory=list)
    confirm_expiry: float = 300.0
    confirm_secret: str | None = None
    confirm_secret_file: str | None = None
    confirm_state_dir: str | None = None
    include_excluded: bool = False
    expires_at: dt.datetime | None = None
    allow_file_dir: list[str] = field(default_factory=list)
    compact: bool = False
    audit_log: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: str = "off"
    retry_attempts: int = 3
    retry_max_seconds: float = 30.0
    max_request_bytes: int = 10 * 1024 * 1024
    max_response_bytes: int = 10 * 1024 * 1024
    max_result_chars: int = 100_000  # about 25,000 tokens
    reveal_credentials: bool = False
    schema_profile: str = "default"

    @classmethod
    def load(
        cls,
        package: PackageInfo,
        flags: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        config_file: str | None = None,
    ) -> Settings:
        env = os.environ if env is None else env
        settings = cls(base_url=package.default_base_url)
        if config_file:
            settings.apply(read_config(config_file), "config file")
        prefix = package.option_env_prefix
        settings.apply(
            {
                o.name: env[prefix + o.name.upper()]
                for o in OPTIONS
                if prefix + o.name.upper() in env
            },
            "environment",
        )
        settings.apply({k: v for k, v in (flags or {}).items() if v is not None}, "flags")
        settings.api_key = env.get(package.api_key_env) or None
        base = package.api_key_env.removesuffix("_API_KEY")
        settings.client_id = env.get(base + "_CLIENT_ID") or None
        settings.client_secret = env.get(base + "_CLIENT_SECRET") or None
        url = (flags or {}).get("base_url") or env.get(package.base_url_env)
        if url:
            settings.base_url = str(url)
        settings.base_url = settings.base_url.rstrip("/")
        if settings.tokens_file:
            settings.tokens += read_tokens(settings.tokens_file)
        settings.check()
        return settings

    def apply(self, values: Mapping[str, Any], source: str) -> None:
        by_name = {o.name: o for o in OPTIONS}
        for raw_name, value in values.items():
            name = raw_name.replace("-", "_")
            option = by_name.get(name)
            if option is None:
                raise ValueError(f"{source}: unknown option {raw_name!r}")
            try:
                setattr(self, name, convert(option, value))
            except ValueError as exc:
                raise ValueError(f"{source}: {raw_name}: {exc}") from None

    def check(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(
                f"transport must be one of {', '.join(TRANSPORTS)}, not {self.transport!r}"
            )
        if self.schema_profile not in PROFILES:
            raise ValueError(
                f"schema profile must be one of {', '.join(PROFILES)}, not {self.schema_profile!r}"
            )
        if self.retry not in ("off", "safe"):
            raise ValueError(f"retry must be 'off' or 'safe', not {self.retry!r}")
        bad = [m for m in self.methods if m not in METHOD_CLASSES]
        if bad:
            raise ValueError(
                f"methods must be among {', '.join(METHOD_CLASSES)}, not {', '.join(bad)}"
            )
        if self.retry_attempts < 1 or self.max_request_bytes < 1 or self.max_result_chars < 1000:
            raise ValueError(
                "retry attempts, max request bytes and max result chars (>= 1000) must be positive"
            )
        if self.require_token and not self.tokens:
            raise ValueError(
                "--require-token needs at least one token (the _TOKENS variable or --tokens-file)"
            )
        if self.workers > 1 and not self.stateless:
            raise ValueError("several workers need --stateless (sessions live in one process)")
        self.check_limits()

    def check_limits(self) -> None:
        """The session, shutdown, response-size and confirmation options."""
        if self.max_sessions < 1 or self.max_sessions_per_token < 1:
            raise ValueError("--max-sessions and --max-sessions-per-token must be at least 1")
        if not 0 < self.session_idle_timeout < float("inf"):
            raise ValueError("--session-idle-timeout must be a positive number of seconds")
        if not 0 <= self.shutdown_grace < float("inf"):
            raise ValueError("--shutdown-grace must be zero or a positive number of seconds")
        if self.max_response_bytes < 1024:
            raise ValueError("--max-response-bytes must be at least 1024")
        if not 0 < self.confirm_expiry < float("inf"):
            raise ValueError("--confirm-expiry must be a positive number of seconds")
        if self.upstream_key_fallback and not self.upstream_key_from_header:
            raise ValueError("--upstream-key-fallback needs --upstream-key-from-header")
        if self.confirm_secret_file and not self.confirm_secret:
            try:
                self.confirm_secret = (
                    Path(self.confirm_secret_file).read_text(encoding="utf-8").strip()
                )
            except OSError as exc:
                raise ValueError(
                    f"cannot read confirm secret file {self.confirm_secret_file}: {exc.strerror}"
                ) from None
        if self.confirm_secret is not None and len(self.confirm_secret) < 32:
            raise ValueError(
                "--confirm-secret must be at least 32 characters "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            )

    def confirms(self, tool: str) -> bool:
        """Whether a destructive ``tool`` must be confirmed by the user first."""
        on = (
            self.confirm_destructive
            if self.confirm_destructive is not None
            else self.transport != "stdio"
        )
        return on and tool not in self.allow_unconfirmed

    def expired(self, now: dt.datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        return (now or dt.datetime.now(dt.UTC)) >= self.expires_at


def convert(option: Option, value: Any) -> Any:
    kind = option.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"expected true or false, not {value!r}")
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "list":
        items = value if isinstance(value, list) else str(value).split(",")
        out = [str(v).strip() for v in items if str(v).strip()]
        if option.choices:
            bad = [v for v in out if v not in option.choices]
            if bad:
                raise ValueError(
                    f"expected some of {', '.join(option.choices)}, not {', '.join(bad)}"
                )
        return out
    if kind == "time":
        return parse_time(value)
    text = str(value)
    if option.choices and text not in option.choices:
        raise ValueError(f"expected one of {', '.join(option.choices)}, not {text!r}")
    return text


def parse_time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        when = value
    else:
        text = str(value).strip().replace("z", "Z")
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an RFC 3339 time: {value!r}") from None
    if when.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone (add Z or +00:00)")
    return when.astimezone(dt.UTC)


def read_config(path: str) -> dict[str, Any]:
    import tomllib

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path} is not valid TOML: {exc}") from None
    return data


def read_tokens(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read tokens file {path}: {exc.strerror}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
