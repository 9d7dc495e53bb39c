"""OpenAPI schema objects -> self-contained JSON Schema 2020-12 for tools.

One walk does everything a tool schema needs:
- resolves local ``$ref``s by inlining them, except refs into a reference cycle,
  which become ``#/$defs/<Name>`` entries (no infinite inlining);
- rewrites OpenAPI 3.0 dialect to 3.1 (``nullable``, boolean
  ``exclusiveMinimum``) and canonicalises type lists, so a 3.0 spec and its 3.1
  rewrite give byte-identical tool schemas;
- drops what a model cannot use (examples, titles, ``x-`` extensions, XML);
- drops ``readOnly`` properties from inputs and ``writeOnly`` ones from outputs.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from generator.diagnostics import Diagnostics
from generator.schematools import ORIGIN, canonical_type, json_size, make_nullable

JSON = dict[str, Any]
Direction = Literal["input", "output"]

TYPES = {"string", "number", "integer", "boolean", "object", "array", "null"}
TYPE_ALIASES = {
    "int": "integer",
    "bool": "boolean",
    "float": "number",
    "double": "number",
    "str": "string",
}
DROPPED = {"example", "examples", "xml", "externalDocs", "title", "$schema", "$id", "$comment"}
ANNOTATIONS = {
    "description",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "nullable",
} | DROPPED
SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")
SCHEMA_LISTS = ("allOf", "oneOf", "anyOf", "prefixItems")
SCHEMA_SINGLE = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
)


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def def_name(pointer: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", unescape(pointer.rsplit("/", 1)[-1])) or "Schema"


class SchemaWalker:
    """Turns spec schemas into tool schemas; one per spec, shared by all tools."""

    def __init__(self, spec: JSON, diagnostics: Diagnostics) -> None:
        self.spec = spec
        self.diagnostics = diagnostics
        self.is_30 = str(spec.get("openapi", "")).startswith("3.0")
        self._cache: dict[tuple[str, Direction], Any] = {}
        self._cycles: dict[tuple[str, Direction], JSON] = {}
        self._building: set[int] = set()  # ids of closures being walked
        self._sizes: dict[int, int] = {}  # bytes of walked definitions (cached, so ids hold)
        self._cyclic = self._find_cycles()
        self._warned: set[str] = set()

    # -- references --------------------------------------------------------

    def lookup(self, pointer: str) -> Any:
        if not pointer.startswith("#"):
            raise KeyError(pointer)
        node: Any = self.spec
        for token in pointer[1:].split("/")[1:] if pointer != "#" else []:
            token = unescape(token)
            if isinstance(node, list):
                node = node[int(token)]
            else:
                node = node[token]
        return node

    def _refs_in(self, node: Any, out: set[str]) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                out.add(ref)
            for value in node.values():
                self._refs_in(value, out)
        elif isinstance(node, list):
            for value in node:
                self._refs_in(value, out)

    def _find_cycles(self) -> set[str]:
        """Pointers of schemas that take part in a $ref cycle (Tarjan's SCC)."""
        graph: dict[str, set[str]] = {}
        pending = []
        schemas = (self.spec.get("components") or {}).get("schemas") or {}
        for name in schemas:
            pending.append("#/components/schemas/" + name.replace("~", "~0").replace("/", "~1"))
        while pending:
            pointer = pending.pop()
            if pointer in graph:
                continue
            try:
                node = self.lookup(pointer)
            except (KeyError, IndexError, ValueError, TypeError):
                graph[pointer] = set()
                continue
            edges: set[str] = set()
            self._refs_in(node, edges)
            graph[pointer] = edges
            pending.extend(e for e in edges if e not in graph)
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        cyclic: set[str] = set()
        counter = 0
        for root in sorted(graph):
            if root in index:
                continue
            # iterative Tarjan: (node, iterator over its edges)
            work = [(root, iter(sorted(graph[root])))]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack.add(root)
            while work:
                node, successors = work[-1]
                advanced = False
                for succ in successors:
                    if succ not in graph:
                        continue
                    if succ not in index:
                        index[succ] = low[succ] = counter
                        counter += 1
                        stack.append(succ)
                        on_stack.add(succ)
                        work.append((succ, iter(sorted(graph[succ]))))
                        advanced = True
                        break
                    if succ in on_stack:
                        low[node] = min(low[node], index[succ])
                if advanced:
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    members = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.append(member)
                        if member == node:
                            break
                    if len(members) > 1 or node in graph[node]:
                        cyclic.update(members)
        return cyclic

    def defs_over(self, defs: JSON, limit: int) -> bool:
        """Whether the definitions ``convert`` returned take more than ``limit`` bytes
        (each measured once per spec, and only as far as ``limit``)."""
        total = 0
        for value in defs.values():
            if id(value) not in self._sizes:
                self._sizes[id(value)] = json_size(value, limit + 1)
            total += self._sizes[id(value)]
            if total > limit:
                return True
        return False

    # -- the walk ----------------------------------------------------------

    def convert(self, schema: Any, direction: Direction, where: str) -> tuple[Any, JSON]:
        """Return (schema, $defs) for one tool schema."""
        defs: JSON = {}
        out = self._walk(schema, direction, where, defs)
        # defs referenced from defs are filled in as they are met
        return out, dict(sorted(defs.items()))

    def _walk(self, node: Any, direction: Direction, where: str, defs: JSON) -> Any:
        if not isinstance(node, dict):
            return node
        if "$ref" in node and isinstance(node["$ref"], str):
            return self._walk_ref(node, direction, where, defs)
        out: JSON = {}
        for key, value in node.items():
            if key in DROPPED or key.startswith("x-") or key == "nullable":
                continue
            if key in SCHEMA_MAPS and isinstance(value, dict):
                out[key] = {k: self._walk(v, direction, where, defs) for k, v in value.items()}
            elif key in SCHEMA_LISTS and isinstance(value, list):
                out[key] = [self._walk(v, direction, where, defs) for v in value]
            elif key in SCHEMA_SINGLE and isinstance(value, (dict, list)):
                if isinstance(value, list):  # 2019 tuple form of items
                    out["prefixItems"] = [self._walk(v, direction, where, defs) for v in value]
                else:
                    out[key] = self._walk(value, direction, where, defs)
            elif key == "discriminator" and isinstance(value, dict):
                disc: JSON = {"propertyName": value.get("propertyName")}
                mapping = value.get("mapping")
                if isinstance(mapping, dict):
                    disc["mapping"] = {k: def_name(str(v)) for k, v in mapping.items()}
                out[key] = disc
            else:
                out[key] = value
        self._drop_one_sided(out, direction)
        self._repair(out, node, where)
        raw_kind = out.get("type")
        kinds: list[Any] = raw_kind if isinstance(raw_kind, list) else [raw_kind]
        if "array" in kinds and "items" not in out and "prefixItems" not in out:
            out["items"] = {}  # OpenAI and VS Code reject arrays without items
        if self.is_30:
            self._from_30(out, node)
        canonical_type(out)
        return out

    def _walk_ref(self, node: JSON, direction: Direction, where: str, defs: JSON) -> Any:
        pointer = node["$ref"]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if not pointer.startswith("#"):
            self._warn(
                where, f"external $ref {pointer!r} is not supported; accepted any value there"
            )
            return {"description": siblings.get("description", f"(unresolved {pointer})")}
        if pointer in self._cyclic:
            name = def_name(pointer)
            if name not in defs and id(defs) in self._building:
                defs[name] = {}  # placeholder: stops the recursion
                defs[name] = self._walk(self.lookup(pointer), direction, where, defs)
            elif name not in defs:
                key = (pointer, direction)
                closure = self._cycles.get(key)
                if closure is None:
                    # walked once per spec: every definition the cycle member reaches
                    closure = {name: {}}
                    self._building.add(id(closure))
                    try:
                        closure[name] = self._walk(self.lookup(pointer), direction, where, closure)
                    finally:
                        self._building.discard(id(closure))
                    self._cycles[key] = closure
                for def_key, value in closure.items():
                    defs.setdefault(def_key, value)
            target: Any = {"$ref": f"#/$defs/{name}"}
        else:
            key = (pointer, direction)
            if key not in self._cache:
                try:
                    raw = self.lookup(pointer)
                except (KeyError, IndexError, ValueError, TypeError):
                    self._warn(
                        where, f"$ref {pointer!r} does not resolve; accepted any value there"
                    )
                    raw = {}
                sub_defs: JSON = {}
                walked = self._walk(raw, direction, where, sub_defs)
                self._cache[key] = (walked, sub_defs)
            walked, sub_defs = self._cache[key]
            for name, value in sub_defs.items():
                defs.setdefault(name, value)
            # remember where an inlined copy came from, for finalize()
            target = {**walked, ORIGIN: def_name(pointer)} if isinstance(walked, dict) else walked
        if not siblings:
            return target
        nullable = siblings.get("nullable") is True and self.is_30
        rest = self._walk(
            {k: v for k, v in siblings.items() if k != "nullable"}, direction, where, defs
        )
        if set(siblings) <= ANNOTATIONS and isinstance(target, dict) and "$ref" not in target:
            merged = dict(target)
            merged.update(rest)
        elif set(siblings) <= ANNOTATIONS:
            merged = {**target, **rest}  # a $defs ref with annotations is valid 2020-12
        else:
            merged = {"allOf": [target], **rest}
        if nullable:
            merged = make_nullable(merged)
        return merged

    def _repair(self, out: JSON, original: JSON, where: str) -> None:
        """What real specs get wrong, mapped to what they mean (each a warning):
        an empty enum (no value would pass) is dropped, duplicated required names
        once, OpenAPI 3.0's boolean exclusive bounds read as such in 3.1 too,
        type names JSON Schema does not have read as the one meant or dropped,
        a null default where null is not allowed dropped, and 2019-09's
        recursive references accepted as any value."""
        if out.get("enum") == []:
            del out["enum"]
            self._warn(
                where, "an empty enum would refuse every value: dropped (any value accepted)"
            )
        required = out.get("required")
        if isinstance(required, list) and len(set(map(str, required))) < len(required):
            out["required"] = list(dict.fromkeys(required))
            self._warn(where, "duplicated names in required: listed once")
        if not self.is_30 and any(
            isinstance(out.get(k), bool) for k in ("exclusiveMinimum", "exclusiveMaximum")
        ):
            self._from_30(out, {})
            self._warn(
                where, "boolean exclusiveMinimum/exclusiveMaximum: read as OpenAPI 3.0's form"
            )
        kind = out.get("type")
        if isinstance(kind, (str, list)):
            names = kind if isinstance(kind, list) else [kind]
            fixed = [
                TYPE_ALIASES.get(str(n), n) for n in names if TYPE_ALIASES.get(str(n), n) in TYPES
            ]
            if fixed != names:
                self._warn(where, f"type {kind!r} is not JSON Schema's: read as {fixed or 'any'}")
                if fixed:
                    out["type"] = fixed if isinstance(kind, list) else fixed[0]
                else:
                    del out["type"]
        if "default" in out and out["default"] is None and "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            if "null" not in kinds and not (self.is_30 and original.get("nullable") is True):
                del out["default"]
                self._warn(where, "default null where null is not allowed: dropped")
        for key in ("$recursiveAnchor", "$dynamicAnchor", "$anchor"):
            out.pop(key, None)
        for key in ("$recursiveRef", "$dynamicRef"):
            if key in out:
                del out[key]
                self._warn(where, f"{key} is not supported: any value accepted there")

    def _drop_one_sided(self, out: JSON, direction: Direction) -> None:
        props = out.get("properties")
        if not isinstance(props, dict):
            return
        hidden = "readOnly" if direction == "input" else "writeOnly"
        drop = [k for k, v in props.items() if isinstance(v, dict) and v.get(hidden) is True]
        if not drop:
            return
        out["properties"] = {k: v for k, v in props.items() if k not in drop}
        if isinstance(out.get("required"), list):
            out["required"] = [r for r in out["required"] if r not in drop]
            if not out["required"]:
                del out["required"]

    def _from_30(self, out: JSON, original: JSON) -> None:
        for bound in ("Minimum", "Maximum"):
            flag = out.get("exclusive" + bound)
            if isinstance(flag, bool):
                del out["exclusive" + bound]
                limit = out.get(bound.lower())
                if flag and limit is not None:
                    del out[bound.lower()]
                    out["exclusive" + bound] = limit
        if original.get("nullable") is True:
            replaced = make_nullable(out)
            out.clear()
            out.update(replaced)

    def _warn(self, where: str, message: str) -> None:
        key = where + message
        if key not in self._warned:
            self._warned.add(key)
            self.diagnostics.warning(where, message)
