"""The MCP bundle as Claude Desktop gets it: `artie-mcp-gen bundle` makes `artie-mcp.mcpb`,
the official `mcpb` CLI validates, repacks and reads it, and the bundle, unpacked into an
empty folder, is started exactly as its manifest tells Claude Desktop to (command, args and
env from mcpb's own getMcpConfigForManifest), in an environment that cannot see the
checkout: HOME and cwd in a temp dir, no PYTHONPATH, no project venv on PATH, only `uv`.
The `mcp` client lists its tools over stdio and calls one against a loopback upstream."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import REPO
from tests.support import npm_tools
from tests.support.upstream import Reply, Upstream

pytestmark = pytest.mark.slow

TOOLS = REPO / "generated" / "artie_mcp" / "tools"
# uv's download cache, shared between runs (outside the checkout) so that a warm run
# installs the bundle's ~30 dependencies from disk in seconds.
UV_CACHE = Path(tempfile.gettempdir()) / "artie-mcp-test-uv-cache"
API_KEY = "sk-bundle-test-42"
NETWORK_ENV = frozenset(
    {"SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"}
    | {"https_proxy", "http_proxy", "no_proxy"}
)


@dataclass
class Bundle:
    path: Path
    names: tuple[str, ...]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """`artie-mcp-gen bundle` on the committed package, as `make bundle` runs it."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "bundle",
            "--package-dir",
            "generated",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "UV_CACHE_DIR": str(UV_CACHE)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    path = out / "artie-mcp.mcpb"
    assert path.is_file() and f"wrote {path}: 41 tools" in proc.stderr
    return Bundle(path, names(path))


def names(path: Path) -> tuple[str, ...]:
    with zipfile.ZipFile(path) as zf:
        return tuple(sorted(zf.namelist()))


