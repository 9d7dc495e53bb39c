"""One schema node's own keywords compared (type, enum, bounds, the rest), and
``Found``: one change, as ``compare`` and ``rules`` pass it along."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from generator.drift.shapes import type_set, within

JSON = dict[str, Any]
UPPER = {
    "maxLength": "max-length",
    "maximum": "max",
    "exclusiveMaximum": "exclusive-max",
    "maxItems": "max-items",
    "maxProperties": "max-properties",
}
LOWER = {
    "minLength": "min-length",
    "minimum": "min",
    "exclusiveMinimum": "exclusive-min",
    "minItems": "min-items",
    "minProperties": "min-properties",
}
LISTS = {"allOf": "all-of", "anyOf": "any-of", "oneOf": "one-of", "prefixItems": "prefix-items"}
HANDLED = {"type", "format", "enum", "const", "pattern", "properties", "required", "items"}
HANDLED |= {"additionalProperties", "patternProperties", "$defs", "$ref", "default", "deprecated"}
HANDLED |= {*UPPER, *LOWER, *LISTS}
IGNORED = {"description", "title", "examples", "example", "readOnly", "writeOnly", "$comment"}


class Found(NamedTuple):
    impact: str  # narrow, widen, break, warn or info: IMPACT turns it into a severity
    event: str  # the rule without its subject ("type-changed"), or a property event
    ptr: str  # JSON pointer: relative to where it was found, then to the tool schema
    text: str  # the message; "{w}" is the label of ptr, "{W}" the same as "property ..."
    origin: tuple[str, str] | None = None  # (component, pointer inside it)
    kind: str = ""  # "required" or "optional", for property events
    places: int = 1  # how many places of the tool schema the same change sits in

    def under(self, prefix: str) -> Found:
        if not prefix:
            return self
        return Found(self[0], self[1], prefix + self[2], self[3], self[4], self[5], self[6])

    def key(self) -> tuple[Any, ...]:
        if self.origin is None:
            return (self.ptr, self.impact, self.event, self.text)
        return (self.origin, self.impact, self.event, self.kind, self.text)


def merged(found: Any) -> tuple[Found, ...]:
    """One item per change: a component's change met on several paths is kept at
    the first, with the number of places (so a tool reaching a component a hundred
    times is not a hundred rows)."""
    out: dict[tuple[Any, ...], Found] = {}
    for item in found:
        key = item.key()
        first = out.get(key)
        out[key] = item if first is None else first._replace(places=first.places + item.places)
    return tuple(out.values())


Result = tuple[tuple[Found, ...], frozenset[tuple[str, str]]]
EMPTY: Result = ((), frozenset())


def esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def enum_of(schema: JSON) -> list[Any] | None:
    if isinstance(schema.get("enum"), list):
        return schema["enum"]
    return [schema["const"]] if "const" in schema else None


def split_null(kinds: frozenset[str] | None) -> tuple[frozenset[str] | None, bool]:
    """(the types besides null, or {null} alone; whether null is one of several)."""
    if kinds is None:
        return None, False
    rest = frozenset(kinds - {"null"})
    return (rest or kinds), bool(rest) and "null" in kinds


def kinds_text(kinds: frozenset[str] | None) -> str:
    if kinds is None:
        return "any"
    return "/".join(sorted(k for k in kinds if k != "null")) or "null"


def type_(a: JSON, b: JSON, out: list[Found]) -> None:
    (pa, na), (pb, nb) = split_null(type_set(a)), split_null(type_set(b))
    if pa != pb:
        old, new = kinds_text(pa), kinds_text(pb)
        wider = pb is None or (pa is not None and within(pa, pb))
        narrower = pa is None or (pb is not None and within(pb, pa))
        if wider and not narrower:
            out.append(Found("widen", "type-generalized", "", f"{{w}}: type {old} -> {new}"))
        elif narrower and not wider:
            text = f"{{w}}: type narrowed {old} -> {new}"
            out.append(Found("narrow", "type-narrowed", "", text))
        else:
            out.append(Found("break", "type-changed", "", f"{{w}}: type {old} -> {new}"))
    if na != nb and pa is not None and pb is not None:
        event = "became-nullable" if nb else "became-not-nullable"
        text = "{w} " + event.replace("-", " ")
        out.append(Found("widen" if nb else "narrow", event, "", text))
    fa, fb = a.get("format"), b.get("format")
    if fa == fb:
        return
    if fa is not None and fb is not None:
        out.append(Found("break", "type-changed", "", f"{{w}}: format {fa} -> {fb}"))
    elif fb is not None:
        out.append(Found("narrow", "type-narrowed", "", f"{{w}} now has format {fb}"))
    else:
        out.append(Found("widen", "type-generalized", "", f"{{w}} no longer has format {fa}"))


def enum(a: JSON, b: JSON, out: list[Found]) -> None:
    ea, eb = enum_of(a), enum_of(b)
    if ea == eb:
        return
    if ea is None or eb is None:
        if ea is None:
            out.append(Found("narrow", "became-enum", "", f"{{w}} restricted to {show(eb)}"))
        else:
            text = f"{{w}} no longer limited to {show(ea)}"
            out.append(Found("widen", "became-not-enum", "", text))
        return
    null_a, null_b = "null" in (type_set(a) or ()), "null" in (type_set(b) or ())
    skip_null = null_a != null_b  # reported as (not) nullable already
    ka = {json.dumps(v, sort_keys=True): v for v in ea if not (skip_null and v is None)}
    kb = {json.dumps(v, sort_keys=True): v for v in eb if not (skip_null and v is None)}
    for impact, event, keys in (
        ("narrow", "removed", sorted(ka.keys() - kb.keys())),
        ("widen", "added", sorted(kb.keys() - ka.keys())),
    ):
        if keys:  # one change per enum and direction, however many values
            shown = ", ".join(keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")
            text = f"{{w}}: value{'s' if len(keys) > 1 else ''} {shown} {event}"
            out.append(Found(impact, f"enum-value-{event}", "", text))


def bounds(a: JSON, b: JSON, out: list[Found]) -> None:
    for table, upper in ((UPPER, True), (LOWER, False)):
        for kw, name in table.items():
            va, vb = number(a.get(kw)), number(b.get(kw))
            if va == vb:
                continue
            if va is None or vb is None:
                event, tighter = ("set", True) if va is None else ("unset", False)
            else:
                event = "increased" if vb > va else "decreased"
                tighter = (vb < va) if upper else (vb > va)
            text = f"{{w}}: {kw} {show(va)} -> {show(vb)}".replace("null", "none")
            out.append(Found("narrow" if tighter else "widen", f"{name}-{event}", "", text))
    pa, pb = a.get("pattern"), b.get("pattern")
    if pa == pb:
        return
    if pa is None:
        out.append(Found("narrow", "pattern-added", "", f"{{w}} must now match {show(pb)}"))
    elif pb is None:
        text = f"{{w}} no longer has to match {show(pa)}"
        out.append(Found("widen", "pattern-removed", "", text))
    else:  # a changed pattern may or may not be stricter
        text = f"{{w}}: pattern {show(pa)} -> {show(pb)}"
        out.append(Found("warn", "pattern-changed", "", text))


def misc(a: JSON, b: JSON, out: list[Found]) -> None:
    if a.get("default") != b.get("default"):
        event = "added" if "default" not in a else "removed" if "default" not in b else "changed"
        text = f"{{w}}: default {show(a.get('default'))} -> {show(b.get('default'))}"
        out.append(Found("info", f"default-value-{event}", "", text))
    if bool(a.get("deprecated")) != bool(b.get("deprecated")):
        event = "deprecated" if b.get("deprecated") else "reactivated"
        out.append(Found("info", event, "", f"{{w}} {event}"))
    for kw in sorted((a.keys() | b.keys()) - HANDLED - IGNORED):
        if not kw.startswith("x-") and a.get(kw) != b.get(kw):
            text = f"{{w}}: `{kw}` {show(a.get(kw))} -> {show(b.get(kw))}"
            out.append(Found("warn", "schema-changed", "", text))
