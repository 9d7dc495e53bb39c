"""Small specs written by the tests, and the generator CLI run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import REPO

GEN = [sys.executable, "-m", "generator"]


def environment(env: dict[str, str] | None = None, unset: tuple[str, ...] = ()) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return {**base, "PYTHONPATH": str(REPO), **(env or {})}


def run(
    *args: str,
    env: dict[str, str] | None = None,
    unset: tuple[str, ...] = (),
    cwd: Path = REPO,
    timeout: float = 300,
    command: tuple[str, ...] = tuple(GEN),
) -> subprocess.CompletedProcess[str]:
    """The real ``artie-mcp-gen`` (or ``command``) in a subprocess."""
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment(env, unset),
        timeout=timeout,
    )


def operation(operation_id: str | None, summary: str = "Read things.") -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {
            "200": {
                "description": "ok",
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"a": {"type": "string"}}}
                    }
                },
            }
        },
    }
    if operation_id is not None:
        op["operationId"] = operation_id
    return op


def spec(
    title: str = "Mini",
    version: str = "1.0.0",
    operations: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An OpenAPI 3.1 document: one GET per ``{operationId: path}``."""
    paths: dict[str, Any] = {}
    for operation_id, path in (operations or {"thing_list": "/things"}).items():
        paths.setdefault(path, {})["get"] = operation(operation_id)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        **extra,
    }


def write_spec(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path
