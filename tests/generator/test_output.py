"""``generate --out DIR`` never destroys what is not its own output, keeps the
mtimes of files it does not change, and leaves folders as ``mkdir`` would."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.generator.minimal import run, spec, write_spec

MARKER = ".artie-mcp-gen"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return write_spec(tmp_path / "mini.json", spec())


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_folder_with_other_files_is_refused_and_left_as_it_was(
    tmp_path: Path, mini: Path
) -> None:
    checkout = tmp_path / "project"
    (checkout / ".git").mkdir(parents=True)
    (checkout / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (checkout / "notes.txt").write_text("mine")
    before = snapshot(checkout)
    proc = run("generate", "--spec", str(mini), "--out", str(checkout), "-q")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "is not empty and holds no earlier artie-mcp-gen output" in proc.stderr
    assert "--force" in proc.stderr and "empty folder" in proc.stderr
    assert snapshot(checkout) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mini.json", "project"]


def test_the_current_folder_is_refused_when_it_holds_other_files(
    tmp_path: Path, mini: Path
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    proc = run("generate", "--spec", str(mini), "--out", ".", "-q", cwd=tmp_path)
    assert proc.returncode == 2 and "is not empty" in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "mini.json"]


@pytest.mark.parametrize("out", ["/", "~"])
def test_the_filesystem_root_and_home_are_refused_even_with_force(
    tmp_path: Path, mini: Path, out: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    proc = run(
        "generate", "--spec", str(mini), "--out", out, "--force", "-q", env={"HOME": str(home)}
    )
    assert proc.returncode == 2, proc.stderr
    assert "refusing to generate into" in proc.stderr and "Traceback" not in proc.stderr
    assert list(home.iterdir()) == []


def test_force_writes_into_a_folder_and_deletes_nothing_of_its_own(
    tmp_path: Path, mini: Path
) -> None:
    out = tmp_path / "out"
    (out / ".git").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref\n")
    proc = run("generate", "--spec", str(mini), "--out", str(out), "--force", "-q")
    assert proc.returncode == 0, proc.stderr
    assert (out / ".git" / "HEAD").read_text() == "ref\n"
    assert (out / "pyproject.toml").is_file() and (out / MARKER).is_file()


def test_an_earlier_generation_is_replaced_and_files_it_no_longer_makes_go(
    tmp_path: Path,
) -> None:
    two = write_spec(tmp_path / "two.json", spec(operations={"a_list": "/a", "b_list": "/b"}))
    one = write_spec(tmp_path / "one.json", spec(operations={"a_list": "/a"}))
    out = tmp_path / "out"
    assert run("generate", "--spec", str(two), "--out", str(out), "-q").returncode == 0
    (out / "mine.txt").write_text("added by hand")
    proc = run("generate", "--spec", str(one), "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    tools = sorted(p.name for p in (out / "artie_mcp" / "tools").iterdir())
    assert tools == ["a_list.json"]
    assert (out / "mine.txt").read_text() == "added by hand"  # not ours: kept
    assert "b_list.json" not in (out / MARKER).read_text()


def test_the_marker_is_deterministic_and_lists_only_what_was_written(
    tmp_path: Path, mini: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run("generate", "--spec", str(mini), "--out", str(out), "-q").returncode == 0
    assert (a / MARKER).read_bytes() == (b / MARKER).read_bytes()
    listed = [ln for ln in (a / MARKER).read_text().splitlines() if ln and not ln.startswith("#")]
    written = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert sorted([*listed, MARKER]) == written


def test_a_tampered_marker_never_deletes_outside_the_folder(tmp_path: Path, mini: Path) -> None:
    out = tmp_path / "out"
    assert run("generate", "--spec", str(mini), "--out", str(out), "-q").returncode == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    marker = out / MARKER
    marker.write_text(marker.read_text() + f"../victim.txt\n{victim}\nartie_mcp/../../victim.txt\n")
    proc = run("generate", "--spec", str(mini), "--out", str(out), "-q")
    assert victim.read_text() == "precious"
    assert proc.returncode == 0, proc.stderr


def test_files_that_did_not_change_keep_their_mtime(tmp_path: Path, mini: Path) -> None:
    out = tmp_path / "out"
    assert run("generate", "--spec", str(mini), "--out", str(out), "-q").returncode == 0
    old = 1_000_000_000
    for path in out.rglob("*"):
        os.utime(path, (old, old))
    changed = write_spec(tmp_path / "mini.json", spec(version="1.0.1"))
    proc = run("generate", "--spec", str(changed), "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    touched = sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.stat().st_mtime != old
    )
    # the version lives in these three files only
    assert touched == ["artie_mcp/__init__.py", "pyproject.toml", "server.json"]
    proc = run("generate", "--spec", str(changed), "--out", str(out), "-q")
    assert proc.returncode == 0
    assert (out / "pyproject.toml").stat().st_mtime != old
    assert all(p.stat().st_mtime == old for p in (out / "artie_mcp" / "tools").iterdir())


def test_folders_and_files_get_the_modes_mkdir_and_open_give(tmp_path: Path, mini: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    out = tmp_path / "out"
    assert run("generate", "--spec", str(mini), "--out", str(out), "-q").returncode == 0
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = (0o777 if path.is_dir() else 0o666) & ~umask
        assert mode == expected, (path, oct(mode))
    # a folder left at 0700 by an older generator is repaired
    out.chmod(0o700)
    assert run("generate", "--spec", str(mini), "--out", str(out), "-q").returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