def unpack(bundle: Bundle, into: Path) -> Path:
    into.mkdir(parents=True)
    assert not any(into.iterdir())
    proc = npm_tools.mcpb(["unpack", str(bundle.path), str(into)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return into


@pytest.fixture(scope="module")
def installed(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle unpacked into an empty folder, as Claude Desktop installs it."""
    return unpack(bundle, tmp_path_factory.mktemp("claude") / "Claude Extensions" / "artie-mcp")


def exposed_tools() -> dict[str, dict[str, Any]]:
    tools = (json.loads(p.read_text(encoding="utf-8")) for p in sorted(TOOLS.glob("*.json")))
    return {t["name"]: t for t in tools if t.get("exposure", "exposed") == "exposed"}


def test_the_official_cli_validates_repacks_and_reads_the_bundle(
    bundle: Bundle, tmp_path: Path
) -> None:
    folder = unpack(bundle, tmp_path / "unpacked")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))

    validated = npm_tools.mcpb(["validate", str(folder / "manifest.json")])
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Manifest schema validation passes!" in validated.stdout

    repacked = tmp_path / "repacked.mcpb"
    packed = npm_tools.mcpb(["pack", str(folder), str(repacked)])
    assert packed.returncode == 0, packed.stdout + packed.stderr
    assert "total files: " + str(len(bundle.names)) in packed.stdout
    assert names(repacked) == bundle.names  # what `mcpb pack` makes of the same files

    info = npm_tools.mcpb(["info", str(bundle.path)])
    assert info.returncode == 0, info.stdout + info.stderr
    assert "File: artie-mcp.mcpb" in info.stdout and "Size: " in info.stdout

    assert manifest["manifest_version"] == "0.4" and manifest["server"]["type"] == "uv"
    assert manifest["version"] == "1.0.76"
    assert "uv.lock" in bundle.names and "artie_mcp/app.py" in bundle.names
    assert manifest["server"]["entry_point"] in bundle.names
    assert not [n for n in bundle.names if "__pycache__" in n or n == "server.json"]
    assert manifest["user_config"]["api_key"]["sensitive"] is True
    assert manifest["user_config"]["api_key"]["required"] is True


# Where Claude Desktop runs (macOS on both CPUs, Windows x86-64), and Linux: what the README promises.
PLATFORMS = (
    "aarch64-apple-darwin",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
)


@pytest.fixture(scope="module")
def extracted(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("extracted")
    with zipfile.ZipFile(bundle.path) as zf:
        zf.extractall(folder)
    return folder


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_locked_dependencies_install_from_wheels_on_each_supported_platform(
    extracted: Path, platform: str
) -> None:
    """uv itself plans the install for that platform from the bundle's uv.lock; the bundle
    says no-build, so a dependency without a wheel there is an error, not a compile."""
    folder = extracted
    assert "no-build = true" in (folder / "pyproject.toml").read_text(encoding="utf-8")
    from generator.mcpb import find_uv

    uv = find_uv()
    assert uv is not None
    proc = subprocess.run(
        [uv, "sync", "--frozen", "--dry-run", "--python-platform", platform, "--python", "3.11"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "UV_CACHE_DIR": str(UV_CACHE)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Would install" in proc.stderr


def claude_environment(root: Path) -> tuple[dict[str, str], dict[str, str], Path]:
    """A home, a working folder and a PATH holding only a copy of uv and the system's
    /usr/bin (a Python 3.11+ is there): nothing of the checkout or its venv."""
    home, cwd, bin_dir = root / "home", root / "cwd", root / "bin"
    for d in (home / "Desktop", home / "Documents", home / "Downloads", cwd, bin_dir):
        d.mkdir(parents=True, exist_ok=True)
    from generator.mcpb import find_uv

    uv = find_uv()
    assert uv is not None, "uv is a dev dependency (pyproject.toml)"
    shutil.copy2(uv, bin_dir / "uv")
    base = {
        "HOME": str(home),
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "UV_CACHE_DIR": str(UV_CACHE),
        "TMPDIR": str(root),
        # the machine's network settings (its CA bundle, a proxy), as any app on it gets them
        **{k: v for k, v in os.environ.items() if k in NETWORK_ENV},
    }
    dirs = {
        "HOME": str(home),
        "DESKTOP": str(home / "Desktop"),
        "DOCUMENTS": str(home / "Documents"),
        "DOWNLOADS": str(home / "Downloads"),
    }
    return base, dirs, cwd


def started_as_claude_would(
    installed: Path, root: Path, user_config: dict[str, Any]
) -> StdioServerParameters:
    manifest = json.loads((installed / "manifest.json").read_text(encoding="utf-8"))
    base, dirs, cwd = claude_environment(root)
    config = npm_tools.mcp_config_for_manifest(manifest, installed, user_config, dirs)
    assert config is not None, "a required user_config value is missing"
    assert config["command"] == "uv" and str(installed) in config["args"]
    env = {**base, **config["env"]}
    assert not {"PYTHONPATH", "VIRTUAL_ENV"} & set(env)
    assert str(REPO) not in json.dumps(env) + json.dumps(config["args"])
    return StdioServerParameters(
        command=config["command"], args=config["args"], env=env, cwd=str(cwd)
    )


def test_the_unpacked_bundle_starts_as_claude_desktop_would_and_serves_the_41_tools(
    installed: Path, tmp_path: Path
) -> None:
    manifest = json.loads((installed / "manifest.json").read_text(encoding="utf-8"))
    with Upstream() as upstream:
        upstream.on(
            "GET",
            "/pipelines",
            Reply(200, {"items": [{"uuid": "p1", "name": "orders"}], "total": 1}),
        )
        params = started_as_claude_would(
            installed, tmp_path, {"api_key": API_KEY, "base_url": upstream.url}
        )
        assert params.env is not None
        assert params.env["ARTIE_API_KEY"] == API_KEY
        assert params.env["ARTIE_BASE_URL"] == upstream.url
        assert params.env["ARTIE_MCP_READ_ONLY"] == "false" and params.env["ARTIE_MCP_TAGS"] == ""

        async def main() -> tuple[list[Any], Any]:
            async with Client(params) as client:
                tools = (await client.list_tools()).tools
                return tools, await client.call_tool("pipeline_list", {})

        tools, result = anyio.run(main)
    served = {t.name: t.description for t in tools}
    assert len(served) == 41
    assert served == {t["name"]: t["description"] for t in manifest["tools"]}
    assert served == {name: t["description"] for name, t in exposed_tools().items()}

    assert not result.is_error, result.content
    assert result.structured_content == {"items": [{"uuid": "p1", "name": "orders"}], "total": 1}
    [request] = upstream.requests
    assert (request.method, request.raw_path) == ("GET", "/pipelines")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"

    # uv built the server's environment inside the install folder, from the bundle alone
    venv = installed / ".venv"
    assert venv.is_dir()
    for marker in [*venv.rglob("*.pth"), *venv.rglob("direct_url.json")]:
        assert str(REPO) not in marker.read_text(encoding="utf-8", errors="replace"), marker


def test_read_only_and_tags_chosen_at_install_narrow_the_served_tools(
    installed: Path, tmp_path: Path
) -> None:
    params = started_as_claude_would(
        installed, tmp_path, {"api_key": API_KEY, "read_only": True, "tags": "Pipelines,Connectors"}
    )
    assert params.env is not None
    assert params.env["ARTIE_MCP_READ_ONLY"] == "true"
    assert params.env["ARTIE_MCP_TAGS"] == "Pipelines,Connectors"

    async def main() -> list[Any]:
        async with Client(params) as client:
            return (await client.list_tools()).tools

    names = {t.name for t in anyio.run(main)}
    expected = {
        name
        for name, t in exposed_tools().items()
        if t["annotations"]["read_only"] and {"Pipelines", "Connectors"} & set(t.get("tags", []))
    }
    assert expected and names == expected
