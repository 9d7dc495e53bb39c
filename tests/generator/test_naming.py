"""Tool names that differ only by case, ``-``/``_`` or ``.`` all survive, end to
end: one file each (distinct on case-insensitive filesystems), all served, each
rename reported once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from generator import naming
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


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/pipelines", "pipeline_list"),
        ("POST", "/pipelines", "pipeline_create"),
        ("GET", "/pipelines/{uuid}", "pipeline_detail"),
        ("POST", "/pipelines/{uuid}", "pipeline_update"),
        ("DELETE", "/pipelines/{uuid}", "pipeline_delete"),
        ("POST", "/pipelines/{uuid}/start", "pipeline_start"),
        ("POST", "/pipelines/{uuid}/backfill/cancel", "pipeline_backfill_cancel"),
        ("GET", "/connectors/{uuid}/detail", "connector_get_detail"),
        ("GET", "/column-hashing-salts", "column_hashing_salt_list"),
        ("POST", "/data-catalog/search", "data_catalog_search"),
        ("POST", "/source-readers/validate-unsaved", "source_reader_validate_unsaved"),
        ("GET", "/companies", "company_list"),
        ("GET", "/", "get_root"),
    ],
)
def test_derived_names_read_like_operation_ids(method: str, path: str, expected: str) -> None:
    assert naming.derive_name(method, path) == expected
    assert naming.TOOL_NAME.match(expected)


def test_sanitize_removes_characters_tool_names_cannot_have() -> None:
    assert naming.sanitize("files.upload/v2#part: one") == "files_upload_v2_part_one"


def test_shorten_keeps_a_readable_stem_and_is_deterministic() -> None:
    long = "create_a_very_long_operation_identifier_that_never_ends_in_any_client"
    short = naming.shorten(long, 48)
    assert len(short) == 48
    assert short.startswith("create_a_very_long_operation")
    assert short == naming.shorten(long, 48)
    other = naming.shorten(long + "_2", 48)
    assert other != short  # the hash tells apart names with the same stem


def test_unique_suffixes_without_exceeding_the_limit() -> None:
    taken = {"a" * 10}
    assert naming.unique("a" * 10, taken, 10) == "a" * 8 + "_2"


def test_singular() -> None:
    assert [
        naming.singular(w) for w in ["pipelines", "companies", "addresses", "status", "data"]
    ] == [
        "pipeline",
        "company",
        "address",
        "status",
        "data",
    ]
