"""Asking the user before a destructive tool runs (MCP elicitation).

Protocol 2026-07-28 asks through an ``InputRequiredResult`` that the client
answers by retrying the call; older protocols send ``elicitation/create``
mid-call. Either way the answer is bound to this exact tool and arguments: an
acceptance given for other arguments does not count.

On the 2026-07-28 path the server hands out a signed ``request_state`` and the
client echoes it with the user's answer. Each one names the tool, a digest of
the arguments, the bearer token that asked (if any), a random nonce and an
expiry (``--confirm-expiry``), and is accepted for ONE call: a replay, a copy
sent from another connection or a stale one is refused and nothing is sent.
The signing key is ``--confirm-secret`` (``..._CONFIRM_SECRET`` or
``--confirm-secret-file``), else random per server and handed to its
``--workers``, so any worker or replica verifies what another issued. Used
nonces are remembered in memory, and in ``--confirm-state-dir`` when set
(``--workers`` share one automatically; replicas may share a folder).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import mcp.types as types

from .errors import ToolError
from .operation import Operation
from .settings import Settings

MODERN = "2026-07-28"
KEY = "confirm"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "confirm": {"type": "boolean", "title": "Run it", "description": "Yes, run this operation"}
    },
    "required": ["confirm"],
}


def describe(destructive: list[str], settings: Settings, named: bool = True) -> str:
    """What this server does before the ``destructive`` tools run, as the model should
    read it: true for the configuration it runs with (stdio does not ask by default)."""
    asked = [n for n in destructive if settings.confirms(n)]
    unasked = [n for n in destructive if not settings.confirms(n)]

    def names(items: list[str]) -> str:
        return ", ".join(items) if named else f"{len(items)} tool(s)"

    if not unasked:
        return (
            "the server asks the user to confirm before "
            + (names(asked) if named else "they")
            + " run; a declined confirmation is an error and nothing is sent."
        )
    text = (
        "this server does not ask the user before "
        + (names(unasked) if named or asked else "they")
        + " run: ask the user yourself and wait for an explicit yes before each call."
    )
    if asked:
        text += f" It does ask the user to confirm {names(asked)}."
    return text


def prompt_note(
    operations: Mapping[str, Operation], settings: Settings
) -> Callable[[list[str]], str | None]:
    """For prompts: what the server does before the destructive tools a workflow uses."""

    def note(tools: list[str]) -> str | None:
        destructive = [
            t for t in tools if t in operations and operations[t].annotations.destructive
        ]
        if not destructive:
            return None
        return "Confirmation on this server: " + describe(destructive, settings)

    return note


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


def digest(op: Operation, arguments: dict[str, Any]) -> str:
    canonical = json.dumps([op.name, arguments], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def shared_state(settings: Settings) -> tuple[str, str]:
    """(signing key, used-approvals folder) that the workers of one server share."""
    secret = settings.confirm_secret or secrets.token_hex(32)
    folder = settings.confirm_state_dir or tempfile.mkdtemp(prefix="mcp-approvals-")
    return secret, folder


class Ledger:
    """Nonces already used, until they expire: in memory, and in a folder when
    several processes must agree (one empty file per nonce, created exclusively)."""

    def __init__(self, folder: str | None) -> None:
        self.folder = Path(folder) if folder else None
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def claim(self, nonce: str, expires: float) -> bool:
        """True the first time ``nonce`` is presented, False after."""
        now = time.time()
        with self._lock:
            for old in [n for n, e in self._used.items() if e < now]:
                del self._used[old]
            if nonce in self._used:
                return False
            if self.folder is not None and not self._claim_file(nonce, expires, now):
                return False
            self._used[nonce] = expires
            return True

    def _claim_file(self, nonce: str, expires: float, now: float) -> bool:
        assert self.folder is not None
        path = self.folder / f"{int(expires)}-{nonce}"
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        except OSError:
            return False  # cannot record it: refuse rather than risk a replay
        if secrets.randbelow(50) == 0:  # now and then, forget expired ones
            for old in self.folder.iterdir():
                stamp = old.name.split("-", 1)[0]
                if stamp.isdigit() and int(stamp) < now - 60:
                    old.unlink(missing_ok=True)
        return True


class Approvals:
    """Issues and checks the ``request_state`` of one server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # without a configured key, one of this server's own: its approvals mean nothing elsewhere
        self.key = (settings.confirm_secret or secrets.token_hex(32)).encode()
        self.ledger = Ledger(settings.confirm_state_dir)

    def issue(self, op: Operation, arguments: dict[str, Any], principal: str) -> str:
        claims = {
            "t": op.name,
            "a": digest(op, arguments),
            "p": principal,
            "n": secrets.token_urlsafe(16),
            "e": round(time.time() + self.settings.confirm_expiry, 3),
        }
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest())

    def check(
        self, state: str | None, op: Operation, arguments: dict[str, Any], principal: str
    ) -> str | None:
        """None when ``state`` approves this call (and is now used up), else why not."""
        if not state or "." not in state:
            return "missing"
        body, _, signature = state.partition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return "not issued by this server"
        try:
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            expires = float(claims["e"])
        except (ValueError, KeyError, TypeError):
            return "malformed"
        if claims.get("t") != op.name or claims.get("a") != digest(op, arguments):
            return "for another call"
        if not hmac.compare_digest(str(claims.get("p", "")), principal):
            return "for another client"
        if not time.time() < expires:
            return "expired"
        if not self.ledger.claim(str(claims.get("n", "")), expires):
            return "used"
        return None

    async def gate(
        self,
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
            principal = _principal(ctx)
            answers = params.input_responses or {}
            if KEY not in answers or not params.request_state:
                return input_required(op, arguments, self.issue(op, arguments, principal))
            problem = self.check(params.request_state, op, arguments, principal)
            if problem == "used":
                return replayed(op)
            if problem is not None:  # stale or foreign: ask again
                return input_required(op, arguments, self.issue(op, arguments, principal))
            answer: Any = answers[KEY]
        else:
            answer = await ctx.session.elicit_form(
                message(op, arguments), SCHEMA, related_request_id=ctx.request_id
            )
        ok, action = accepted(answer)
        return None if ok else declined(op, arguments, action)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _principal(ctx: Any) -> str:
    """Who asked: a digest of the bearer token on HTTP, empty otherwise."""
    headers = getattr(getattr(ctx, "request", None), "headers", None)
    presented = headers.get("authorization", "") if headers is not None else ""
    return hashlib.sha256(presented.encode()).hexdigest()[:16] if presented else ""


def replayed(op: Operation) -> ToolError:
    return ToolError(
        "not_allowed",
        f"this approval of {op.name} was already used: each approval is good for one call. "
        "Nothing was sent; call the tool again to ask the user.",
        details=[{"path": "/", "message": "approval already used"}],
    )


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


def input_required(
    op: Operation, arguments: dict[str, Any], state: str
) -> types.InputRequiredResult:
    request = types.ElicitRequest(
        params=types.ElicitRequestFormParams(
            message=message(op, arguments), requested_schema=SCHEMA
        )
    )
    return types.InputRequiredResult(input_requests={KEY: request}, request_state=state)
