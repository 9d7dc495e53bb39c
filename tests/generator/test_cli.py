"""``artie-mcp-gen`` as a user runs it: what it prints, once, and safely."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from generator import escape
from tests.generator.minimal import run, spec, write_spec

ESC = "\x1b[2J\x1b[31m"


def test_version_prints_the_generator_version() -> None:
    script = Path(sys.executable).parent / "artie-mcp-gen"
    for command in ([str(script)], [sys.executable, "-m", "generator"]):
        proc = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"artie-mcp-gen {version('artie-mcp-gen')}")
        # what decides the bytes of the output is named too
        assert f"ruff {version('ruff')}" in proc.stdout
        assert f"datamodel-code-generator {version('datamodel-code-generator')}" in proc.stdout


def test_messages_show_control_characters_from_the_spec_escaped(tmp_path: Path) -> None:
    doc = spec(title=f"Evil{ESC}\r\u2028title", operations={f"thing{ESC}list": "/things"})
    source = write_spec(tmp_path / "evil.json", doc)
    proc = run("generate", "--spec", str(source), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert escape.find_unsafe(proc.stderr) is None, proc.stderr
    assert "\\x1b[2J" in proc.stderr  # shown, not obeyed

    bad = {**doc, "paths": {f"/x{ESC}": {"get": {"responses": "nope"}}}}
    proc = run("validate", "--spec", str(write_spec(tmp_path / "bad.json", bad)))
    assert proc.returncode == 1
    assert escape.find_unsafe(proc.stderr) is None and "\\x1b" in proc.stderr, proc.stderr


def test_renames_and_the_no_policy_note_are_printed_once(tmp_path: Path) -> None:
    source = write_spec(tmp_path / "s.json", spec(operations={"a.b": "/a", "a_b": "/b"}))
    proc = run("generate", "--spec", str(source), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert sum("x-artie-mcp" in ln for ln in lines) == 1, proc.stderr
    assert sum("'a.b'" in ln or "a.b ->" in ln for ln in lines) == 1, proc.stderr
    quiet = run("generate", "--spec", str(source), "--out", str(tmp_path / "out"), "-q")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_a_binary_config_file_is_named_in_the_error(tmp_path: Path) -> None:
    source = write_spec(tmp_path / "s.json", spec())
    config = tmp_path / "gen.toml"
    config.write_bytes(b"\xff\xfe[chunk]\x00")
    proc = run(
        "generate", "--spec", str(source), "--out", str(tmp_path / "o"), "--config", str(config)
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert str(config) in proc.stderr and "UTF-8" in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("spec_version", "package_version"),
    [
        ("2023-10-16", "2023.10.16"),
        ("1.0.0-SNAPSHOT", "1.0.0+snapshot"),
        ("release 7", "0.0.0+release.7"),
    ],
)
def test_a_version_pep_440_rejects_is_mapped_and_the_mapping_said(
    tmp_path: Path, spec_version: str, package_version: str
) -> None:
    source = write_spec(tmp_path / "s.json", spec(version=spec_version))
    out = tmp_path / "out"
    proc = run("generate", "--spec", str(source), "--out", str(out), "--strict")
    assert proc.returncode == 0, proc.stderr
    project = tomllib.loads((out / "pyproject.toml").read_text())["project"]
    assert project["version"] == package_version
    note = [ln for ln in proc.stderr.splitlines() if "PEP 440" in ln]
    assert len(note) == 1 and package_version in note[0] and "--package-version" in note[0]
    init = (out / "artie_mcp" / "__init__.py").read_text()
    assert f'__version__ = "{package_version}"' in init
    assert f'SPEC_VERSION = "{spec_version}"' in init  # the spec's own version, unchanged


def test_package_version_sets_the_version_and_must_be_pep_440(tmp_path: Path) -> None:
    source = write_spec(tmp_path / "s.json", spec(version="1.0.0-SNAPSHOT"))
    out = tmp_path / "out"
    proc = run("generate", "--spec", str(source), "--out", str(out), "--package-version", "1.0.1")
    assert proc.returncode == 0, proc.stderr
    assert tomllib.loads((out / "pyproject.toml").read_text())["project"]["version"] == "1.0.1"
    assert "PEP 440" not in proc.stderr
    proc = run("generate", "--spec", str(source), "--out", str(out), "--package-version", "one")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--package-version 'one' is not a PEP 440 version" in proc.stderr


def test_artie_versions_need_no_mapping(tmp_path: Path) -> None:
    source = write_spec(tmp_path / "s.json", spec(version="v1.0.76"))
    proc = run("generate", "--spec", str(source), "--out", str(tmp_path / "o"))
    assert proc.returncode == 0 and "PEP 440" not in proc.stderr
    pyproject = json.dumps(tomllib.loads((tmp_path / "o" / "pyproject.toml").read_text()))
    assert '"version": "1.0.76"' in pyproject


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--dist-name", "my server"), ("--command", "run;rm"), ("--env-prefix", "MY-API")],
)
def test_names_given_on_the_command_line_are_checked(tmp_path: Path, flag: str, value: str) -> None:
    source = write_spec(tmp_path / "s.json", spec())
    proc = run("generate", "--spec", str(source), "--out", str(tmp_path / "o"), flag, value)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{flag} {value!r}" in proc.stderr
    assert not (tmp_path / "o").exists()
