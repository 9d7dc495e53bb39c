"""The generator and the runtime the generated package copies stay linted,
formatted and typed: `make lint` run as a test, so it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LONG_FILES, REPO

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "generator", "tests", "templates/runtime"],
        ["black", "--check", "-q", "generator", "templates/runtime"],
        ["mypy", "--ignore-missing-imports", "generator", "generated/artie_mcp/runtime"],
    ],
    ids=["ruff", "black", "mypy"],
)
def test_lint(command: list[str]) -> None:
    proc = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_runtime_is_copied_verbatim() -> None:
    for source in (REPO / "templates/runtime").glob("*.py"):
        assert (
            REPO / "generated/artie_mcp/runtime" / source.name
        ).read_text() == source.read_text(), source.name


def test_the_long_files_make_test_starts_first_exist() -> None:
    """A renamed test file would silently drop out of the order (tests/conftest.py)."""
    assert [name for name in LONG_FILES if not (REPO / "tests" / name).is_file()] == []
