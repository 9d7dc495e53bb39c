"""Who is calling over HTTP, and what that caller may see and call.

Two kinds of caller credential, both checked by the SDK's bearer-auth hooks
(``AuthSettings`` + a ``TokenVerifier``) on every HTTP request:

- a grant token (``--grants-db``): at ``<path>/g/<token>`` (for clients that
  cannot send headers, such as Claude.ai's and ChatGPT's connectors) or at
  ``<path>`` with ``Authorization: Bearer <token>``;
- a JWT access token from the OAuth authorization server (``--oauth-issuer``),
  meant for this server's resource URL.

``Perimeter`` then scopes each MCP request to its caller: tools/list,
tools/call, prompts and the excluded-operations resource. A grant narrows the
server's tools with the server's own flags; an access token gets the tools
whose ``requiredScopes`` it holds. Anything else is refused before any
upstream request.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import mcp.types as types
from mcp.server.auth.provider import AccessToken
from mcp.shared.exceptions import MCPError
from pydantic import ConfigDict

from . import compact
from .access import select
from .catalog import listing, markdown_resource
from .contract import METHOD_CLASSES
from .errors import ToolError
from .grants import Grant, GrantError, GrantScope, KeyBox, audited, is_grant_token
from .grantstore import Store
from .oauthrs import ResourceServer
from .operation import Operation, PackageInfo
from .settings import Settings

if TYPE_CHECKING:
    from .catalog import Catalog
    from .prompts import Prompts

log = logging.getLogger("mcp_runtime")
CACHE_SECONDS = 2.0  # a revocation reaches every replica within this (plus one request)
CACHE_SIZE = 10_000


def active(settings: Settings) -> bool:
    return bool(settings.grants_db or settings.oauth_issuer)


def public_base(settings: Settings) -> str:
    """``--public-url`` checked: an http(s) origin (and prefix), without the endpoint path."""
    url = (settings.public_url or "").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"--public-url must be an http(s) URL such as https://mcp.example.com, not {url!r}"
        )
    if parts.path.endswith(settings.path.rstrip("/")) and settings.path.strip("/"):
        raise ValueError(
            f"--public-url is the address without the endpoint path {settings.path}: "
            f"{url[: -len(settings.path.rstrip('/'))] or url}"
        )
    return url


def resource_url(settings: Settings) -> str:
    """This server's OAuth resource identifier (RFC 8707), what tokens' ``aud`` must be."""
    return public_base(settings) + settings.path


def grant_url(settings: Settings, token: str) -> str:
    return f"{public_base(settings)}{settings.path.rstrip('/')}/g/{token}"


def check_serving(settings: Settings) -> None:
    if settings.transport != "streamable-http":
        raise ValueError("--grants-db and --oauth-issuer serve over --transport streamable-http")
    if settings.require_token:
        raise ValueError(
            "--require-token cannot be combined with --grants-db or --oauth-issuer: "
            "grant tokens and OAuth access tokens take the place of static tokens"
        )
    if settings.oauth_issuer:
        if not settings.public_url:
            raise ValueError(
                "--oauth-issuer needs --public-url (the resource URL tokens are meant for)"
            )
        issuer = urlsplit(settings.oauth_issuer)
        if issuer.scheme not in ("http", "https") or not issuer.netloc:
            raise ValueError(
                f"--oauth-issuer must be the issuer's URL, not {settings.oauth_issuer!r}"
            )
    if settings.public_url:
        public_base(settings)


# -- the caller ------------------------------------------------------------------------------


class Principal(AccessToken):
    """An authenticated caller: a grant, or the holder of an OAuth access token."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kind: str  # "grant" or "oauth"
    grant: Grant | None = None


