"""Issue 8: any OpenAPI 3.0/3.1 spec becomes a correct server (public specs and our own)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from mcp import Client, StdioServerParameters

from generator.contract import compat
from tests.conftest import PUBLIC_SPECS, REPO, generate_package
from tests.generator.minimal import run
from tests.support.drawing import draw_arguments, run_calls, sendable
from tests.support.install import fresh_install
from tests.support.npm_tools import ensure_installed, prism
from tests.support.schemas import check_2020_12
from tests.support.served import generate_app, tool_server
from tests.support.upstream import Reply, Upstream

FEATURES = REPO / "tests/golden/features/spec.yaml"
PUBLIC = sorted(PUBLIC_SPECS.glob("*.json"))


def names(spec: Path) -> tuple[str, str]:
    stem = spec.stem.replace("-", "_")
    return f"{stem}_mcp", stem.replace("_", "-") + "-mcp"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every public spec generated and installed into one fresh venv."""
    root = tmp_path_factory.mktemp("public")
    env_dir = root / "venv"
    scripts: dict[str, Path] = {}
    outs = []
    for spec in PUBLIC:
        package, command = names(spec)
        out = root / package
        generate_package(spec, out, package, "--dist-name", command, "--command", command)
        outs.append(str(out))
        scripts[spec.name] = env_dir / "bin" / command
    fresh_install(env_dir, *outs)
    return scripts


@pytest.mark.slow
@pytest.mark.parametrize("spec", PUBLIC, ids=lambda p: p.stem)
def test_public_spec_installs_serves_and_lists_valid_tools(
    spec: Path, installed: dict[str, Path]
) -> None:
    doc = json.loads(spec.read_text())
    operations = sum(
        1
        for item in doc["paths"].values()
        for m in item
        if m in ("get", "put", "post", "delete", "patch", "head", "options")
    )

    async def main() -> list[Any]:
        async with Client(
            StdioServerParameters(command=str(installed[spec.name]), args=["--no-compact"], env={})
        ) as client:
            return (await client.list_tools()).tools

    tools = anyio.run(main)
    assert len(tools) == operations
    listed = [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]
    for tool in listed:
        check_2020_12(tool["inputSchema"])
        if "outputSchema" in tool:
            check_2020_12(tool["outputSchema"])
    clients = tuple(c for c in compat.CLIENTS if c != "gemini")
    assert compat.lint(listed, clients, "svc") == []


# Prism 5.14 never reads a repeated form field as an array (it says "must be
# array" for a=1&a=2 and for a=1 alike), so form operations with array fields
# are checked on the wire against our own server instead (test below).
PRISM_CANNOT_PARSE = "form array"


@pytest.mark.slow
@pytest.mark.parametrize("spec", PUBLIC, ids=lambda p: p.stem)
def test_sample_calls_pass_prism_validation(spec: Path, tmp_path: Path) -> None:
    ensure_installed()
    app = generate_app(spec, tmp_path, spec.stem.replace("-", "_"))
    listing = tool_server(app)
    calls: list[tuple[str, dict[str, Any]]] = []
    skipped = []
    for op in listing.operations.values():
        form_arrays = (
            op.body is not None
            and "form" in op.body.content_type
            and any(
                op.input_schema["properties"].get(arg, {}).get("type") == "array"
                for arg, _ in op.body.fields
            )
        )
        schema = sendable(op.input_schema, op)
        for args in draw_arguments(schema, 2):
            if form_arrays and any(isinstance(args.get(arg), list) for arg, _ in op.body.fields):
                skipped.append(op.name)
                continue
            calls.append((op.name, args))
    with prism(spec) as mock:
        server = tool_server(app, api_key="user:secret", base_url=mock.url)
        results = anyio.run(run_calls, server, calls)
    failures = [
        (n, json.loads(r.content[0].text)["error"])
        for (n, _), r in zip(calls, results, strict=True)
        if r.is_error
    ]
    assert not failures, failures[:3]
    assert len(calls) >= len(listing.operations)


