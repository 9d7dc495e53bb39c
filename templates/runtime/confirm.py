"""Asking the user before a destructive tool runs (MCP elicitation).

Protocol 2026-07-28 asks through an ``InputRequiredResult`` that the client
answers by retrying the call; older protocols send ``elicitation/create``
mid-call. Either way the answer is bound to this exact tool and arguments: an
acceptance given for other arguments does not count.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

import mcp.types as types

from .errors import ToolError
from .operation import Operation

MODERN = "2026-07-28"
KEY = "confirm"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "confirm": {"type": "boolean", "title": "Run it", "description": "Yes, run this operation"}
    },
    "required": ["confirm"],
}
_SECRET = secrets.token_bytes(32)  # per process: answers cannot be replayed across servers


def message(op: Operation, arguments: dict[str, Any]) -> str:
    shown = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False)[:60]}"
        for k, v in arguments.items()
        if k not in op.control_args
    )
    return (
        f"{op.title}? This cannot be undone. {op.method} {op.path}"
        + (f" with {shown}" if shown else "")
        + "."
    )


def binding(op: Operation, arguments: dict[str, Any]) -> str:
    canonical = json.dumps([op.name, arguments], sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_SECRET, canonical.encode(), hashlib.sha256).hexdigest()


def can_elicit(capabilities: types.ClientCapabilities | None) -> bool:
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def modern(protocol_version: str | None) -> bool:
    return bool(protocol_version) and str(protocol_version) >= MODERN


def not_possible(op: Operation, command: str) -> ToolError:
    return ToolError(
        "not_allowed",
        f"{op.name} is destructive and this server asks the user to confirm it, but the client cannot ask "
        f"(it declares no elicitation support). The operator can allow it with `{command} "
        f"--no-confirm-destructive` or `--allow-unconfirmed {op.name}`.",
    )


def declined(op: Operation, arguments: dict[str, Any], action: str) -> ToolError:
    return ToolError(
        "not_allowed",
        f"the user {action}d the confirmation: {message(op, arguments)} Nothing was sent.",
        details=[{"path": "/", "message": f"confirmation {action}d"}],
    )


def accepted(result: Any) -> tuple[bool, str]:
    """(accepted?, action) from an ElicitResult (or its dict form)."""
    if isinstance(result, dict):
        action, content = result.get("action"), result.get("content") or {}
    else:
        action, content = getattr(result, "action", None), getattr(result, "content", None) or {}
    action = str(action or "cancel")
    return action == "accept" and content.get(KEY) is True, (
        "decline" if action == "accept" else action
    )


async def gate(
    ctx: Any,
    params: types.CallToolRequestParams,
    op: Operation,
    arguments: dict[str, Any],
    command: str,
) -> ToolError | types.InputRequiredResult | None:
    """None when the user accepted; otherwise the refusal, or the request to ask."""
    if not can_elicit(ctx.session.client_capabilities):
        return not_possible(op, command)
    if modern(ctx.protocol_version):
        answers = params.input_responses or {}
        if KEY not in answers or params.request_state != binding(op, arguments):
            return input_required(op, arguments)
        answer: Any = answers[KEY]
    else:
        answer = await ctx.session.elicit_form(
            message(op, arguments), SCHEMA, related_request_id=ctx.request_id
        )
    ok, action = accepted(answer)
    return None if ok else declined(op, arguments, action)


def input_required(op: Operation, arguments: dict[str, Any]) -> types.InputRequiredResult:
    request = types.ElicitRequest(
        params=types.ElicitRequestFormParams(
            message=message(op, arguments), requested_schema=SCHEMA
        )
    )
    return types.InputRequiredResult(
        input_requests={KEY: request}, request_state=binding(op, arguments)
    )
