"""What a tool says of its answer, kept small: the outline it advertises as its
``outputSchema`` (property names a few levels deep, open to whatever a newer
release adds) and the bounded copy of a huge documented response schema that a
tool file keeps. Works on the self-contained schemas ``schemas`` produces."""

from __future__ import annotations

import json
from typing import Any

from generator.contract import contract
from generator.schemas import JSON, unescape
from generator.schematools import json_size

# -- what a tool advertises as its outputSchema --------------------------------------

OUTLINE_LEVELS = 2  # property names this deep (a list's item fields are level 2)


def always_object(schema: Any) -> bool:
    """Whether every answer the schema allows is a JSON object."""
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "object":
        return True
    for key in ("anyOf", "oneOf"):
        alternatives = schema.get(key)
        if isinstance(alternatives, list) and alternatives:
            return all(always_object(_resolved(a, schema.get("$defs") or {})) for a in alternatives)
    parts = schema.get("allOf")
    return isinstance(parts, list) and any(always_object(p) for p in parts)


def _resolved(node: Any, defs: JSON) -> Any:
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return defs.get(unescape(ref.rsplit("/", 1)[-1]), {})
    return node


def outline(schema: JSON, wrapped: bool, levels: int = OUTLINE_LEVELS) -> JSON:
    """The outputSchema a tool advertises for a documented JSON answer.

    It names the documented properties (``levels`` deep, following ``items``)
    and asserts nothing below the root: no types, enums, formats, required
    fields or closed objects. The runtime always hands on a JSON object (a
    non-object answer, or every answer of a ``wrapped`` tool, under
    ``"result"``), so every answer meets the outline, however a newer release of
    the API widens it. The documented schema stays with the tool as
    ``response_schema`` (drift notes, field projection).
    """
    defs = schema.get("$defs") or {}
    if wrapped:
        return {
            "type": "object",
            "properties": {contract.RESULT_KEY: _outline(schema, defs, levels, frozenset())},
            "required": [contract.RESULT_KEY],
        }
    return {"type": "object", **_outline(schema, defs, levels, frozenset())}


def _parts(node: Any, defs: JSON, seen: frozenset[str]) -> list[tuple[JSON, frozenset[str]]]:
    """The node and every schema it is made of (refs and combinators followed),
    each with the definitions entered on the way (a cycle is entered once)."""
    if not isinstance(node, dict):
        return []
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = unescape(ref.rsplit("/", 1)[-1])
        if name in seen:
            return []
        return _parts(defs.get(name), defs, seen | {name})
    out = [(node, seen)]
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key) or []:
            out.extend(_parts(sub, defs, seen))
    return out


def _outline(node: Any, defs: JSON, levels: int, seen: frozenset[str]) -> JSON:
    if levels <= 0:
        return {}
    props: dict[str, list[tuple[Any, frozenset[str]]]] = {}
    items: list[tuple[Any, frozenset[str]]] = []
    for part, entered in _parts(node, defs, seen):
        for name, sub in (part.get("properties") or {}).items():
            props.setdefault(name, []).append((sub, entered))
        if isinstance(part.get("items"), dict):
            items.append((part["items"], entered))
    out: JSON = {}
    if props:
        out["properties"] = {name: _union(subs, defs, levels - 1) for name, subs in props.items()}
    if items:
        out["items"] = _union(items, defs, levels)
    return out


def _union(nodes: list[tuple[Any, frozenset[str]]], defs: JSON, levels: int) -> JSON:
    """One outline for every schema a property (or an array's items) may follow."""
    merged: JSON = {}
    for node, seen in nodes:
        for key, value in _outline(node, defs, levels, seen).items():
            if key == "properties":
                merged.setdefault("properties", {}).update(
                    {k: v for k, v in value.items() if k not in merged.get("properties", {})}
                )
            else:
                merged.setdefault(key, value)
    return merged


# -- what a tool file keeps of a huge documented answer --------------------------------

RESPONSE_LIMIT = 48_000  # bytes of a documented response schema kept in a tool file


def bounded(schema: JSON, limit: int = RESPONSE_LIMIT) -> JSON:
    """The documented response schema, summarised when it is over ``limit`` bytes
    (a reference cycle through dozens of components copied into every tool of a
    big API): its definitions inlined as deep as fits, what lies deeper accepted
    as any value. The server checks answers against it (drift notes) and reads
    required fields from it (projection): a summary checks less, never wrongly."""
    if len(json.dumps(schema, separators=(",", ":"))) <= limit:
        return schema
    defs = schema.get("$defs") or {}
    body = {k: v for k, v in schema.items() if k != "$defs"}
    out: JSON = {}
    for depth in (3, 2, 1, 0):
        out = _unroll(body, defs, depth)
        if len(json.dumps(out, separators=(",", ":"))) <= limit:
            return out
    return {"description": str(schema.get("description", ""))} if "description" in schema else {}


def summarise(schema: Any, defs: JSON, limit: int = RESPONSE_LIMIT) -> Any:
    """``schema`` with its definitions (a reference cycle) inlined as deep as fits
    in ``limit`` bytes, deeper references accepted as any value; no ``$defs``."""
    for depth in (2, 1, 0):
        budget = [limit]
        try:
            out = _unroll(schema, defs, depth, budget)
        except _OverBudget:
            continue
        if json_size(out, limit + 1) <= limit:
            return out
    return _unroll(schema, defs, 0)


class _OverBudget(Exception):
    pass


def _unroll(node: Any, defs: JSON, depth: int, budget: list[int] | None = None) -> Any:
    if budget is not None:
        budget[0] -= 8  # about the bytes a node costs; stops a deep unroll early
        if budget[0] < 0:
            raise _OverBudget
    if isinstance(node, list):
        return [_unroll(v, defs, depth, budget) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = defs.get(unescape(ref.rsplit("/", 1)[-1]))
        rest = {k: _unroll(v, defs, depth, budget) for k, v in node.items() if k != "$ref"}
        if depth <= 0 or not isinstance(target, dict):
            return rest  # deeper than the summary goes: any value
        return {**_unroll(target, defs, depth - 1, budget), **rest}
    return {k: _unroll(v, defs, depth, budget) for k, v in node.items() if k != "$defs"}
