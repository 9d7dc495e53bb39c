"""What is done to a schema once ``schemas.SchemaWalker`` has converted it: shared
into ``$defs`` (``finalize``; held back in drift's ``deferred_finalize`` mode),
measured, merged (``allOf``), given ``$defs``, made nullable the OAS 3.0 way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

JSON = dict[str, Any]
ORIGIN = "x-mcp-origin"  # marks an inlined copy of a component until finalize()
SHARE_MIN_CHARS = 300  # an inlined component this large, met twice in one tool, goes to $defs


def make_nullable(schema: JSON) -> JSON:
    """OAS 3.0 ``nullable: true`` in 3.1 terms: "null" joins the type. It does not
    widen anything else (OAS 3.0.3): an enum that does not list null still
    rejects null, exactly as the 3.1 rewrite ``type: [T, "null"]`` beside the
    same enum does."""
    schema = dict(schema)
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list):
        if "null" not in kind:
            schema["type"] = [*kind, "null"]
    elif isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        return schema  # the enum decides, and it has no null
    else:
        return {"anyOf": [schema, {"type": "null"}]}
    canonical_type(schema)
    return schema


def canonical_type(schema: JSON) -> None:
    kind = schema.get("type")
    if isinstance(kind, list):
        seen: list[str] = []
        for item in kind:
            if item not in seen and item != "null":
                seen.append(item)
        if "null" in kind:
            seen.append("null")
        schema["type"] = seen[0] if len(seen) == 1 else seen


_DEFERRED: ContextVar[bool] = ContextVar("schemas_deferred_finalize", default=False)


@contextmanager
def deferred_finalize() -> Iterator[None]:
    """Within this block ``finalize`` hands schemas back as they are: shared
    subtrees stay shared objects (not copies) and keep their ``ORIGIN`` markers,
    so an analysis of many tools (drift) can compare each component once and
    name it. What is built here is for reading, never for serving."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


def deferred() -> bool:
    """Whether schemas are built for comparison (drift), not to be served: then
    nothing is shared or summarised, so that both sides are compared whole."""
    return _DEFERRED.get()


def finalize(schema: JSON) -> JSON:
    """Share, then unmark: a component inlined twice or more in one tool schema
    (and large enough to matter) becomes one ``$defs`` entry; markers go. Every
    ``$ref`` of the result resolves: entries first shared inside ``$defs`` are
    added too."""
    if _DEFERRED.get():
        return schema

    memo: dict[int, str] = {}
    keep: list[Any] = []  # holds what memo's ids point at for the duration of the call

    def canon(node: Any) -> str:
        """A digest of the node without markers; children are shared between tools
        (the walker caches them), so each is hashed once."""
        if isinstance(node, dict):
            found = memo.get(id(node))
            if found is None:
                items = sorted((k, canon(v)) for k, v in node.items() if k != ORIGIN)
                found = _digest("{" + ",".join(f"{k!r}:{v}" for k, v in items) + "}")
                memo[id(node)] = found
                keep.append(node)
            return found
        if isinstance(node, list):
            found = memo.get(id(node))
            if found is None:
                found = _digest("[" + ",".join(canon(v) for v in node) + "]")
                memo[id(node)] = found
                keep.append(node)
            return found
        return repr(node)

    counts: dict[str, int] = {}

    def count(node: Any) -> None:
        if isinstance(node, dict):
            if ORIGIN in node:
                key = canon(node)
                counts[key] = counts.get(key, 0) + 1
                if counts[key] > 1:
                    return  # its inside is counted once
            for value in node.values():
                count(value)
        elif isinstance(node, list):
            for value in node:
                count(value)

    count(schema)
    shared: dict[str, bool] = {}

    def is_shared(node: JSON, key: str) -> bool:
        if key not in shared:  # only what is met twice needs its size
            shared[key] = counts.get(key, 0) > 1 and (
                json_size(node, SHARE_MIN_CHARS) >= SHARE_MIN_CHARS
            )
        return shared[key]

    defs: JSON = dict(schema.get("$defs") or {})
    names: dict[str, str] = {}
    made: set[str] = set()  # entries written here, already rewritten

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            if ORIGIN in node:
                key = canon(node)
                if is_shared(node, key):
                    if key not in names:
                        base = str(node[ORIGIN])
                        name, n = base, 2
                        while name in defs:
                            name, n = f"{base}_{n}", n + 1
                        names[key] = name
                        defs[name] = {}
                        made.add(name)
                        defs[name] = rewrite({k: v for k, v in node.items() if k != ORIGIN})
                    return {"$ref": f"#/$defs/{names[key]}"}
            return {k: rewrite(v) for k, v in node.items() if k != ORIGIN and k != "$defs"}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    out = rewrite(schema)
    if defs:
        done: JSON = {}
        while len(done) < len(defs):  # rewriting an entry may share (add) another
            for name in [n for n in defs if n not in done]:
                done[name] = defs[name] if name in made else rewrite(defs[name])
        out["$defs"] = dict(sorted(done.items()))
    return out


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()


def finalize_now(schema: JSON) -> JSON:
    """``finalize`` as served, also inside ``deferred_finalize``."""
    token = _DEFERRED.set(False)
    try:
        return finalize(schema)
    finally:
        _DEFERRED.reset(token)


def json_size(node: Any, limit: int) -> int:
    """``len(json.dumps(node, separators=(",", ":")))``, counted only up to ``limit``
    (a larger schema returns some number >= ``limit``); ``ORIGIN`` markers do not count."""
    total = 0
    stack = [node]
    while stack and total < limit:
        item = stack.pop()
        if isinstance(item, dict):
            entries = 0
            for k, v in item.items():
                if k != ORIGIN:
                    entries += 1
                    total += _text_size(k) + 1
                    stack.append(v)
            total += 1 + max(1, entries)  # braces and the commas between entries
        elif isinstance(item, list):
            total += 2 + max(0, len(item) - 1)
            stack.extend(item)
        elif isinstance(item, str):
            total += _text_size(item)
        else:
            total += len(json.dumps(item))
    return total


@lru_cache(maxsize=65536)
def _text_size(text: str) -> int:
    """Bytes of a JSON string (names and keywords repeat: each is measured once)."""
    return len(json.dumps(text))


def strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != ORIGIN}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def with_defs(schema: JSON, defs: JSON) -> JSON:
    if not defs:
        return schema
    out = dict(schema)
    out["$defs"] = {**defs, **out.get("$defs", {})}
    return out


def is_plain_object(schema: Any) -> bool:
    """An object schema whose properties can become separate arguments."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return False
    if any(
        k in schema for k in ("oneOf", "anyOf", "allOf", "not", "if", "$ref", "patternProperties")
    ):
        return False
    extra = schema.get("additionalProperties")
    if extra not in (None, False):
        return False
    return isinstance(schema.get("properties"), dict) and bool(schema["properties"])


def merge_all_of(schema: JSON) -> JSON:
    """Fold an ``allOf`` of plain objects into one object schema, if it is one."""
    parts = schema.get("allOf")
    if not isinstance(parts, list):
        return schema
    merged: JSON = {"type": "object", "properties": {}}
    required: list[str] = []
    for part in parts:
        part = merge_all_of(part) if isinstance(part, dict) else part
        if not is_plain_object(part):
            return schema
        for name, prop in part["properties"].items():
            if name in merged["properties"] and merged["properties"][name] != prop:
                return schema
            merged["properties"][name] = prop
        required.extend(r for r in part.get("required", []) if r not in required)
    for key, value in schema.items():
        if key not in ("allOf", "type", "properties", "required"):
            merged[key] = value
    if required:
        merged["required"] = required
    return merged
