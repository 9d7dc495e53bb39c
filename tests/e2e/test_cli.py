"""The installed `artie-mcp` command as an operator runs it: flags, the environment and
a --config file, every wrong value refused with a message that says what to do."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import REPO
from tests.support.serving import SCRIPT
from tests.support.upstream import Reply, Upstream

pytestmark = pytest.mark.slow
TOOLS = REPO / "generated" / "artie_mcp" / "tools"


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`artie-mcp ARGS` with a clean environment (nothing ARTIE_ from the caller) and no stdin."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIE_")}
    full_env.update(env or {})
    return subprocess.run(
        [str(SCRIPT), *args],
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def declared() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in TOOLS.glob("*.json")}


def listed(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert proc.returncode == 0, proc.stderr
    return [line.split()[0] for line in proc.stdout.splitlines()[1:]]


def refused(proc: subprocess.CompletedProcess[str]) -> str:
    """The one-line error of a refused configuration."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and "usage:" not in proc.stderr, proc.stderr
    assert "listening" not in proc.stderr and " on http://" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("artie-mcp: error: "), proc.stderr
    return lines[0]


# -- --base-url -------------------------------------------------------------------------


def test_base_url_flag_and_config_key_reach_the_upstream(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    with Upstream() as flag_target, Upstream() as file_target:
        for target in (flag_target, file_target):
            target.default = Reply(200, {"items": []})
        config.write_text(f'base-url = "{file_target.url}"\n')

        async def main() -> None:
            for args in (["--base-url", flag_target.url + "/"], ["--config", str(config)]):
                server = StdioServerParameters(
                    command=str(SCRIPT), args=args, env={"ARTIE_API_KEY": "k"}
                )
                async with Client(server) as client:
                    result = await client.call_tool("pipeline_list", {})
                    assert not result.is_error, result.content

        anyio.run(main)
    assert [r.raw_path for r in flag_target.requests] == ["/pipelines"]
    assert [r.raw_path for r in file_target.requests] == ["/pipelines"]


def test_a_base_url_that_is_not_an_http_url_is_refused() -> None:
    line = refused(run("--base-url", "api.artie.com", "tools"))
    assert "--base-url api.artie.com" in line and "http://" in line and "https://" in line
    line = refused(run("tools", env={"ARTIE_BASE_URL": "ftp://api.artie.com"}))
    assert "ARTIE_BASE_URL=ftp://api.artie.com" in line


# -- every option validated where it is declared ---------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "named", "allowed"),
    [
        (["--transport", "streamable-http", "--port", "99999"], {}, "--port 99999", "1 to 65535"),
        (["--transport", "streamable-http", "--port", "-1"], {}, "--port -1", "1 to 65535"),
        (["--port", "eighty"], {}, "--port eighty", "1 to 65535"),
        (["--read-timeout", "-5"], {}, "--read-timeout -5", "greater than 0"),
        (["--connect-timeout", "0"], {}, "--connect-timeout 0", "greater than 0"),
        (["--retry-max-seconds", "-1"], {}, "--retry-max-seconds -1", "at least 0"),
        (["--read-timeout", "nan"], {}, "--read-timeout nan", "greater than 0"),
        (["--stateless", "--workers", "0"], {}, "--workers 0", "at least 1"),
        (["--retry-attempts", "0"], {}, "--retry-attempts 0", "at least 1"),
        (["--max-result-chars", "10"], {}, "--max-result-chars 10", "at least 1000"),
        (["--path", "mcp"], {}, "--path mcp", "/"),
        ([], {"ARTIE_MCP_PORT": "0"}, "ARTIE_MCP_PORT=0", "1 to 65535"),
        ([], {"ARTIE_MCP_READ_TIMEOUT": "-5"}, "ARTIE_MCP_READ_TIMEOUT=-5", "greater than 0"),
    ],
)
def test_out_of_range_options_are_refused_naming_option_value_and_range(
    args: list[str], env: dict[str, str], named: str, allowed: str
) -> None:
    line = refused(run(*args, env=env))  # serving: stdio, or HTTP for the --port cases
    assert named in line and allowed in line, line


