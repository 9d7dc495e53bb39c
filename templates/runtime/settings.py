"""Server settings from three places: flags win over environment, environment
over an optional TOML file (``--config``), the file over defaults. The options
themselves are declared once, in ``options.OPTIONS``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .contract import env_base
from .operation import PackageInfo
from .options import OPTIONS, Option, as_toml, convert


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
    compact: bool | None = None  # None: decided at start (catalog.Catalog)
    tools_list_budget: int = 100_000  # about 25,000 tokens
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
    grants_db: str | None = None
    public_url: str | None = None
    oauth_issuer: str | None = None
    grants_secret: str | None = None  # from <PREFIX>GRANTS_SECRET only: seals grants' API keys

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
            settings.apply(
                read_config(config_file),
                f"config file {config_file}",
                lambda o, key, value: f"{key} = {as_toml(value)} in config file {config_file}",
            )
        names = {o.name: o.env_name(package) for o in OPTIONS}
        settings.apply(
            {
                o.name: env[names[o.name]]
                for o in OPTIONS
                if names[o.name] in env and env[names[o.name]].strip()  # empty: not set
            },
            "environment",
            lambda o, key, value: f"{names[o.name]}={value}",
        )
        settings.apply(
            {k: v for k, v in (flags or {}).items() if v is not None},
            "flags",
            lambda o, key, value: f"{o.flag} {value}",
        )
        settings.api_key = env.get(package.api_key_env) or None
        base = env_base(package.api_key_env)
        settings.client_id = env.get(base + "_CLIENT_ID") or None
        settings.client_secret = env.get(base + "_CLIENT_SECRET") or None
        settings.grants_secret = env.get(package.option_env_prefix + "GRANTS_SECRET") or None
        settings.base_url = settings.base_url.rstrip("/")
        if settings.tokens_file:
            settings.tokens += read_tokens(settings.tokens_file)
        settings.check()
        return settings

    def apply(
        self,
        values: Mapping[str, Any],
        source: str,
        spell: Callable[[Option, str, Any], str] | None = None,
    ) -> None:
        """Set options from one source; ``spell`` says how the user wrote one (for messages)."""
        by_name = {o.name: o for o in OPTIONS}
        for raw_name, value in values.items():
            name = raw_name.replace("-", "_")
            option = by_name.get(name)
            if option is None:
                close = difflib.get_close_matches(
                    name, list(by_name), n=1, cutoff=0.6
                )  # a typo names the option it meant
                hint = f"; did you mean {close[0].replace('_', '-')!r}?" if close else ""
                raise ValueError(
                    f"{source}: unknown option {raw_name!r}{hint} (`--help` lists every option)"
                )
            where = spell(option, raw_name, value) if spell else f"{source}: {raw_name}"
            try:
                converted = convert(option, value)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            problem = option.problem(converted)
            if problem:
                raise ValueError(f"{where}: {problem}")
            setattr(self, name, converted)

    def check(self) -> None:
        """Every option against its declaration, then what options demand of each other."""
        for option in OPTIONS:
            value = getattr(self, option.name)
            if option.name == "base_url":
                continue  # given ones are checked as given; the spec's default is what it is
            if option.choices and option.kind != "list" and value not in option.choices:
                raise ValueError(
                    f"{option.name.replace('_', '-')} must be {option.expected()}, not {value!r}"
                )
            problem = option.problem(value)
            if problem:
                raise ValueError(f"{option.name.replace('_', '-')} {value}: {problem}")
        if self.require_token and not self.tokens:
            raise ValueError(
                "--require-token needs at least one token (the _TOKENS variable or --tokens-file)"
            )
        if self.workers > 1 and not self.stateless:
            raise ValueError("several workers need --stateless (sessions live in one process)")
        self.check_limits()

    def check_limits(self) -> None:
        """What the options mean together (each one's own range is in OPTIONS)."""
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


def read_config(path: str) -> dict[str, Any]:
    import tomllib

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"config file {path} is not UTF-8 text (byte {exc.start}); a TOML file is expected"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path} is not valid TOML: {exc}") from None
    return data


def read_tokens(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read tokens file {path}: {exc.strerror}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
