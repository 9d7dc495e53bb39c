"""Options declared once (options.OPTIONS): each is validated where it is declared, and
the base URL is an option like the others (flag, environment, config file)."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import Any

import pytest


def runtime(name: str) -> Any:
    return importlib.import_module(f"artie_mcp.runtime.{name}")


def package() -> Any:
    return importlib.import_module("artie_mcp.app").PACKAGE


def test_every_number_option_declares_what_it_allows() -> None:
    for option in runtime("options").OPTIONS:
        if option.kind in ("int", "float"):
            assert option.positive or option.minimum is not None, option.name


def test_base_url_precedence_is_flags_then_environment_then_file(tmp_path: Path) -> None:
    settings = runtime("settings")
    config = tmp_path / "c.toml"
    config.write_text('base-url = "https://file.example/"\n')
    env = {"ARTIE_BASE_URL": "https://env.example"}
    load = settings.Settings.load
    assert load(package(), {}, {}, str(config)).base_url == "https://file.example"
    assert load(package(), {}, env, str(config)).base_url == "https://env.example"
    flags = {"base_url": "http://127.0.0.1:9/v1/"}
    assert load(package(), flags, env, str(config)).base_url == "http://127.0.0.1:9/v1"
    assert load(package(), {}, {"ARTIE_BASE_URL": ""}).base_url == "https://api.artie.com"


@pytest.mark.parametrize(
    ("flags", "env", "file", "message"),
    [
        ({"port": "99999"}, {}, "", "--port 99999: expected a whole number from 1 to 65535"),
        ({"port": "8080.5"}, {}, "", "--port 8080.5: expected a whole number from 1 to 65535"),
        (
            {},
            {"ARTIE_MCP_WORKERS": "0"},
            "",
            "ARTIE_MCP_WORKERS=0: expected a whole number of at least 1",
        ),
        ({"read_timeout": "inf"}, {}, "", "--read-timeout inf: expected a number greater than 0"),
        ({}, {}, "port = true", "port = true in config file"),
        ({}, {}, "retry-max-seconds = -1", "retry-max-seconds = -1 in config file"),
        ({}, {}, 'transport = "http"', 'transport = "http" in config file'),
        (
            {"schema_profile": "openai"},
            {},
            "",
            "--schema-profile openai: expected one of default, gemini",
        ),
    ],
)
def test_a_bad_value_names_the_option_as_given_and_what_is_allowed(
    tmp_path: Path, flags: dict[str, str], env: dict[str, str], file: str, message: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(file + "\n")
    with pytest.raises(ValueError) as caught:
        runtime("settings").Settings.load(package(), flags, env, str(config) if file else None)
    assert message in str(caught.value)


def test_the_confirm_secret_comes_from_a_file_every_replica_can_read(tmp_path: Path) -> None:
    """--confirm-secret-file: the signing key replicas share without putting it in
    their environment; a short key or an unreadable file stops the start, naming it."""
    load = runtime("settings").Settings.load
    secret = tmp_path / "confirm.key"
    secret.write_text("k" * 40 + "\n")
    flags = {"confirm_secret_file": str(secret)}
    assert load(package(), flags, {}).confirm_secret == "k" * 40
    from_env = {"ARTIE_MCP_CONFIRM_SECRET_FILE": str(secret)}
    assert load(package(), {}, from_env).confirm_secret == "k" * 40
    secret.write_text("short\n")
    with pytest.raises(ValueError, match="at least 32 characters"):
        load(package(), flags, {})
    missing = tmp_path / "absent.key"
    with pytest.raises(ValueError, match=f"cannot read confirm secret file {missing}"):
        load(package(), {"confirm_secret_file": str(missing)}, {})


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
