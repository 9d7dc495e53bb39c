"""Golden records: small specs and what the generator makes of them, byte for byte.

Each folder of ``tests/golden/`` is a case:

- ``spec.yaml``: the input; ``config.toml`` (optional): the generator configuration;
- ``messages.txt``: the exit code and everything ``generate -q`` printed (problems only);
- ``expected/``: the generated package, without the runtime (copied verbatim from
  ``templates/runtime/``, checked by test_code_quality) and the ``.artie-mcp-gen`` marker;
  absent where generation fails.

A change to the generator that changes any of it fails here with a diff; when the change
is meant, ``make golden`` rewrites the records and the diff is reviewed in the commit.
"""

from __future__ import annotations

import difflib
import io
import os
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tests.conftest import REPO

GOLDEN = REPO / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "spec.yaml").is_file())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SKIP_PARTS = {"runtime", "__pycache__"}
SKIP_NAMES = {".artie-mcp-gen"}


def generate(case: Path, out: Path) -> tuple[int, str]:
    """``artie-mcp-gen generate -q`` in-process; what it prints names the case's files
    as the case folder sees them."""
    from generator.cli import main

    args = ["generate", "--spec", str(case / "spec.yaml"), "--out", str(out), "-q"]
    if (case / "config.toml").is_file():
        args += ["--config", str(case / "config.toml")]
    printed = io.StringIO()
    with redirect_stderr(printed), redirect_stdout(printed):
        code = main(args)
    text = printed.getvalue().replace(str(out), "<out>").replace(str(case) + os.sep, "")
    return code, text


def files(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not SKIP_PARTS.intersection(p.relative_to(root).parts)
        and p.name not in SKIP_NAMES
    }


def differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    out = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            out.append(f"missing: {name}")
        elif name not in expected:
            out.append(f"not in the record: {name}")
        elif expected[name] != actual[name]:
            diff = difflib.unified_diff(
                expected[name].decode(errors="replace").splitlines(),
                actual[name].decode(errors="replace").splitlines(),
                f"expected/{name}",
                f"generated/{name}",
                lineterm="",
                n=1,
            )
            out.append("\n".join(list(diff)[:40]))
    return "\n".join(out)


@pytest.mark.parametrize("name", CASES)
def test_golden_case(name: str, tmp_path: Path) -> None:
    case = GOLDEN / name
    out = tmp_path / "out"
    code, printed = generate(case, out)
    messages = f"exit {code}\n{printed}"
    generated = files(out) if code == 0 else {}
    if UPDATE:
        (case / "messages.txt").write_text(messages, encoding="utf-8")
        shutil.rmtree(case / "expected", ignore_errors=True)
        for rel, data in generated.items():
            target = case / "expected" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return
    recorded = (case / "messages.txt").read_text(encoding="utf-8")
    assert messages == recorded, "\n".join(
        difflib.unified_diff(recorded.splitlines(), messages.splitlines(), lineterm="")
    )
    diff = differences(files(case / "expected"), generated)
    assert not diff, f"{name}: the output differs from the record (make golden if meant)\n{diff}"


def test_every_case_has_a_record() -> None:
    assert CASES, "no golden cases"
    for name in CASES:
        case = GOLDEN / name
        assert (case / "messages.txt").is_file(), f"{name}: run make golden"
        code = (case / "messages.txt").read_text().splitlines()[0]
        assert (case / "expected").is_dir() == (code == "exit 0"), name
