"""openapi-spec-validator's findings, worded for a person: each at the JSON pointer
where the problem is written, the reason first and the value after
(``pointer: reason (got value)``); those that make generation impossible carry
``FATAL``. A ``$ref`` cycle with nothing in it is named before the validator
would recurse on it without end."""

from __future__ import annotations

from typing import Any


def _pointer(parts: Any) -> str:
    out = ""
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return "#" + out if out else "#"


FATAL = "cannot be generated: "  # the prefix of a finding that stops generation


def remembered(spec: dict[str, Any], digest: str | None = None) -> list[str]:
    """``validate_spec``'s answer, remembered in the generator cache under the spec's
    digest, the validator's version and this module's code: every command that reads
    a spec (generate, check, lint, validate) pays for the validator once."""
    import json
    from importlib.metadata import version

    from generator import cache, service

    key = cache.key(
        "validate",
        version("openapi-spec-validator"),
        cache.code(__file__),
        digest or service.digest(spec),
    )
    cached = cache.get("validate", key)
    if cached == "valid":
        return []
    if cached is not None:
        return list(json.loads(cached))
    problems = validate_spec(spec)
    cache.put("validate", key, json.dumps(problems) if problems else "valid")
    return problems


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
