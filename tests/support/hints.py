"""Tool hints as MCP means them: a client reads a missing hint as its default
(readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint
true), and destructive/idempotent mean nothing for a read-only tool."""

from __future__ import annotations

from typing import Any

Hints = tuple[bool, bool | None, bool | None, bool]


def _hints(read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> Hints:
    if read_only:
        return (True, None, None, open_world)
    return (False, destructive, idempotent, open_world)


def served(annotations: Any) -> Hints:
    """What a client makes of a served ``ToolAnnotations``."""

    def get(value: bool | None, default: bool) -> bool:
        return default if value is None else value

    return _hints(
        get(annotations.read_only_hint, False),
        get(annotations.destructive_hint, True),
        get(annotations.idempotent_hint, False),
        get(annotations.open_world_hint, True),
    )


def declared(read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> Hints:
    """What a spec (or the HTTP method) says, in the same terms."""
    return _hints(read_only, destructive, idempotent, open_world)
