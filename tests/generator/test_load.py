"""Reading specs: alias bombs refused fast wherever a spec is read, problems
located with their JSON pointer and the reason first, URLs checked."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PINNED_SPEC
from tests.generator.minimal import run, spec, write_spec

HEADER = 'openapi: 3.1.0\ninfo: {title: bomb, version: "1"}\npaths: {}\n'


def billion_laughs() -> str:
    """Nine levels of nine aliases: about 500 bytes that stand for 9**9 strings."""
    lines = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"x-{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return HEADER + "\n".join(lines) + "\n"


@pytest.fixture
def bomb(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    assert 400 < path.stat().st_size < 600
    return path


def refused_quickly(args: list[str], command: tuple[str, ...] | None = None) -> str:
    started = time.monotonic()
    extra = {"command": command} if command else {}
    proc = run(*args, timeout=60, **extra)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert proc.returncode not in (0, None), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "YAML aliases" in proc.stderr and "refused" in proc.stderr, proc.stderr[-2000:]
    assert elapsed < 15, f"took {elapsed:.1f}s"
    return proc.stderr


def test_a_billion_laughs_is_refused_by_generate_and_validate(bomb: Path, tmp_path: Path) -> None:
    message = refused_quickly(["generate", "--spec", str(bomb), "--out", str(tmp_path / "o")])
    assert str(bomb) in message
    refused_quickly(["validate", "--spec", str(bomb)])
    assert not (tmp_path / "o").exists()


def test_a_billion_laughs_is_refused_by_the_drift_command_and_make_drift(
    bomb: Path, tmp_path: Path
) -> None:
    refused_quickly(["drift", "--base", str(PINNED_SPEC), "--head", str(bomb)])
    refused_quickly(
        ["--base", str(bomb), "--head", str(PINNED_SPEC)],
        command=(sys.executable, "-m", "generator.drift"),
    )
    refused_quickly(
        ["-s", "drift", f"DRIFT_HEAD={bomb}", f"DRIFT_JSON={tmp_path / 'drift.json'}"],
        command=("make",),
    )


def test_a_recursive_alias_is_refused_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(HEADER + "x-loop: &loop [1, *loop]\n", encoding="utf-8")
    proc = run("validate", "--spec", str(path), timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "refused" in proc.stderr and "contain itself" in proc.stderr


def test_specs_that_share_nodes_with_aliases_still_load(tmp_path: Path) -> None:
    ok = {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
    text = (
        HEADER.replace("paths: {}\n", "")
        + "x-ok: &ok "
        + json.dumps(ok)
        + "\npaths:\n"
        + "".join(
            f"  /t{i}:\n    get:\n      operationId: t{i}\n      responses:\n        '200': *ok\n"
            for i in range(50)
        )
    )
    path = tmp_path / "shared.yaml"
    path.write_text(text, encoding="utf-8")
    proc = run("validate", "--spec", str(path), timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_a_default_that_breaks_its_pattern_is_located_with_the_reason_first(
    tmp_path: Path,
) -> None:
    doc = spec()
    doc["paths"]["/things"]["get"]["parameters"] = [
        {
            "name": "q",
            "in": "query",
            "schema": {"type": "string", "pattern": "^[a-z]+$", "default": "X" * 400},
        }
    ]
    doc["components"] = {
        "schemas": {
            "S": {
                "type": "object",
                "properties": {"p": {"type": "string", "pattern": "^[a-z]+$", "default": "ABC"}},
            }
        }
    }
    proc = run("validate", "--spec", str(write_spec(tmp_path / "d.json", doc)), timeout=60)
    assert proc.returncode == 1
    lines = [ln.strip() for ln in proc.stderr.splitlines()]
    assert (
        "#/components/schemas/S/properties/p/default: does not match '^[a-z]+$' (got 'ABC')"
        in lines
    )
    long = next(
        ln for ln in lines if ln.startswith("#/paths/~1things/get/parameters/0/schema/default: ")
    )
    assert long.split(": ", 1)[1].startswith("does not match '^[a-z]+$' (got 'XXXX")
    assert len(long) < 200
