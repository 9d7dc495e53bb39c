"""Smoke tests for the pinned npm tools (tests/tools): Prism mocks the Artie spec,
and the MCP Inspector CLI talks to the installed `artie-mcp` over stdio. No mocks."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.npm_tools import inspector_cli, prism

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIE_SPECS = REPO_ROOT.parent / "shared" / "specs" / "artie"
SPEC = ARTIE_SPECS / "v1.0.76.yaml"
AUTH = {"Authorization": "Bearer test"}


def artie_mcp_script() -> Path:
    """The console script of the running venv (CI's clone has its own .venv)."""
    # Not resolved: sys.executable is the venv's symlink, its folder is the venv's bin/.
    for candidate in (
        Path(sys.executable).parent / "artie-mcp",
        REPO_ROOT / ".venv" / "bin" / "artie-mcp",
    ):
        if candidate.is_file():
            return candidate
    found = shutil.which("artie-mcp")
    if found is None:
        pytest.fail("artie-mcp is not installed: run `make install`")
    return Path(found)


def test_prism_mocks_the_artie_spec_and_validates_requests() -> None:
    assert SPEC.is_file(), f"shared spec {SPEC} is missing: tests need ../shared beside the repo"
    with prism(SPEC) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert "Prism is listening on " + server.url in server.log()

        ok = client.get("/pipelines", headers=AUTH)
        assert ok.status_code == 200, ok.text
        assert ok.headers["content-type"].startswith("application/json")
        assert isinstance(ok.json()["items"], list)

        # The spec's global security (bearer) is enforced; the spec declares no 401,
        # so Prism makes up a problem+json one.
        unauth = client.get("/pipelines")
        assert unauth.status_code == 401, unauth.text
        assert unauth.headers["content-type"].startswith("application/problem+json")
        assert unauth.headers["www-authenticate"] == "Bearer"

        # An invalid body for an operation that declares no 400: 422 problem+json.
        bad = client.post("/data-catalog/search", headers=AUTH, json={"query": 5})
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        problem = bad.json()
        assert problem["type"].endswith("#UNPROCESSABLE_ENTITY")
        assert [v["location"] for v in problem["validation"]] == [["body", "query"]]
        assert (
            client.post("/data-catalog/search", headers=AUTH, json={"query": "x"}).status_code
            == 200
        )

        # An operation that declares a 400 answers with it, empty, plus an sl-violations header.
        bad400 = client.post("/pipelines/abc/start", headers=AUTH, json={"keepPaused": "yes"})
        assert bad400.status_code == 400, bad400.text
        violations = json.loads(bad400.headers["sl-violations"])
        assert [v["location"] for v in violations] == [["request", "body", "keepPaused"]]
        assert (
            client.post("/pipelines/abc/start", headers=AUTH, json={"keepPaused": True}).status_code
            == 204
        )

        # OpenAPI 3.1 type lists are understood: null is valid for ["null", "string"] ...
        nullable = client.post(
            "/encryption-keys", headers=AUTH, json={"name": "k", "kmsKeyUUID": None}
        )
        assert nullable.status_code == 200, nullable.text
        # ... and a number is not.
        wrong = client.post("/encryption-keys", headers=AUTH, json={"name": "k", "kmsKeyUUID": 5})
        assert wrong.status_code == 400
        assert "must be null,string" in wrong.headers["sl-violations"]

        assert "Request body property query must be string" in server.log()


def test_inspector_cli_lists_the_tools_of_the_stdio_server() -> None:
    proc = inspector_cli(
        ["-e", "ARTIE_API_KEY=test", str(artie_mcp_script()), "--method", "tools/list"]
    )
    assert proc.returncode == 0, proc.stderr
    names = [tool["name"] for tool in json.loads(proc.stdout)["tools"]]
    assert len(names) == 41, names
    assert len(set(names)) == 41
    assert "pipeline_start" in names
