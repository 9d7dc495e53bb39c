"""OAuth2 client credentials: a bearer token fetched from the spec's token URL
with ``<PREFIX>_CLIENT_ID`` / ``<PREFIX>_CLIENT_SECRET``, cached until shortly
before it expires."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio

from .errors import ToolError, from_response

if TYPE_CHECKING:
    import httpx


class TokenSource:
    def __init__(
        self, token_url: str, client_id: str, client_secret: str, scopes: tuple[str, ...]
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = scopes
        self._token: str | None = None
        self._expires = 0.0
        self._lock = anyio.Lock()

    async def token(self, client: httpx.AsyncClient) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() >= self._expires:
                await self._fetch(client)
            assert self._token is not None
            return self._token

    async def _fetch(self, client: httpx.AsyncClient) -> None:
        import httpx

        data = {"grant_type": "client_credentials"}
        if self.scopes:
            data["scope"] = " ".join(self.scopes)
        try:
            response = await client.post(
                self.token_url, data=data, auth=(self.client_id, self.client_secret)
            )
        except httpx.HTTPError as exc:
            raise ToolError(
                "network", f"could not reach the OAuth2 token endpoint: {type(exc).__name__}"
            ) from None
        if response.status_code != 200:
            error = from_response(response.status_code, response.headers, response.content)
            error.message = (
                "the OAuth2 token endpoint refused the client credentials: " + error.message
            )
            raise error
        body = response.json()
        self._token = str(body["access_token"])
        lifetime = float(body.get("expires_in", 3600))
        self._expires = time.monotonic() + max(0.0, lifetime - 30)
