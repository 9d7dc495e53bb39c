"""``artie-mcp-gen bundle``: a generated package as an MCP Bundle (``.mcpb``) for Claude Desktop.

A bundle is a zip with ``manifest.json`` at its root (github.com/modelcontextprotocol/mcpb,
manifest 0.4). This one ships the package's source, not its dependencies, as
``server.type: "uv"``: Claude starts it with ``uv run --directory <install dir> <command>``,
and uv brings a Python and installs the dependencies pinned in the bundle's ``uv.lock``
for whatever machine it runs on (macOS, Windows, Linux; x86-64 and arm64). Bundling the
dependencies instead would tie the bundle to one OS, CPU and Python minor version
(pydantic-core, rpds and cryptography are compiled).

The manifest is written from the package on disk (``read_package``): its pyproject,
the ``PackageInfo`` in ``<module>/app.py`` (read, not imported) and its tool files, so
the tools it lists are exactly the ones the server serves by default. The user's
settings (API key, base URL, read-only, tags) become ``user_config`` entries that
Claude substitutes into the server's environment (``registry.settings``: the same
list ``server.json`` offers). The zip is written here, deterministically; the
official CLI (``mcpb validate``, ``pack``, ``info``, ``unpack``) reads it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import registry
from generator.contract import contract, operation
from generator.diagnostics import GeneratorError

MANIFEST_VERSION = "0.4"  # the first manifest version with server.type "uv"
PLATFORMS = ("darwin", "win32", "linux")
# What the bundle supports, as markers. The bundle's pyproject says `no-build` (a user's machine
# has no compilers: every dependency must come as a wheel) and `required-environments` (these),
# so `uv lock` picks, per platform, the newest releases with wheels for it (cryptography 48 for
# Intel Macs, where 49 stopped shipping wheels). Claude Desktop runs on macOS (both CPUs) and
# Windows x86-64; Windows on Arm is left out (cryptography ships no wheel for it).
ENVIRONMENTS = (
    "sys_platform == 'darwin' and platform_machine == 'arm64'",
    "sys_platform == 'darwin' and platform_machine == 'x86_64'",
    "sys_platform == 'win32' and platform_machine == 'AMD64'",
    "sys_platform == 'linux' and platform_machine == 'x86_64'",
    "sys_platform == 'linux' and platform_machine == 'aarch64'",
)
DEFAULT_AUTHOR = "artie-mcp-gen"
# What never goes into a bundle (the same things `mcpb pack` would be told to leave out).
SKIP_DIRS = frozenset({"__pycache__", ".venv", "build", "dist", ".pytest_cache", ".mypy_cache"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".mcpb")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same files make the same bytes
LOCK_TIMEOUT = 300.0


@dataclass(frozen=True)
class Source:
    """A generated package on disk."""

    root: Path
    module: str  # the import package, e.g. artie_mcp
    package: registry.Package
    tools: tuple[tuple[str, str], ...]  # (name, description) of each exposed tool, as listed


@dataclass(frozen=True)
class Built:
    path: Path
    files: tuple[str, ...]
    size: int
    sha256: str
    tools: int
    locked: bool


def _literals(node: ast.Call) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            continue
        if isinstance(kw.value, ast.Constant):
            out[kw.arg] = kw.value.value
        elif isinstance(kw.value, ast.Call):
            out[kw.arg] = _literals(kw.value)
    return out


def _package_info(app: Path) -> dict[str, Any]:
    """The literal arguments of ``PackageInfo(...)`` in a generated ``app.py``."""
    try:
        tree = ast.parse(app.read_text(encoding="utf-8"), str(app))
    except (OSError, SyntaxError) as exc:
        raise GeneratorError(f"cannot read {app}: {exc}") from None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "PackageInfo"
        ):
            return _literals(node)
    raise GeneratorError(f"{app} declares no PackageInfo: is it a package artie-mcp-gen generated?")


def read_package(root: Path) -> Source:
    """What a bundle needs from a package ``artie-mcp-gen generate`` wrote into ``root``."""
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    except OSError:
        raise GeneratorError(
            f"{root} has no pyproject.toml: give the folder `artie-mcp-gen generate` wrote"
        ) from None
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise GeneratorError(f"{root}/pyproject.toml has no [project] table: {exc}") from None
    scripts: dict[str, str] = project.get("scripts") or {}
    entry = next(((k, v) for k, v in scripts.items() if v.endswith(".app:main")), None)
    if entry is None:
        raise GeneratorError(f"{root}/pyproject.toml has no console script `<package>.app:main`")
    command, target = entry
    module = target.split(":")[0].rsplit(".", 1)[0]
    info = _package_info(root / module / "app.py")
    missing = {
        "api_key_env",
        "base_url_env",
        "default_base_url",
        "option_env_prefix",
        "title",
    } - set(info)
    if missing:
        raise GeneratorError(f"{root / module / 'app.py'}: PackageInfo lacks {sorted(missing)}")
    tools_dir = root / module / contract.TOOLS_DIR
    exposed = [
        op for op in operation.load_operations(tools_dir) if op.exposure == "exposed"
    ]  # what tools/list serves unless the operator opts in to more
    if not exposed:
        raise GeneratorError(f"{tools_dir} holds no exposed tools")
    package = registry.Package(
        dist_name=str(project["name"]),
        version=str(project["version"]),
        description=str(project.get("description") or info["title"]),
        command=command,
        title=" ".join(str(info["title"]).split()),
        api_key_env=str(info["api_key_env"]),
        base_url_env=str(info["base_url_env"]),
        default_base_url=str(info["default_base_url"]),
        option_env_prefix=str(info["option_env_prefix"]),
        auth_kind=str((info.get("auth") or {}).get("kind", "bearer")),
        tags=tuple(sorted({tag for op in exposed for tag in op.tags})),
        requires_python=str(project.get("requires-python") or ">=3.11"),
    )
    return Source(
        root=root,
        module=module,
        package=package,
        tools=tuple((op.name, op.description) for op in exposed),
    )


def manifest(src: Source, author: str = DEFAULT_AUTHOR) -> dict[str, Any]:
    """``manifest.json`` for ``src`` (mcpb manifest 0.4, server.type uv)."""
    pkg = src.package
    settings = registry.settings(pkg)
    user_config: dict[str, Any] = {}
    for s in settings:
        entry: dict[str, Any] = {
            "type": s.kind,
            "title": s.title,
            "description": s.description,
            "required": s.required,
        }
        if s.secret:
            entry["sensitive"] = True
        if not s.required:  # Claude leaves ${user_config.x} in place for an unset key without one
            entry["default"] = s.default
        user_config[s.key] = entry
    key = contract.server_key(pkg.dist_name)
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": pkg.dist_name,
        "display_name": pkg.title,
        "version": pkg.version,
        "description": pkg.description,
        "long_description": (
            f"The {pkg.title} as {len(src.tools)} MCP tools, generated by artie-mcp-gen from its "
            "OpenAPI spec. Arguments are checked against each tool's input schema before a request "
            "is sent; read-only and tags narrow what Claude may call."
        ),
        "author": {"name": author},
        "server": {
            "type": "uv",
            "entry_point": f"{src.module}/app.py",
            "mcp_config": {
                "command": "uv",
                "args": ["run", "--directory", "${__dirname}", pkg.command],
                "env": {s.env: f"${{user_config.{s.key}}}" for s in settings},
            },
        },
        "tools": [{"name": name, "description": text} for name, text in src.tools],
        "tools_generated": False,
        "keywords": sorted({"mcp", "openapi", key}),
        "compatibility": {
            "platforms": list(PLATFORMS),
            # a space-separated range: what Claude Desktop's check reads (not PEP 440 commas)
            "runtimes": {"python": " ".join(pkg.requires_python.replace(",", " ").split())},
        },
        "user_config": user_config,
    }


def _wanted(rel: Path) -> bool:
    parts = rel.parts
    if any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
        return False
    name = parts[-1]
    return not name.endswith(SKIP_SUFFIXES) and name not in (".mcpbignore", ".DS_Store")


def find_uv() -> str | None:
    """The uv of this Python environment (the `uv` package), else the one on PATH."""
    try:
        import uv  # the PyPI package ships the binary

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def stage(src: Source, dest: Path, *, lock: bool = True, author: str = DEFAULT_AUTHOR) -> None:
    """The bundle's files in ``dest``: the package, ``manifest.json`` and (``lock``) ``uv.lock``."""
    shutil.copy2(src.root / "README.md", dest / "README.md")
    (dest / "pyproject.toml").write_text(_pyproject(src.root / "pyproject.toml"), encoding="utf-8")
    for path in sorted(src.root.glob("LICENSE*")):
        shutil.copy2(path, dest / path.name)
    for path in sorted((src.root / src.module).rglob("*")):
        rel = path.relative_to(src.root)
        if path.is_file() and _wanted(rel):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)
    (dest / "manifest.json").write_text(
        json.dumps(manifest(src, author), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if lock:
        _lock(dest)


def _pyproject(path: Path) -> str:
    """The package's pyproject, installed from wheels only, for the platforms in ENVIRONMENTS."""
    import tomli_w

    document = tomllib.loads(path.read_text(encoding="utf-8"))
    uv = document.setdefault("tool", {}).setdefault("uv", {})
    uv["no-build"] = True  # the project itself is still built (uv exempts it)
    uv["required-environments"] = list(ENVIRONMENTS)
    # uv runs the bundle on a CPython it manages: no PyPy split, where wheels are scarcer
    uv["environments"] = ["platform_python_implementation == 'CPython'"]
    return "# Generated by artie-mcp-gen bundle. Do not edit.\n" + tomli_w.dumps(document)


def _lock(dest: Path) -> None:
    """``uv lock``: the dependency versions every install of the bundle gets, on any platform."""
    uv = find_uv()
    if uv is None:
        raise GeneratorError(
            "uv is not installed: `pip install uv` (the bundle's uv.lock pins its dependencies), "
            "or pass --no-lock to let each install resolve them"
        )
    try:
        proc = subprocess.run(
            [uv, "lock", "--directory", str(dest), "--quiet", "--no-progress"],
            capture_output=True,
            text=True,
            timeout=LOCK_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise GeneratorError(f"`uv lock` did not finish in {LOCK_TIMEOUT:.0f}s") from None
    if proc.returncode != 0 or not (dest / "uv.lock").is_file():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise GeneratorError(
            f"`uv lock` failed (exit {proc.returncode}); --no-lock skips it:\n{tail}"
        )


def pack(folder: Path, out: Path) -> tuple[str, ...]:
    """Zip ``folder`` into ``out`` as `mcpb pack` would: files only, sorted, unix modes, and
    fixed times so that the same files give the same bytes. Returns the archive's names."""
    names = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and _wanted(p.relative_to(folder))
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                info.create_system = 3  # unix, so external_attr holds the mode
                mode = 0o755 if os.access(folder / name, os.X_OK) else 0o644
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, (folder / name).read_bytes())
        os.chmod(tmp, 0o644)  # mkstemp made it private; a bundle is for sharing
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tuple(names)


def build(
    package_dir: Path, out_dir: Path, *, lock: bool = True, author: str = DEFAULT_AUTHOR
) -> Built:
    """``<out_dir>/<command>.mcpb`` from the package in ``package_dir``."""
    src = read_package(package_dir)
    out = out_dir / f"{src.package.command}.mcpb"
    with tempfile.TemporaryDirectory(prefix="artie-mcp-bundle-") as tmp:
        staging = Path(tmp) / src.package.command
        staging.mkdir()
        stage(src, staging, lock=lock, author=author)
        names = pack(staging, out)
    data = out.read_bytes()
    return Built(
        path=out,
        files=names,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        tools=len(src.tools),
        locked=lock,
    )
