"""One way for tests to install generated packages as a user would: a fresh
virtual environment with nothing of the checkout in it, and the packages
installed from their folders (built by their own build backend, dependencies
from the package index). uv (a dev dependency) does what `pip install` does, in
a fraction of the time: its cache keeps the wheels between runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def uv() -> str:
    import uv as uv_package  # the PyPI package ships the binary

    return str(uv_package.find_uv_bin())


def fresh_install(env_dir: Path, *sources: Path | str) -> Path:
    """A new virtual environment at ``env_dir`` (Python as the tests') with
    ``sources`` installed; returns its ``bin`` folder."""
    run([uv(), "venv", "-q", "--python", sys.executable, str(env_dir)])
    python = env_dir / "bin" / "python"
    run([uv(), "pip", "install", "-q", "--python", str(python), *map(str, sources)])
    return env_dir / "bin"


def run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{' '.join(argv[:3])}: {proc.stderr[-3000:]}"
