"""Loading: bytes from a path or URL, parsed into a plain dict, validated.

Nothing here decides anything about tools; it only answers "is this a readable
OpenAPI document?" and hands back the dict with clear errors otherwise. What the
validator finds in it is worded and located by ``findings``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator import fastyaml
from generator.diagnostics import GeneratorError


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_source(source: str, timeout: float = 60.0) -> bytes:
    """Return the raw bytes of a spec given as a file path or an http(s) URL."""
    if is_url(source):
        import httpx

        try:
            response = httpx.get(source, follow_redirects=True, timeout=timeout)
        except httpx.InvalidURL as exc:
            raise GeneratorError(f"{source!r} is not a valid URL ({exc})") from None
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise GeneratorError(f"could not download {source}: {reason}") from None
        if response.status_code != 200:
            raise GeneratorError(f"could not download {source}: HTTP {response.status_code}")
        return response.content
    path = Path(os.path.expanduser(source))
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise GeneratorError(f"spec file not found: {source}") from None
    except IsADirectoryError:
        raise GeneratorError(f"spec path is a directory, not a file: {source}") from None
    except OSError as exc:
        raise GeneratorError(f"cannot read spec {source}: {exc.strerror}") from None


def _plain(value: Any) -> Any:
    """Make YAML's extras JSON-shaped: keys become strings, dates ISO strings."""
    if isinstance(value, dict):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (_dt.date, _dt.datetime)):
        return key.isoformat()
    return str(key)


# A YAML alias repeats a node without repeating its text, so a few hundred bytes
# can stand for a billion nodes ("billion laughs"). Aliases may make a document at
# most this many times as large as it is written, and add at most this many nodes.
ALIAS_GROWTH = 10
ALIAS_NODES = 1_000_000
# where an anchor may be (&name after a blank, '[', '{' or ','): without one, no alias
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s\[\]{},]", re.MULTILINE)


def alias_bound(written: int) -> int:
    """How many nodes a document of ``written`` nodes may have once its aliases are expanded."""
    return written + max(ALIAS_NODES, (ALIAS_GROWTH - 1) * written)


def expanded_size(doc: Any) -> tuple[int, int]:
    """(nodes as written, nodes with every alias expanded) of what a YAML loader
    returned, where an alias is the same object again; one pass over the distinct
    objects, however large the expansion. A structure that contains itself is an
    error."""
    sizes: dict[int, int] = {}
    written = 1
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else node
        if done:
            keys = len(node) if isinstance(node, dict) else 0
            sizes[key] = 1 + keys + sum(sizes.get(id(c), 1) for c in children)
            open_.discard(key)
            continue
        if key in sizes:
            continue
        if key in open_:
            raise GeneratorError("a YAML alias makes the document contain itself")
        open_.add(key)
        written += len(children) + (len(node) if isinstance(node, dict) else 0)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, (dict, list)))
    return written, sizes.get(id(doc), 1)


def count_nodes(value: Any, limit: int) -> int:
    """Nodes in a JSON-shaped tree (keys count), counted up to just past ``limit``."""
    count = 0
    stack = [value]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            count += len(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def parse_yaml(text: str, name: str) -> Any:
    """YAML text -> Python objects with a safe loader, refusing alias bombs and
    recursive aliases before anything expands them."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise GeneratorError(f"{name} is not valid YAML: {problem}{where}") from None
    if isinstance(doc, (dict, list)) and _ANCHOR.search(text):
        try:
            written, expanded = expanded_size(doc)
        except GeneratorError as exc:
            raise GeneratorError(
                f"{name}: refused: {exc.message} (an alias inside the node it names)"
            ) from None
        if expanded > alias_bound(written):
            raise GeneratorError(
                f"{name}: refused: YAML aliases expand its {written:,} nodes to {expanded:,} "
                f'(at most {alias_bound(written):,}), a "billion laughs"; '
                "write the repeated parts out or use $ref"
            )
    return doc


def parse_spec(data: bytes, name: str, require_openapi: bool = True) -> dict[str, Any]:
    """Parse JSON or YAML bytes into a dict with string keys."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GeneratorError(
            f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GeneratorError(
                f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
        except RecursionError:
            raise GeneratorError(f"{name} is nested too deeply to read") from None
    else:
        doc = _yaml(text, name)
    if not isinstance(doc, dict):
        raise GeneratorError(f"{name} is not an OpenAPI document (top level is not a mapping)")
    if require_openapi and "openapi" not in doc:
        hint = " (Swagger 2.0 is not supported)" if "swagger" in doc else ""
        raise GeneratorError(f"{name} has no 'openapi' version field{hint}")
    return doc


def _yaml(text: str, name: str) -> Any:
    """The fast path (``fastyaml``, the same result) when it can; PyYAML otherwise,
    through ``parse_yaml``, which refuses alias bombs."""
    try:
        return fastyaml.load(text)
    except (fastyaml.Fallback, yaml.YAMLError, ValueError, RecursionError):
        pass
    doc = parse_yaml(text, name)
    try:
        return _plain(doc)
    except RecursionError:
        raise GeneratorError(f"{name} is nested too deeply to read") from None


def document(raw: bytes, source: str) -> dict[str, Any]:
    """The one way a spec's bytes become the document every command works on
    (generate, check, validate, lint, drift): parsed, external ``$ref``s bundled."""
    from generator.bundle import bundle

    return bundle(parse_spec(raw, source), source)


@dataclass(frozen=True)
class LoadedSpec:
    source: str
    raw: bytes
    doc: dict[str, Any]


def load(source: str, validate: bool = True) -> LoadedSpec:
    raw = read_source(source)
    doc = document(raw, source)
    if validate:
        from generator.findings import remembered

        problems = remembered(doc)
        if problems:
            raise GeneratorError(f"{source} is not a valid OpenAPI document", problems)
    return LoadedSpec(source=source, raw=raw, doc=doc)
