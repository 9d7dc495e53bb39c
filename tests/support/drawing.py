"""Values drawn from JSON Schemas with hypothesis-jsonschema: tool arguments and
upstream answers, for tests that run them through a real server."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from mcp import Client

FORMATS = {
    "uuid": st.uuids().map(str),
    "double": st.text(),  # a numeric format on strings in no spec we serve; keeps drawing total
}


def sendable(schema: dict[str, Any], op: Any = None) -> dict[str, Any]:
    """What a model may send: the window/projection controls are ours, not the API's.

    Form bodies: Prism reads a form field sent once as a string, never as an
    array of one, so arrays there are drawn with two items or more.
    """
    controls = set(op.control_args) if op is not None else set()
    props = {k: v for k, v in schema["properties"].items() if k not in controls}
    # the server refuses path values that reach another endpoint (calls.path_problems)
    for param in op.params if op is not None else ():
        if param.location == "path" and param.arg in props:
            props[param.arg] = {**props[param.arg], "not": {"enum": ["", ".", ".."]}}
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


def unrolled(schema: dict[str, Any], depth: int = 2) -> dict[str, Any]:
    """``schema`` with its ``$defs`` inlined, each recursion ``depth`` times and
    then any value (hypothesis-jsonschema cannot draw recursive references;
    draw from this, then keep what the real schema accepts)."""
    defs = schema.get("$defs") or {}

    def walk(node: Any, seen: dict[str, int]) -> Any:
        if isinstance(node, list):
            return [walk(v, seen) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.rsplit("/", 1)[-1]
            if seen.get(name, 0) >= depth or name not in defs:
                return {}
            rest = {k: v for k, v in node.items() if k != "$ref"}
            target = walk(defs[name], {**seen, name: seen.get(name, 0) + 1})
            return {**target, **walk(rest, seen)} if rest else target
        return {k: walk(v, seen) for k, v in node.items() if k != "$defs"}

    return walk(schema, {})
