"""Generate a package into a temp folder and serve it in-process."""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Any

from tests.conftest import generate_package, import_generated


def package_name(label: str) -> str:
    return "pkg_" + re.sub(r"\W", "_", label)


def generate_app(spec: Path | str, root: Path, label: str, *extra: str) -> Any:
    """Generate ``spec`` under a unique package name and import its ``app``."""
    package = package_name(label)
    out = root / label
    generate_package(spec, out, package, *extra)
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
