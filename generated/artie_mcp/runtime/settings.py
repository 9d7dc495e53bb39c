"""Server settings: command-line flags, then environment, then defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .operation import PackageInfo

TRANSPORTS = ("stdio", "streamable-http", "sse")


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
        settings.connect_timeout = float(env.get(prefix + "CONNECT_TIMEOUT", settings.connect_timeout))
        settings.read_timeout = float(env.get(prefix + "READ_TIMEOUT", settings.read_timeout))
        return settings
