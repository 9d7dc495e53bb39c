"""stdio without worker threads when both ends are pipes; a worker thread per read
and flush when they are not (files, terminals): the same answers either way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.support.jsonrpc import INITIALIZED, initialize

INIT = initialize("2025-11-25")
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


def lines(*messages: dict) -> str:
    return "".join(json.dumps(m) + "\n" for m in messages)


def answers(text: str) -> dict[int, dict]:
    out = {}
    for line in text.splitlines():
        message = json.loads(line)
        if "id" in message:
            out[message["id"]] = message
    return out


def test_stdio_over_pipes_and_over_files_answer_the_same(tmp_path: Path) -> None:
    messages = lines(INIT, INITIALIZED, LIST)
    piped = subprocess.run(
        [sys.executable, "-m", "artie_mcp"],
        input=messages,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(messages)
    with source.open() as stdin, sink.open("w") as stdout:
        filed = subprocess.run(
            [sys.executable, "-m", "artie_mcp"],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=REPO,
        )
    assert piped.returncode == 0 and filed.returncode == 0, piped.stderr + filed.stderr
    over_pipes, over_files = answers(piped.stdout), answers(sink.read_text())
    assert len(over_pipes[2]["result"]["tools"]) == 41
    assert over_pipes[2] == over_files[2]
