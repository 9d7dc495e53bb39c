"""Spec strings reach every generated file escaped for that file's syntax, and
no control character reaches a file, a tool description or the model raw."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from generator import escape
from tests.conftest import REPO
from tests.generator.minimal import run, spec, write_spec
from tests.support.served import generate_app, tool_server

NASTY = '\x1b[31m\x00\r\u2028\u2029\u202e\x85\x7f"""\'|`*_[x](y)<b>&amp;'
TITLE = f'Evil C:\\Temp\\New\nimport os; os.system("touch PWNED"); x = """{NASTY}'
MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def hostile_spec() -> dict[str, Any]:
    doc = spec(
        title=TITLE,
        version=f"2.0\n# {NASTY}",
        operations={"thing_list": "/things", "thing_purge": "/purge"},
        webhooks={
            f"hook`|{NASTY}": {
                "post": {"summary": f"s{NASTY}", "responses": {"200": {"description": "ok"}}}
            }
        },
    )
    doc["info"]["description"] = f"About\n{NASTY}\nthe end"
    doc["servers"] = [{"url": "https://api.example.com/v1`|"}]
    op = doc["paths"]["/things"]["get"]
    op["summary"] = f"List {NASTY} things"
    op["description"] = f"Line one\r\nline two\u2028line three {NASTY}"
    op["parameters"] = [
        {
            "name": "q",
            "in": "query",
            "description": f"query {NASTY}",
            "schema": {"type": "string", "description": f"inner {NASTY}", "enum": ["a", "b"]},
        }
    ]
    op["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Thing"
    }
    doc["paths"]["/purge"]["get"]["x-artie-mcp"] = {
        "exposure": "excluded",
        "exclusionReason": f"Dangerous | {NASTY}",
        "remediation": f"Use `the UI` instead {NASTY}",
    }
    doc["components"] = {
        "schemas": {
            "Thing": {
                "type": "object",
                "title": f"Thing {NASTY}",
                "description": f'A thing """\nimport os\n{NASTY}',
                "properties": {
                    "name": {
                        "type": "string",
                        "description": f"The name {NASTY}",
                        "default": f"d{NASTY}",
                    }
                },
            }
        }
    }
    return doc


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    source = write_spec(root / "hostile.json", hostile_spec())
    out = root / "out"
    proc = run("generate", "--spec", str(source), "--out", str(out), "-q", "--package", "evil_mcp")
    assert proc.returncode == 0, proc.stderr
    return out


def unescape(markdown: str) -> str:
    return MARKDOWN_ESCAPE.sub(r"\1", markdown)


def cells(row: str) -> list[str]:
    """A GFM table row split as GFM splits it: on pipes not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_no_generated_file_holds_an_unsafe_character(hostile: Path) -> None:
    for path in sorted(hostile.rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode("utf-8")
            assert escape.find_unsafe(text) is None, (path, escape.find_unsafe(text))


def test_the_package_imports_without_running_spec_text(hostile: Path) -> None:
    code = (
        "import evil_mcp, evil_mcp.app, evil_mcp.models as m, json;"
        "print(json.dumps([evil_mcp.SPEC_TITLE, evil_mcp.SPEC_VERSION, m.Thing.__doc__]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=hostile,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(hostile)},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert not (hostile / "PWNED").exists() and not Path("PWNED").exists()
    title, version, doc = json.loads(proc.stdout)
    assert title == escape.line(TITLE)  # one line, backslashes kept
    assert "C:\\Temp\\New" in title and "\x1b" not in title
    assert version == escape.line(f"2.0\n# {NASTY}")
    assert 'A thing """' in doc  # the docstring holds the description, not code