class Verifier:
    """The SDK's ``TokenVerifier``: grant tokens from the store (cached for
    ``CACHE_SECONDS``), then JWT access tokens from the issuer."""

    def __init__(self, store: Store | None, resource_server: ResourceServer | None) -> None:
        self.store = store
        self.resource_server = resource_server
        self._cache: dict[str, tuple[float, Grant | None]] = {}

    async def verify_token(self, token: str) -> AccessToken | None:
        if is_grant_token(token):
            return await self._grant(token) if self.store is not None else None
        if self.resource_server is not None and token.count(".") == 2:
            claims = await self.resource_server.verify(token)
            if claims is None:
                return None
            return Principal(
                kind="oauth",
                token=token,
                client_id=claims.client_id,
                scopes=claims.scopes,
                expires_at=int(claims["exp"]),
                subject=str(claims["sub"]) if claims.get("sub") is not None else None,
                claims={"iss": claims["iss"]},
            )
        return None

    async def _grant(self, token: str) -> Principal | None:
        import anyio

        from .grants import token_hash

        key = token_hash(token)
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            grant = hit[1]
        else:
            store = self.store
            assert store is not None
            try:
                grant = await anyio.to_thread.run_sync(store.find, token)
            except GrantError as exc:
                log.warning("grant lookup failed, request refused: %s", exc)
                return None
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = (now, grant)
        if grant is None:
            return None
        state = grant.state()
        if state != "active":
            log.warning("grant %s is %s: request refused", grant.id, state)
            return None
        return Principal(
            kind="grant",
            token=token,
            client_id=f"grant:{grant.id}",
            scopes=[],
            expires_at=int(grant.expires_at.timestamp()) if grant.expires_at else None,
            grant=grant,
        )


# -- what the caller may use -------------------------------------------------------------------


@dataclass
class Scoped:
    principal: Principal
    served: dict[str, Operation]
    api_key: str | None = None
    problem: ToolError | None = None  # a caller that cannot call at all, and why
    audit: dict[str, Any] = field(default_factory=dict)


def narrow(served: Mapping[str, Operation], scope: GrantScope) -> dict[str, Operation]:
    """What a grant serves: the server's tools, filtered as the server's own flags filter."""
    probe = Settings(
        methods=list(scope.methods),
        tags=list(scope.tags),
        read_only=scope.read_only,
        include_excluded=True,  # the server already decided; a grant only narrows
    )
    kept = select(list(served.values()), probe)
    return {
        op.name: op
        for op in kept
        if (not scope.tools or op.name in scope.tools) and op.name not in scope.exclude_tools
    }


def check_scope(scope: GrantScope, known: Mapping[str, Operation]) -> None:
    bad = [m for m in scope.methods if m not in METHOD_CLASSES]
    if bad:
        raise ValueError(f"methods must be among {', '.join(METHOD_CLASSES)}, not {', '.join(bad)}")
    unknown = [n for n in (*scope.tools, *scope.exclude_tools) if n not in known]
    if unknown:
        raise ValueError(f"unknown tool(s): {', '.join(unknown)} (see the 'tools' command)")


