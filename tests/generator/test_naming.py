"""Tool names that differ only by case, ``-``/``_`` or ``.`` all survive, end to
end: one file each (distinct on case-insensitive filesystems), all served, each
rename reported once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from tests.conftest import import_generated
from tests.generator.minimal import run, spec, write_spec
from tests.support.served import tool_server

CLASHING = {"thing-list": "/a", "thing_list": "/b", "Thing.List": "/c", "THING_LIST": "/d"}


def test_names_differing_by_case_and_punctuation_are_all_generated_and_served(
    tmp_path: Path,
) -> None:
    source = write_spec(tmp_path / "clash.json", spec(operations=CLASHING))
    out = tmp_path / "out"
    proc = run("generate", "--spec", str(source), "--out", str(out), "--package", "clash_mcp")
    assert proc.returncode == 0, proc.stderr
    assert "4 tools exposed" in proc.stderr

    files = sorted(p.stem for p in (out / "clash_mcp" / "tools").glob("*.json"))
    assert len(files) == 4
    assert len({f.casefold() for f in files}) == 4  # distinct on macOS and Windows too

    app = import_generated(out, "clash_mcp")
    server = tool_server(app, api_key="k")

    async def served() -> list[Any]:
        async with Client(server.server) as client:
            return [t.name for t in (await client.list_tools()).tools]

    names = anyio.run(served)
    assert sorted(names) == files

    renamed = {"Thing.List", "THING_LIST"}  # thing-list and thing_list keep their names
    for original in renamed:
        lines = [ln for ln in proc.stderr.splitlines() if repr(original) in ln or original in ln]
        assert len(lines) == 1, (original, proc.stderr)
    assert "thing-list" in names and "thing_list" in names
