from __future__ import annotations

import importlib
import os
import sys
import threading
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


# The files that run longest (waiting on servers and timeouts, or on big specs), longest
# first: `make test` hands files to the xdist workers in this order (`--no-loadscope-reorder`),
# so that no long file starts last and keeps one worker busy after the others are done.
# The other files follow in collection order. Wall times measured on a 2-core machine.
LONG_FILES = (
    "e2e/test_http_security.py",  # ~125 s, mostly timeouts and grace periods
    "runtime/test_tolerance.py",  # ~60 s
    "runtime/test_big_apis.py",  # ~53 s
    "test_beyond_artie.py",  # ~53 s
    "e2e/test_http_access.py",  # ~48 s
    "clients/test_sdks.py",  # ~41 s
    "test_drift.py",  # ~41 s
    "test_prism_conformance.py",  # ~36 s
    "test_runtime_behaviour.py",  # ~32 s
    "test_bench_smoke.py",  # ~28 s
    "test_artie_versions.py",  # ~25 s
    "generator/test_load.py",  # ~25 s
    "e2e/test_bundle.py",  # ~23 s
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {REPO / "tests" / name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path, len(rank)))  # stable: the rest keep their order


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


NPM_INSTALL = pytest.StashKey[threading.Thread]()  # the controller's background `npm ci`


def pytest_sessionstart(session: pytest.Session) -> None:
    """In the controller of a parallel run (`make test`), the npm test tools install
    beside the first tests (the longest files need them last, if at all)."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not session.config.getoption("numprocesses", None):
        return
    from tests.support.npm_tools import install_in_background

    session.config.stash[NPM_INSTALL] = install_in_background()


def pytest_sessionfinish(session: pytest.Session) -> None:
    install = session.config.stash.get(NPM_INSTALL, None)
    if install is not None:
        install.join()


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
