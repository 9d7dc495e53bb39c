"""Drift rules: what a change to one tool's schemas means for its callers.

Tool schemas are already self-contained and normalised (``schemas.SchemaWalker``):
refs inlined, cycles in ``$defs``, 3.0 ``nullable`` rewritten as 3.1 type lists.
So a change in a shared component shows up in every tool that reaches it, and a
3.0 -> 3.1 rewrite of the same spec gives no change at all.

Direction decides severity: a tool's input is what the agent sends, so narrowing
it (new required argument, removed enum value, tighter bound) breaks saved
calls; its output is what the agent reads, so widening it (new enum value,
nullable, wider type) may surprise a consumer. Rule ids follow oasdiff's where
one exists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from generator.contract import contract
from generator.ir import Tool

Severity = Literal["breaking", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("breaking", "warning", "info")
JSON = dict[str, Any]
Seen = frozenset[tuple[Any, Any]]

# how a kind of change rates on the input side and on the output side
IMPACT: dict[str, tuple[Severity, Severity]] = {
    "narrow": ("breaking", "info"),  # accepts / may return less than before
    "widen": ("info", "warning"),  # accepts / may return more than before
    "break": ("breaking", "breaking"),
    "warn": ("warning", "warning"),
    "info": ("info", "info"),
}
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
NULL = {"type": "null"}


@dataclass(frozen=True)
class Change:
    severity: Severity
    rule: str
    direction: Literal["input", "output", "meta"]
    location: str  # JSON pointer inside the tool's inputSchema/outputSchema, or into the tool
    message: str

    def as_dict(self) -> JSON:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "direction": self.direction,
            "location": self.location,
            "message": self.message,
        }


def esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unesc(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def canon(node: Any) -> Any:
    """Boolean schemas as objects; ``anyOf/oneOf: [S, {type: null}]`` as S with a type list."""
    if node is True:
        return {}
    if node is False:
        return {"not": {}}
    if not isinstance(node, dict):
        return node
    for kw in ("anyOf", "oneOf"):
        alts = node.get(kw)
        if not (isinstance(alts, list) and len(alts) == 2 and NULL in alts):
            continue
        other = alts[0] if alts[1] == NULL else alts[1]
        if set(node) - {kw, "default", "deprecated"} - IGNORED or not isinstance(other, dict):
            continue
        kind = other.get("type")
        if kind is None:
            continue
        merged = {**other, **{k: v for k, v in node.items() if k != kw}}
        kinds = kind if isinstance(kind, list) else [kind]
        merged["type"] = [k for k in kinds if k != "null"] + ["null"]
        if isinstance(merged.get("enum"), list) and None not in merged["enum"]:
            merged["enum"] = [*merged["enum"], None]
        return merged
    return node


def types_of(schema: JSON) -> tuple[frozenset[str] | None, bool]:
    """(non-null types, or None for any type; nullable)."""
    kind = schema.get("type")
    if kind is None:
        return None, False
    kinds = set(kind) if isinstance(kind, list) else {kind}
    return frozenset(k for k in kinds if k != "null"), "null" in kinds


def within(inner: frozenset[str] | None, outer: frozenset[str] | None) -> bool:
    if outer is None:
        return True
    if inner is None:
        return False
    return all(k in outer or (k == "integer" and "number" in outer) for k in inner)


def enum_of(schema: JSON) -> list[Any] | None:
    if isinstance(schema.get("enum"), list):
        return schema["enum"]
    return [schema["const"]] if "const" in schema else None


def number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class SchemaDiff:
    """Compares two versions of one tool schema and collects ``Change``s.

    ``side`` names the rules (``request``, ``response``, ``webhook``);
    ``direction`` (``input``/``output``) decides what narrowing and widening mean.
    """

    def __init__(
        self,
        direction: Literal["input", "output"],
        side: str,
        params: Mapping[str, str] | None = None,  # argument -> HTTP location
        body_arg: str | None = None,  # the argument holding a wrapped body
        result_key: str | None = None,  # the output is wrapped as {"result": ...}
        generated: frozenset[str] = frozenset(),  # arguments the generator adds
    ) -> None:
        self.direction = direction
        self.side = side
        self.params: Mapping[str, str] = params or {}
        self.body_arg = body_arg
        self.result_key = result_key
        self.generated = generated
        self.changes: list[Change] = []
        self.roots: tuple[JSON, JSON] = ({}, {})

    def run(self, base: Any, head: Any) -> list[Change]:
        self.roots = tuple(r if isinstance(r, dict) else {} for r in (base, head))  # type: ignore
        self._node(base, head, "", frozenset())
        return self.changes

    # -- naming ------------------------------------------------------------

    def _top(self, ptr: str) -> str | None:
        parts = ptr.split("/")
        return unesc(parts[2]) if len(parts) == 3 and parts[1] == "properties" else None

    def subject(self, ptr: str) -> str:
        top = self._top(ptr)
        if self.side == "request":
            if ptr == "" or (top is not None and top == self.body_arg):
                return "request-body"
            return "request-parameter" if top in self.params else "request-property"
        if self.side == "response":
            if ptr == "" or (top is not None and top == self.result_key):
                return "response-body"
            return "response-property"
        return f"{self.side}-payload" if ptr == "" else f"{self.side}-property"

    def label(self, ptr: str) -> str:
        top = self._top(ptr)
        note = " (added by the generator)" if top in self.generated else ""
        if self.side == "request" and top is not None and top in self.params:
            return f"{self.params[top]} parameter `{top}`{note}"
        parts, out, i = [unesc(p) for p in ptr.split("/")[1:]], "", 0
        while i < len(parts):
            part = parts[i]
            if part in ("properties", "patternProperties", "$defs") and i + 1 < len(parts):
                out += ("." if out else "") + ("$defs/" if part == "$defs" else "") + parts[i + 1]
                i += 2
            elif part in LISTS and i + 1 < len(parts) and parts[i + 1].isdigit():
                out += f"<{part} {int(parts[i + 1]) + 1}>"
                i += 2
            else:
                out += "[]" if part == "items" else ("." if out else "") + part
                i += 1
        if not out:
            return {"request": "the arguments", "response": "the result"}.get(self.side, "payload")
        return f"`{out}`{note}"

    def add(self, impact: str, rule: str, ptr: str, message: str) -> None:
        severity = IMPACT[impact][0 if self.direction == "input" else 1]
        self.changes.append(Change(severity, rule, self.direction, ptr, message))

    # -- the walk ------------------------------------------------------------

    def _resolve(self, node: JSON, root: JSON) -> JSON:
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/$defs/")):
            return node
        target = (root.get("$defs") or {}).get(unesc(ref[len("#/$defs/") :]), {})
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {**target, **rest} if isinstance(target, dict) else rest

    def _node(self, a: Any, b: Any, ptr: str, seen: Seen) -> None:
        if a == b:
            return
        a, b = canon(a), canon(b)
        if not isinstance(a, dict) or not isinstance(b, dict) or a == b:
            return
        ra, rb = a.get("$ref"), b.get("$ref")
        if ra is not None or rb is not None:
            if ra == rb:  # the same definition: its own changes are reported under /$defs
                a = {k: v for k, v in a.items() if k != "$ref"}
                b = {k: v for k, v in b.items() if k != "$ref"}
            elif (ra, rb) in seen:
                return
            else:
                seen = seen | {(ra, rb)}
                a, b = self._resolve(a, self.roots[0]), self._resolve(b, self.roots[1])
            self._node(a, b, ptr, seen)
            return
        s, w = self.subject(ptr), self.label(ptr)
        self._type(a, b, ptr, s, w)
        self._enum(a, b, ptr, s, w)
        self._bounds(a, b, ptr, s, w)
        self._misc(a, b, ptr, s, w)
        self._properties(a, b, ptr, seen)
        self._additional(a, b, ptr, s, w, seen)
        if "items" in a or "items" in b:
            self._node(a.get("items", {}), b.get("items", {}), f"{ptr}/items", seen)
        self._lists(a, b, ptr, s, w, seen)
        for kw in ("patternProperties", "$defs"):
            ma, mb = a.get(kw), b.get(kw)
            if isinstance(ma, dict) and isinstance(mb, dict):
                for name in sorted(ma.keys() & mb.keys()):
                    self._node(ma[name], mb[name], f"{ptr}/{kw}/{esc(name)}", seen)

    def _type(self, a: JSON, b: JSON, ptr: str, s: str, w: str) -> None:
        (ta, na), (tb, nb) = types_of(a), types_of(b)
        if ta != tb:
            old, new = ("/".join(sorted(t)) if t is not None else "any" for t in (ta, tb))
            wider, narrower = within(ta, tb), within(tb, ta)
            if wider and not narrower:
                self.add("widen", f"{s}-type-generalized", ptr, f"{w}: type {old} -> {new}")
            elif narrower and not wider:
                rule = "type-changed" if self.direction == "input" else "type-specialized"
                self.add("narrow", f"{s}-{rule}", ptr, f"{w}: type narrowed {old} -> {new}")
            else:
                self.add("break", f"{s}-type-changed", ptr, f"{w}: type {old} -> {new}")
        if na != nb:
            event = "became-nullable" if nb else "became-not-nullable"
            self.add(
                "widen" if nb else "narrow", f"{s}-{event}", ptr, f"{w} {event.replace('-', ' ')}"
            )
        fa, fb = a.get("format"), b.get("format")
        if fa == fb:
            return
        if fa is not None and fb is not None:
            self.add("break", f"{s}-type-changed", ptr, f"{w}: format {fa} -> {fb}")
        elif fb is not None:
            rule = "type-changed" if self.direction == "input" else "type-specialized"
            self.add("narrow", f"{s}-{rule}", ptr, f"{w} now has format {fb}")
        else:
            self.add("widen", f"{s}-type-generalized", ptr, f"{w} no longer has format {fa}")

    def _enum(self, a: JSON, b: JSON, ptr: str, s: str, w: str) -> None:
        ea, eb = enum_of(a), enum_of(b)
        if ea == eb:
            return
        if ea is None or eb is None:
            if ea is None:
                self.add("narrow", f"{s}-became-enum", ptr, f"{w} restricted to {show(eb)}")
            else:
                self.add(
                    "widen", f"{s}-became-not-enum", ptr, f"{w} no longer limited to {show(ea)}"
                )
            return
        skip_null = types_of(a)[1] != types_of(b)[1]  # already reported as (not) nullable
        ka = {json.dumps(v, sort_keys=True): v for v in ea if not (skip_null and v is None)}
        kb = {json.dumps(v, sort_keys=True): v for v in eb if not (skip_null and v is None)}
        for key in sorted(ka.keys() - kb.keys()):
            self.add("narrow", f"{s}-enum-value-removed", ptr, f"{w}: value {key} removed")
        for key in sorted(kb.keys() - ka.keys()):
            self.add("widen", f"{s}-enum-value-added", ptr, f"{w}: value {key} added")

    def _bounds(self, a: JSON, b: JSON, ptr: str, s: str, w: str) -> None:
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
                message = f"{w}: {kw} {show(va)} -> {show(vb)}".replace("null", "none")
                self.add("narrow" if tighter else "widen", f"{s}-{name}-{event}", ptr, message)
        pa, pb = a.get("pattern"), b.get("pattern")
        if pa == pb:
            return
        if pa is None:
            self.add("narrow", f"{s}-pattern-added", ptr, f"{w} must now match {show(pb)}")
        elif pb is None:
            self.add("widen", f"{s}-pattern-removed", ptr, f"{w} no longer has to match {show(pa)}")
        else:  # a changed pattern may or may not be stricter
            self.add("warn", f"{s}-pattern-changed", ptr, f"{w}: pattern {show(pa)} -> {show(pb)}")

    def _misc(self, a: JSON, b: JSON, ptr: str, s: str, w: str) -> None:
        if a.get("default") != b.get("default"):
            event = (
                "added" if "default" not in a else "removed" if "default" not in b else "changed"
            )
            old, new = show(a.get("default")), show(b.get("default"))
            self.add("info", f"{s}-default-value-{event}", ptr, f"{w}: default {old} -> {new}")
        if bool(a.get("deprecated")) != bool(b.get("deprecated")):
            event = "deprecated" if b.get("deprecated") else "reactivated"
            self.add("info", f"{s}-{event}", ptr, f"{w} {event}")
        for kw in sorted((a.keys() | b.keys()) - HANDLED - IGNORED):
            if not kw.startswith("x-") and a.get(kw) != b.get(kw):
                old, new = show(a.get(kw)), show(b.get(kw))
                self.add("warn", f"{s}-schema-changed", ptr, f"{w}: `{kw}` {old} -> {new}")

    def _properties(self, a: JSON, b: JSON, ptr: str, seen: Seen) -> None:
        pa, pb = a.get("properties") or {}, b.get("properties") or {}
        ra, rb = set(a.get("required") or ()), set(b.get("required") or ())
        for name in dict.fromkeys([*pa, *pb, *sorted(ra | rb)]):
            child = f"{ptr}/properties/{esc(name)}"
            in_a, in_b = name in pa or name in ra, name in pb or name in rb
            s, w = self.subject(child), self.label(child)
            w = w if s == "request-parameter" else f"property {w}"
            if in_a and not in_b:
                kind = "required" if name in ra else "optional"
                if self.direction == "input":
                    closed = b.get("additionalProperties") is False
                    note = " (calls that still send it are rejected)" if closed else ""
                    self.add("warn", f"{s}-removed", child, f"{w} removed{note}")
                else:
                    impact = "break" if name in ra else "warn"
                    rule = f"{self.side}-{kind}-property-removed"
                    self.add(impact, rule, child, f"{kind} {w} removed")
            elif in_b and not in_a:
                kind = "required" if name in rb else "optional"
                if self.direction == "output":
                    self.add("info", f"{self.side}-{kind}-property-added", child, f"new {kind} {w}")
                else:
                    rule = f"{s}-added-{kind}" if s == "request-body" else f"new-{kind}-{s}"
                    impact = "break" if name in rb else "info"
                    self.add(impact, rule, child, f"new {kind} {w}")
            else:
                if (name in ra) != (name in rb):
                    event = "required" if name in rb else "optional"
                    impact = "narrow" if name in rb else "widen"
                    self.add(impact, f"{s}-became-{event}", child, f"{w} became {event}")
                self._node(pa.get(name, {}), pb.get(name, {}), child, seen)

    def _additional(self, a: JSON, b: JSON, ptr: str, s: str, w: str, seen: Seen) -> None:
        xa, xb = a.get("additionalProperties"), b.get("additionalProperties")
        if xa == xb:
            return
        if (xa is False) != (xb is False):
            if xb is False:
                message = f"{w} no longer accepts unlisted properties"
                self.add("narrow", f"{s}-additional-properties-forbidden", ptr, message)
            else:
                message = f"{w} now accepts unlisted properties"
                self.add("widen", f"{s}-additional-properties-allowed", ptr, message)
        elif isinstance(xa, dict) or isinstance(xb, dict):
            xa, xb = (x if isinstance(x, dict) else {} for x in (xa, xb))
            self._node(xa, xb, f"{ptr}/additionalProperties", seen)

    def _lists(self, a: JSON, b: JSON, ptr: str, s: str, w: str, seen: Seen) -> None:
        for kw, name in LISTS.items():
            la, lb = a.get(kw) or [], b.get(kw) or []
            if la == lb or not (isinstance(la, list) and isinstance(lb, list)):
                continue
            for i in range(min(len(la), len(lb))):
                self._node(la[i], lb[i], f"{ptr}/{kw}/{i}", seen)
            if len(la) != len(lb):
                event = "added" if len(lb) > len(la) else "removed"
                # more allOf parts (or tuple items) narrow; more anyOf/oneOf alternatives widen
                narrows = (event == "added") == (kw in ("allOf", "prefixItems"))
                message = f"{w}: {abs(len(lb) - len(la))} {kw} schema(s) {event}"
                self.add("narrow" if narrows else "widen", f"{s}-{name}-{event}", ptr, message)


def documented_output(tool: Tool) -> JSON | None:
    """What a tool's structuredContent documentedly holds (not the advertised
    outline): the bodiless shape, or the response schema, under "result" when wrapped."""
    if tool.bodiless:
        return dict(contract.BODILESS_SCHEMA)
    if tool.response_schema is None:
        return None
    if tool.output_wrapped:
        key = contract.RESULT_KEY
        inner = {k: v for k, v in tool.response_schema.items() if k != "$defs"}
        out: JSON = {"type": "object", "properties": {key: inner}, "required": [key]}
        if "$defs" in tool.response_schema:
            out["$defs"] = tool.response_schema["$defs"]
        return out
    return tool.response_schema


def schema_changes(base: Tool, head: Tool) -> list[Change]:
    """Input and output schema changes of one tool (the same route in both specs)."""
    params = {p.arg: p.location for p in head.params} | {p.arg: p.location for p in base.params}
    generated = frozenset(
        n for t in (base, head) for n in (*(t.window_args or ()), t.fields_arg) if n
    )
    body = head.body or base.body
    body_arg = body.arg if body is not None and body.mode == "wrapped" else None
    found = SchemaDiff("input", "request", params, body_arg, None, generated).run(
        base.input_schema, head.input_schema
    )
    old, new = documented_output(base), documented_output(head)
    if old is not None and new is not None:
        wrapped = "result" if base.output_wrapped or head.output_wrapped else None
        diff = SchemaDiff("output", "response", result_key=wrapped)
        found += diff.run(old, new)
    elif old is not None:
        message = "no outputSchema any more: the result is no longer described"
        found.append(Change("warning", "tool-output-schema-removed", "output", "", message))
    elif new is not None:
        message = "the result now has an outputSchema"
        found.append(Change("info", "tool-output-schema-added", "output", "", message))
    return found
