"""Drift rules: what a change to one tool's schema or metadata means for its callers.

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
from dataclasses import dataclass
from typing import Any, Literal

from generator.ir import Tool

Severity = Literal["breaking", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("breaking", "warning", "info")
RANK = {s: i for i, s in enumerate(SEVERITIES)}
JSON = dict[str, Any]


@dataclass(frozen=True)
class Change:
    severity: Severity
    rule: str
    direction: Literal["input", "output", "meta"]
    location: str  # a JSON pointer inside the tool's inputSchema / outputSchema, or the tool
    message: str

    def as_dict(self) -> JSON:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "direction": self.direction,
            "location": self.location,
            "message": self.message,
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
COMBINATORS = ("allOf", "anyOf", "oneOf")
HANDLED = {
    "type",
    "format",
    "enum",
    "const",
    "pattern",
    "properties",
    "required",
    "items",
    "prefixItems",
    "additionalProperties",
    "patternProperties",
    "$defs",
    "$ref",
    "default",
    "deprecated",
    *UPPER,
    *LOWER,
    *COMBINATORS,
}
IGNORED = {"description", "title", "examples", "example", "readOnly", "writeOnly", "$comment"}
NUMERIC = {"integer": "number"}


def esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unesc(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _canon(node: Any) -> Any:
    """Booleans as schemas, and ``anyOf/oneOf: [S, {type: null}]`` as S with a type list."""
    if node is True:
        return {}
    if node is False:
        return {"not": {}}
    if not isinstance(node, dict):
        return node
    for kw in ("anyOf", "oneOf"):
        alts = node.get(kw)
        if not (isinstance(alts, list) and len(alts) == 2 and {"type": "null"} in alts):
            continue
        if set(node) - {kw} - IGNORED - {"default", "deprecated"}:
            continue
        other = alts[0] if alts[1] == {"type": "null"} else alts[1]
        kind = other.get("type") if isinstance(other, dict) else None
        if kind is None:
            continue
        merged = {**other, **{k: v for k, v in node.items() if k != kw}}
        kinds = kind if isinstance(kind, list) else [kind]
        merged["type"] = [k for k in kinds if k != "null"] + ["null"]
        if isinstance(merged.get("enum"), list) and None not in merged["enum"]:
            merged["enum"] = [*merged["enum"], None]
        return merged
    return node


def _types(schema: JSON) -> tuple[frozenset[str] | None, bool]:
    """(non-null types or None for any, nullable)."""
    kind = schema.get("type")
    if kind is None:
        return None, False
    kinds = set(kind) if isinstance(kind, list) else {kind}
    return frozenset(k for k in kinds if k != "null"), "null" in kinds


def _within(inner: frozenset[str], outer: frozenset[str]) -> bool:
    return all(k in outer or NUMERIC.get(k) in outer for k in inner)


def _enum(schema: JSON) -> list[Any] | None:
    if isinstance(schema.get("enum"), list):
        return schema["enum"]
    if "const" in schema:
        return [schema["const"]]
    return None


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class SchemaDiff:
    """Compares two versions of one tool schema; collects ``Change``s.

    ``side`` names the rules (``request``/``response``/``webhook``); ``direction``
    (``input``/``output``) decides what narrowing and widening mean.
    """

    def __init__(
        self,
        direction: Literal["input", "output"],
        side: str,
        params: dict[str, str] | None = None,  # argument -> HTTP location
        body_arg: str | None = None,  # the argument holding a wrapped body
        result_key: str | None = None,  # output wrapped as {"result": ...}
        generated: frozenset[str] = frozenset(),  # arguments the generator adds
    ) -> None:
        self.direction = direction
        self.side = side
        self.params = params or {}
        self.body_arg = body_arg
        self.result_key = result_key
        self.generated = generated
        self.changes: list[Change] = []
        self.roots: tuple[JSON, JSON] = ({}, {})

    def run(self, base: Any, head: Any) -> list[Change]:
        self.roots = (
            base if isinstance(base, dict) else {},
            head if isinstance(head, dict) else {},
        )
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
        if self.side == "request" and top in self.params:
            note = " (added by the generator)" if top in self.generated else ""
            return f"{self.params[top]} parameter `{top}`{note}"
        parts = [unesc(p) for p in ptr.split("/")[1:]]
        out, i = "", 0
        while i < len(parts):
            part = parts[i]
            if part in ("properties", "patternProperties", "$defs") and i + 1 < len(parts):
                prefix = "$defs/" if part == "$defs" else ""
                out += ("." if out else "") + prefix + parts[i + 1]
                i += 2
            elif part in (*COMBINATORS, "prefixItems") and i + 1 < len(parts):
                out += f"<{part} {int(parts[i + 1]) + 1}>"
                i += 2
            elif part == "items":
                out += "[]"
                i += 1
            else:
                out += ("." if out else "") + part
                i += 1
        if not out:
            return {"request": "the arguments", "response": "the result"}.get(self.side, "payload")
        note = " (added by the generator)" if top in self.generated else ""
        return f"`{out}`{note}"

    def add(self, sev_in: Severity, sev_out: Severity, rule: str, ptr: str, msg: str) -> None:
        severity = sev_in if self.direction == "input" else sev_out
        self.changes.append(Change(severity, rule, self.direction, ptr, msg))

    # -- the walk ------------------------------------------------------------

    def _resolve(self, node: JSON, root: JSON) -> JSON:
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/$defs/")):
            return node
        target = (root.get("$defs") or {}).get(unesc(ref[len("#/$defs/") :]), {})
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {**target, **rest} if isinstance(target, dict) else rest

    def _node(self, a: Any, b: Any, ptr: str, seen: frozenset[tuple[Any, Any]]) -> None:
        if a == b:
            return
        a, b = _canon(a), _canon(b)
        if not isinstance(a, dict) or not isinstance(b, dict) or a == b:
            return
        ra, rb = a.get("$ref"), b.get("$ref")
        if ra is not None or rb is not None:
            if ra == rb:  # the same definition: its changes are reported under /$defs
                a = {k: v for k, v in a.items() if k != "$ref"}
                b = {k: v for k, v in b.items() if k != "$ref"}
            else:
                if (ra, rb) in seen:
                    return
                seen = seen | {(ra, rb)}
                a, b = self._resolve(a, self.roots[0]), self._resolve(b, self.roots[1])
            self._node(a, b, ptr, seen)
            return
        self._type(a, b, ptr)
        self._enum(a, b, ptr)
        self._bounds(a, b, ptr)
        self._pattern(a, b, ptr)
        self._misc(a, b, ptr)
        self._properties(a, b, ptr, seen)
        self._additional(a, b, ptr, seen)
        for kw in ("items",):
            if kw in a or kw in b:
                self._node(a.get(kw, {}), b.get(kw, {}), f"{ptr}/{kw}", seen)
        self._lists(a, b, ptr, seen)
        for kw in ("patternProperties", "$defs"):
            ma, mb = a.get(kw), b.get(kw)
            if isinstance(ma, dict) and isinstance(mb, dict):
                for name in ma.keys() & mb.keys():
                    self._node(ma[name], mb[name], f"{ptr}/{kw}/{esc(name)}", seen)

    def _type(self, a: JSON, b: JSON, ptr: str) -> None:
        subj, what = self.subject(ptr), self.label(ptr)
        (ta, na), (tb, nb) = _types(a), _types(b)
        fa, fb = a.get("format"), b.get("format")
        if ta != tb:
            wider = tb is None or (ta is not None and _within(ta, tb))
            narrower = ta is None or (tb is not None and _within(tb, ta))
            old = "any" if ta is None else "/".join(sorted(ta))
            new = "any" if tb is None else "/".join(sorted(tb))
            if wider and not narrower:
                self.add(
                    "info",
                    "warning",
                    f"{subj}-type-generalized",
                    ptr,
                    f"type of {what} widened from {old} to {new}",
                )
            elif narrower and not wider:
                rule = (
                    f"{subj}-type-changed"
                    if self.direction == "input"
                    else f"{subj}-type-specialized"
                )
                self.add(
                    "breaking", "info", rule, ptr, f"type of {what} narrowed from {old} to {new}"
                )
            else:
                self.add(
                    "breaking",
                    "breaking",
                    f"{subj}-type-changed",
                    ptr,
                    f"type of {what} changed from {old} to {new}",
                )
        if na != nb:
            if nb:
                self.add(
                    "info", "warning", f"{subj}-became-nullable", ptr, f"{what} became nullable"
                )
            else:
                self.add(
                    "breaking",
                    "info",
                    f"{subj}-became-not-nullable",
                    ptr,
                    f"{what} became not nullable",
                )
        if fa != fb:
            if fa is not None and fb is not None:
                self.add(
                    "breaking",
                    "breaking",
                    f"{subj}-type-changed",
                    ptr,
                    f"format of {what} changed from {fa} to {fb}",
                )
            elif fb is not None:
                rule = (
                    f"{subj}-type-changed"
                    if self.direction == "input"
                    else f"{subj}-type-specialized"
                )
                self.add("breaking", "info", rule, ptr, f"{what} now has format {fb}")
            else:
                self.add(
                    "info",
                    "warning",
                    f"{subj}-type-generalized",
                    ptr,
                    f"{what} no longer has format {fa}",
                )

    def _enum(self, a: JSON, b: JSON, ptr: str) -> None:
        ea, eb = _enum(a), _enum(b)
        if ea == eb:
            return
        subj, what = self.subject(ptr), self.label(ptr)
        if ea is None and eb is not None:
            self.add(
                "breaking",
                "info",
                f"{subj}-became-enum",
                ptr,
                f"{what} was restricted to the values {show(eb)}",
            )
            return
        if eb is None:
            self.add(
                "info",
                "warning",
                f"{subj}-became-not-enum",
                ptr,
                f"{what} is no longer restricted to {show(ea)}",
            )
            return
        nullability_changed = _types(a)[1] != _types(b)[1]
        keys_a = {_key(v): v for v in ea if not (nullability_changed and v is None)}
        keys_b = {_key(v): v for v in eb if not (nullability_changed and v is None)}
        for k, value in keys_a.items():
            if k not in keys_b:
                self.add(
                    "breaking",
                    "info",
                    f"{subj}-enum-value-removed",
                    ptr,
                    f"enum value {show(value)} removed from {what}",
                )
        for k, value in keys_b.items():
            if k not in keys_a:
                self.add(
                    "info",
                    "warning",
                    f"{subj}-enum-value-added",
                    ptr,
                    f"enum value {show(value)} added to {what}",
                )

    def _bounds(self, a: JSON, b: JSON, ptr: str) -> None:
        for table, upper in ((UPPER, True), (LOWER, False)):
            for kw, name in table.items():
                va, vb = _number(a.get(kw)), _number(b.get(kw))
                if va == vb:
                    continue
                if va is None:
                    event, tighter = "set", True
                elif vb is None:
                    event, tighter = "unset", False
                else:
                    event = "increased" if vb > va else "decreased"
                    tighter = (vb < va) if upper else (vb > va)
                old = "none" if va is None else show(va)
                new = "none" if vb is None else show(vb)
                msg = f"{kw} of {self.label(ptr)} {event}: {old} -> {new}"
                rule = f"{self.subject(ptr)}-{name}-{event}"
                if tighter:
                    self.add("breaking", "info", rule, ptr, msg)
                else:
                    self.add("info", "warning", rule, ptr, msg)

    def _pattern(self, a: JSON, b: JSON, ptr: str) -> None:
        pa, pb = a.get("pattern"), b.get("pattern")
        if pa == pb:
            return
        subj, what = self.subject(ptr), self.label(ptr)
        if pa is None:
            self.add(
                "breaking",
                "info",
                f"{subj}-pattern-added",
                ptr,
                f"{what} must now match {show(pb)}",
            )
        elif pb is None:
            self.add(
                "info",
                "warning",
                f"{subj}-pattern-removed",
                ptr,
                f"{what} no longer has to match {show(pa)}",
            )
        else:
            self.add(
                "warning",
                "warning",
                f"{subj}-pattern-changed",
                ptr,
                f"pattern of {what} changed from {show(pa)} to {show(pb)}",
            )

    def _misc(self, a: JSON, b: JSON, ptr: str) -> None:
        subj, what = self.subject(ptr), self.label(ptr)
        if a.get("default") != b.get("default"):
            event = (
                "added" if "default" not in a else "removed" if "default" not in b else "changed"
            )
            self.add(
                "info",
                "info",
                f"{subj}-default-value-{event}",
                ptr,
                f"default of {what} {event}: {show(a.get('default'))} -> {show(b.get('default'))}",
            )
        if bool(a.get("deprecated")) != bool(b.get("deprecated")):
            event = "deprecated" if b.get("deprecated") else "reactivated"
            self.add("info", "info", f"{subj}-{event}", ptr, f"{what} {event}")
        for kw in sorted((a.keys() | b.keys()) - HANDLED - IGNORED):
            if kw.startswith("x-") or a.get(kw) == b.get(kw):
                continue
            self.add(
                "warning",
                "warning",
                f"{subj}-schema-changed",
                ptr,
                f"`{kw}` of {what} changed: {show(a.get(kw))} -> {show(b.get(kw))}",
            )

    def _properties(self, a: JSON, b: JSON, ptr: str, seen: frozenset[tuple[Any, Any]]) -> None:
        pa, pb = a.get("properties") or {}, b.get("properties") or {}
        ra, rb = set(a.get("required") or ()), set(b.get("required") or ())
        if not (pa or pb or ra or rb):
            return
        names = list(dict.fromkeys([*pa, *pb, *sorted(ra | rb)]))
        for name in names:
            child = f"{ptr}/properties/{esc(name)}"
            in_a, in_b = name in pa or name in ra, name in pb or name in rb
            subj, what = self.subject(child), self.label(child)
            if in_a and not in_b:
                if self.direction == "input":
                    self.add("warning", "warning", f"{subj}-removed", child, f"{what} removed")
                elif name in ra:
                    self.add(
                        "breaking",
                        "breaking",
                        f"{self.side}-required-property-removed",
                        child,
                        f"required {what} removed",
                    )
                else:
                    self.add(
                        "warning",
                        "warning",
                        f"{self.side}-optional-property-removed",
                        child,
                        f"optional {what} removed",
                    )
            elif in_b and not in_a:
                kind = "required" if name in rb else "optional"
                if self.direction == "input":
                    rule = (
                        f"{subj}-added-{kind}" if subj == "request-body" else f"new-{kind}-{subj}"
                    )
                    sev: Severity = "breaking" if name in rb else "info"
                    self.add(sev, sev, rule, child, f"new {kind} {what}")
                else:
                    self.add(
                        "info",
                        "info",
                        f"{self.side}-{kind}-property-added",
                        child,
                        f"new {kind} {what}",
                    )
            else:
                if (name in ra) != (name in rb):
                    if name in rb:
                        self.add(
                            "breaking",
                            "info",
                            f"{subj}-became-required",
                            child,
                            f"{what} became required",
                        )
                    else:
                        self.add(
                            "info",
                            "warning",
                            f"{subj}-became-optional",
                            child,
                            f"{what} became optional",
                        )
                self._node(pa.get(name, {}), pb.get(name, {}), child, seen)

    def _additional(self, a: JSON, b: JSON, ptr: str, seen: frozenset[tuple[Any, Any]]) -> None:
        xa, xb = a.get("additionalProperties"), b.get("additionalProperties")
        if xa == xb:
            return
        closed_a, closed_b = xa is False, xb is False
        if closed_a != closed_b:
            subj, what = self.subject(ptr), self.label(ptr)
            if closed_b:
                self.add(
                    "breaking",
                    "info",
                    f"{subj}-additional-properties-forbidden",
                    ptr,
                    f"{what} no longer accepts unlisted properties",
                )
            else:
                self.add(
                    "info",
                    "warning",
                    f"{subj}-additional-properties-allowed",
                    ptr,
                    f"{what} now accepts unlisted properties",
                )
        elif isinstance(xa, dict) or isinstance(xb, dict):
            self._node(
                xa if isinstance(xa, dict) else {},
                xb if isinstance(xb, dict) else {},
                f"{ptr}/additionalProperties",
                seen,
            )

    def _lists(self, a: JSON, b: JSON, ptr: str, seen: frozenset[tuple[Any, Any]]) -> None:
        for kw in (*COMBINATORS, "prefixItems"):
            la, lb = a.get(kw) or [], b.get(kw) or []
            if la == lb or not (isinstance(la, list) and isinstance(lb, list)):
                continue
            for i in range(min(len(la), len(lb))):
                self._node(la[i], lb[i], f"{ptr}/{kw}/{i}", seen)
            if len(la) == len(lb):
                continue
            subj, what = self.subject(ptr), self.label(ptr)
            name = {"allOf": "all-of", "anyOf": "any-of", "oneOf": "one-of"}.get(kw, "prefix-items")
            event = "added" if len(lb) > len(la) else "removed"
            count = abs(len(lb) - len(la))
            # more allOf parts narrow; more anyOf/oneOf alternatives widen
            narrows = (event == "added") == (kw in ("allOf", "prefixItems"))
            msg = f"{count} {kw} schema(s) {event} in {what}"
            if narrows:
                self.add("breaking", "info", f"{subj}-{name}-{event}", ptr, msg)
            else:
                self.add("info", "warning", f"{subj}-{name}-{event}", ptr, msg)


def schema_changes(base: Tool, head: Tool) -> list[Change]:
    """Input and output schema changes of one tool (same route in both specs)."""
    params = {p.arg: p.location for p in head.params} | {p.arg: p.location for p in base.params}
    generated = frozenset(
        n for t in (base, head) for n in (*(t.window_args or ()), t.fields_arg) if n
    )
    body = head.body if head.body is not None else base.body
    body_arg = body.arg if body is not None and body.mode == "wrapped" else None
    out = SchemaDiff("input", "request", params, body_arg, None, generated).run(
        base.input_schema, head.input_schema
    )
    if base.output_schema is not None and head.output_schema is not None:
        wrapped = "result" if base.output_wrapped or head.output_wrapped else None
        out += SchemaDiff("output", "response", result_key=wrapped).run(
            base.output_schema, head.output_schema
        )
    elif base.output_schema is not None:
        out.append(
            Change(
                "warning",
                "tool-output-schema-removed",
                "output",
                "",
                "no outputSchema any more (the result is no longer described)",
            )
        )
    elif head.output_schema is not None:
        out.append(
            Change(
                "info",
                "tool-output-schema-added",
                "output",
                "",
                "the result now has an outputSchema",
            )
        )
    return out


HINTS = (
    # (field, served name, severity when it turns true, severity when it turns false)
    ("read_only", "readOnlyHint", "info", "breaking"),
    ("destructive", "destructiveHint", "warning", "info"),
    ("idempotent", "idempotentHint", "info", "warning"),
    ("open_world", "openWorldHint", "info", "info"),
)


def meta_changes(base: Tool, head: Tool) -> list[Change]:
    """Name, exposure, annotations, description and filters of one tool."""
    out: list[Change] = []

    def add(severity: Severity, rule: str, location: str, message: str) -> None:
        out.append(Change(severity, rule, "meta", location, message))

    exposed = base.policy.exposure == "exposed"
    if base.name != head.name:
        how = (
            f"operationId {base.operation_id!r} -> {head.operation_id!r}"
            if base.operation_id != head.operation_id
            else "same operationId"
        )
        add(
            "breaking" if exposed else "warning",
            "tool-renamed",
            "/name",
            f"renamed from `{base.name}` to `{head.name}` ({how}); saved calls and allow-lists "
            "naming the old tool stop working",
        )
    if base.policy.exposure != head.policy.exposure:
        if head.policy.exposure == "excluded":
            why = f": {head.policy.exclusion_reason}" if head.policy.exclusion_reason else ""
            add(
                "breaking",
                "tool-exposure-changed",
                "/exposure",
                f"no longer exposed (x-artie-mcp exposure: excluded{why}); only served with "
                "--include-excluded",
            )
        else:
            add("info", "tool-exposure-changed", "/exposure", "now exposed (was excluded)")
    if base.path != head.path:
        add("info", "tool-route-changed", "/path", f"path {base.path} -> {head.path}")
    ba, ha = base.annotations, head.annotations
    if ba is not None and ha is not None:
        if ba.title != ha.title:
            add("info", "tool-title-changed", "/title", f"title {ba.title!r} -> {ha.title!r}")
        for field, served, to_true, to_false in HINTS:
            old, new = getattr(ba, field), getattr(ha, field)
            if old != new:
                severity = to_true if new else to_false
                add(
                    severity,
                    "tool-annotation-changed",
                    f"/annotations/{served}",  # type: ignore[arg-type]
                    f"{served} {str(old).lower()} -> {str(new).lower()}",
                )
    if base.description != head.description:
        add(
            "info",
            "tool-description-changed",
            "/description",
            f"description changed ({len(base.description)} -> {len(head.description)} characters)",
        )
    if base.deprecated != head.deprecated:
        rule = "endpoint-deprecated" if head.deprecated else "endpoint-reactivated"
        add(
            "info", rule, "/deprecated", "deprecated" if head.deprecated else "no longer deprecated"
        )
    for tag in sorted(set(base.tags) - set(head.tags)):
        add("warning", "api-tag-removed", "/tags", f"tag {tag!r} removed (--tags filters)")
    for tag in sorted(set(head.tags) - set(base.tags)):
        add("info", "api-tag-added", "/tags", f"tag {tag!r} added")
    if base.method_class != head.method_class:
        add(
            "warning",
            "tool-class-changed",
            "/class",
            f"class {base.method_class} -> {head.method_class} (--methods filters)",
        )
    new_scopes = sorted(set(head.policy.scopes) - set(base.policy.scopes))
    if new_scopes:
        add(
            "warning",
            "tool-required-scope-added",
            "/x-artie-mcp/requiredScopes",
            f"now requires scope {', '.join(new_scopes)}",
        )
    gone_scopes = sorted(set(base.policy.scopes) - set(head.policy.scopes))
    if gone_scopes:
        add(
            "info",
            "tool-required-scope-removed",
            "/x-artie-mcp/requiredScopes",
            f"no longer requires scope {', '.join(gone_scopes)}",
        )
    if base.policy.retry != head.policy.retry:
        add(
            "info",
            "tool-retry-semantics-changed",
            "/x-artie-mcp/retrySemantics",
            f"retrySemantics {base.policy.retry} -> {head.policy.retry}",
        )
    for attr, served in (
        ("input_sensitivity", "inputSensitivity"),
        ("output_sensitivity", "outputSensitivity"),
    ):
        old, new = getattr(base.policy, attr), getattr(head.policy, attr)
        if old != new:
            add(
                "info",
                "tool-sensitivity-changed",
                f"/x-artie-mcp/{served}",
                f"{served} {old} -> {new}",
            )
    return out
