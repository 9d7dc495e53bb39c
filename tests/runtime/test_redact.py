"""Secrets in upstream data never reach the model (issue 14, "Secrets").

Every path that returns upstream data is covered: a success, a windowed list, a
projected list, an error body and the spec-drift note; through the mcp client
against a real HTTP server on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.support.served import call_tool as call
from tests.support.served import generate_app, tool_server
from tests.support.upstream import Reply, Upstream

KEY = "sk-live-0123456789abcdef"
SECRETS = {
    "password": "pw-hunter2-secret",
    "sslKey": "-----BEGIN PRIVATE KEY-----MIIEv",
    "awsAccessKeyID": "AKIAIOSFODNN7EXAMPLE",
    "awsSecretAccessKey": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
    "serviceAccountKey": '{"private_key": "gcp-private-key-material"}',
    "apiKeys": ["first-api-key-value", "second-api-key-value"],
}
DSN_PASSWORD = "dsn-inline-pass-77"
DSN = f"postgres://admin:{DSN_PASSWORD}@db.internal:5432/prod"
LEAKS = [
    "pw-hunter2-secret",
    "MIIEv",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
    "gcp-private-key-material",
    "first-api-key-value",
    "second-api-key-value",
    DSN_PASSWORD,
]


@pytest.fixture(scope="module")
def artie(tmp_path_factory: pytest.TempPathFactory, pinned_spec: Path) -> Any:
    return generate_app(pinned_spec, tmp_path_factory.mktemp("redact"), "rd_artie")


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generate_app(
        REPO / "tests/golden/features/spec.yaml", tmp_path_factory.mktemp("redact_f"), "rd_features"
    )


@pytest.fixture()
def upstream() -> Any:
    with Upstream() as server:
        yield server


def everything(result: Any) -> str:
    """All the model can see of a result: its text, structured content and _meta."""
    dumped = result.model_dump(mode="json", by_alias=True)
    return json.dumps(dumped, ensure_ascii=False)


def connector(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "label": f"source {n}",
        "type": "postgresql",
        "companyUUID": "00000000-0000-4000-8000-000000000001",
        "environmentUUID": "00000000-0000-4000-8000-000000000002",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "isValid": True,
        "sharedConfig": {**SECRETS, "host": "db.internal", "dsn": DSN, "url": DSN},
        **extra,
    }


@pytest.mark.parametrize(
    ("path", "reply", "args", "settings"),
    [
        ("success", Reply(200, {"items": [connector(1)]}), {}, {}),
        (
            "windowed",
            Reply(200, {"items": [connector(n) for n in range(60)]}),
            {"result_limit": 50},
            {"max_result_chars": 20_000},
        ),
        (
            "projected",
            Reply(200, {"items": [connector(1)]}),
            {"result_fields": ["label", "sharedConfig"]},
            {},
        ),
        ("error", Reply(400, {"error": f"bad config {DSN}", "config": connector(1)}), {}, {}),
        # an answer outside the documented schema: the drift note quotes the offending value
        ("drift note", Reply(200, {"items": [connector(1, type=DSN, label=SECRETS)]}), {}, {}),
    ],
)
def test_secrets_in_answers_are_redacted_on_every_path(
    artie: Any,
    upstream: Upstream,
    caplog: pytest.LogCaptureFixture,
    path: str,
    reply: Reply,
    args: dict[str, Any],
    settings: dict[str, Any],
) -> None:
    upstream.default = reply
    server = tool_server(artie, api_key=KEY, base_url=upstream.url, **settings)
    result = call(server, "connector_list", args)
    seen = everything(result)
    leaked = [secret for secret in LEAKS if secret in seen]
    assert not leaked, f"{path}: {leaked} reached the model"
    logged = [secret for secret in LEAKS if secret in caplog.text]
    assert not logged, f"{path}: {logged} reached the server log"
    assert "[redacted]" in seen
    if path == "windowed":
        assert result.structured_content["_window"]["truncated"] is True
    if path == "drift note":
        assert result.meta and "spec_drift" in result.meta
    if path != "error":
        assert "db.internal" in seen  # only secrets go: the rest of the answer is intact


def test_the_decrypted_key_of_an_excluded_operation_is_redacted_unless_revealed(
    artie: Any, upstream: Upstream
) -> None:
    answer = {
        "uuid": "00000000-0000-4000-8000-000000000009",
        "name": "main",
        "type": "aes",
        "key": "base64-decrypted-key-material==",
    }
    upstream.default = Reply(200, answer)
    hidden = call(
        tool_server(artie, api_key=KEY, base_url=upstream.url, include_excluded=True),
        "encryption_key_detail",
        {"uuid": answer["uuid"]},
    )
    assert hidden.structured_content == {**answer, "key": "[redacted]"}
    assert "decrypted-key-material" not in everything(hidden)
    shown = call(
        tool_server(
            artie,
            api_key=KEY,
            base_url=upstream.url,
            include_excluded=True,
            reveal_credentials=True,
        ),
        "encryption_key_detail",
        {"uuid": answer["uuid"]},
    )
    assert shown.structured_content["key"] == answer["key"]


def test_a_success_that_echoes_the_api_key_is_scrubbed(
    artie: Any, features: Any, upstream: Upstream
) -> None:
    # JSON, with the key where the drift note quotes it (not an enum value)
    upstream.rules.append(
        lambda r: Reply(
            200,
            {
                "items": [connector(1, type=r.headers["authorization"].split()[1])],
                "echo": r.headers["authorization"],
            },
        )
    )
    echoed = call(tool_server(artie, api_key=KEY, base_url=upstream.url), "connector_list", {})
    assert not echoed.is_error and KEY not in everything(echoed)
    assert "[redacted]" in everything(echoed)
    # text/plain: the key travels in the query string (an apiKey-in-query scheme)
    upstream.rules.append(lambda r: Reply(200, f"stored; you are {dict(r.query)['api_key']}"))
    text = call(
        tool_server(features, api_key=KEY, base_url=upstream.url), "add_note", {"body": "x"}
    )
    assert not text.is_error and KEY not in everything(text), text
    assert "you are [redacted]" in text.content[0].text
