"""OAuth 2.1 resource server (the MCP authorization spec): JWT access tokens
from one authorization server, meant for this server.

- The issuer's metadata (RFC 8414, or OpenID Connect discovery) names its
  ``jwks_uri``; its keys are fetched, cached, and fetched again when a token
  names a key id not yet seen (at most every ``REFETCH_SECONDS``).
- A token is accepted when its signature checks with one of those keys under an
  asymmetric algorithm, ``iss`` is the issuer, ``exp`` has not passed and
  ``aud`` is this server's resource URL (RFC 8707). PyJWT does the checking.
- ``metadata_routes`` serve RFC 9728 protected-resource metadata, at
  ``/.well-known/oauth-protected-resource`` and at the path-suffixed form.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("mcp_runtime")

# Asymmetric only: a resource server never shares a secret with the issuer ("none" and HS* refused).
ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
JWKS_MAX_AGE = 3600.0
REFETCH_SECONDS = 10.0
CLOCK_SKEW = 60.0  # how far the issuer's clock may run ahead for iat and nbf
METADATA_PATH = "/.well-known/oauth-protected-resource"


class Claims(dict[str, Any]):
    """The verified claims of one access token."""

    @property
    def scopes(self) -> list[str]:
        scope = self.get("scope")
        if isinstance(scope, str):
            return scope.split()
        scp = self.get("scp")  # Okta, Entra ID
        if isinstance(scp, str):
            return scp.split()
        if isinstance(scp, list):
            return [str(s) for s in scp]
        return []

    @property
    def client_id(self) -> str:
        return str(self.get("client_id") or self.get("azp") or self.get("sub") or "unknown")


def metadata_urls(issuer: str) -> list[str]:
    """Where the issuer's metadata may live: RFC 8414 §3.1 first, then OpenID Connect discovery."""
    parts = urlsplit(issuer)
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    urls = [f"{base}/.well-known/oauth-authorization-server{path}"]
    urls.append(f"{base}/.well-known/openid-configuration{path}")
    if path:
        urls.append(f"{base}{path}/.well-known/openid-configuration")
    return urls


class ResourceServer:
    """Validates access tokens from ``issuer`` meant for ``resource``."""

    def __init__(self, issuer: str, resource: str, timeout: float = 10.0) -> None:
        self.issuer = issuer
        self.resource = resource
        self.audiences = list(dict.fromkeys([resource, resource.rstrip("/"), resource + "/"]))
        self.timeout = timeout
        self._jwks_uri: str | None = None
        self._keys: Any = None  # jwt.PyJWKSet
        self._fetched = 0.0

    async def _get(self, url: str) -> Any:
        import httpx

        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()

    async def discover(self) -> str:
        """The issuer's ``jwks_uri``, from its metadata (whose ``issuer`` must be ours)."""
        if self._jwks_uri is not None:
            return self._jwks_uri
        problems = []
        for url in metadata_urls(self.issuer):
            try:
                data = await self._get(url)
            except Exception as exc:  # noqa: BLE001 - try the next place
                problems.append(f"{url}: {type(exc).__name__}")
                continue
            if not isinstance(data, dict) or data.get("issuer") != self.issuer:
                problems.append(
                    f"{url}: issuer is {data.get('issuer') if isinstance(data, dict) else None!r}"
                )
                continue
            if not data.get("jwks_uri"):
                problems.append(f"{url}: no jwks_uri")
                continue
            self._jwks_uri = str(data["jwks_uri"])
            return self._jwks_uri
        raise LookupError(f"no usable metadata for issuer {self.issuer}: {'; '.join(problems)}")

    async def _key_set(self, kid: str | None) -> Any:
        import jwt

        now = time.monotonic()
        stale = now - self._fetched > JWKS_MAX_AGE
        unknown = self._keys is not None and not _find(self._keys, kid)
        if self._keys is None or stale or (unknown and now - self._fetched > REFETCH_SECONDS):
            data = await self._get(await self.discover())
            self._keys = jwt.PyJWKSet.from_dict(data)
            self._fetched = now
        return self._keys

    async def verify(self, token: str) -> Claims | None:
        """The token's claims when it is valid for this resource; None (and a log line) otherwise."""
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            log.warning("access token refused: algorithm %r is not accepted", alg)
            return None
        try:
            keys = await self._key_set(header.get("kid"))
        except Exception as exc:  # noqa: BLE001 - the issuer is unreachable: refuse, say why
            log.warning("access token refused: cannot get the issuer's keys: %s", exc)
            return None
        key = _find(keys, header.get("kid"))
        if key is None:
            log.warning("access token refused: the issuer publishes no key %r", header.get("kid"))
            return None
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=self.audiences,
                issuer=self.issuer,
                # exp is strict; iat and nbf are checked below with room for the issuer's
                # clock running ahead of ours (PyJWT's one leeway would stretch exp too)
                options={
                    "require": ["exp", "iss", "aud"],
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            log.warning("access token refused: %s", exc)
            return None
        for claim in ("nbf", "iat"):
            value = claims.get(claim)
            if value is not None and (
                not isinstance(value, int | float) or value > time.time() + CLOCK_SKEW
            ):
                log.warning("access token refused: %s is in the future", claim)
                return None
        return Claims(claims)

    def metadata(self, scopes: list[str], name: str) -> dict[str, Any]:
        """RFC 9728 protected-resource metadata."""
        return {
            "resource": self.resource,
            "authorization_servers": [self.issuer],
            "scopes_supported": scopes,
            "bearer_methods_supported": ["header"],
            "resource_name": name,
        }


def _find(keys: Any, kid: str | None) -> Any:
    usable = [k for k in keys.keys if getattr(k, "public_key_use", None) in (None, "sig")]
    if kid is None:
        return usable[0] if len(usable) == 1 else None
    return next((k for k in usable if k.key_id == kid), None)


def metadata_paths(resource: str) -> tuple[str, ...]:
    """RFC 9728 §3.1: the well-known path with the resource's path appended, and the bare one."""
    path = urlsplit(resource).path.rstrip("/")
    return tuple(dict.fromkeys([METADATA_PATH + path, METADATA_PATH]))


def metadata_url(resource: str) -> str:
    parts = urlsplit(resource)
    return f"{parts.scheme}://{parts.netloc}{metadata_paths(resource)[0]}"
