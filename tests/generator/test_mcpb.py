"""`artie-mcp-gen bundle`: the manifest is what mcpb 2.1.2 (pinned in tests/tools) accepts,
lists the tools the server serves, and maps the user's settings to the server's
environment; the zip is the same bytes for the same package; any generated package
can be bundled. (tests/e2e/test_bundle.py starts the bundle as Claude Desktop would.)"""

from __future__ import annotations

import hashlib
import json
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from generator.cli import main
from tests.conftest import REPO, generate_package
from tests.support import npm_tools

GENERATED = REPO / "generated"
MANIFEST_SCHEMA = (
    npm_tools.TOOLS_DIR / "node_modules/@anthropic-ai/mcpb/schemas/mcpb-manifest-v0.4.schema.json"
)


def bundle(package_dir: Path, out: Path, *extra: str) -> Path:
    """The CLI as `make bundle` runs it; --no-lock keeps these tests off the network."""
    assert (
        main(["bundle", "--package-dir", str(package_dir), "--out", str(out), "--no-lock", *extra])
        == 0
    )
    [made] = out.glob("*.mcpb")
    return made


def read_manifest(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as zf:
        manifest: dict[str, Any] = json.loads(zf.read("manifest.json"))
        return manifest


def exposed(package_dir: Path, module: str) -> list[dict[str, Any]]:
    tools = (
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((package_dir / module / "tools").glob("*.json"))
    )
    return [t for t in tools if t.get("exposure", "exposed") == "exposed"]


@pytest.fixture(scope="module")
def artie_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundle(GENERATED, tmp_path_factory.mktemp("dist"))


def test_the_manifest_passes_mcpb_validate_and_its_json_schema(
    artie_bundle: Path, tmp_path: Path
) -> None:
    assert artie_bundle.name == "artie-mcp.mcpb"
    manifest = read_manifest(artie_bundle)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    proc = npm_tools.mcpb(["validate", str(tmp_path / "manifest.json")])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Manifest schema validation passes!" in proc.stdout

    schema = json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))
    assert list(Draft7Validator(schema).iter_errors(manifest)) == []

    # and mcpb validate is not a no-op: an unknown key fails it
    (tmp_path / "manifest.json").write_text(
        json.dumps({**manifest, "entry": "x"}), encoding="utf-8"
    )
    assert npm_tools.mcpb(["validate", str(tmp_path / "manifest.json")]).returncode == 1


