"""Limits on stateful streamable-HTTP sessions, so that one client cannot lock out the rest.

Each session holds memory in the server (the SDK keeps its last answer, about
300 KiB after a tools/list), so the number of them is bounded:

- ``--max-sessions``: past it, a request that would open a session gets HTTP
  503 with ``Retry-After``; open sessions are unaffected.
- ``--max-sessions-per-token`` (with ``--require-token``): one token's sessions
  beyond it get HTTP 429 with ``Retry-After``; other tokens are unaffected.
- ``--session-idle-timeout``: a session with no request in flight and no open
  stream for that long is closed by the SDK; its id then answers 404 and the
  client starts a new session (the spec's rule).

``SessionLimits`` watches the HTTP exchanges (the session id the server hands
out, DELETE, 404) and mirrors the SDK's idle rule, so it counts exactly the
sessions that still hold memory. Sessions are also bound to the token that
opened them: the SDK answers 404 to another token presenting the id.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from .hosts import header, refuse

log = logging.getLogger("mcp_runtime")

SESSION_HEADER = b"mcp-session-id"
SLACK = 1.0  # seconds: a session counts a little past its idle deadline, never less


@dataclass
class _Session:
    owner: str | None
    in_flight: int = 0
    last_active: float = 0.0


def token_id(token: str) -> str:
    """What identifies a token in memory and logs: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class SessionLimits:
    """ASGI middleware in front of the stateful streamable-HTTP app."""

    def __init__(
        self,
        app: Any,
        *,
        max_sessions: int,
        per_token: int,
        idle_timeout: float,
        require_token: bool,
        clock: Any = time.monotonic,
    ) -> None:
        self.app = app
        self.max_sessions = max_sessions
        self.per_token = per_token
        self.idle_timeout = idle_timeout
        self.require_token = require_token
        self.clock = clock
        self.sessions: dict[str, _Session] = {}
        self._opening: dict[str | None, int] = {}  # opening requests in flight, per owner
        self._warned: set[str] = set()

    def _alive(self, session: _Session, now: float) -> bool:
        return session.in_flight > 0 or now - session.last_active < self.idle_timeout + SLACK

    def _prune(self) -> None:
        now = self.clock()
        for sid in [s for s, v in self.sessions.items() if not self._alive(v, now)]:
            del self.sessions[sid]

    def counts(self, owner: str | None) -> tuple[int, int]:
        """(open sessions in all, open sessions of ``owner``), openings in flight included."""
        self._prune()
        total = len(self.sessions) + sum(self._opening.values())
        mine = sum(1 for s in self.sessions.values() if s.owner == owner)
        return total, mine + self._opening.get(owner, 0)

    def _retry_after(self, owner: str | None) -> int:
        """Seconds until the first idle session (of ``owner``, if given) would expire."""
        now = self.clock()
        waits = [
            self.idle_timeout + SLACK - (now - s.last_active)
            for s in self.sessions.values()
            if s.in_flight == 0 and (owner is None or s.owner == owner)
        ]
        return max(1, math.ceil(min(waits))) if waits else max(1, math.ceil(self.idle_timeout))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        owner = self._owner(scope)
        sid = header(scope, SESSION_HEADER)
        if sid:
            await self._existing(sid, scope, receive, send)
            return
        if scope.get("method") != "POST" or not _opens_session(scope):
            await self.app(scope, receive, send)
            return
        total, mine = self.counts(owner)
        if total >= self.max_sessions:
            self._warn("all", f"{total} sessions are open (--max-sessions {self.max_sessions})")
            await self._refuse(
                receive,
                send,
                503,
                f"too many open sessions on this server ({self.max_sessions}); try again later",
                self._retry_after(None),
            )
            return
        if owner is not None and mine >= self.per_token:
            self._warn(
                owner,
                f"token {owner} has {mine} open sessions "
                f"(--max-sessions-per-token {self.per_token})",
            )
            await self._refuse(
                receive,
                send,
                429,
                f"this token has {mine} open sessions, the most this server allows "
                f"({self.per_token}); end one (HTTP DELETE) or wait for an idle one to expire",
                self._retry_after(owner),
            )
            return
        await self._opening_request(owner, scope, receive, send)

    async def _opening_request(
        self, owner: str | None, scope: dict[str, Any], receive: Any, send: Any
    ) -> None:
        created: list[str] = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message.get("status", 500) < 400:
                for key, value in message.get("headers") or []:
                    if bytes(key).lower() == SESSION_HEADER:
                        sid = bytes(value).decode("latin-1")
                        self.sessions[sid] = _Session(owner, 1, self.clock())
                        created.append(sid)
            await send(message)

        self._opening[owner] = self._opening.get(owner, 0) + 1
        try:
            await self.app(scope, receive, watch)
        finally:
            self._opening[owner] -= 1
            if not self._opening[owner]:
                del self._opening[owner]
            for sid in created:
                session = self.sessions.get(sid)
                if session is not None:
                    session.in_flight -= 1
                    session.last_active = self.clock()

    async def _existing(self, sid: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
        session = self.sessions.get(sid)
        status: list[int] = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message.get("status", 500)))
            await send(message)

        if session is not None:
            session.in_flight += 1
        try:
            await self.app(scope, receive, watch)
        finally:
            if session is not None:
                session.in_flight -= 1
                session.last_active = self.clock()
                code = status[0] if status else None
                if code == 404 or (
                    scope.get("method") == "DELETE" and code is not None and code < 300
                ):
                    self.sessions.pop(sid, None)

    def _owner(self, scope: dict[str, Any]) -> str | None:
        """The token that authenticated this request (the gate in front checked it)."""
        if not self.require_token:
            return None
        scheme, _, token = header(scope, b"authorization").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        owner = token_id(token)
        _bind(scope, owner)
        return owner

    async def _refuse(
        self, receive: Any, send: Any, status: int, message: str, retry_after: int
    ) -> None:
        body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}
        await refuse(receive, send, status, body, [(b"retry-after", str(retry_after).encode())])

    def _warn(self, key: str, text: str) -> None:
        if key in self._warned or len(self._warned) >= 100:
            return
        self._warned.add(key)
        log.warning("refusing new sessions: %s", text)