def test_form_bodies_on_the_wire(tmp_path: Path) -> None:
    app = generate_app(FEATURES, tmp_path, "feat_form")
    with Upstream() as upstream:
        upstream.default = Reply(201, {"id": "f1"})
        server = tool_server(app, api_key="qk-1", base_url=upstream.url)
        args = {
            "Name": "a b",
            "Timers.Inactive": "PT5M",
            "Labels": ["x", "y"],
            "session": "s=1",
            "tags": ["p", "q"],
            "filter": {"status": "open", "kind": "k"},
        }
        result = anyio.run(run_calls, server, [("forms_submit_v2", args)])[0]
    assert not result.is_error, result.content[0].text
    (request,) = upstream.requests
    assert (
        request.path == "/forms"
        and request.headers["content-type"] == "application/x-www-form-urlencoded"
    )
    assert request.body == b"Name=a+b&Timers.Inactive=PT5M&Labels=x&Labels=y"
    assert request.query == [
        ("tags", "p|q"),
        ("filter[status]", "open"),
        ("filter[kind]", "k"),
        ("api_key", "qk-1"),
    ]
    assert request.headers["cookie"] == "session=s%3D1"


def test_files_text_and_binary(tmp_path: Path) -> None:
    app = generate_app(FEATURES, tmp_path, "feat_files")
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "doc.txt").write_bytes(b"hello file")
    (tmp_path / "secret.txt").write_bytes(b"nope")
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    with Upstream() as upstream:
        upstream.on("GET", "/report.pdf", Reply(200, pdf, {"content-type": "application/pdf"}))
        upstream.on("POST", "/notes", Reply(200, "noted", {"content-type": "text/plain"}))
        upstream.default = Reply(200, {"size": 10})
        server = tool_server(app, api_key="k", base_url=upstream.url, allow_file_dir=[str(allowed)])
        calls = [
            ("upload_document", {"file": {"path": str(allowed / "doc.txt")}, "title": "T"}),
            ("upload_document", {"file": {"path": str(tmp_path / "secret.txt")}}),
            ("upload_document", {"file": {"path": str(allowed / ".." / "secret.txt")}}),
            ("put_raw", {"body": {"content_base64": base64.b64encode(b"\x00\x01raw").decode()}}),
            ("add_note", {"body": "remember"}),
            ("download_report", {}),
        ]
        results = anyio.run(run_calls, server, calls)
    sent = upstream.requests
    assert sent[0].headers["content-type"].startswith("multipart/form-data; boundary=")
    assert (
        b'filename="doc.txt"' in sent[0].body
        and b"hello file" in sent[0].body
        and b'name="title"' in sent[0].body
    )
    for outside in results[1:3]:
        assert json.loads(outside.content[0].text)["error"]["type"] == "not_allowed"
    assert (
        sent[1].method == "PUT"
        and sent[1].body == b"\x00\x01raw"
        and sent[1].headers["content-type"] == "application/octet-stream"
    )
    assert sent[2].body == b"remember" and sent[2].headers["content-type"] == "text/plain"
    assert results[4].content[0].text == "noted"
    report = results[5]
    summary = json.loads(report.content[0].text)
    assert summary == {
        "binary": True,
        "content_type": "application/pdf",
        "bytes": len(pdf),
        "sha256": summary["sha256"],
    }
    assert base64.b64decode(report.content[1].resource.blob) == pdf
    assert "%PDF" not in report.content[0].text


def test_server_variables_security_and_awkward_names(tmp_path: Path) -> None:
    app = generate_app(FEATURES, tmp_path, "feat_names")
    assert app.PACKAGE.default_base_url == "https://eu.api.example.test/v2"
    assert app.PACKAGE.auth.kind == "query" and app.PACKAGE.auth.name == "api_key"
    names_ = {p.stem for p in (app.PACKAGE.root / "tools").glob("*.json")}
    assert "forms_submit_v2" in names_  # operationId 'forms.submit/v2' made a valid name