def test_the_readme_shows_spec_text_as_text(hostile: Path) -> None:
    readme = (hostile / "README.md").read_text(encoding="utf-8")
    first = next(ln for ln in readme.splitlines() if ln.startswith("An MCP server for **"))
    shown = first.removeprefix("An MCP server for **").split("**, generated", 1)[0]
    assert unescape(shown) == escape.line(TITLE, 80)
    assert "C:\\\\Temp\\\\New" in shown  # Markdown for C:\Temp\New
    rows = [ln for ln in readme.splitlines() if ln.startswith("| ")]
    header = {r: len(cells(r)) for r in rows if "---" not in r}
    tools = next(r for r in rows if "thing_list" in r)
    excluded = next(r for r in rows if "thing_purge" in r)
    assert len(cells(tools)) == 4 and len(cells(excluded)) == 3, header
    assert unescape(cells(excluded)[1]) == escape.line(f"Dangerous | {NASTY}")
    base = next(r for r in rows if "BASE_URL" in r)
    assert cells(base)[2] == "``https://api.example.com/v1`\\|``"


def test_pyproject_is_toml_and_keeps_the_title(hostile: Path) -> None:
    project = tomllib.loads((hostile / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["description"].startswith(f"MCP server for {escape.line(TITLE)}")


def test_served_descriptions_and_instructions_carry_no_control_characters(
    tmp_path: Path,
) -> None:
    source = write_spec(tmp_path / "hostile.json", hostile_spec())
    app = generate_app(source, tmp_path, "hostile_served")
    server = tool_server(app, api_key="k", include_excluded=True)

    async def main() -> tuple[Any, Any]:
        async with Client(server.server) as client:
            tools = (await client.list_tools()).tools
            return [client.server_info, client.instructions], tools

    init, tools = anyio.run(main)
    served = json.dumps(
        [init[0].model_dump(mode="json"), init[1], [t.model_dump(mode="json") for t in tools]],
        ensure_ascii=False,
    )
    assert escape.find_unsafe(served) is None, escape.find_unsafe(served)
    listed = {t.name: t for t in tools}
    assert "Line one\nline two\nline three" in (listed["thing_list"].description or "")


def test_a_title_with_quotes_gives_a_package_pip_installs(tmp_path: Path) -> None:
    source = write_spec(tmp_path / "pet.json", spec(title='The "Pet" Store'))
    out = tmp_path / "out"
    proc = run("generate", "--spec", str(source), "--out", str(out), "-q", "--package", "pet_mcp")
    assert proc.returncode == 0, proc.stderr
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check"]
        + ["--no-build-isolation", "--no-index", "--target", str(target), str(out)],  # offline
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    meta = next(target.glob("pet_mcp-*.dist-info")) / "METADATA"
    assert 'Summary: MCP server for The "Pet" Store' in meta.read_text(encoding="utf-8")


def test_the_readme_lists_every_server_option_from_the_one_table() -> None:
    """The generated README's option table is the runtime's option table: every
    option with its flag and environment variable, none written by hand."""
    from generator.contract import options

    readme = (REPO / "generated" / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `--")]
    assert len(rows) == len(options.OPTIONS)
    for option, row in zip(options.OPTIONS, rows, strict=True):
        flag = "--" + option.name.replace("_", "-")
        env = "ARTIE_BASE_URL" if option.env else "ARTIE_MCP_" + option.name.upper()
        assert row.startswith(f"| `{flag}` | `{env}` | "), row


def test_a_formatter_config_on_the_machine_does_not_change_the_output(tmp_path: Path) -> None:
    """Generated Python is formatted by the pinned ruff with ``--isolated``: a ruff.toml
    or pyproject.toml around the output or the working folder changes nothing."""
    source = write_spec(tmp_path / "s.json", spec(title="Formatting"))
    plain, styled = tmp_path / "plain", tmp_path / "styled" / "out"
    proc = run("generate", "--spec", str(source), "--out", str(plain), "-q", "--package", "fmt_mcp")
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "styled").mkdir()
    style = '[format]\nquote-style = "single"\nindent-style = "tab"\nline-length = 40\n'
    (tmp_path / "styled" / "ruff.toml").write_text(style)
    (tmp_path / "styled" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 40\n")
    proc = run(
        "generate", "--spec", str(source), "--out", str(styled), "-q", "--package", "fmt_mcp",
        cwd=tmp_path / "styled", env={"ARTIE_MCP_GEN_NO_CACHE": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr

    def python(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.py"))}

    assert python(plain) == python(styled)
    assert "\t" not in "".join(python(styled).values())
