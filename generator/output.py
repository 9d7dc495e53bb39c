"""Writing and comparing the rendered tree.

Rendering produces ``{relative path: text}`` in memory; ``write_tree`` swaps it
into place in one step, and ``diff_tree`` compares it with what is on disk
(the same comparison serves ``check`` and the tests).
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Build artefacts that may sit inside generated/ and are not ours to manage.
IGNORED = ("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache")


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORED)


def write_file_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_tree(root: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    if not root.is_dir():
        return files
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
        for name in sorted(filenames):
            if _ignored(name):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            try:
                files[rel] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                files[rel] = "<binary>"
    return files


def write_tree(files: dict[str, str], out: Path) -> None:
    """Replace ``out`` with exactly ``files``; on failure ``out`` is untouched."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.new-"))
    try:
        for rel, text in sorted(files.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        if out.exists():
            # keep build artefacts (an editable install's egg-info) across the swap
            for entry in out.iterdir():
                if _ignored(entry.name) and not (staging / entry.name).exists():
                    shutil.move(str(entry), str(staging / entry.name))
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
            os.rename(out, old / "tree")
            os.rename(staging, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@dataclass
class TreeDiff:
    added: list[str] = field(default_factory=list)  # in the render, not on disk
    removed: list[str] = field(default_factory=list)  # on disk, not in the render
    changed: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def clean(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_tree(files: dict[str, str], out: Path, label: str = "generated") -> TreeDiff:
    current = read_tree(out)
    result = TreeDiff()
    chunks: list[str] = []
    for rel in sorted(set(files) | set(current)):
        old, new = current.get(rel), files.get(rel)
        if old == new:
            continue
        if old is None:
            result.added.append(rel)
        elif new is None:
            result.removed.append(rel)
        else:
            result.changed.append(rel)
        chunks.extend(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (new or "").splitlines(keepends=True),
                fromfile=f"{label}/{rel}" if old is not None else "/dev/null",
                tofile=f"{label}/{rel} (regenerated)" if new is not None else "/dev/null",
            )
        )
    result.text = "".join(chunks)
    return result
