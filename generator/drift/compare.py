"""Two versions of a schema compared once, however many tools reach it.

``Differ`` (one per direction) walks a pair of schema nodes and returns what
changed as ``Found`` items with pointers relative to that pair. Results are
remembered per pair of nodes: the IR shares a component's converted form among
every tool that reaches it (``model``), so a shared component is compared once
and its changes are mapped to each tool by prefixing the path to it. Recursive
components (``$defs``) are compared once per pair of definitions and reported
under ``/$defs/<Name>``. Each change remembers the component it sits in
(``origin``), which is how the report groups one upstream edit into one row.

Alternatives (``anyOf``/``oneOf``, ``allOf`` parts) are matched by what they
are (same component, same type and shape), never by position, and one that
another alternative already covers changes nothing.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from generator.drift.shapes import (
    ALTERNATIVES,
    ORIGIN,
    Shapes,
    def_ref,
    describe,
    keywords,
    type_set,
    within,
)

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


class Differ:
    def __init__(self, direction: str, base_defs: JSON, head_defs: JSON) -> None:
        self.direction = direction
        self.sa, self.sb = Shapes(base_defs), Shapes(head_defs)
        self._memo: dict[Any, tuple[Any, Any, Result]] = {}
        self._active: set[tuple[Any, Any]] = set()
        self._cuts = 0

    def tool(self, base: Any, head: Any) -> list[Found]:
        """Every change between two tool schemas, with pointers into the tool schema."""
        found, reached = self.node(base, head)
        out = list(found)
        done: set[tuple[str, str]] = set()
        pending = sorted(reached)
        while pending:
            pair = pending.pop()
            if pair in done:
                continue
            done.add(pair)
            more, further = self.definition(*pair)
            out.extend(f.under(f"/$defs/{esc(pair[1])}") for f in more)
            pending.extend(sorted(further - done))
        return list(merged(out))

    def definition(self, base_name: str, head_name: str) -> Result:
        key = ("$defs", base_name, head_name)
        hit = self._memo.get(key)
        if hit is not None:
            return hit[2]
        a, b = self.sa.defs.get(base_name, {}), self.sb.defs.get(head_name, {})
        found, reached = self.node(a, b)
        result = (self._own(found, head_name), reached)
        self._memo[key] = (a, b, result)
        return result

    @staticmethod
    def _own(found: tuple[Found, ...], name: str | None) -> tuple[Found, ...]:
        if not name:
            return found
        return tuple(f if f.origin else f._replace(origin=(name, f.ptr)) for f in found)

    def node(self, a: Any, b: Any) -> Result:
        if a is b:
            return EMPTY
        key = (id(a), id(b))
        hit = self._memo.get(key)
        if hit is not None and hit[0] is a and hit[1] is b:
            return hit[2]
        cuts = self._cuts
        result = self._node(a, b)
        if self._cuts == cuts:  # complete: not cut short by a cycle above it
            self._memo[key] = (a, b, result)
        return result

    def _node(self, a: Any, b: Any) -> Result:
        a, b = self.sa.simplify(a), self.sb.simplify(b)
        if not isinstance(a, dict) or not isinstance(b, dict):
            return EMPTY
        ra, rb = def_ref(a), def_ref(b)
        if ra is not None and ra == rb:  # the same definition: compared once, under /$defs
            found, reached = self._compare(
                {k: v for k, v in a.items() if k != "$ref"},
                {k: v for k, v in b.items() if k != "$ref"},
            )
            return found, reached | {(ra, rb)}
        if ra is not None or rb is not None:
            guard = (ra or id(a), rb or id(b))  # both sides: a cycle on one side only ends too
            if guard in self._active:
                self._cuts += 1
                return EMPTY
            self._active.add(guard)
            try:
                ea = self.sa.resolve(a) if ra else a
                eb = self.sb.resolve(b) if rb else b
                found, reached = self.node(ea, eb)
            finally:
                self._active.discard(guard)
            return self._own(found, rb or ra), reached
        origin = b.get(ORIGIN) or a.get(ORIGIN)
        any_a, any_b = self.sa.is_any(a), self.sb.is_any(b)
        if any_a and any_b:  # e.g. a recursive "JSON value" union and `true`
            return EMPTY
        found, reached = self._compare(a, b)
        return self._own(found, origin), reached

    def _compare(self, a: JSON, b: JSON) -> Result:
        has_a = any(isinstance(a.get(k), list) for k in ALTERNATIVES)
        has_b = any(isinstance(b.get(k), list) for k in ALTERNATIVES)
        if has_a != has_b:  # the plain side is one alternative of the other's list
            kw = next(k for k in ALTERNATIVES if isinstance((b if has_b else a).get(k), list))
            plain, shapes = (a, self.sa) if has_b else (b, self.sb)
            if shapes.is_any(plain) or not keywords(plain):
                alts = (b if has_b else a)[kw]
                listed = ", ".join(describe(x, self.sb if has_b else self.sa) for x in alts[:6])
                if has_b:
                    text = f"{{w}}: no longer any value, now {kw} {listed}"
                    return (Found("narrow", "type-narrowed", "", text),), frozenset()
                text = f"{{w}}: now any value (was {kw} {listed})"
                return (Found("widen", "type-generalized", "", text),), frozenset()
            if has_b:
                a = {kw: [{k: v for k, v in a.items() if k != ORIGIN}]}
            else:
                b = {kw: [{k: v for k, v in b.items() if k != ORIGIN}]}
        out: list[Found] = []
        reached: set[tuple[str, str]] = set()
        self._type(a, b, out)
        self._enum(a, b, out)
        self._bounds(a, b, out)
        self._misc(a, b, out)
        self._properties(a, b, out, reached)
        self._additional(a, b, out, reached)
        if "items" in a or "items" in b:
            self._child(a.get("items", {}), b.get("items", {}), "/items", out, reached)
        for kw in ("patternProperties",):
            ma, mb = a.get(kw), b.get(kw)
            if isinstance(ma, dict) and isinstance(mb, dict):
                for name in sorted(ma.keys() & mb.keys()):
                    self._child(ma[name], mb[name], f"/{kw}/{esc(name)}", out, reached)
        self._alternatives(a, b, out, reached)
        return merged(out), frozenset(reached)

    def _child(self, a: Any, b: Any, prefix: str, out: list[Found], reached: set[Any]) -> None:
        found, more = self.node(a, b)
        out.extend(f.under(prefix) for f in found)
        reached |= more

    # -- one node's own keywords -----------------------------------------------------------

    def _type(self, a: JSON, b: JSON, out: list[Found]) -> None:
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

    def _enum(self, a: JSON, b: JSON, out: list[Found]) -> None:
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
                shown = ", ".join(keys[:6]) + (
                    f" and {len(keys) - 6} more" if len(keys) > 6 else ""
                )
                text = f"{{w}}: value{'s' if len(keys) > 1 else ''} {shown} {event}"
                out.append(Found(impact, f"enum-value-{event}", "", text))

    def _bounds(self, a: JSON, b: JSON, out: list[Found]) -> None:
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

    def _misc(self, a: JSON, b: JSON, out: list[Found]) -> None:
        if a.get("default") != b.get("default"):
            event = (
                "added" if "default" not in a else "removed" if "default" not in b else "changed"
            )
            text = f"{{w}}: default {show(a.get('default'))} -> {show(b.get('default'))}"
            out.append(Found("info", f"default-value-{event}", "", text))
        if bool(a.get("deprecated")) != bool(b.get("deprecated")):
            event = "deprecated" if b.get("deprecated") else "reactivated"
            out.append(Found("info", event, "", f"{{w}} {event}"))
        for kw in sorted((a.keys() | b.keys()) - HANDLED - IGNORED):
            if not kw.startswith("x-") and a.get(kw) != b.get(kw):
                text = f"{{w}}: `{kw}` {show(a.get(kw))} -> {show(b.get(kw))}"
                out.append(Found("warn", "schema-changed", "", text))

    # -- children ----------------------------------------------------------------------------

    def _properties(self, a: JSON, b: JSON, out: list[Found], reached: set[Any]) -> None:
        pa, pb = a.get("properties") or {}, b.get("properties") or {}
        ra, rb = set(a.get("required") or ()), set(b.get("required") or ())
        if pa is pb and ra == rb:
            return
        for name in dict.fromkeys([*pa, *pb, *sorted(ra | rb)]):
            child = f"/properties/{esc(name)}"
            in_a, in_b = name in pa or name in ra, name in pb or name in rb
            if in_a and not in_b:
                kind = "required" if name in ra else "optional"
                if self.direction == "input":
                    closed = b.get("additionalProperties") is False
                    note = " (calls that still send it are rejected)" if closed else ""
                    note = (
                        note or " (the server still accepts it; upstream may ignore or reject it)"
                    )
                    impact = "break" if closed else "warn"
                    out.append(
                        Found(impact, "property-removed", child, f"{{W}} removed{note}", kind=kind)
                    )
                else:
                    impact = "break" if name in ra else "warn"
                    text = f"{kind} {{W}} removed"
                    out.append(Found(impact, "property-removed", child, text, kind=kind))
            elif in_b and not in_a:
                kind = "required" if name in rb else "optional"
                impact = "break" if kind == "required" and self.direction == "input" else "info"
                out.append(Found(impact, "property-added", child, f"new {kind} {{W}}", kind=kind))
            else:
                if (name in ra) != (name in rb):
                    event = "required" if name in rb else "optional"
                    impact = "narrow" if name in rb else "widen"
                    out.append(Found(impact, f"became-{event}", child, f"{{W}} became {event}"))
                self._child(pa.get(name, {}), pb.get(name, {}), child, out, reached)

    def _additional(self, a: JSON, b: JSON, out: list[Found], reached: set[Any]) -> None:
        xa, xb = a.get("additionalProperties"), b.get("additionalProperties")
        if xa is xb:
            return
        if (xa is False) != (xb is False):
            if xb is False:
                text = "{w} no longer accepts unlisted properties"
                out.append(Found("narrow", "additional-properties-forbidden", "", text))
            else:
                text = "{w} now accepts unlisted properties"
                out.append(Found("widen", "additional-properties-allowed", "", text))
        elif isinstance(xa, dict) or isinstance(xb, dict):
            xa, xb = (x if isinstance(x, dict) else {} for x in (xa, xb))
            self._child(xa, xb, "/additionalProperties", out, reached)

    def _alternatives(self, a: JSON, b: JSON, out: list[Found], reached: set[Any]) -> None:
        la = next((a[k] for k in ALTERNATIVES if isinstance(a.get(k), list)), None)
        kw = next((k for k in ALTERNATIVES if isinstance(b.get(k), list)), None)
        if la is not None and kw is not None:
            self._lists(la, b[kw], kw, out, reached)
        pa, pb = a.get("allOf"), b.get("allOf")
        if isinstance(pa, list) or isinstance(pb, list):
            la, lb = (x if isinstance(x, list) else [] for x in (pa, pb))
            self._lists(la, lb, "allOf", out, reached)
        pa, pb = a.get("prefixItems"), b.get("prefixItems")
        if isinstance(pa, list) and isinstance(pb, list) and pa != pb:
            for i in range(min(len(pa), len(pb))):
                self._child(pa[i], pb[i], f"/prefixItems/{i}", out, reached)
            if len(pa) != len(pb):
                event = "added" if len(pb) > len(pa) else "removed"
                text = f"{{w}}: {abs(len(pb) - len(pa))} prefixItems schema(s) {event}"
                impact = "narrow" if event == "added" else "widen"
                out.append(Found(impact, f"prefix-items-{event}", "", text))

    def _lists(
        self, la: list[Any], lb: list[Any], kw: str, out: list[Found], reached: set[Any]
    ) -> None:
        """Alternatives (or allOf parts): matched, then the unmatched ones added or removed.
        More alternatives accept more; more allOf parts accept less."""
        if la is lb:
            return
        pairs = self._pair(la, lb)
        for i, j in pairs:
            self._child(la[i], lb[j], f"/{kw}/{j}", out, reached)
        union = kw != "allOf"
        used_a, used_b = {i for i, _ in pairs}, {j for _, j in pairs}
        for j, alt in enumerate(lb):
            if j not in used_b and not (union and self._covered(alt, la, self.sb, self.sa)):
                text = f"{{w}}: {kw} alternative {describe(alt, self.sb)} added"
                out.append(Found("widen" if union else "narrow", f"{LISTS[kw]}-added", "", text))
        for i, alt in enumerate(la):
            if i not in used_a and not (union and self._covered(alt, lb, self.sa, self.sb)):
                text = f"{{w}}: {kw} alternative {describe(alt, self.sa)} removed"
                out.append(Found("narrow" if union else "widen", f"{LISTS[kw]}-removed", "", text))

    def _covered(self, alt: Any, others: list[Any], own: Shapes, theirs: Shapes) -> bool:
        """Another side's alternative accepts all ``alt`` does: its going or coming changes nothing."""
        return any(theirs.accepts(o, alt, own) for o in others)

    def _pair(self, la: list[Any], lb: list[Any]) -> list[tuple[int, int]]:
        """Alternatives matched by what they are: best pairs first, unmatched left over."""
        scored = []
        for i, x in enumerate(la):
            for j, y in enumerate(lb):
                score = self._score(x, y)
                if score > 0:
                    scored.append((-score, abs(i - j), i, j))
        scored.sort()
        used_a: set[int] = set()
        used_b: set[int] = set()
        pairs = []
        for _, _, i, j in scored:
            if i not in used_a and j not in used_b:
                used_a.add(i)
                used_b.add(j)
                pairs.append((i, j))
        return sorted(pairs, key=lambda p: p[1])

    def _score(self, x: Any, y: Any) -> int:
        x, y = self.sa.simplify(x), self.sb.simplify(y)
        if not isinstance(x, dict) or not isinstance(y, dict):
            return 1000 if x == y else 0
        nx, ny = x.get(ORIGIN) or def_ref(x), y.get(ORIGIN) or def_ref(y)
        if nx and nx == ny:
            return 1000
        tx, ty = self.sa.types(x), self.sb.types(y)
        if tx is not None and ty is not None and not (tx & ty or within(tx, ty) or within(ty, tx)):
            return 0
        score = 500 if tx == ty else 300 if tx is not None and ty is not None else 100
        px, py = set(x.get("properties") or ()), set(y.get("properties") or ())
        if px or py:
            score += 100 * len(px & py) // max(1, len(px | py))
        ex, ey = enum_of(x), enum_of(y)
        if ex is not None and ey is not None:
            common = {json.dumps(v) for v in ex} & {json.dumps(v) for v in ey}
            score += 100 * len(common) // max(1, len({json.dumps(v) for v in [*ex, *ey]}))
        elif (ex is None) != (ey is None):
            score -= 50
        score += 20 * len(keywords(x) & keywords(y)) - 10 * len(keywords(x) ^ keywords(y))
        if nx and ny:
            score -= 50  # two different components: a last resort
        return max(score, 1)
