"""Loading: bytes from a path or URL, parsed into a plain dict, validated.

Nothing here decides anything about tools; it only answers "is this a readable,
valid OpenAPI document?" and hands back the dict with clear errors otherwise.
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


def _pointer(parts: Any) -> str:
    out = ""
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return "#" + out if out else "#"


FATAL = "cannot be generated: "  # the prefix of a finding that stops generation


def validate_spec(spec: dict[str, Any]) -> list[str]:
    """Every problem openapi-spec-validator finds, each as 'pointer: message' with
    the pointer of the value at fault. Findings that make generation impossible
    (an unsupported version, a reference cycle with nothing in it) carry
    ``FATAL`` after the pointer; ``fatal`` picks them out."""
    from jsonschema_path import SchemaPath
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.validation.validators import SpecValidator

    version = str(spec.get("openapi", ""))
    if version.startswith("3.0"):
        cls: type[SpecValidator] = OpenAPIV30SpecValidator
    elif version.startswith("3.1"):
        cls = OpenAPIV31SpecValidator
    else:
        return [
            f"#/openapi: {FATAL}unsupported OpenAPI version {version!r} (3.0.x and 3.1.x are supported)"
        ]
    cycles = alias_cycles(spec)
    if cycles:  # the validator would recurse until Python gives up
        return [f"{c[0]}: {FATAL}$ref cycle: {' -> '.join(c)} (no schema in it)" for c in cycles]
    problems: list[str] = []
    index = _Index(spec)
    try:
        for err in cls(SchemaPath.from_dict(spec)).iter_errors():
            problems.append(_describe(err, spec, index))
            if len(problems) >= 1000:
                break
    except RecursionError:
        problems.append(f"#: {FATAL}the validator recursed without end (a $ref cycle?)")
    except Exception as exc:  # the validator raises on dangling $refs
        problems.append(_dangling(exc, spec) or _describe(exc))
    return problems


def _dangling(exc: BaseException, spec: dict[str, Any]) -> str | None:
    """A ``$ref`` to nothing, located where it is written (the first of them)."""
    if type(exc).__name__ != "PointerToNowhere":
        return None
    target = str(getattr(exc, "ref", "") or "").strip("'")
    if not target:
        return None
    ref = target if target.startswith("#") else "#" + target
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(spec, "#")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            if node.get("$ref") == ref:
                found.append(where)
            items = [(k, v) for k, v in node.items()]
        elif isinstance(node, list):
            items = [(str(i), v) for i, v in enumerate(node)]
        else:
            continue
        for key, value in reversed(items):
            if isinstance(value, (dict, list)):
                token = str(key).replace("~", "~0").replace("/", "~1")
                stack.append((value, f"{where}/{token}"))
    if not found:
        return None
    more = len(found) - 1
    tail = f" (and {more} more place{'s' if more > 1 else ''})" if more else ""
    return f"{found[0]}: $ref {ref!r} points to nothing{tail}"


def fatal(problems: list[str]) -> list[str]:
    return [p for p in problems if FATAL in p]


def alias_cycles(spec: dict[str, Any]) -> list[list[str]]:
    """Chains of component schemas that are nothing but a ``$ref`` to the next,
    back to the first: no value is defined anywhere in them."""
    schemas = (spec.get("components") or {}).get("schemas") or {}
    prefix = "#/components/schemas/"

    def target(name: str) -> str | None:
        node = schemas.get(name)
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and ref.startswith(prefix):
            return ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
        return None

    found: list[list[str]] = []
    seen: set[str] = set()
    for start in schemas:
        chain: list[str] = []
        name: str | None = start
        while name is not None and name not in seen and name not in chain:
            chain.append(name)
            name = target(name)
        if name is not None and name in chain:
            cycle = chain[chain.index(name) :] + [name]
            found.append([prefix + _escape(n) for n in cycle])
        seen.update(chain)
    return found


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class _Index:
    """Where each mapping of the spec is, by identity, for errors that only carry
    the value they are about (a ``default`` checked against its schema)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._by_id: dict[int, list[Any]] | None = None

    def find(self, node: Any) -> list[Any] | None:
        if self._by_id is None:
            self._by_id = {}
            stack: list[tuple[Any, list[Any]]] = [(self.spec, [])]
            while stack:
                value, path = stack.pop()
                if isinstance(value, dict):
                    self._by_id.setdefault(id(value), path)
                    stack.extend((v, [*path, k]) for k, v in value.items())
                elif isinstance(value, list):
                    stack.extend((v, [*path, i]) for i, v in enumerate(value))
        return self._by_id.get(id(node))


def _locate(spec: dict[str, Any], parts: list[Any], instance: Any) -> list[Any]:
    """Schema errors come with a path relative to the schema; find which one."""
    if parts and str(parts[0]) in spec:
        return parts
    schemas = (spec.get("components") or {}).get("schemas") or {}
    for name, schema in schemas.items():
        node: Any = schema
        try:
            for part in parts:
                node = node[part]
        except (KeyError, IndexError, TypeError):
            continue
        if node == instance:
            return ["components", "schemas", name, *parts]
    return parts


def _value_location(err: BaseException, index: _Index | None) -> list[Any] | None:
    """The pointer of a value checked against the schema beside it (``default``,
    ``example``): openapi-spec-validator reports those relative to the value."""
    if index is None or getattr(err, "path", None):
        return None
    node: Any = err
    while getattr(node, "parent", None) is not None:
        node = node.parent  # the outermost error: reported against the spec's schema
    holder = getattr(node, "schema", None)
    if not isinstance(holder, dict):
        return None
    where = index.find(holder)
    if where is None:
        return None
    instance = getattr(node, "instance", None)
    for key in ("default", "example", "const"):
        if key in holder and holder[key] == instance:
            return [*where, key]
    return where


_MISSING = object()


def _reason_first(message: str, err: Any) -> str:
    """jsonschema starts a message with the value (``'XXXX…' does not match …``); a long
    value hides the reason, so the reason comes first and the value, cut, after it."""
    instance = getattr(err, "instance", _MISSING)
    if instance is _MISSING:
        return message
    shown = repr(instance)
    if not message.startswith(shown + " ") or len(message) <= len(shown) + 1:
        return message
    if len(shown) > 60:
        shown = shown[:59] + "…"
    return f"{message[len(repr(instance)) + 1:]} (got {shown})"


def _describe(
    err: BaseException, spec: dict[str, Any] | None = None, index: _Index | None = None
) -> str:
    message = str(getattr(err, "message", None) or err)
    message = message.split(" does not exist within")[0]  # PointerToNowhere embeds the spec
    message = message.splitlines()[0] if message else type(err).__name__
    if type(err).__name__ == "PointerToNowhere":
        return f"dangling $ref: {message[:300]} does not exist"
    message = _reason_first(message, err)
    if len(message) > 300:
        message = message[:300] + "…"
    path = getattr(err, "absolute_path", None)
    parts = list(path) if path else []
    if spec is not None and parts:
        parts = _locate(spec, parts, getattr(err, "instance", None))
    elif not parts:
        parts = _value_location(err, index) or []
    pointer = _pointer(parts)
    return f"{pointer}: {message}"


@dataclass(frozen=True)
class LoadedSpec:
    source: str
    raw: bytes
    doc: dict[str, Any]


def load(source: str, validate: bool = True) -> LoadedSpec:
    raw = read_source(source)
    doc = document(raw, source)
    if validate:
        problems = validate_spec(doc)
        if problems:
            raise GeneratorError(f"{source} is not a valid OpenAPI document", problems)
    return LoadedSpec(source=source, raw=raw, doc=doc)
