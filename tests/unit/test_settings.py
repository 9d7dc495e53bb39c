"""Flags win over environment, environment over the config file; bad values are clear errors."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

import pytest


def runtime(name: str):  # type: ignore[no-untyped-def]
    """A runtime module of the installed generated package (the code users run)."""
    return importlib.import_module(f"artie_mcp.runtime.{name}")


def test_precedence_flags_env_file(tmp_path: Path) -> None:
    settings = runtime("settings")
    app = importlib.import_module("artie_mcp.app")
    config = tmp_path / "c.toml"
    config.write_text(
        'read-only = true\nport = 7000\ntags = ["Pipelines"]\nmax_result_chars = 5000\n'
    )
    env = {"ARTIE_MCP_PORT": "7100", "ARTIE_MCP_TAGS": "Connectors", "ARTIE_API_KEY": "k"}
    s = settings.Settings.load(app.PACKAGE, {"port": "7200"}, env, str(config))
    assert (
        s.port == 7200
        and s.tags == ["Connectors"]
        and s.read_only is True
        and s.max_result_chars == 5000
    )
    s = settings.Settings.load(app.PACKAGE, {}, env, str(config))
    assert s.port == 7100 and s.api_key == "k" and s.base_url == "https://api.artie.com"


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        ({"transport": "carrier-pigeon"}, {}, "transport"),
        ({}, {"ARTIE_MCP_READ_ONLY": "maybe"}, "ARTIE_MCP_READ_ONLY=maybe"),
        ({}, {"ARTIE_MCP_METHODS": "read,delete"}, "not delete"),
        ({"expires_at": "2026-12-31T23:59:59"}, {}, "time zone"),
        ({"require_token": True}, {}, "needs at least one token"),
        ({"workers": "2"}, {}, "--stateless"),
    ],
)
def test_bad_settings_are_clear_errors(flags: dict, env: dict, message: str) -> None:
    settings = runtime("settings")
    app = importlib.import_module("artie_mcp.app")
    with pytest.raises(ValueError, match=message):
        settings.Settings.load(app.PACKAGE, flags, env)


def test_expiry_and_token_comparison() -> None:
    settings = runtime("settings")
    access = runtime("access")
    options = runtime("options")
    s = settings.Settings(expires_at=options.parse_time("2026-12-31T23:59:59Z"))
    assert not s.expired(dt.datetime(2026, 12, 31, 23, 59, 58, tzinfo=dt.UTC))
    assert s.expired(dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
    assert (
        access.token_ok("b", ["a", "b"])
        and not access.token_ok("c", ["a", "b"])
        and not access.token_ok("", ["a"])
    )


def test_unknown_tool_names_in_filters_are_errors() -> None:
    app = importlib.import_module("artie_mcp.app")
    access = runtime("access")
    settings = runtime("settings")
    operations = runtime("operation").load_operations(app.PACKAGE.root / "tools")
    with pytest.raises(ValueError, match="unknown tool"):
        access.select(operations, settings.Settings(tools=["pipeline_lst"]))
    chosen = access.select(
        operations, settings.Settings(methods=["custom"], exclude_tools=["pipeline_start"])
    )
    assert chosen and all(
        op.method_class == "custom" and op.name != "pipeline_start" for op in chosen
    )
