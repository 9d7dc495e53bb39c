"""Server settings: command-line flags, then environment, then defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .operation import PackageInfo

TRANSPORTS = ("stdio", "streamable-http", "sse")
PROFILES = ("default", "gemini")


@dataclass
class Settings:
    api_key: str | None = None
    base_url: str = ""
    transport: str = "stdio"
    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/mcp"
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: str = "off"  # "off" or "safe"
    retry_attempts: int = 3
    retry_max_seconds: float = 30.0
    max_request_bytes: int = 10 * 1024 * 1024
    max_result_chars: int = 100_000  # about 25,000 tokens
    reveal_credentials: bool = False
    schema_profile: str = "default"  # or "gemini"

    @classmethod
    def from_env(cls, package: PackageInfo, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        prefix = package.option_env_prefix
        settings = cls(
            api_key=env.get(package.api_key_env) or None,
            base_url=(env.get(package.base_url_env) or package.default_base_url).rstrip("/"),
        )
        settings.transport = env.get(prefix + "TRANSPORT", settings.transport)
        settings.host = env.get(prefix + "HOST", settings.host)
        settings.port = int(env.get(prefix + "PORT", settings.port))
        settings.path = env.get(prefix + "PATH", settings.path)
        settings.connect_timeout = float(
            env.get(prefix + "CONNECT_TIMEOUT", settings.connect_timeout)
        )
        settings.read_timeout = float(env.get(prefix + "READ_TIMEOUT", settings.read_timeout))
        settings.retry = env.get(prefix + "RETRY", settings.retry)
        settings.retry_attempts = int(env.get(prefix + "RETRY_ATTEMPTS", settings.retry_attempts))
        settings.retry_max_seconds = float(
            env.get(prefix + "RETRY_MAX_SECONDS", settings.retry_max_seconds)
        )
        settings.max_request_bytes = int(
            env.get(prefix + "MAX_REQUEST_BYTES", settings.max_request_bytes)
        )
        settings.max_result_chars = int(
            env.get(prefix + "MAX_RESULT_CHARS", settings.max_result_chars)
        )
        settings.reveal_credentials = _flag(env.get(prefix + "REVEAL_CREDENTIALS"))
        settings.schema_profile = env.get(prefix + "SCHEMA_PROFILE", settings.schema_profile)
        settings.check()
        return settings

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
        if self.retry_attempts < 1 or self.max_request_bytes < 1 or self.max_result_chars < 1000:
            raise ValueError(
                "retry attempts, max request bytes and max result chars (>= 1000) must be positive"
            )


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
