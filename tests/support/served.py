"""Generate a package into a temp folder and serve it in-process."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conftest import generate_package, import_generated


def package_name(label: str) -> str:
    return "pkg_" + re.sub(r"\W", "_", label)


def build_tool_server(
    spec: Path | str, root: Path, label: str, *extra: str, transport: Any = None, **settings: Any
) -> Any:
    """Generate ``spec`` and return a ``ToolServer`` of the generated package."""
    package = package_name(label)
    out = root / label
    generate_package(spec, out, package, *extra)
    app = import_generated(out, package)
    runtime_server = __import__(f"{package}.runtime.server", fromlist=["ToolServer"])
    runtime_schemas = __import__(f"{package}.runtime.schemas", fromlist=["SchemaStore"])
    runtime_settings = __import__(f"{package}.runtime.settings", fromlist=["Settings"])
    cfg = runtime_settings.Settings.from_env(app.PACKAGE, {})
    for key, value in settings.items():
        setattr(cfg, key, value)
    return runtime_server.ToolServer(
        app.PACKAGE,
        app.OPERATIONS,
        runtime_schemas.SchemaStore(app.SCHEMA_DIR),
        cfg,
        transport=transport,
    )
