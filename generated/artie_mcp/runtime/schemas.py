"""Tool schemas, stored as JSON beside the tool modules and loaded once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class SchemaStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, dict[str, Any]] = {}

    def _load(self, name: str) -> dict[str, Any]:
        entry = self._cache.get(name)
        if entry is None:
            path = self.directory / f"{name}.json"
            entry = json.loads(path.read_text(encoding="utf-8"))
            self._cache[name] = entry
        return entry

    def input(self, name: str) -> dict[str, Any]:
        schema: dict[str, Any] = self._load(name)["input"]
        return schema

    def output(self, name: str) -> dict[str, Any] | None:
        schema: dict[str, Any] | None = self._load(name).get("output")
        return schema
