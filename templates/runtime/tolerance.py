"""Answers that follow a newer release of the API than the one this package pins.

Upstream moves ahead of the pin: enums gain values, fields appear or become
nullable, types widen. Such an answer is a success and reaches the agent
unchanged. Where it differs from the documented response schema, a short note
goes beside the data (``_meta``) and the operator's log says so once per tool
and shape of difference, not once per call. Answers over ``INLINE_BYTES`` are
checked in a worker thread; answers too large to check cheaply are skipped.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio

from .contract import INLINE_BYTES
from .operation import Operation

log = logging.getLogger("mcp_runtime")

META_KEY = "spec_drift"  # _meta key of the note
MAX_CHECKED_BYTES = 2_000_000
MAX_NOTED = 5


class SpecDrift:
    def __init__(self, spec_version: str) -> None:
        self.spec_version = spec_version
        self._validators: dict[str, Any] = {}
        self._seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()

    async def note(self, op: Operation, data: Any, size: int) -> dict[str, Any] | None:
        """The ``_meta`` note for ``data``, or None when it matches the pinned spec."""
        if op.response_schema is None or size > MAX_CHECKED_BYTES:
            return None
        if size <= INLINE_BYTES:
            found = self._differences(op, data)
        else:
            found = await anyio.to_thread.run_sync(self._differences, op, data)
        if not found:
            return None
        shape = tuple(sorted({(schema_path, keyword) for _, _, schema_path, keyword in found}))
        if (op.name, shape) not in self._seen:
            self._seen.add((op.name, shape))
            first = found[0]
            log.warning(
                "%s: upstream answered in a shape the pinned spec %s does not document "
                "(%d difference(s), first at %s: %s); passed on unchanged. Regenerate from a "
                "newer spec to document it.",
                op.name,
                self.spec_version or "",
                len(found),
                first[0],
                first[1],
            )
        return {
            "pinned_spec": self.spec_version,
            "differences": [{"path": p, "message": m} for p, m, _, _ in found[:MAX_NOTED]],
            "count": len(found),
        }

    def _differences(self, op: Operation, data: Any) -> list[tuple[str, str, str, str]]:
        validator = self._validators.get(op.name)
        if validator is None:
            from jsonschema import Draft202012Validator

            validator = Draft202012Validator(op.response_schema or {})
            self._validators[op.name] = validator
        out = []
        for error in validator.iter_errors(data):
            path = "/" + "/".join(str(p) for p in error.absolute_path)
            schema_path = "/".join(
                "*" if isinstance(p, int) else str(p) for p in error.absolute_schema_path
            )
            out.append((path, str(error.message)[:200], schema_path, str(error.validator)))
            if len(out) >= 100:
                break
        return sorted(out)
