"""Arguments checked against the tool's inputSchema before any request.

The MCP SDK does not validate arguments, so the server does, with the same
JSON Schema 2020-12 document it publishes. Each problem is reported with the
argument path and a message; nothing is sent when there is one. jsonschema is
imported on the first call, not at start-up (it costs about 50 ms).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import uuid
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .operation import Operation

_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _uuid(value: object) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
        return len(value) == 36
    return True


def _date_time(value: object) -> bool:
    if isinstance(value, str):
        if not _DATE_TIME.fullmatch(value):
            raise ValueError("not an RFC 3339 date-time")
        dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    return True


def _date(value: object) -> bool:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            raise ValueError("not a date")
        dt.date.fromisoformat(value)
    return True


def _email(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"[^@\s]+@[^@\s]+", value))


def _ipv4(value: object) -> bool:
    return not isinstance(value, str) or bool(ipaddress.IPv4Address(value))


def _ipv6(value: object) -> bool:
    return not isinstance(value, str) or bool(ipaddress.IPv6Address(value))


def _int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


def _int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


FORMATS = {
    "uuid": _uuid,
    "date-time": _date_time,
    "date": _date,
    "email": _email,
    "ipv4": _ipv4,
    "ipv6": _ipv6,
    "int32": _int32,
    "int64": _int64,
}


@cache
def _checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name, raises=(ValueError, ipaddress.AddressValueError))(check)
    return checker


# Above 2**53 a JSON number no longer holds every integer: 1e300 is not an integer anyone meant.
SAFE_INTEGER = 2**53


def exact_integers(value: Any) -> Any:
    """``value`` with every whole float within 2**53 as an int (2.0 -> 2), at any depth.

    JSON does not tell 2.0 from 2 and JSON Schema calls both an integer, but an upstream
    that reads ``2.0`` into an integer field refuses it, and ``range(2.0)`` fails: what is
    sent is the integer. Other floats stay floats, and an integer argument refuses them.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) <= SAFE_INTEGER:
        return int(value)
    if isinstance(value, list):
        return [exact_integers(v) for v in value]
    if isinstance(value, dict):
        return {k: exact_integers(v) for k, v in value.items()}
    return value


@cache
def _validator_class() -> Any:
    """Draft 2020-12 where ``integer`` means an int: a float left after ``exact_integers``
    (2.5, 1e300) is no integer an upstream could take."""
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    return validators.extend(Draft202012Validator, type_checker=checker)


class ArgumentValidator:
    """A compiled validator per tool, built on first use."""

    def __init__(self) -> None:
        self._validators: dict[str, Any] = {}

    def problems(self, name: str, schema: dict[str, Any], arguments: Any) -> list[dict[str, str]]:
        validator = self._validators.get(name)
        if validator is None:
            validator = _validator_class()(schema, format_checker=_checker())
            self._validators[name] = validator
        out: list[dict[str, str]] = []
        seen: set[tuple[str, str]] = set()
        for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path)):
            for path, message in _problems(error):
                if (path, message) not in seen:
                    seen.add((path, message))
                    out.append({"path": path, "message": message})
        return out


# -- messages for an agent: where, what was given (as JSON), what is expected ------------

TYPES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "object": "an object",
    "array": "an array",
    "null": "null",
}
FORMAT_WORDS = {
    "uuid": "a UUID, e.g. 123e4567-e89b-12d3-a456-426614174000",
    "date-time": "an RFC 3339 date-time, e.g. 2026-12-31T23:59:59Z",
    "date": "a date, e.g. 2026-12-31",
    "email": "an email address",
    "ipv4": "an IPv4 address",
    "ipv6": "an IPv6 address",
    "int32": "an integer from -2147483648 to 2147483647",
    "int64": "an integer from -9223372036854775808 to 9223372036854775807",
}
PATTERNS = {"^(?!\\.\\.?$)": 'any text but "." or ".." (the value is one URL path segment)'}


