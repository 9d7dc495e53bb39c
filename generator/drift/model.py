"""Both sides of a drift: the document ``generate`` reads and the IR it builds,
built so that each component is converted once and shared by every tool.

The IR is the generator's own (``operations.Builder``: the same names, flat or
wrapped bodies, parameters, results), with two differences that change no
schema's meaning, only its cost:

- recursive components are walked once per direction and shared by all tools
  (the generator walks them again for every tool);
- ``schematools.finalize`` is deferred: tool schemas keep their shared subtrees as
  shared objects and their ``ORIGIN`` markers (which component a subtree is),
  instead of becoming one self-contained copy per tool.

So a component's change is compared once, then mapped to every tool that
reaches it, and named after the component.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

from generator import controls, load, operations, schemas, schematools
from generator.config import GeneratorConfig
from generator.contract import contract
from generator.diagnostics import Diagnostics, GeneratorError
from generator.ir import Api

JSON = dict[str, Any]


class SharedWalker(schemas.SchemaWalker):
    """``SchemaWalker`` whose ``$defs`` (the recursive components) are walked once
    per direction; a tool's ``$defs`` are those it reaches, as shared objects."""

    def __init__(self, spec: JSON, diagnostics: Diagnostics) -> None:
        super().__init__(spec, diagnostics)
        self.shared: dict[str, JSON] = {"input": {}, "output": {}}
        self._edges: dict[tuple[str, str], set[str]] = {}

    def convert(self, schema: Any, direction: Any, where: str) -> tuple[Any, JSON]:
        met: JSON = {}
        out = self._walk(schema, direction, where, met)
        return out, self.closure(met, direction)

    def closure(self, names: Any, direction: str) -> JSON:
        seen = set(names)
        stack = list(seen)
        while stack:
            for other in self._edges.get((stack.pop(), direction), ()):
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        shared = self.shared[direction]
        return {name: shared[name] for name in sorted(seen)}

    def _walk_ref(self, node: JSON, direction: Any, where: str, defs: JSON) -> Any:
        pointer = node.get("$ref")
        if isinstance(pointer, str) and pointer in self._cyclic:
            name = schemas.def_name(pointer)
            shared = self.shared[direction]
            if name not in shared:
                shared[name] = {}  # stops the recursion
                inner: JSON = {}
                shared[name] = self._walk(self.lookup(pointer), direction, where, inner)
                self._edges[(name, direction)] = set(inner) - {name}
            defs.setdefault(name, shared[name])  # the parent then only refers to it
        return super()._walk_ref(node, direction, where, defs)


def _settle_projection(tool: Any) -> None:
    """The field projection (``result_fields``) goes to object results of at least
    ``PROJECT_MIN_CHARS`` as served, that is after ``finalize`` shares repeated
    components. Built deferred, the size was taken before sharing (an upper
    bound): where the served size may be smaller, decide on the served schema."""
    if tool.fields_arg is None or tool.window_args:
        return
    limit = controls.PROJECT_MIN_CHARS
    documented = tool.response_schema
    if documented is None or _lower_bound(documented, limit) >= limit:
        return
    served = schematools.finalize_now(documented)
    if tool.output_wrapped:
        served = {"type": "object", "properties": {contract.RESULT_KEY: served}}
    if schematools.json_size(served, limit) < limit:
        del tool.input_schema["properties"][tool.fields_arg]
        tool.fields_arg = None


def _lower_bound(schema: Any, limit: int) -> int:
    """At most the served JSON size: each component's content counted once (served,
    it is there inline or in ``$defs``), every further use as a short ``$ref``."""
    total, names, seen = 0, set(), set()
    stack = [schema]
    while stack and total < limit:
        node = stack.pop()
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            name = node.get(schematools.ORIGIN)
            if name is not None:
                if name in names:
                    total += 18 + len(str(name))  # {"$ref":"#/$defs/Name"}
                    continue
                names.add(name)
            entries = [(k, v) for k, v in node.items() if k != schematools.ORIGIN]
            total += 2 + max(0, len(entries) - 1) + sum(len(k) + 3 for k, _ in entries)
            stack.extend(v for _, v in entries)
        elif isinstance(node, list):
            total += 2 + max(0, len(node) - 1)
            stack.extend(node)
        else:
            total += len(str(node)) if not isinstance(node, str) else len(node) + 2
    return total


@dataclass
class Side:
    source: str
    spec: JSON
    api: Api
    walker: SharedWalker

    def defs(self, direction: str) -> JSON:
        return self.walker.shared[direction]

    def summary(self) -> JSON:
        api = self.api
        return {
            "version": api.version,
            "title": api.title,
            "openapi": api.openapi,
            "source": self.source,
            "tools": len(api.tools),
            "excluded": len(api.excluded),
            "webhooks": len(api.webhooks),
        }


def build(source: str) -> Side:
    spec = load.load(source, validate=False).doc  # the document generate reads
    collecting = gc.isenabled()
    gc.disable()  # big acyclic trees: the cycle collector only slows their building
    try:
        diagnostics = Diagnostics()
        builder = operations.Builder(spec, GeneratorConfig(), diagnostics)
        walker = SharedWalker(spec, diagnostics)
        builder.walker = walker
        with schematools.deferred_finalize():
            api = builder.build()
        for tool in api.tools + api.excluded:
            _settle_projection(tool)
    except Exception as exc:  # noqa: BLE001 - one clear message, never a traceback
        raise GeneratorError(
            f"cannot build the tools of {source} ({type(exc).__name__}: {exc}); "
            f"`artie-mcp-gen validate --spec {source}` shows what is wrong with it"
        ) from None
    finally:
        if collecting:
            gc.enable()
    return Side(source, spec, api, walker)
