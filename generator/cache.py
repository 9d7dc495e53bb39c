"""A content-addressed cache for expensive, deterministic steps (formatting, the
validator's verdict, the models module). Keys hash everything the answer
depends on; a cached answer is exactly what the step would return, so the
cache changes time, never output. ``ARTIE_MCP_GEN_NO_CACHE=1`` turns it off."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def directory() -> Path | None:
    if os.environ.get("ARTIE_MCP_GEN_NO_CACHE"):
        return None
    base = os.environ.get("ARTIE_MCP_GEN_CACHE") or os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(os.path.expanduser(base)) / "artie-mcp-gen"


def key(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def code(*modules: str) -> str:
    """A digest of the source of ``modules`` (file paths): the code that shapes a cached
    answer is part of its key, so a changed generator never reuses an older answer."""
    h = hashlib.sha256()
    for module in modules:
        try:
            h.update(Path(module).read_bytes())
        except OSError:
            h.update(module.encode())
    return h.hexdigest()


def get(kind: str, digest: str) -> str | None:
    root = directory()
    if root is None:
        return None
    path = root / kind / digest[:2] / digest
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def put(kind: str, digest: str, text: str) -> None:
    root = directory()
    if root is None:
        return
    path = root / kind / digest[:2] / digest
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs time
