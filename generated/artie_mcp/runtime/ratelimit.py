"""Rate-limit headers, whatever form upstream uses, in one shape.

Reads ``RateLimit-Limit/-Remaining/-Reset``, ``X-RateLimit-*``, the combined
``RateLimit: limit=.., remaining=.., reset=..`` field of the IETF draft, and
``Retry-After`` (seconds or an HTTP-date). ``reset`` is in seconds from now,
following the IETF RateLimit header fields; an epoch timestamp is converted.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any

_EPOCH_THRESHOLD = 1_000_000_000  # a "reset" this large is a Unix time, not a delta


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.match(r"\s*(-?\d+)", value)
    return int(match.group(1)) if match else None


def _get(headers: Mapping[str, str], *names: str) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _reset_seconds(value: int | None, now: float) -> int | None:
    if value is None:
        return None
    if value > _EPOCH_THRESHOLD:
        return max(0, int(round(value - now)))
    return max(0, value)


def retry_after_seconds(value: str | None, now: float | None = None) -> int | None:
    """``Retry-After`` as whole seconds (delta-seconds or an HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0, int(round(when.timestamp() - now)))


def _combined(value: str) -> dict[str, int]:
    """``RateLimit: limit=100, remaining=0, reset=30`` (also ``"name";r=0;t=30``)."""
    out: dict[str, int] = {}
    for key, number in re.findall(r"\b(limit|remaining|reset|r|t|l)\s*=\s*(\d+)", value):
        canonical = {"r": "remaining", "t": "reset", "l": "limit"}.get(key, key)
        out.setdefault(canonical, int(number))
    return out


def parse(headers: Mapping[str, str], now: float | None = None) -> dict[str, Any] | None:
    """``{"limit", "remaining", "reset"}`` or None when upstream sent none."""
    now = time.time() if now is None else now
    limit = _int(_get(headers, "RateLimit-Limit", "X-RateLimit-Limit", "X-Rate-Limit-Limit"))
    remaining = _int(
        _get(headers, "RateLimit-Remaining", "X-RateLimit-Remaining", "X-Rate-Limit-Remaining")
    )
    reset = _int(_get(headers, "RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset"))
    combined = _get(headers, "RateLimit")
    if combined:
        fields = _combined(combined)
        limit = limit if limit is not None else fields.get("limit")
        remaining = remaining if remaining is not None else fields.get("remaining")
        reset = reset if reset is not None else fields.get("reset")
    policy = _get(headers, "RateLimit-Policy")
    if limit is None and policy:  # e.g. "100;w=60" or '"default";q=100;w=60'
        quota = re.search(r"(?:^|;)\s*(?:q=)?(\d+)", policy)
        limit = int(quota.group(1)) if quota else None
    if limit is None and remaining is None and reset is None:
        retry = retry_after_seconds(_get(headers, "Retry-After"), now)
        if retry is None:
            return None
        return {"limit": None, "remaining": None, "reset": retry}
    return {"limit": limit, "remaining": remaining, "reset": _reset_seconds(reset, now)}
