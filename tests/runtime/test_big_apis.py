"""Every public spec in ../shared and synthetic specs of 100, 500 and 2,000
operations generate with default flags and serve a default tools/list a client
can take (at most 128 tools, within the size budget), every schema in every tool
file resolving completely and valid JSON Schema 2020-12."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from generator.contract import compat
from tests.conftest import PUBLIC_SPECS, REPO
from tests.support.schemas import check_2020_12, unresolved
from tests.support.served import generate_app, tool_server

sys.path.insert(0, str(REPO / "bench"))
from synth import spec as synth_spec  # noqa: E402

SPECS: list[Any] = [*sorted(p for p in PUBLIC_SPECS.iterdir() if p.suffix in (".json", ".yaml"))]
SPECS += [100, 500, 2000]


@pytest.mark.parametrize(
    "source", SPECS, ids=lambda s: s.name if isinstance(s, Path) else f"synth{s}"
)
def test_default_server_lists_what_a_client_takes_and_every_schema_resolves(
    source: Any, tmp_path: Path
) -> None:
    if not isinstance(source, Path):
        path = tmp_path / f"synth{source}.json"
        path.write_text(json.dumps(synth_spec(source)))
        source = path
    label = "big_" + source.stem.replace("-", "_").replace(".", "_")
    app = generate_app(source, tmp_path, label)
    folder = Path(app.__file__).parent / "tools"
    for file in sorted(folder.glob("*.json")):
        tool = json.loads(file.read_text())
        for key in ("input_schema", "output_schema", "response_schema"):
            schema = tool.get(key)
            if schema is None:
                continue
            assert unresolved(schema) == [], (file.name, key, unresolved(schema)[:3])
            check_2020_12(schema)
    server = tool_server(app)

    async def main() -> Any:
        async with Client(server.server) as client:
            return (await client.list_tools()).tools

    listed = [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in anyio.run(main)]
    size = len(json.dumps({"tools": listed}, separators=(",", ":")).encode())
    assert 0 < len(listed) <= compat.TOOL_LIMITS["openai"]
    assert size <= compat.TOOLS_LIST_BUDGET
    for tool in listed:
        assert (
            unresolved(tool["inputSchema"]) == []
            and unresolved(tool.get("outputSchema") or {}) == []
        )
