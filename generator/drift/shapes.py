"""What a schema accepts, as far as drift can decide it, independent of its spelling.

``Shapes`` belongs to one side of a comparison (it resolves that side's
``$defs``). ``simplify`` rewrites spellings that accept the same values into one
form: boolean schemas, ``anyOf: [S, {type: null}]`` as a type list, a single
alternative merged into its parent, a ``type`` that only repeats what every
alternative says, nested alternatives spliced, an ``allOf`` of plain objects
merged. ``is_any`` decides that a schema accepts every JSON value (also a
recursive "JSON value" union); ``accepts`` that one schema accepts all that
another does, for the simple cases (types, enums, plain bounds).
"""

from __future__ import annotations

import json
import re
from typing import Any

from generator import schemas, schematools

JSON = dict[str, Any]
ORIGIN = schematools.ORIGIN
NULL = {"type": "null"}
ANNOTATIONS = {"description", "title", "examples", "example", "readOnly", "writeOnly"}
ANNOTATIONS |= {"$comment", "default", "deprecated", ORIGIN}
ALTERNATIVES = ("anyOf", "oneOf")
JSON_TYPES = frozenset({"string", "number", "boolean", "object", "array", "null"})
SIMPLE = {"type", "enum", "const", "minLength", "maxLength", "minimum", "maximum", "pattern"}
SIMPLE |= {"exclusiveMinimum", "exclusiveMaximum", "format"}


def keywords(node: JSON) -> set[str]:
    """The keywords that constrain values (not annotations, not extensions)."""
    return {k for k in node if k not in ANNOTATIONS and not k.startswith("x-")}


def type_set(node: JSON) -> frozenset[str] | None:
    kind = node.get("type")
    if kind is None:
        return None
    return frozenset(kind) if isinstance(kind, list) else frozenset([kind])


def def_ref(node: Any) -> str | None:
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return schemas.unescape(ref[len("#/$defs/") :])
    return None


