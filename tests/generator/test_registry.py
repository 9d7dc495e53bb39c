"""server.json for the MCP Registry: generated beside the package, valid against the
registry's published schema (vendored: tests/schemas/server.schema.json, source in
SOURCE.txt there), and matched by the ownership line in the package README."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, FormatChecker

from generator import registry
from generator.cli import main
from tests.conftest import REPO

SCHEMA = REPO / "tests" / "schemas" / "server.schema.json"
GENERATED = REPO / "generated"


def schema_errors(doc: Any) -> list[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    validator = Draft7Validator(schema, format_checker=FormatChecker())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)
    ]


def generated_server_json() -> dict[str, Any]:
    return json.loads((GENERATED / registry.SERVER_FILE).read_text(encoding="utf-8"))


def test_the_vendored_schema_is_the_registrys_2025_12_11_release() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"] == registry.SCHEMA_URL
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    source = (SCHEMA.parent / "SOURCE.txt").read_text(encoding="utf-8")
    assert (
        "modelcontextprotocol/static" in source
        and "a9ba437d9fbbe92076a24b20d56449ac7c7786ac" in source
    )


def test_generated_server_json_validates_against_the_registry_schema() -> None:
    doc = generated_server_json()
    assert schema_errors(doc) == []
    assert doc["$schema"] == registry.SCHEMA_URL
    # the validator is not a no-op: what the registry refuses, it refuses
    bad = {**doc, "name": "artie-mcp", "description": "x" * 101, "version": "1.0.76"}
    bad["packages"] = [{k: v for k, v in doc["packages"][0].items() if k != "transport"}]
    found = schema_errors(bad)
    assert any(e.startswith("name:") for e in found)
    assert any(e.startswith("description:") for e in found)
    assert any("'transport' is a required property" in e for e in found)


def test_server_json_names_the_pypi_package_its_version_and_its_variables() -> None:
    doc = generated_server_json()
    project = tomllib.loads((GENERATED / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert doc["name"] == "io.github.artie-labs/artie-mcp"
    assert doc["version"] == project["version"] == "1.0.76"
    [package] = doc["packages"]
    assert (package["registryType"], package["identifier"], package["version"]) == (
        "pypi",
        project["name"],
        project["version"],
    )
    assert package["registryBaseUrl"] == "https://pypi.org"
    assert package["transport"] == {"type": "stdio"}
    assert package["runtimeHint"] == "uvx" and "artie-mcp" in project["scripts"]
    variables = {v["name"]: v for v in package["environmentVariables"]}
    assert list(variables) == [
        "ARTIE_API_KEY",
        "ARTIE_BASE_URL",
        "ARTIE_MCP_READ_ONLY",
        "ARTIE_MCP_TAGS",
    ]
    assert variables["ARTIE_API_KEY"]["isSecret"] and variables["ARTIE_API_KEY"]["isRequired"]
    assert variables["ARTIE_BASE_URL"]["default"] == "https://api.artie.com"
    assert variables["ARTIE_MCP_READ_ONLY"] == {
        **variables["ARTIE_MCP_READ_ONLY"],
        "format": "boolean",
        "default": "false",
        "isSecret": False,
    }
    assert "Pipelines" in variables["ARTIE_MCP_TAGS"]["description"]


def test_the_package_readme_carries_the_line_the_registry_checks_on_pypi() -> None:
    """The registry reads the PyPI description (the README) for `mcp-name: <name>`,
    followed by the end of the name (internal/validators/registries/pypi.go, mcpname.go)."""
    readme = (GENERATED / "README.md").read_text(encoding="utf-8")
    name = generated_server_json()["name"]
    assert f"\n<!-- mcp-name: {name} -->\n" in readme
    assert re.search(r"mcp-name: " + re.escape(name) + r"(?![A-Za-z0-9._/-])", readme)


def test_the_registry_name_is_configurable_and_checked(
    pinned_spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pkg"
    args = ["generate", "--spec", str(pinned_spec), "--out", str(out), "--no-models", "-q"]
    assert main([*args, "--registry-name", "io.github.someone/artie-mcp"]) == 0
    doc = json.loads((out / "server.json").read_text(encoding="utf-8"))
    assert doc["name"] == "io.github.someone/artie-mcp" and schema_errors(doc) == []
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "<!-- mcp-name: io.github.someone/artie-mcp -->" in readme
    assert "artie-labs" not in readme

    capsys.readouterr()
    assert main([*args, "--registry-name", "artie mcp"]) == 2
    assert "--registry-name" in capsys.readouterr().err


@pytest.mark.parametrize("auth_kind", ["bearer", "oauth2", "none"])
def test_every_kind_of_auth_gives_a_valid_listing(auth_kind: str) -> None:
    pkg = registry.Package(
        dist_name="rows-mcp",
        version="1.2.3",
        description="MCP server for Rows API, generated from its OpenAPI spec",
        command="rows-server",
        title="Rows API",
        api_key_env="ROWS_API_KEY",
        base_url_env="ROWS_BASE_URL",
        default_base_url="https://api.example.test",
        option_env_prefix="ROWS_MCP_",
        auth_kind=auth_kind,
    )
    doc = json.loads(registry.server_json(pkg, registry.default_name(pkg.dist_name)))
    assert schema_errors(doc) == []
    [package] = doc["packages"]
    assert "runtimeHint" not in package  # `uvx rows-mcp` would look for a rows-mcp script
    names = [v["name"] for v in package["environmentVariables"]]
    expected = {
        "bearer": ["ROWS_API_KEY"],
        "oauth2": ["ROWS_API_KEY", "ROWS_CLIENT_ID", "ROWS_CLIENT_SECRET"],
        "none": [],
    }[auth_kind]
    assert names == [*expected, "ROWS_BASE_URL", "ROWS_MCP_READ_ONLY", "ROWS_MCP_TAGS"]
    secrets = {v["name"] for v in package["environmentVariables"] if v["isSecret"]}
    assert secrets == {n for n in expected if not n.endswith("_CLIENT_ID")}