def test_config_file_values_are_validated_with_the_file_named(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text("workers = 0\n")
    line = refused(run("--config", str(config), "tools"))
    assert "workers = 0" in line and str(config) in line and "at least 1" in line
    config.write_text("read-onyl = true\n")
    line = refused(run("--config", str(config), "tools"))
    assert "read-onyl" in line and "read-only" in line  # what it probably meant
    config.write_bytes(b"\xff\xfe\x00")
    line = refused(run("--config", str(config), "tools"))
    assert str(config) in line and "UTF-8" in line


# -- options after the subcommand -------------------------------------------------------


def exposed(**only: Any) -> list[str]:
    """The tools a filter leaves, from the tool files."""
    return sorted(
        name
        for name, op in declared().items()
        if op.get("exposure", "exposed") == "exposed"
        and (not only.get("read_only") or op["annotations"]["read_only"])
        and (not only.get("method") or op.get("method_class", "custom") == only["method"])
        and (not only.get("tag") or only["tag"] in op.get("tags", []))
    )


def test_options_work_after_the_subcommand() -> None:
    assert sorted(listed(run("tools", "--read-only"))) == exposed(read_only=True)
    assert sorted(listed(run("--methods", "read", "tools", "--tags", "Pipelines"))) == exposed(
        method="read", tag="Pipelines"
    )


# -- tags and tool filters -------------------------------------------------------------


def test_tags_match_case_insensitively() -> None:
    assert exposed(tag="Pipelines")
    assert sorted(listed(run("--tags", "pIpElInEs", "tools"))) == exposed(tag="Pipelines")


def test_an_unknown_tag_is_an_error_listing_the_tags() -> None:
    line = refused(run("--tags", "pipline", "tools"))
    tags = sorted({t for op in declared().values() for t in op.get("tags", [])})
    assert "'pipline'" in line and all(t in line for t in tags), line


def test_an_excluded_tool_named_in_a_filter_is_an_error_saying_how_to_include_it() -> None:
    line = refused(run("--tools", "pipeline_detail", "tools"))
    assert "pipeline_detail" in line and "--include-excluded" in line, line
    assert listed(run("--tools", "pipeline_detail", "--include-excluded", "tools")) == [
        "pipeline_detail"
    ]


def test_an_unknown_tool_is_an_error_listing_the_valid_names() -> None:
    line = refused(run("--tools", "pipeline_lst", "tools"))
    ops = declared()
    exposed = [n for n, op in ops.items() if op.get("exposure", "exposed") == "exposed"]
    assert "'pipeline_lst'" in line and all(n in line for n in exposed), line
    assert "pipeline_list" in line.split("valid")[0]  # the close match first
    excluded = line.split("; excluded by the spec (add --include-excluded to serve them): ")[1]
    assert "pipeline_detail" in excluded.split(", ")


# -- the tools table, --version, expiry -----------------------------------------------


def test_tools_table_columns_are_aligned() -> None:
    proc = run("--include-excluded", "tools")
    assert proc.returncode == 0, proc.stderr
    header, *rows = proc.stdout.splitlines()
    columns = [header.index(word) for word in ("class", "hints", "tags")]
    ops = declared()
    assert len(rows) == len(ops)
    for row in rows:
        name = row.split()[0]
        op = ops[name]
        labels = [
            label
            for key, label in (
                ("read_only", "read-only"),
                ("destructive", "destructive"),
                ("idempotent", "idempotent"),
                ("open_world", "open-world"),
            )
            if op["annotations"][key]
        ]
        cells = [
            row[: columns[0]],
            row[columns[0] : columns[1]],
            row[columns[1] : columns[2]],
            row[columns[2] :],
        ]
        assert cells[0].rstrip() == name and cells[0].endswith("  "), row
        assert cells[1].strip() == op.get("method_class", "custom"), row
        assert cells[2].strip() == ", ".join(labels) and cells[2].endswith("  "), row
        assert cells[3].startswith(", ".join(op.get("tags", []))), row


def test_version_prints_the_package_and_spec_version_and_digest() -> None:
    init = (REPO / "generated" / "artie_mcp" / "__init__.py").read_text()
    version = re.search(r'__version__ = "([^"]+)"', init)
    spec = re.search(r'SPEC_VERSION = "([^"]+)"', init)
    digest = re.search(r'SPEC_DIGEST = "([0-9a-f]{64})"', init)
    assert version and spec and digest
    proc = run("--version")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.strip()
    assert out.startswith(f"artie-mcp {version.group(1)}") and len(out.splitlines()) == 1
    assert spec.group(1) in out and digest.group(1) in out


def test_the_version_digest_can_be_checked_against_any_copy_of_the_spec() -> None:
    """The digest --version prints is of the spec's content, not of a file: the generator
    prints the same for the release's YAML and for the normalised JSON the build reads."""
    from tests.conftest import PINNED_SPEC, artie_spec
    from tests.generator.minimal import run as generator

    printed = run("--version").stdout
    for copy in (artie_spec("v1.0.76"), PINNED_SPEC):
        done = generator("spec", "digest", str(copy))
        assert done.returncode == 0, done.stderr
        digest, _, source = done.stdout.strip().partition("  ")
        assert source == str(copy) and re.fullmatch(r"[0-9a-f]{64}", digest), done.stdout
        assert f"content digest {digest}" in printed, (printed, done.stdout)


def test_an_expired_server_names_the_instant_in_rfc_3339() -> None:
    line = refused(run("--expires-at", "2020-01-01T00:00:00+00:00"))
    assert "expired at 2020-01-01T00:00:00Z" in line, line


def test_version_help_and_refused_options_answer_without_loading_the_mcp_sdk() -> None:
    """An operator's typo is answered at once: nothing before the option check loads
    the MCP SDK (about 0.8 s of imports); serving does."""
    probe = (
        "import sys, contextlib, io\n"
        "from artie_mcp import app\n"
        "for argv in (['--version'], ['--help'], ['--port', '99999'], ['--read-timeout', '-5']):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()), "
        "contextlib.redirect_stderr(io.StringIO()):\n"
        "        app.main(argv)\n"
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')))\n"
    )
    python = SCRIPT.parent / "python"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_the_tools_and_config_commands_answer_without_loading_the_mcp_sdk() -> None:
    """`tools` and `config` read the tool files and the settings only: they print at
    once, as --version does, and a filter naming nothing is still refused."""
    probe = (
        "import sys, contextlib, io\n"
        "from artie_mcp import app\n"
        "codes = []\n"
        "for argv in (['tools'], ['--read-only', 'config', 'claude-desktop'],\n"
        "             ['--transport', 'streamable-http', 'config', 'cursor'], ['--tags', 'nope', 'tools']):\n"
        "    out = io.StringIO()\n"
        "    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):\n"
        "        codes.append((app.main(argv), len(out.getvalue()) > 0))\n"
        "print(codes, sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')))\n"
    )
    python = SCRIPT.parent / "python"
    done = subprocess.run(
        [str(python), "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "ARTIE_API_KEY": "k"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[(0, True), (0, True), (0, True), (2, False)] []", done.stdout
