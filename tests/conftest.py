from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ARTIE_SPECS = SHARED / "specs" / "artie"
PUBLIC_SPECS = SHARED / "specs" / "public"
PINNED_SPEC = REPO / "specs" / "artie-openapi.json"
ARTIE_VERSIONS = sorted(
    (p.stem for p in ARTIE_SPECS.glob("v*.yaml")),
    key=lambda v: tuple(int(x) for x in v.lstrip("v").split(".")),
)

sys.path.insert(0, str(REPO))


def artie_spec(version: str) -> Path:
    path = ARTIE_SPECS / f"{version}.yaml"
    if not path.is_file():
        pytest.fail(f"shared spec {path} is missing: tests need ../shared beside the repo")
    return path


def generate_package(spec: Path | str, out: Path, package: str, *extra: str) -> None:
    """Run the real generator CLI in-process (the same code path as `make generate`)."""
    from generator.cli import main

    rc = main(
        ["generate", "--spec", str(spec), "--out", str(out), "--package", package, "-q", *extra]
    )
    assert rc == 0, f"generation failed for {spec}"


def import_generated(out: Path, package: str) -> Any:
    """Import a generated package from ``out`` (each test uses its own name)."""
    sys.path.insert(0, str(out))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(f"{package}.app")
    finally:
        sys.path.remove(str(out))


@pytest.fixture(scope="session", autouse=True)
def shared_packages(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One folder of generated packages for the whole run, shared by the xdist
    workers (their base folders are siblings): see ``support.served.generate_app``."""
    from tests.support import served

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    served.SHARED["root"] = base / "shared-packages"


@pytest.fixture(scope="session")
def pinned_spec() -> Path:
    if not PINNED_SPEC.is_file():
        pytest.fail(
            "specs/artie-openapi.json is missing: run `make spec` (the Makefile's test target does)"
        )
    return PINNED_SPEC
