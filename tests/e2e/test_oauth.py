"""The server as an OAuth 2.1 resource server (issue 19), against a real OpenID
Connect provider (oidc-provider, tests/tools) issuing client-credentials JWT
access tokens with resource indicators; the `mcp` client and the MCP
Inspector connect with those tokens, and token scopes decide the tools."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import jwt
import pytest
from artie_mcp.app import PACKAGE
from artie_mcp.runtime.operation import load_operations
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.jsonrpc import HEADERS, INIT
from tests.support.npm_tools import inspector_proxy
from tests.support.oidc import Client as OAuthClient
from tests.support.oidc import Provider, oidc_provider
from tests.support.serving import Running, artie_mcp, free_port
from tests.support.upstream import Reply, Upstream

pytestmark = pytest.mark.slow
KEY = "sk-operator-key-88"
OPS = [op for op in load_operations(PACKAGE.root / "tools") if op.exposure == "exposed"]  # type: ignore[operator]
SCOPES = sorted({s for op in OPS for s in op.scopes})
READER = OAuthClient("reader", "reader-secret-1", "pipelines:read connectors:read")
OPERATOR = OAuthClient("operator", "operator-secret-2", " ".join(SCOPES))
BRIEF = OAuthClient("brief", "brief-secret-3", "pipelines:read", ttl=1)


def tools_for(scopes: str) -> set[str]:
    held = set(scopes.split())
    return {op.name for op in OPS if set(op.scopes) <= held}


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Provider, Running, Upstream, Path]]:
    tmp = tmp_path_factory.mktemp("oauth")
    audit = tmp / "audit.jsonl"
    with oidc_provider([READER, OPERATOR, BRIEF], SCOPES) as provider, Upstream() as upstream:
        upstream.default = Reply(200, {"items": []})
        port = free_port()
        args = [
            "--transport",
            "streamable-http",
            "--oauth-issuer",
            provider.issuer,
            "--public-url",
            f"http://127.0.0.1:{port}",
            "--audit-log",
            str(audit),
        ]
        env = {"ARTIE_API_KEY": KEY, "ARTIE_BASE_URL": upstream.url}
        with artie_mcp(args, env, tmp, port=port) as server:
            yield provider, server, upstream, audit


async def session(
    url: str, token: str, calls: list[tuple[str, dict[str, Any]]]
) -> tuple[list[str], list[Any]]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as hc:
        async with Client(streamable_http_client(url, http_client=hc)) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            results = [await client.call_tool(n, a) for n, a in calls]
    return names, results


def post(url: str, token: str | None = None) -> httpx.Response:
    headers = {**HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx.post(url, json=INIT, headers=headers)


def test_a_client_follows_the_401_to_a_token_and_its_scopes_decide_the_tools(
    setup: tuple[Provider, Running, Upstream, Path],
) -> None:
    provider, server, upstream, audit = setup
    resource = server.base + "/mcp"
    refused = post(resource)
    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    metadata_url = f"{server.base}/.well-known/oauth-protected-resource/mcp"
    assert challenge.startswith("Bearer ") and f'resource_metadata="{metadata_url}"' in challenge

    metadata = httpx.get(metadata_url).json()
    assert metadata["resource"] == resource
    assert metadata["authorization_servers"] == [provider.issuer]
    assert metadata["scopes_supported"] == SCOPES
    assert httpx.get(server.base + "/.well-known/oauth-protected-resource").json() == metadata
    issuer = metadata["authorization_servers"][0]
    as_metadata = httpx.get(issuer + "/.well-known/oauth-authorization-server").json()
    answer = httpx.post(
        as_metadata["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "client_id": READER.client_id,
            "client_secret": READER.client_secret,
            "scope": READER.scope,
            "resource": metadata["resource"],
        },
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == resource and set(claims["scope"].split()) == set(READER.scope.split())

    before = len(upstream.requests)
    names, (listed, started) = anyio.run(
        session, resource, token, [("pipeline_list", {}), ("pipeline_start", {"uuid": "p1"})]
    )
    assert set(names) == tools_for(READER.scope) and 0 < len(names) < len(OPS)
    assert not listed.is_error
    error = json.loads(started.content[0].text)["error"]
    assert error["type"] == "not_allowed" and "pipelines:write" in error["message"]
    assert [r.path for r in upstream.requests[before:]] == ["/pipelines"]
    assert upstream.requests[-1].headers["authorization"] == f"Bearer {KEY}"

    everything, _ = anyio.run(session, resource, provider.token(OPERATOR, resource), [])
    assert set(everything) == {op.name for op in OPS}
    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    assert [(x["tool"], x["outcome"], x["client_id"]) for x in lines[-2:]] == [
        ("pipeline_list", "ok", "reader"),
        ("pipeline_start", "not_allowed", "reader"),
    ]
    assert token not in server.stderr() and token not in audit.read_text()


def test_tokens_for_another_resource_expired_or_signed_by_another_key_are_refused(
    setup: tuple[Provider, Running, Upstream, Path],
) -> None:
    provider, server, upstream, _ = setup
    resource = server.base + "/mcp"
    brief = provider.token(BRIEF, resource)  # lives one second
    good = provider.token(READER, resource)
    assert post(resource, good).status_code == 200
    before = len(upstream.requests)

    elsewhere = provider.token(READER, "http://127.0.0.1:9/mcp")
    assert jwt.decode(elsewhere, options={"verify_signature": False})["aud"] != resource
    header = jwt.get_unverified_header(good)
    claims = jwt.decode(good, options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": header["kid"]})
    unknown_kid = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "not-theirs"})
    symmetric = jwt.encode(
        claims,
        "a-shared-secret-of-32-characters!",
        algorithm="HS256",
        headers={"kid": header["kid"]},
    )
    unsigned = jwt.encode(claims, None, algorithm="none")
    other_issuer = jwt.encode({**claims, "iss": "http://127.0.0.1:9"}, stranger, algorithm="RS256")
    for name, token in [
        ("wrong audience", elsewhere),
        ("another key", forged),
        ("a key id the issuer does not publish", unknown_kid),
        ("HS256", symmetric),
        ("alg none", unsigned),
        ("another issuer", other_issuer),
        ("not a JWT", "opaque-token-value"),
    ]:
        answer = post(resource, token)
        assert answer.status_code == 401, name
        assert "invalid_token" in answer.headers["www-authenticate"], name

    exp = jwt.decode(brief, options={"verify_signature": False})["exp"]
    while time.time() <= exp + 1:
        time.sleep(0.2)
    assert post(resource, brief).status_code == 401
    assert len(upstream.requests) == before
    log = server.stderr()
    assert "Signature verification failed" in log and "expired" in log
    assert "audience" in log.lower() and "'HS256' is not accepted" in log


def test_the_inspector_connects_with_an_access_token(
    setup: tuple[Provider, Running, Upstream, Path],
) -> None:
    provider, server, _, _ = setup
    resource = server.base + "/mcp"
    token = provider.token(READER, resource, scope="pipelines:read")
    with inspector_proxy() as proxy:

        async def main() -> list[str]:
            headers = {
                "X-MCP-Proxy-Auth": f"Bearer {proxy.token}",
                "Authorization": f"Bearer {token}",
            }
            async with httpx2.AsyncClient(headers=headers) as hc:
                transport = streamable_http_client(proxy.url(resource), http_client=hc)
                async with Client(transport, mode="legacy") as client:
                    return [t.name for t in (await client.list_tools()).tools]

        names = anyio.run(main)
    assert set(names) == tools_for("pipelines:read") and "pipeline_list" in names