def _pointer(parts: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def given(value: Any, limit: int = 80) -> str:
    """A value as the agent sent it: JSON, cut when long."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > limit:
        text = (
            text[: limit - 1]
            + "…"
            + (f" ({len(value)} characters)" if isinstance(value, str) else "")
        )
    return text


def _types(names: Any) -> str:
    names = [names] if isinstance(names, str) else list(names)
    words = [TYPES.get(n, n) for n in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _problems(error: Any) -> list[tuple[str, str]]:
    """(path, message) for one jsonschema error; object-level errors name each key."""
    path = list(error.absolute_path)
    kind, value, instance, schema = (
        error.validator,
        error.validator_value,
        error.instance,
        error.schema if isinstance(error.schema, dict) else {},
    )
    top = not path
    if kind == "required" and isinstance(instance, dict):
        props = schema.get("properties") or {}
        out = []
        for name in value:
            if name not in instance:
                sub = props.get(name)
                expected = f": expected {_expected(sub)}" if isinstance(sub, dict) else ""
                out.append(
                    (
                        _pointer([*path, name]),
                        f"required {'argument' if top else 'property'} missing{expected}",
                    )
                )
        return out
    if kind == "additionalProperties" and value is False and isinstance(instance, dict):
        props = list(schema.get("properties") or {})
        patterns = list(schema.get("patternProperties") or {})
        extras = [
            k for k in instance if k not in props and not any(re.search(p, k) for p in patterns)
        ]
        allowed = (
            f"expected one of: {', '.join(props)}" if props else "this object takes no properties"
        )
        what = "argument" if top else "property"
        return [
            (_pointer([*path, k]), f"unknown {what} (given {given(instance[k])}); {allowed}")
            for k in extras
        ]
    return [(_pointer(path), _message(error))]


def _expected(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return given(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(given(v) for v in schema["enum"])
    if "format" in schema and schema["format"] in FORMAT_WORDS:
        return FORMAT_WORDS[schema["format"]]
    if "type" in schema:
        return _types(schema["type"])
    for union in ("anyOf", "oneOf"):
        if union in schema and all(
            isinstance(s, dict) and set(s) <= {"type"} for s in schema[union]
        ):
            return _types(
                [
                    t
                    for s in schema[union]
                    for t in ([s["type"]] if isinstance(s["type"], str) else s["type"])
                ]
            )
    return "a value matching the tool's inputSchema"


def _message(error: Any) -> str:
    kind, value, instance = error.validator, error.validator_value, error.instance
    got = f"got {given(instance)}"
    if kind == "type":
        expected = _types(value)
        if isinstance(instance, float) and "integer" in (
            [value] if isinstance(value, str) else value
        ):
            if instance.is_integer():
                return f"expected {expected} within ±2^53 (JSON numbers beyond lose digits), {got}"
            return f"expected {expected} (a whole number), {got}"
        return f"expected {expected}, {got}"
    if kind == "enum":
        return f"expected one of {', '.join(given(v) for v in value)}, {got}"
    if kind == "const":
        return f"expected {given(value)}, {got}"
    if kind == "pattern":
        words = PATTERNS.get(value) or f"text matching the regular expression {value}"
        return f"expected {words}, {got}"
    if kind == "format":
        return f"expected {FORMAT_WORDS.get(value, f'the {value} format')}, {got}"
    if kind in ("minLength", "maxLength"):
        bound = "at least" if kind == "minLength" else "at most"
        return (
            f"expected {bound} {_count(value, 'character')}, got {_count(len(instance), 'character')}"
            + (f": {given(instance)}" if len(instance) <= 40 else "")
        )
    if kind in ("minItems", "maxItems"):
        bound = "at least" if kind == "minItems" else "at most"
        return f"expected {bound} {_count(value, 'item')}, got {_count(len(instance), 'item')}"
    if kind in ("minProperties", "maxProperties"):
        bound = "at least" if kind == "minProperties" else "at most"
        return f"expected {bound} {_count(value, 'property')}, got {_count(len(instance), 'property')}".replace(
            "propertys", "properties"
        )
    bounds = {
        "minimum": "a number of at least",
        "maximum": "a number of at most",
        "exclusiveMinimum": "a number greater than",
        "exclusiveMaximum": "a number less than",
        "multipleOf": "a multiple of",
    }
    if kind in bounds:
        return f"expected {bounds[kind]} {given(value)}, {got}"
    if kind == "uniqueItems":
        return f"expected items without duplicates, {got}"
    if kind in ("anyOf", "oneOf"):
        subs = [s for s in value if isinstance(s, dict)]
        if kind == "oneOf" and not error.context:
            return f"matches more than one of the {len(value)} allowed shapes, {got}"
        if subs and all(set(s) <= {"type"} for s in subs):
            types = [
                t for s in subs for t in ([s["type"]] if isinstance(s["type"], str) else s["type"])
            ]
            return f"expected {_types(types)}, {got}"
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        closest = (
            f"; closest: {_pointer(best.absolute_path)}: {_message(best)}"
            if best is not None
            else ""
        )
        return f"matches none of the {len(value)} allowed shapes{closest}"
    if kind == "not":
        return f"this value is not allowed here, {got}"
    if kind is None or value is False:
        return f"nothing is allowed here, {got}"
    message = str(error.message)
    return message if len(message) <= 300 else message[:300] + "…"


DOT_SEGMENTS = ("", ".", "..")


def path_problems(op: Operation, arguments: Any) -> list[dict[str, str]]:
    """Path values that would not reach this operation: an empty segment, and the
    dot segments '.' and '..', which servers resolve to another path even when percent-encoded. (No
    pattern says so in the schema: lookaround is not portable to model APIs.)"""
    if not isinstance(arguments, dict):
        return []
    out = []
    for param in op.params:
        value = arguments.get(param.arg)
        if param.location == "path" and isinstance(value, str) and value in DOT_SEGMENTS:
            out.append(
                {
                    "path": "/" + param.arg,
                    "message": 'expected any text but "", "." or ".." (the value is one URL '
                    f"path segment), got {json.dumps(value)}",
                }
            )
    return out
