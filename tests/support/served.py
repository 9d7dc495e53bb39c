"""Generate a package into a temp folder and serve it in-process."""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import generate_package, import_generated


def package_name(label: str) -> str:
    return "pkg_" + re.sub(r"\W", "_", label)


SHARED: dict[str, Path] = {}  # "root": where generated packages are shared (conftest sets it)


def generate_app(spec: Path | str, root: Path, label: str, *extra: str) -> Any:
    """``spec`` generated with ``extra`` flags, imported: its ``app`` module.

    Generated once per test run for the same spec bytes and flags, by whichever
    test (and xdist worker) asks first; the others import that package (the tests
    only read it). ``label`` names the package where no shared folder is set."""
    shared = SHARED.get("root")
    if shared is None or not Path(spec).is_file():
        package = package_name(label)
        out = root / label
        generate_package(spec, out, package, *extra)
        return import_generated(out, package)
    key = hashlib.sha256(Path(spec).read_bytes() + "\0".join(extra).encode()).hexdigest()[:12]
    package = package_name(f"{Path(spec).stem[:24]}_{key}")
    out = shared / package
    shared.mkdir(parents=True, exist_ok=True)
    with open(shared / f"{package}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one generation; the other workers wait for it
        if not (out / ".complete").is_file():
            shutil.rmtree(out, ignore_errors=True)
            generate_package(spec, out, package, *extra)
            (out / ".complete").touch()
    return import_generated(out, package)


def tool_server(app: Any, http_transport: Any = None, **settings: Any) -> Any:
    """A ``ToolServer`` of a generated package, with settings overridden."""
    package = app.__name__.rsplit(".", 1)[0]
    server_mod = importlib.import_module(f"{package}.runtime.server")
    settings_mod = importlib.import_module(f"{package}.runtime.settings")
    cfg = settings_mod.Settings.load(app.PACKAGE, env={})
    cfg.audit_log = os.devnull  # tests that read the audit log set their own
    for key, value in settings.items():
        assert hasattr(cfg, key), key
        setattr(cfg, key, value)
    return server_mod.ToolServer.create(app.PACKAGE, cfg, transport=http_transport)


def build_tool_server(
    spec: Path | str, root: Path, label: str, *extra: str, **settings: Any
) -> Any:
    return tool_server(generate_app(spec, root, label, *extra), **settings)


def call_tools(server: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """tools/calls in one session of the SDK's in-memory client, in order; the server's
    pooled upstream client is closed after (it belongs to this event loop)."""
    import anyio
    from mcp import Client

    async def main() -> list[Any]:
        try:
            async with Client(server.server) as client:
                return [await client.call_tool(name, args) for name, args in calls]
        finally:
            await server.aclose()

    return anyio.run(main)


def call_tool(server: Any, name: str, arguments: dict[str, Any]) -> Any:
    """One tools/call (see ``call_tools``)."""
    return call_tools(server, [(name, arguments)])[0]
