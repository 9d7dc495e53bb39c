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
from typing import Any

from generator.drift.local import EMPTY, LISTS, Found, Result, enum_of, esc, merged
from generator.drift.local import bounds as compare_bounds
from generator.drift.local import enum as compare_enum
from generator.drift.local import misc as compare_misc
from generator.drift.local import type_ as compare_type
from generator.drift.shapes import (
    ALTERNATIVES,
    ORIGIN,
    Shapes,
    def_ref,
    describe,
    keywords,
    within,
)

JSON = dict[str, Any]


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
        compare_type(a, b, out)
        compare_enum(a, b, out)
        compare_bounds(a, b, out)
        compare_misc(a, b, out)
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