class Shapes:
    def __init__(self, defs: JSON) -> None:
        self.defs = defs
        self._simple: dict[int, tuple[Any, Any]] = {}
        self._any: dict[int, tuple[Any, bool]] = {}

    def resolve(self, node: JSON) -> JSON:
        """A ``$defs`` reference as its definition (siblings merged over it)."""
        name = def_ref(node)
        if name is None:
            return node
        target = self.defs.get(name)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if not isinstance(target, dict):
            return rest
        return {**target, **rest} if rest else target

    # -- one spelling per meaning ------------------------------------------------------

    def simplify(self, node: Any) -> Any:
        hit = self._simple.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        out = self._simplify(node)
        self._simple[id(node)] = (node, out)
        return out

    def _simplify(self, node: Any) -> Any:
        if node is True:
            return {}
        if node is False:
            return {"not": {}}
        if not isinstance(node, dict):
            return node
        out = node
        for kw in ALTERNATIVES:
            alts = out.get(kw)
            if not isinstance(alts, list) or not alts:
                continue
            flat: list[Any] = []
            for alt in alts:
                alt = self.simplify(alt)
                inner = alt.get("anyOf") or alt.get("oneOf") if isinstance(alt, dict) else None
                if isinstance(inner, list) and not keywords(alt) - set(ALTERNATIVES):
                    flat.extend(self.simplify(a) for a in inner)  # nested alternatives
                else:
                    flat.append(alt)
            if flat != alts:
                out = {**out, kw: flat}
            out = self._null_pair(out, kw)
            out = self._redundant_type(out, kw)
            out = self._single(out, kw)
            if kw not in out:
                return self.simplify(out) if out is not node else out
        parts = out.get("allOf")
        if isinstance(parts, list) and parts:
            resolved = [self.simplify(self.resolve(p) if def_ref(p) else p) for p in parts]
            merged = schematools.merge_all_of({**out, "allOf": resolved})
            if "allOf" not in merged:
                return merged
            if len(parts) == 1:
                out = self._merge(out, "allOf", parts[0])
        return out

    def _null_pair(self, node: JSON, kw: str) -> JSON:
        """``anyOf: [S, {type: null}]`` (nothing else beside it) as S with null in its type."""
        alts = node[kw]
        nulls = [
            a
            for a in alts
            if isinstance(a, dict) and keywords(a) == {"type"} and a["type"] == "null"
        ]
        if len(alts) != 2 or len(nulls) != 1 or keywords(node) - {kw}:
            return node
        other = alts[0] if alts[1] is nulls[0] else alts[1]
        if not isinstance(other, dict) or def_ref(other) or type_set(other) is None:
            return node
        merged = {**other, **{k: v for k, v in node.items() if k != kw}}
        kinds = [k for k in sorted(type_set(other) or ()) if k != "null"]
        merged["type"] = [*kinds, "null"] if kinds else "null"
        if isinstance(merged.get("enum"), list) and None not in merged["enum"]:
            merged["enum"] = [*merged["enum"], None]
        return merged

    def _redundant_type(self, node: JSON, kw: str) -> JSON:
        """``type: T`` beside alternatives that each have a type within T says nothing more."""
        own = type_set(node)
        if own is None or kw not in node:
            return node
        for alt in node[kw]:
            kinds = self.types(alt)
            if kinds is None or not within(kinds, own):
                return node
        return {k: v for k, v in node.items() if k != "type"}

    def _single(self, node: JSON, kw: str) -> JSON:
        alts = node.get(kw)
        if not isinstance(alts, list) or len(alts) != 1:
            return node
        return self._merge(node, kw, alts[0])

    def _merge(self, node: JSON, kw: str, alt: Any) -> JSON:
        """A node and its one alternative (or allOf part) as one schema, when no keyword clashes."""
        rest = {k: v for k, v in node.items() if k != kw}
        if not isinstance(alt, dict):
            return node
        if not keywords(rest):
            return {**alt, **{k: v for k, v in rest.items() if k not in alt}} if rest else alt
        if def_ref(alt):
            return node
        merged = dict(alt)
        for key, value in rest.items():
            if key in ANNOTATIONS or key.startswith("x-"):
                merged.setdefault(key, value)
            elif key not in merged or merged[key] == value:
                merged[key] = value
            elif key == "type":
                both = (type_set(rest) or frozenset()) & (type_set(alt) or frozenset())
                if not both:
                    return node
                merged["type"] = canonical(both)
            else:
                return node
        return merged

    # -- types, any, subsumption -------------------------------------------------------

    def types(self, node: Any) -> frozenset[str] | None:
        """The JSON types a schema accepts (None: any), alternatives included."""
        node = self.simplify(node)
        if not isinstance(node, dict):
            return None
        node = self.resolve(node) if def_ref(node) else node
        own = type_set(node)
        for kw in ALTERNATIVES:
            alts = node.get(kw)
            if isinstance(alts, list) and alts and not def_ref(node):
                union: set[str] = set()
                for alt in alts:
                    kinds = self.types(alt) if not def_ref(alt) else type_set(self.resolve(alt))
                    if kinds is None:
                        return own
                    union |= kinds
                return frozenset(union) if own is None else frozenset(union) & own
        return own

    def is_any(self, node: Any, assumed: frozenset[int] = frozenset()) -> bool:
        """Every JSON value is accepted: ``{}``, or a union of each JSON type whose
        members constrain nothing but their type (and children that are any again)."""
        node = self.simplify(node)
        if not isinstance(node, dict):
            return False
        hit = self._any.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        if id(node) in assumed:
            return True  # coinductive: a recursive "JSON value" is any if the rest is
        assumed = assumed | {id(node)}
        if def_ref(node):
            result = self.is_any(self.resolve(node), assumed)
        else:
            result = self._is_any(node, assumed)
        if len(assumed) == 1:
            self._any[id(node)] = (node, result)
        return result

    def _is_any(self, node: JSON, assumed: frozenset[int]) -> bool:
        kws = keywords(node)
        if not kws:
            return True
        alts = next((node[k] for k in ALTERNATIVES if isinstance(node.get(k), list)), None)
        if alts is None or kws - set(ALTERNATIVES):
            return False
        covered: set[str] = set()
        for alt in alts:
            alt = self.simplify(alt)
            alt = self.resolve(alt) if def_ref(alt) else alt
            if not isinstance(alt, dict):
                return False
            if self.is_any(alt, assumed):
                return True
            kinds = type_set(alt)
            rest = keywords(alt) - {"type"}
            if kinds is None:
                return False
            if rest - {"items", "additionalProperties"}:
                continue
            if any(not self.is_any(alt[k], assumed) for k in rest if alt[k] is not True):
                continue
            covered |= kinds
        if "number" in covered:
            covered.add("integer")
        return JSON_TYPES <= covered

    def accepts(self, outer: Any, inner: Any, other: Shapes) -> bool:
        """Whether ``outer`` (of this side) accepts every value ``inner`` (of ``other``)
        accepts, decided for the simple cases; False when it cannot tell."""
        outer, inner = self.simplify(outer), other.simplify(inner)
        if self.is_any(outer):
            return True
        if not isinstance(outer, dict) or not isinstance(inner, dict):
            return False
        outer = self.resolve(outer) if def_ref(outer) else outer
        inner = other.resolve(inner) if def_ref(inner) else inner
        to, ti = self.types(outer), other.types(inner)
        if ti is None or (to is not None and not within(ti, to)):
            return False
        rest = keywords(outer) - {"type"}
        if not rest:
            return True
        values = inner.get("enum") if isinstance(inner.get("enum"), list) else None
        if values is None and "const" in inner:
            values = [inner["const"]]
        if values is None or rest - SIMPLE:
            return False
        return all(simple_valid(outer, v) for v in values)


