"""Grants and OAuth on the streamable-HTTP transport: the SDK's auth settings and
token verifier, the protected-resource metadata (RFC 9728) and grant URLs
(``<public URL><path>/g/<token>``) mapped onto the MCP endpoint. Who may use what
is decided in ``grantscope``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .grants import is_grant_token
from .grantscope import Verifier, check_serving, resource_url
from .grantstore import Store
from .oauthrs import ResourceServer, metadata_paths

if TYPE_CHECKING:
    from .server import ToolServer


class Guard:
    """What the streamable-HTTP app needs for grants and OAuth: the SDK's auth
    settings and token verifier, and an outer ASGI layer that serves the
    protected-resource metadata and maps grant URLs onto the endpoint."""

    def __init__(self, tool_server: ToolServer) -> None:
        settings = tool_server.settings
        check_serving(settings)
        self.settings = settings
        self.path = settings.path
        self.store = Store.open(settings.grants_db) if settings.grants_db else None
        if self.store is not None and self.store.keyed() and not tool_server.perimeter.box().ready:
            raise ValueError(
                "grants in the store carry their own API keys: set "
                f"{tool_server.package.option_env_prefix}GRANTS_SECRET to the secret they were stored with"
            )
        self.resource: str | None = None
        self.resource_server: ResourceServer | None = None
        self.metadata_app: Any = None
        self.metadata_paths: tuple[str, ...] = ()
        if settings.oauth_issuer:
            self.resource = resource_url(settings)
            self.resource_server = ResourceServer(settings.oauth_issuer, self.resource)
            scopes = sorted({s for op in tool_server.operations.values() for s in op.scopes})
            self.metadata_app = metadata_app(
                self.resource, settings.oauth_issuer, scopes, tool_server.package.title
            )
            self.metadata_paths = metadata_paths(self.resource)
        self.verifier = Verifier(self.store, self.resource_server)

    def sdk_auth(self) -> dict[str, Any]:
        """``auth`` and ``token_verifier`` for ``Server.streamable_http_app``."""
        from mcp.server.auth.settings import AuthSettings

        auth = AuthSettings.model_validate(
            {
                # grants only: no authorization server is advertised (no resource_server_url)
                "issuer_url": self.settings.oauth_issuer
                or self.settings.public_url
                or "http://127.0.0.1",
                "resource_server_url": self.resource,
                # aud is checked in oauthrs (RFC 8707), before the SDK sees the token
                "validate_token_resource": False if self.resource else None,
                "required_scopes": None,
            }
        )
        return {"auth": auth, "token_verifier": self.verifier}

    def wrap(self, app: Any) -> Any:
        return GrantUrls(app, self.path, self.metadata_paths, self.metadata_app)


def metadata_app(resource: str, issuer: str, scopes: list[str], name: str) -> Any:
    """RFC 9728 metadata through the SDK's handler, at both well-known paths."""
    from mcp.server.auth.routes import create_protected_resource_routes
    from starlette.applications import Starlette
    from starlette.routing import Route

    routes = create_protected_resource_routes(
        resource_url=resource,  # type: ignore[arg-type]
        authorization_servers=[issuer],  # type: ignore[list-item]
        scopes_supported=scopes,
        resource_name=name,
    )
    first = routes[0]
    extra = [
        Route(path, endpoint=first.endpoint, methods=["GET", "OPTIONS"])
        for path in metadata_paths(resource)
        if path != first.path
    ]
    return Starlette(routes=[*routes, *extra])


class GrantUrls:
    """ASGI: ``<path>/g/<token>`` is the endpoint with ``Authorization: Bearer <token>``
    (whatever Authorization header came with it); the metadata paths go to their app."""

    def __init__(self, app: Any, path: str, metadata: tuple[str, ...], metadata_app: Any) -> None:
        self.app = app
        self.path = path
        self.prefix = path.rstrip("/") + "/g/"
        self.metadata = metadata
        self.metadata_app = metadata_app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if self.metadata_app is not None and path in self.metadata:
                await self.metadata_app(scope, receive, send)
                return
            if path.startswith(self.prefix):
                token = path[len(self.prefix) :].rstrip("/")
                if "/" in token or not is_grant_token(token):
                    await _not_found(send)
                    return
                headers = [
                    (k, v) for k, v in scope.get("headers", []) if k.lower() != b"authorization"
                ]
                headers.append((b"authorization", b"Bearer " + token.encode()))
                scope = {
                    **scope,
                    "path": self.path,
                    "raw_path": self.path.encode(),
                    "headers": headers,
                }
        await self.app(scope, receive, send)


async def _not_found(send: Any) -> None:
    body = b'{"error": "not found"}'
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