def _opens_session(scope: dict[str, Any]) -> bool:
    """Whether the SDK would open a session for this request: requests of the
    sessionless protocol revisions (2026-07-28 on) do not hold one."""
    version = header(scope, b"mcp-protocol-version")
    if not version:
        return True
    try:
        from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
    except ImportError:  # pragma: no cover - an SDK without the sessionless revisions
        return True
    return version in HANDSHAKE_PROTOCOL_VERSIONS


def _bind(scope: dict[str, Any], owner: str) -> None:
    """Mark the request as this token's, so the SDK ties the session to it: a
    session id presented with another token answers 404, as if it did not exist."""
    try:
        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken
    except ImportError:  # pragma: no cover - an SDK without session owners
        return
    scope["user"] = AuthenticatedUser(AccessToken(token=owner, client_id=owner, scopes=[]))


class StreamLimits:
    """The same caps for the SSE transport, whose session is its open event stream
    (``GET <path>``): streams beyond ``--max-sessions`` get 503, one token's beyond
    ``--max-sessions-per-token`` get 429."""

    def __init__(
        self, app: Any, *, path: str, max_sessions: int, per_token: int, require_token: bool
    ) -> None:
        self.app = app
        self.path = path
        self.max_sessions = max_sessions
        self.per_token = per_token
        self.require_token = require_token
        self.open: dict[str | None, int] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or scope.get("path") != self.path
        ):
            await self.app(scope, receive, send)
            return
        owner = None
        if self.require_token:
            scheme, _, token = header(scope, b"authorization").partition(" ")
            owner = token_id(token.strip()) if scheme.lower() == "bearer" and token else None
        total, mine = sum(self.open.values()), self.open.get(owner, 0)
        if total >= self.max_sessions or (owner is not None and mine >= self.per_token):
            status = 503 if total >= self.max_sessions else 429
            limit = self.max_sessions if status == 503 else self.per_token
            body = {"error": f"too many open sessions ({limit}); end one or try again later"}
            await refuse(receive, send, status, body, [(b"retry-after", b"30")])
            return
        self.open[owner] = mine + 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open[owner] -= 1
            if not self.open[owner]:
                del self.open[owner]
