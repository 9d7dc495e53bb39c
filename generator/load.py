"""Loading: bytes from a path or URL, parsed into a plain dict, validated.

Nothing here decides anything about tools; it only answers "is this a readable,
valid OpenAPI document?" and hands back the dict with clear errors otherwise.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
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
        except httpx.HTTPError as exc:
            raise GeneratorError(f"could not download {source}: {exc}") from None
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
    else:
        doc = _yaml(text, name)
    if not isinstance(doc, dict):
        raise GeneratorError(f"{name} is not an OpenAPI document (top level is not a mapping)")
    if require_openapi and "openapi" not in doc:
        hint = " (Swagger 2.0 is not supported)" if "swagger" in doc else ""
        raise GeneratorError(f"{name} has no 'openapi' version field{hint}")
    return doc


def _yaml(text: str, name: str) -> Any:
    """The fast path (``fastyaml``, the same result) when it can; PyYAML otherwise."""
    try:
        return fastyaml.load(text)
    except (fastyaml.Fallback, yaml.YAMLError, ValueError, RecursionError):
        pass
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise GeneratorError(f"{name} is not valid YAML: {problem}{where}") from None
    return _plain(doc)


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


def validate_spec(spec: dict[str, Any]) -> list[str]:
    """Every problem openapi-spec-validator finds, each as 'pointer: message'."""
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
            f"#/openapi: unsupported OpenAPI version {version!r} (3.0.x and 3.1.x are supported)"
        ]
    problems: list[str] = []
    try:
        for err in cls(SchemaPath.from_dict(spec)).iter_errors():
            problems.append(_describe(err, spec))
            if len(problems) >= 1000:
                break
    except Exception as exc:  # the validator raises on dangling $refs
        problems.append(_describe(exc))
    return problems


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


def _describe(err: BaseException, spec: dict[str, Any] | None = None) -> str:
    message = str(getattr(err, "message", None) or err)
    message = message.split(" does not exist within")[0]  # PointerToNowhere embeds the spec
    message = message.splitlines()[0] if message else type(err).__name__
    if len(message) > 300:
        message = message[:300] + "…"
    path = getattr(err, "absolute_path", None)
    if type(err).__name__ == "PointerToNowhere":
        return f"dangling $ref: {message} does not exist"
    parts = list(path) if path else []
    if spec is not None and parts:
        parts = _locate(spec, parts, getattr(err, "instance", None))
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
