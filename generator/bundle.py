"""Bundling: external ``$ref``s (``other.yaml#/Thing``) pulled into the document.

Each referenced target is copied into ``components/schemas`` (under its last
pointer segment, suffixed when taken) and the ref rewritten to point there;
refs inside a copied target are resolved against its own file. Afterwards the
document is self-contained, so validation and the schema walk see one file.
"""

from __future__ import annotations

import os
import re
from typing import Any

from generator.diagnostics import GeneratorError
from generator.load import is_url, parse_spec, read_source


def bundle(doc: dict[str, Any], source: str) -> dict[str, Any]:
    if "$ref" not in _refs_text(doc):
        return doc
    documents: dict[str, dict[str, Any]] = {}
    placed: dict[tuple[str, str], str] = {}
    existing = set((doc.get("components") or {}).get("schemas") or {})
    schemas: dict[str, Any] = {}  # the targets placed, added after the walk

    def base_of(location: str) -> str:
        return location if is_url(location) else os.path.dirname(os.path.abspath(location))

    def resolve_file(base: str, relative: str) -> str:
        if is_url(relative) or os.path.isabs(relative):
            return relative
        if is_url(base):
            return base.rsplit("/", 1)[0] + "/" + relative
        return os.path.normpath(os.path.join(base, relative))

    def load_doc(location: str) -> dict[str, Any]:
        if location not in documents:
            try:
                documents[location] = parse_spec(
                    read_source(location), location, require_openapi=False
                )
            except GeneratorError as exc:
                raise GeneratorError(f"external $ref to {location}: {exc.message}") from None
        return documents[location]

    def target(location: str, pointer: str) -> Any:
        node: Any = load_doc(location)
        for token in [t for t in pointer.lstrip("#").split("/") if t]:
            token = token.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, ValueError, TypeError):
                raise GeneratorError(
                    f"external $ref {location}#{pointer} does not resolve"
                ) from None
        return node

    def walk(node: Any, base: str) -> Any:
        if isinstance(node, list):
            return [walk(v, base) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v, base) for k, v in node.items() if k != "$ref"}
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return out
        if ref.startswith("#"):
            if base == root:
                out["$ref"] = ref
                return out
            ref = os.path.basename(current_file[-1]) + ref  # local to the external file
        file_part, _, pointer = ref.partition("#")
        location = resolve_file(base, file_part) if file_part else current_file[-1]
        key = (location, pointer)
        if key not in placed:
            name = re.sub(
                r"[^A-Za-z0-9_.-]",
                "_",
                (
                    pointer.rstrip("/").rsplit("/", 1)[-1]
                    or os.path.splitext(os.path.basename(location))[0]
                ),
            )
            candidate, n = name, 2
            while candidate in schemas or candidate in existing:
                candidate, n = f"{name}_{n}", n + 1
            placed[key] = candidate
            schemas[candidate] = {}
            current_file.append(location)
            schemas[candidate] = walk(target(location, pointer), base_of(location))
            current_file.pop()
        out["$ref"] = f"#/components/schemas/{placed[key]}"
        return out

    root = base_of(source)
    current_file = [source]
    out = walk(doc, root)
    out.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
    return out


def _refs_text(doc: dict[str, Any]) -> str:
    import json

    text = json.dumps(doc)
    return "$ref" if re.search(r'"\$ref": "(?!#)', text) else ""
