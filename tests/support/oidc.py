"""A real OpenID Connect provider for the OAuth tests: ``oidc-provider`` (npm,
pinned in tests/tools) run by tests/tools/oidc-server.mjs on loopback. It issues
client-credentials JWT access tokens whose ``aud`` is the resource the client
names (RFC 8707 resource indicators)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.npm_tools import TOOLS_DIR, _stop_group, ensure_installed
from tests.support.serving import free_port

SCRIPT = TOOLS_DIR / "oidc-server.mjs"
READY = "oidc-provider ready"


@dataclass
class Client:
    client_id: str
    client_secret: str
    scope: str  # what the client may ask for
    ttl: int = 300  # access-token lifetime, seconds


@dataclass
class Provider:
    issuer: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def metadata(self) -> dict[str, Any]:
        return dict(httpx.get(self.issuer + "/.well-known/openid-configuration").json())

    def token(self, client: Client, resource: str, scope: str | None = None) -> str:
        """A client-credentials access token for ``resource``."""
        answer = httpx.post(
            self.metadata()["token_endpoint"],
            data={
                "grant_type": "client_credentials",
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "scope": client.scope if scope is None else scope,
                "resource": resource,
            },
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def oidc_provider(clients: list[Client], scopes: list[str]) -> Iterator[Provider]:
    ensure_installed()
    port = free_port()
    config = {
        "port": port,
        "scopes": scopes,
        "clients": [c.__dict__ for c in clients],
    }
    fd, name = tempfile.mkstemp(prefix="oidc-", suffix=".log")
    log_path = Path(name)
    with os.fdopen(fd, "wb") as log:
        proc = subprocess.Popen(
            ["node", str(SCRIPT)],
            cwd=TOOLS_DIR,
            env={**os.environ, "OIDC_CONFIG": json.dumps(config), "NO_COLOR": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    provider = Provider(f"http://127.0.0.1:{port}", log_path, proc)
    try:
        deadline = time.monotonic() + 30
        while READY not in provider.log():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"oidc-provider did not start: {provider.log()[-2000:]}")
            time.sleep(0.1)
        yield provider
    finally:
        _stop_group(proc)
        with contextlib.suppress(OSError):
            log_path.unlink()