class Perimeter:
    """Per-request scoping of one server's tools, prompts and resources."""

    def __init__(
        self, package: PackageInfo, settings: Settings, served: Mapping[str, Operation]
    ) -> None:
        self.package = package
        self.settings = settings
        self.served = served
        self.active = active(settings)
        self._box: KeyBox | None = None

    def box(self) -> KeyBox:
        if self._box is None:
            self._box = KeyBox(
                self.settings.grants_secret, self.package.option_env_prefix + "GRANTS_SECRET"
            )
        return self._box

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one Perimeter per process
    def _narrowed(self, key: GrantScope | frozenset[str]) -> dict[str, Operation]:
        if isinstance(key, GrantScope):
            return narrow(self.served, key)
        return {name: op for name, op in self.served.items() if set(op.scopes) <= key}

    def of(self, ctx: Any) -> Scoped | None:
        """The caller of this request, or None when the server does not scope per caller."""
        if not self.active:
            return None
        request = getattr(ctx, "request", None)
        user = getattr(request, "scope", {}).get("user") if request is not None else None
        principal = getattr(user, "access_token", None)
        if not isinstance(principal, Principal):  # never reached over HTTP: the SDK refused it
            nobody = Principal(kind="none", token="", client_id="none", scopes=[])
            return Scoped(nobody, {}, problem=ToolError("not_allowed", "no caller credential"))
        if principal.grant is not None:
            grant = principal.grant
            scoped = Scoped(principal, self._narrowed(grant.scope), audit={"grant": grant.id})
            if grant.sealed_key:
                try:
                    scoped.api_key = self.box().open(grant.sealed_key)
                except GrantError as exc:
                    scoped.problem = ToolError("config", str(exc))
            return scoped
        audit = {"client_id": principal.client_id}
        if principal.subject and principal.subject != principal.client_id:
            audit["subject"] = principal.subject
        return Scoped(principal, self._narrowed(frozenset(principal.scopes)), audit=audit)

    def why_not(self, scoped: Scoped, op: Operation) -> str:
        if scoped.principal.kind == "oauth":
            missing = sorted(set(op.scopes) - set(scoped.principal.scopes))
            return f"tool {op.name!r} needs the scope(s) {', '.join(missing)}, which this access token does not hold"
        return f"tool {op.name!r} is not in this grant's scope"

    # tools

    def tools(self, ctx: Any, catalog: Catalog) -> list[types.Tool]:
        scoped = self.of(ctx)
        if scoped is None:
            return catalog.tools()
        if catalog.compact:
            return compact.tools(len(scoped.served))
        return [t for t in catalog.tools() if t.name in scoped.served]

    async def call(
        self,
        ctx: Any,
        params: types.CallToolRequestParams,
        handler: Callable[..., Awaitable[Any]],
        caller: Any,
    ) -> Any:
        """Run ``handler(ctx, params, served, api_key)`` within the caller's scope; a tool
        outside it is ``not_allowed`` (audited), and nothing is sent upstream."""
        scoped = self.of(ctx)
        if scoped is None:
            return await handler(ctx, params, self.served, None)
        with audited(scoped.audit):
            name, arguments = params.name, params.arguments or {}
            op = self.served.get(name)
            refusal = scoped.problem
            if refusal is None and op is not None and name not in scoped.served:
                refusal = ToolError("not_allowed", self.why_not(scoped, op))
            if refusal is not None:
                caller.audit.record(op, name, arguments, refusal.type, None, None, 0.0)
                return caller.error(op, refusal)
            return await handler(ctx, params, scoped.served, scoped.api_key)

    # prompts: a workflow is offered only when its caller may use every tool it names

    def prompts(self, ctx: Any, prompts: Prompts) -> list[types.Prompt]:
        listing = prompts.listing()
        scoped = self.of(ctx)
        if scoped is None:
            return listing
        return [p for p in listing if self._prompt_ok(scoped, prompts, p.name)]

    def check_prompt(self, ctx: Any, prompts: Prompts, name: str) -> None:
        scoped = self.of(ctx)
        if scoped is not None and not self._prompt_ok(scoped, prompts, name):
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown prompt: {name}")

    def _prompt_ok(self, scoped: Scoped, prompts: Prompts, name: str) -> bool:
        item = prompts.items.get(name)
        if item is None:
            return True  # unknown: render() says so
        return all(tool in scoped.served for tool in item.get("tools", ()))

    # the excluded-operations resource: for a scoped caller it also says which of the
    # server's tools this caller cannot use, and why

    def resources(self, ctx: Any, catalog: Catalog) -> list[types.Resource]:
        scoped = self.of(ctx)
        if scoped is None or not self._outside(scoped):
            return catalog.resources()
        return [catalog.resource("Operations not available to this caller")]

    def read(self, ctx: Any, catalog: Catalog, uri: str) -> types.ReadResourceResult:
        scoped = self.of(ctx)
        outside = self._outside(scoped) if scoped is not None else []
        if scoped is None or not outside or uri != catalog.resource_uri():
            return catalog.read(uri)
        lines = []
        if catalog.not_exposed:
            lines = [
                str(c.text)
                for c in catalog.read(uri).contents
                if isinstance(c, types.TextResourceContents)
            ]
        holder = (
            "an access token with the scopes named"
            if scoped.principal.kind == "oauth"
            else "a grant that includes it"
        )
        lines += listing(
            "Operations outside this caller's scope",
            ((op, self.why_not(scoped, op), f"ask the operator for {holder}") for op in outside),
        )
        return markdown_resource(uri, lines)

    def _outside(self, scoped: Scoped) -> list[Operation]:
        return [op for name, op in self.served.items() if name not in scoped.served]
