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
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from mcp import Client

from tests.conftest import ARTIE_VERSIONS, artie_spec
from tests.support.npm_tools import ensure_installed, prism
from tests.support.served import generate_app, tool_server
from tests.support.upstream import Upstream

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("PRISM_EXAMPLES", "4"))
FORMATS = {
    "uuid": st.uuids().map(str),
    "double": st.text(),  # a numeric format on strings in no spec we serve; keeps drawing total
}
# Prism's static mode answers lists and objects from the spec; these versions
# cover 3.0 + no operationIds (v1.0.0), x-artie-mcp (v1.0.53) and the pinned one.
VERSIONS = [v for v in ("v1.0.0", "v1.0.53", "v1.0.76") if v in ARTIE_VERSIONS]


def sendable(schema: dict[str, Any], op: Any = None) -> dict[str, Any]:
    """What a model may send: the window/projection controls are ours, not the API's.

    Form bodies: Prism reads a form field sent once as a string, never as an
    array of one, so arrays there are drawn with two items or more.
    """
    props = {
        k: v
        for k, v in schema["properties"].items()
        if not k.startswith(("result_", "mcp_result_"))
    }
    form = op is not None and op.body is not None and "form" in op.body.content_type
    if form:
        fields = {arg for arg, _ in op.body.fields}
        props = {
            k: (
                {**v, "minItems": max(2, v.get("minItems", 0))}
                if k in fields and v.get("type") == "array"
                else v
            )
            for k, v in props.items()
        }
    return bound_ints({**schema, "properties": props})


# int64 is cut to JavaScript's safe integers: Prism cannot hold larger ones exactly
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**53) + 1, 2**53 - 1)}


def bound_ints(node: Any) -> Any:
    """hypothesis-jsonschema ignores int32/int64 formats; give it their ranges."""
    if isinstance(node, list):
        return [bound_ints(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: bound_ints(v) for k, v in node.items()}
    low, high = INT_RANGES.get(str(node.get("format")), (None, None))
    if low is not None:
        out["minimum"] = max(low, node.get("minimum", low))
        out["maximum"] = min(high, node.get("maximum", high))
    return out


async def run_calls(server: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    out = []
    try:
        async with Client(server.server) as client:
            for name, args in calls:
                out.append(await client.call_tool(name, args))
    finally:
        await server.aclose()
    return out


def is_unicode(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def draw_arguments(schema: dict[str, Any], n: int) -> list[dict[str, Any]]:
    drawn: list[dict[str, Any]] = []

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(from_schema(schema, custom_formats=FORMATS))
    def collect(value: dict[str, Any]) -> None:
        # JSON can carry lone surrogates; no model sends them and no form or URL encoding can
        assume(is_unicode(value))
        drawn.append(value)

    collect()
    return drawn


@pytest.mark.parametrize("version", VERSIONS)
def test_drawn_arguments_pass_prism_validation_and_outputs_validate(
    version: str, tmp_path: Path
) -> None:
    ensure_installed()
    app = generate_app(artie_spec(version), tmp_path, f"prism_{version}")
    listing = tool_server(app)
    calls: list[tuple[str, dict[str, Any]]] = []
    for op in listing.operations.values():
        schema = sendable(listing.schemas.input(op.name), op)
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
            schema = server.schemas.input(op.name)
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


@given(st.data())
@settings(max_examples=1, deadline=None)
def test_hypothesis_is_wired(data: st.DataObject) -> None:
    assert isinstance(data.draw(from_schema({"type": "integer"})), int)
