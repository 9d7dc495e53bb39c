"""Arguments checked against the tool's inputSchema before any request.

The MCP SDK does not validate arguments, so the server does, with the same
JSON Schema 2020-12 document it publishes. Each problem is reported with the
argument path and a message; nothing is sent when there is one. jsonschema is
imported on the first call, not at start-up (it costs about 50 ms).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import uuid
from functools import cache
from typing import Any

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


class ArgumentValidator:
    """A compiled validator per tool, built on first use."""

    def __init__(self) -> None:
        self._validators: dict[str, Any] = {}

    def problems(self, name: str, schema: dict[str, Any], arguments: Any) -> list[dict[str, str]]:
        validator = self._validators.get(name)
        if validator is None:
            from jsonschema import Draft202012Validator

            validator = Draft202012Validator(schema, format_checker=_checker())
            self._validators[name] = validator
        out = []
        for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path)):
            path = "/" + "/".join(str(p) for p in error.absolute_path)
            out.append({"path": path, "message": _message(error)})
        return out


def _message(error: Any) -> str:
    message = str(error.message)
    if len(message) > 300:
        message = message[:300] + "…"
    return message