def within(inner: frozenset[str], outer: frozenset[str]) -> bool:
    return all(k in outer or (k == "integer" and "number" in outer) for k in inner)


def canonical(kinds: Any) -> Any:
    ordered = sorted(k for k in kinds if k != "null") + (["null"] if "null" in kinds else [])
    return ordered[0] if len(ordered) == 1 else ordered


def simple_valid(schema: JSON, value: Any) -> bool:
    """``value`` against the SIMPLE keywords of ``schema``."""
    kinds = type_set(schema)
    if kinds is not None and json_type(value) not in kinds:
        if not (json_type(value) == "integer" and "number" in kinds):
            return False
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        return False
    if "const" in schema and value != schema["const"]:
        return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1e18):
            return False
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                if not re.search(pattern, value):
                    return False
            except re.error:
                return False
    if json_type(value) in ("integer", "number"):
        for kw, ok in (
            ("minimum", lambda b: value >= b),
            ("maximum", lambda b: value <= b),
            ("exclusiveMinimum", lambda b: value > b),
            ("exclusiveMaximum", lambda b: value < b),
        ):
            if isinstance(schema.get(kw), (int, float)) and not ok(schema[kw]):
                return False
    return True


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def describe(node: Any, shapes: Shapes) -> str:
    """A short name for an alternative: its component, else its type and shape."""
    if not isinstance(node, dict):
        return json.dumps(node)
    name = node.get(ORIGIN) or def_ref(node)
    if name:
        return f"`{name}`"
    kinds = shapes.types(node)
    text = "/".join(sorted(kinds)) if kinds is not None else "any value"
    if isinstance(node.get("enum"), list):
        shown = json.dumps(node["enum"], ensure_ascii=False)
        text += f" {shown if len(shown) <= 40 else shown[:37] + '...'}"
    elif isinstance(node.get("properties"), dict):
        names = sorted(node["properties"])
        text += " {" + ", ".join(names[:4]) + (", …" if len(names) > 4 else "") + "}"
    return text
