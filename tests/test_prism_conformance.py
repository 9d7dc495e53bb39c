"""Arguments drawn from each tool's inputSchema become requests that Prism (a
validating mock of the same spec) accepts; Prism's spec-shaped answers come
back as structuredContent that the mcp client's own output validation accepts;
arguments outside the schema are rejected before any request is sent."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.conftest import ARTIE_VERSIONS, artie_spec
from tests.support.drawing import draw_arguments, run_calls, sendable
from tests.support.npm_tools import ensure_installed, prism
from tests.support.served import generate_app, tool_server
from tests.support.upstream import Upstream

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("PRISM_EXAMPLES", "4"))
# Prism's static mode answers lists and objects from the spec; these versions
# cover 3.0 + no operationIds (v1.0.0), x-artie-mcp (v1.0.53) and the pinned one.
VERSIONS = [v for v in ("v1.0.0", "v1.0.53", "v1.0.76") if v in ARTIE_VERSIONS]


@pytest.mark.parametrize("version", VERSIONS)
def test_drawn_arguments_pass_prism_validation_and_outputs_validate(
    version: str, tmp_path: Path
) -> None:
    ensure_installed()
    app = generate_app(artie_spec(version), tmp_path, f"prism_{version}")
    listing = tool_server(app)
    calls: list[tuple[str, dict[str, Any]]] = []
    for op in listing.operations.values():
        schema = sendable(op.input_schema, op)
        for args in draw_arguments(schema, EXAMPLES):
            calls.append((op.name, args))
    assert {name for name, _ in calls} == set(listing.operations)
    with prism(artie_spec(version)) as mock:
        server = tool_server(app, api_key="test-key", base_url=mock.url)
        results = anyio.run(run_calls, server, calls)
        log = mock.log()
    failures = []
    for (name, args), result in zip(calls, results, strict=True):
        if result.is_error:
            error = json.loads(result.content[0].text)["error"]
            failures.append(
                (
                    name,
                    args,
                    error["type"],
                    error["status"],
                    str(error.get("upstream"))[:300],
                    error.get("details"),
                )
            )
    assert (
        not failures
    ), f"{len(failures)} of {len(calls)} calls failed, e.g. {failures[:3]}\n{log[-2000:]}"


@pytest.mark.parametrize("version", ["v1.0.76"])
def test_arguments_outside_the_schema_never_reach_upstream(version: str, tmp_path: Path) -> None:
    app = generate_app(artie_spec(version), tmp_path, f"neg_{version}")
    with Upstream() as upstream:
        server = tool_server(app, api_key="k", base_url=upstream.url)
        calls: list[tuple[str, dict[str, Any]]] = []
        for op in server.operations.values():
            schema = op.input_schema
            calls.append((op.name, {"definitely_not_a_parameter": 1}))
            if schema.get("required"):
                calls.append((op.name, {}))  # a required argument missing
            for name, prop in schema["properties"].items():
                if prop.get("type") in ("string", "boolean", "integer", "number"):
                    wrong = {"string": 12, "boolean": "yes", "integer": "1.5", "number": "n"}[
                        prop["type"]
                    ]
                    calls.append((op.name, {name: wrong}))
                    break
        results = anyio.run(run_calls, server, calls)
        assert upstream.requests == []
    for (name, args), result in zip(calls, results, strict=True):
        assert result.is_error, (name, args)
        error = json.loads(result.content[0].text)["error"]
        assert error["type"] == "invalid_arguments" and error["details"], (name, args, error)
