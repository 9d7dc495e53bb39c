"""DNS-rebinding protection, the same on every HTTP transport.

A page on ``evil.example`` that resolves its name to 127.0.0.1 can make a
browser send requests to a server on loopback; the ``Host`` (and ``Origin``)
header still names ``evil.example``. ``HostGate`` answers such requests with a
clean 421 (Host) or 403 (Origin) before any transport sees them, on
streamable HTTP and SSE alike, and logs one line per refused value (never a
traceback).

Which values are accepted: the hosts of ``--allowed-hosts`` (any port unless
one is given); on a loopback bind without it, ``127.0.0.1``, ``localhost`` and
``[::1]`` on any port. A non-loopback bind without ``--allowed-hosts`` has no
protection (the operator names the public host names). ``Origin`` may be
absent (non-browser clients); when present it must be ``http(s)://`` one of the
accepted hosts. ``/healthz`` is exempt: orchestrators probe it by IP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("mcp_runtime")

LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
OPEN_PATHS = ("/healthz",)
MAX_LOGGED = 100  # distinct refused values logged; an attacker cannot flood the log


@dataclass(frozen=True)
class HostRules:
    """Accepted ``Host`` and ``Origin`` values; ``enabled`` False accepts all."""

    enabled: bool
    hosts: tuple[str, ...] = ()  # "name" (any port) or "name:port"

    def host_ok(self, host: str) -> bool:
        if not self.enabled:
            return True
        return _matches(host.strip().lower(), self.hosts)

    def origin_ok(self, origin: str) -> bool:
        if not self.enabled or not origin:
            return True
        scheme, sep, rest = origin.strip().lower().partition("://")
        if not sep or scheme not in ("http", "https") or "/" in rest.rstrip("/"):
            return False
        return _matches(rest.rstrip("/"), self.hosts)

    def sdk_settings(self) -> Any:
        """The same rules for the SDK's own check (a second line behind HostGate)."""
        from mcp.server.transport_security import TransportSecuritySettings

        if not self.enabled:
            return TransportSecuritySettings(enable_dns_rebinding_protection=False)
        hosts = [h if _has_port(h) else f"{h}:*" for h in self.hosts]
        hosts += [h for h in self.hosts if not _has_port(h)]
        origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        )


def rules(bind_host: str, allowed_hosts: Sequence[str]) -> HostRules:
    if allowed_hosts:
        return HostRules(True, tuple(h.strip().lower() for h in allowed_hosts if h.strip()))
    if bind_host in LOOPBACK:
        return HostRules(True, LOOPBACK_HOSTS)
    return HostRules(False)


def _has_port(host: str) -> bool:
    if host.startswith("["):
        return "]:" in host
    return ":" in host


def _split(value: str) -> tuple[str, str | None]:
    if value.startswith("["):
        name, _, rest = value.partition("]")
        return name + "]", rest[1:] if rest.startswith(":") else None
    if value.count(":") == 1:
        name, _, port = value.partition(":")
        return name, port
    return value, None


def _matches(value: str, accepted: Sequence[str]) -> bool:
    name, port = _split(value)
    for entry in accepted:
        entry_name, entry_port = _split(entry)
        if entry_name != name:
            continue
        if entry_port is None or entry_port == port:
            return True
    return False


class HostGate:
    """ASGI middleware: refuse requests whose Host or Origin this server does not serve."""

    def __init__(self, app: Any, host_rules: HostRules) -> None:
        self.app = app
        self.rules = host_rules
        self._logged: set[tuple[str, str]] = set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS or not self.rules.enabled:
            await self.app(scope, receive, send)
            return
        host = header(scope, b"host")
        if not self.rules.host_ok(host):
            self._log("Host", host)
            await refuse(
                receive, send, 421, {"error": "invalid Host header (DNS-rebinding protection)"}
            )
            return
        origin = header(scope, b"origin")
        if not self.rules.origin_ok(origin):
            self._log("Origin", origin)
            await refuse(
                receive, send, 403, {"error": "invalid Origin header (DNS-rebinding protection)"}
            )
            return
        await self.app(scope, receive, send)

    def _log(self, kind: str, value: str) -> None:
        key = (kind, value[:200])
        if key in self._logged or len(self._logged) >= MAX_LOGGED:
            return
        self._logged.add(key)
        log.warning(
            "refused a request with %s %r (DNS-rebinding protection; accepted: %s; see --allowed-hosts)",
            kind,
            value[:200],
            ", ".join(self.rules.hosts),
        )


def header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


DRAINED = 1 << 20  # a refused request's body is read (up to this) so the answer arrives cleanly


async def refuse(
    receive: Any,
    send: Any,
    status: int,
    body: dict[str, Any],
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer without running the app. The request body is read first: closing a
    connection with unread bytes makes the kernel send RST, and the client would
    see a reset instead of this answer."""
    seen = 0
    while seen <= DRAINED:
        message = await receive()
        if message.get("type") != "http.request":
            break
        seen += len(message.get("body") or b"")
        if not message.get("more_body"):
            break
    await reply(send, status, body, headers)


async def reply(
    send: Any, status: int, body: dict[str, Any], headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """A small JSON answer."""
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
