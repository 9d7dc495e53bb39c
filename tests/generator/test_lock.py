"""``spec fetch`` / ``make spec``: every failure says what is wrong and what to do."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.conftest import REPO
from tests.generator.minimal import run

SOURCE_ENV = "ARTIE_SPEC_SOURCE"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_pinned_url_says_how_to_use_a_local_copy(tmp_path: Path) -> None:
    lock = tmp_path / "lock.json"
    url = f"http://127.0.0.1:{closed_port()}/openapi.yaml"
    lock.write_text(json.dumps({"version": "v1.0.76", "url": url, "sha256": "0" * 64}))
    out = tmp_path / "spec.json"
    proc = run("spec", "fetch", "--lock", str(lock), "--out", str(out), unset=(SOURCE_ENV,))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"could not download {url}" in proc.stderr
    assert f"{SOURCE_ENV}=" in proc.stderr and "make generate" in proc.stderr
    assert not out.exists()


def test_make_spec_with_a_malformed_url_says_so_without_a_traceback() -> None:
    spec = REPO / "specs" / "artie-openapi.json"
    before = spec.read_bytes() if spec.exists() else None
    proc = run("-s", "spec", command=("make",), env={SOURCE_ENV: "http://[::1"}, timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "'http://[::1' is not a valid URL" in proc.stderr, proc.stderr[-3000:]
    assert f"(that source is ${SOURCE_ENV})" in proc.stderr
    assert (spec.read_bytes() if spec.exists() else None) == before


def test_a_malformed_lock_file_says_what_is_wrong(tmp_path: Path) -> None:
    lock = tmp_path / "lock.json"
    cases = {
        '{"version": "v1", "sha256": "' + "0" * 64 + '"}': 'has no "url"',
        "not json": "is not JSON (Expecting value at line 1, column 1)",
        '{"version": "v1", "url": "u", "sha256": 5}': '"sha256" must be a string',
        '["v1"]': "must be a JSON object",
    }
    for text, expected in cases.items():
        lock.write_text(text)
        proc = run("spec", "fetch", "--lock", str(lock), "--out", str(tmp_path / "s.json"))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert f"lock file {lock}" in proc.stderr and expected in proc.stderr, proc.stderr
        assert "version, url and sha256" in proc.stderr