def test_the_manifest_lists_the_served_tools_and_the_package_it_ships(artie_bundle: Path) -> None:
    manifest = read_manifest(artie_bundle)
    project = tomllib.loads((GENERATED / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert (manifest["name"], manifest["version"], manifest["description"]) == (
        project["name"],
        project["version"],
        project["description"],
    )
    assert manifest["display_name"] == "Artie API"
    tools = exposed(GENERATED, "artie_mcp")
    assert len(tools) == 41
    assert manifest["tools"] == [
        {"name": t["name"], "description": t["description"]} for t in tools
    ]
    assert manifest["tools_generated"] is False
    server = manifest["server"]
    assert server["type"] == "uv" and server["entry_point"] == "artie_mcp/app.py"
    assert project["scripts"]["artie-mcp"] == "artie_mcp.app:main"
    assert server["mcp_config"]["command"] == "uv"
    assert server["mcp_config"]["args"] == ["run", "--directory", "${__dirname}", "artie-mcp"]
    assert manifest["compatibility"] == {
        "platforms": ["darwin", "win32", "linux"],
        "runtimes": {"python": ">=3.11"},
    }
    with zipfile.ZipFile(artie_bundle) as zf:
        names = set(zf.namelist())
    assert {"manifest.json", "pyproject.toml", "README.md", "artie_mcp/app.py"} <= names
    assert {f"artie_mcp/tools/{t['name']}.json" for t in tools} <= names
    assert "uv.lock" not in names  # --no-lock
    assert not {n for n in names if "__pycache__" in n or n.endswith(".pyc") or n == "server.json"}


def test_user_settings_reach_the_servers_environment(artie_bundle: Path) -> None:
    manifest = read_manifest(artie_bundle)
    config = manifest["user_config"]
    assert list(config) == ["api_key", "base_url", "read_only", "tags"]
    assert config["api_key"] == {
        **config["api_key"],
        "type": "string",
        "sensitive": True,
        "required": True,
    }
    assert "default" not in config["api_key"]
    # optional settings carry defaults: Claude leaves ${user_config.x} in place otherwise
    assert config["base_url"]["default"] == "https://api.artie.com"
    assert (config["read_only"]["type"], config["read_only"]["default"]) == ("boolean", False)
    assert config["tags"]["default"] == "" and "Pipelines" in config["tags"]["description"]
    assert manifest["server"]["mcp_config"]["env"] == {
        "ARTIE_API_KEY": "${user_config.api_key}",
        "ARTIE_BASE_URL": "${user_config.base_url}",
        "ARTIE_MCP_READ_ONLY": "${user_config.read_only}",
        "ARTIE_MCP_TAGS": "${user_config.tags}",
    }
    # what Claude Desktop makes of it (mcpb's own substitution code)
    started = npm_tools.mcp_config_for_manifest(
        manifest, Path("/Applications/x/artie-mcp"), {"api_key": "k1", "read_only": True}, {}
    )
    assert started == {
        "command": "uv",
        "args": ["run", "--directory", "/Applications/x/artie-mcp", "artie-mcp"],
        "env": {
            "ARTIE_API_KEY": "k1",
            "ARTIE_BASE_URL": "https://api.artie.com",
            "ARTIE_MCP_READ_ONLY": "true",
            "ARTIE_MCP_TAGS": "",
        },
    }
    assert npm_tools.mcp_config_for_manifest(manifest, Path("/x"), {}, {}) is None  # no key


def test_the_same_package_gives_the_same_bundle_bytes(artie_bundle: Path, tmp_path: Path) -> None:
    again = bundle(GENERATED, tmp_path)
    assert (
        hashlib.sha256(again.read_bytes()).digest()
        == hashlib.sha256(artie_bundle.read_bytes()).digest()
    )


def test_any_generated_package_can_be_bundled(tmp_path: Path) -> None:
    pkg = tmp_path / "rows"
    generate_package(
        REPO / "tests" / "golden" / "runtime" / "spec.yaml",
        pkg,
        "rowsapi_mcp",
        "--dist-name",
        "rows-mcp",
        "--command",
        "rows-server",
        "--no-models",
    )
    made = bundle(pkg, tmp_path / "dist", "--author", "Rows Inc.")
    assert made.name == "rows-server.mcpb"
    manifest = read_manifest(made)
    assert (manifest["name"], manifest["version"], manifest["author"]) == (
        "rows-mcp",
        "1.2.3",
        {"name": "Rows Inc."},
    )
    assert manifest["server"]["entry_point"] == "rowsapi_mcp/app.py"
    assert manifest["server"]["mcp_config"]["args"][-1] == "rows-server"
    assert set(manifest["server"]["mcp_config"]["env"]) == {
        "ROWSAPI_API_KEY",
        "ROWSAPI_BASE_URL",
        "ROWSAPI_MCP_READ_ONLY",
        "ROWSAPI_MCP_TAGS",
    }
    assert manifest["user_config"]["base_url"]["default"] == "https://api.example.test"
    assert manifest["tools"] == [
        {"name": t["name"], "description": t["description"]} for t in exposed(pkg, "rowsapi_mcp")
    ]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert npm_tools.mcpb(["validate", str(tmp_path / "manifest.json")]).returncode == 0


def test_a_folder_that_is_no_generated_package_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bundle", "--package-dir", str(tmp_path), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "has no pyproject.toml" in err and "Traceback" not in err
    assert not (tmp_path / "d").exists()