def test_oauth2_client_credentials(tmp_path: Path) -> None:
    doc = yaml.safe_load(FEATURES.read_text())
    doc["components"]["securitySchemes"] = {
        "OAuth": {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "TOKEN_URL",
                    "scopes": {"read": "r", "write": "w"},
                }
            },
        }
    }
    doc["security"] = [{"OAuth": ["read"]}]
    with Upstream() as upstream:
        tokens = iter(["tok-1", "tok-2"])
        upstream.rules.append(
            lambda r: (
                Reply(200, {"access_token": next(tokens), "expires_in": 3600})
                if r.path == "/oauth/token"
                else None
            )
        )
        upstream.default = Reply(200, "ok", {"content-type": "text/plain"})
        doc["components"]["securitySchemes"]["OAuth"]["flows"]["clientCredentials"]["tokenUrl"] = (
            upstream.url + "/oauth/token"
        )
        spec = tmp_path / "oauth.yaml"
        spec.write_text(yaml.safe_dump(doc))
        app = generate_app(spec, tmp_path, "feat_oauth")
        server = tool_server(app, base_url=upstream.url, client_id="cid", client_secret="csecret")
        results = anyio.run(
            run_calls, server, [("add_note", {"body": "a"}), ("add_note", {"body": "b"})]
        )
    assert not any(r.is_error for r in results)
    token_requests = [r for r in upstream.requests if r.path == "/oauth/token"]
    assert len(token_requests) == 1  # cached
    assert token_requests[0].body in (b"grant_type=client_credentials&scope=read+write",)
    assert (
        token_requests[0].headers["authorization"]
        == "Basic " + base64.b64encode(b"cid:csecret").decode()
    )
    assert [r.headers["authorization"] for r in upstream.requests if r.path == "/notes"] == [
        "Bearer tok-1"
    ] * 2


def test_compact_mode_searches_describes_and_calls(tmp_path: Path, pinned_spec: Path) -> None:
    app = generate_app(pinned_spec, tmp_path, "compact")
    with Upstream() as upstream:
        upstream.default = Reply(204)
        server = tool_server(app, api_key="k", base_url=upstream.url, compact=True)

        async def main() -> tuple[list[str], Any, Any, Any]:
            async with Client(server.server) as client:
                listed = [t.name for t in (await client.list_tools()).tools]
                found = await client.call_tool("search_operations", {"query": "start pipeline"})
                described = await client.call_tool("describe_operation", {"name": "pipeline_start"})
                called = await client.call_tool(
                    "call_operation", {"name": "pipeline_start", "arguments": {"uuid": "p1"}}
                )
                return listed, found, described, called

        listed, found, described, called = anyio.run(main)
    assert listed == ["search_operations", "describe_operation", "call_operation"]
    assert found.structured_content["operations"][0]["name"] == "pipeline_start"
    assert described.structured_content["inputSchema"]["required"] == ["uuid"]
    assert json.loads(called.content[0].text) == {"ok": True, "status": 204}
    assert [r.path for r in upstream.requests] == ["/pipelines/p1/start"]


def test_external_refs_are_bundled_and_missing_ones_are_clear_errors(tmp_path: Path) -> None:
    doc = yaml.safe_load(FEATURES.read_text())
    doc["paths"]["/forms"]["post"]["responses"]["201"]["content"]["application/json"]["schema"] = {
        "$ref": "shared/things.yaml#/Thing"
    }
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared/things.yaml").write_text(
        "Thing:\n  type: object\n  properties:\n    id: {type: string}\n    part: {$ref: '#/Part'}\nPart:\n  type: integer\n"
    )
    spec = tmp_path / "ext.yaml"
    spec.write_text(yaml.safe_dump(doc))
    app = generate_app(spec, tmp_path, "feat_ext")
    served = tool_server(app).operations
    assert served["forms_submit_v2"].response_schema["properties"] == {
        "id": {"type": "string"},
        "part": {"type": "integer"},
    }
    (tmp_path / "shared/things.yaml").unlink()
    args = ["generate", "--spec", str(spec), "--out", str(tmp_path / "o")]
    missing = run(*args)
    assert (
        missing.returncode == 2
        and "external $ref to" in missing.stderr
        and "not found" in missing.stderr
    )
    assert "Traceback" not in missing.stderr and not (tmp_path / "o").exists()


def test_warnings_and_strict(tmp_path: Path) -> None:
    """What cannot be mapped exactly is a warning; --strict makes it an error."""
    doc = yaml.safe_load(FEATURES.read_text())
    doc["paths"]["/odd"] = {
        "post": {
            "requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}},
            "responses": {"204": {"description": "ok"}},
        }
    }
    spec = tmp_path / "odd.yaml"
    spec.write_text(yaml.safe_dump(doc))
    args = ["generate", "--spec", str(spec), "--out", str(tmp_path / "o")]
    loose = run(*args)
    assert (
        loose.returncode == 0
        and "warning: POST /odd: request body 'application/xml' is sent as the text given"
        in loose.stderr
    )
    strict = run(*args[:-1], str(tmp_path / "o2"), "--strict")
    assert strict.returncode == 1 and not (tmp_path / "o2").exists()
