"""Client rules the lint knows: portable patterns, tool counts, OpenAI strict mode,
Gemini's objects; and the lint commands of the generator and of a served package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.contract import compat, dialects
from tests.conftest import REPO
from tests.generator.minimal import run


def tool(schema: dict[str, Any], name: str = "t") -> dict[str, Any]:
    return {"name": name, "description": "d", "inputSchema": schema}


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


@pytest.mark.parametrize(
    "pattern",
    ["^(?!\\.\\.?$)", "(?<=a)b", "(a)\\1", "(?P<x>a)", "(?i)abc", "\\Aabc\\Z", "a++", "(?>a)"],
)
def test_patterns_outside_the_portable_subset_are_flagged(pattern: str) -> None:
    found = compat.lint([tool(obj(x={"type": "string", "pattern": pattern}))], ("openai",), "artie")
    assert [(v.rule, v.pointer) for v in found] == [
        ("portable-pattern", "/inputSchema/properties/x/pattern")
    ]


@pytest.mark.parametrize(
    "pattern",
    [
        "^[a-z]+$",
        "^(?:[\\x21-\\x7E](?:[\\x20-\\x7E]*[\\x21-\\x7E])?)?$",
        "[(?=]",
        "\\(?!x",
        "a{2,3}",
    ],
)
def test_portable_patterns_pass(pattern: str) -> None:
    assert dialects.portable_pattern(pattern)


def test_tool_count_rule_per_client() -> None:
    tools = [tool(obj(), f"t{i}") for i in range(129)]
    counted = {
        (v.client, v.rule) for v in compat.lint(tools, ("openai", "gemini", "claude"), "artie")
    }
    assert ("openai", "tool-count") in counted and ("gemini", "tool-count") not in counted
    many = [tool(obj(), f"t{i}") for i in range(513)]
    assert ("gemini", "tool-count") in {
        (v.client, v.rule) for v in compat.lint(many, ("gemini",), "artie")
    }


def test_strict_mode_readiness_follows_the_agents_sdk_fallback_conditions() -> None:
    assert compat.strict_problems(obj(a={"type": "string"})) == []
    free = obj(m={"type": "object", "additionalProperties": {}})
    assert compat.strict_problems(free)[0][0] == "/properties/m"
    assert compat.strict_problems({**obj(), "additionalProperties": False}) == []
    assert compat.strict_problems(obj())[0][0] == ""  # an open root with nothing declared
    ref = {**obj(a={"$ref": "#/$defs/A"}), "$defs": {"A": obj(b={"type": "string"})}}
    assert compat.strict_problems(ref)[0][0] == "/properties/a"
    assert compat.strict_problems(obj(a={**obj(b={"type": "string"}), "minProperties": 1}))


def test_gemini_flags_nested_objects_without_properties() -> None:
    schema = obj(m={"type": "object"}, n={"type": ["object", "null"], "properties": {}})
    found = compat.lint([tool(schema)], ("gemini",), "artie")
    pointers = {v.pointer for v in found if v.rule == "gemini-empty-properties"}
    assert pointers == {"/inputSchema/properties/m", "/inputSchema/properties/n"}
    # the Gemini dialect serves them as any value, which Gemini takes
    assert compat.lint([tool(dialects.gemini_schema(schema))], ("gemini",), "artie") == []


def spec_file(tmp_path: Path, paths: dict[str, Any]) -> Path:
    doc = {"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": paths}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_generator_lint_for_openai_reports_strict_mode_per_tool(tmp_path: Path) -> None:
    free = {"type": "object", "additionalProperties": True}
    body = {"content": {"application/json": {"schema": obj(meta=free)}}}
    ok = {"200": {"description": "ok"}}
    path = spec_file(
        tmp_path,
        {"/a": {"get": {"operationId": "plain", "responses": ok}}},
    )
    proc = run("lint", "--spec", str(path), "--client", "openai")
    assert proc.returncode == 0, proc.stderr
    assert "plain: strict-compatible" in proc.stdout
    assert "openai strict mode: 1 of 1 tools" in proc.stderr
    path = spec_file(
        tmp_path, {"/b": {"post": {"operationId": "loose", "requestBody": body, "responses": ok}}}
    )
    proc = run("lint", "--spec", str(path), "--client", "openai")
    assert "loose: not strict-compatible at /properties/meta" in proc.stdout
    assert "openai strict mode: 0 of 1 tools" in proc.stderr


def test_every_artie_tool_is_strict_compatible(pinned_spec: Path) -> None:
    proc = run("lint", "--spec", str(pinned_spec), "--client", "openai")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "openai strict mode: 41 of 41 tools" in proc.stderr
    assert "not strict-compatible" not in proc.stdout


def test_served_package_lint_checks_gemini_by_default_and_names_the_profile_it_needs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "artie_mcp", "lint"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gemini: " in proc.stderr and "needs --schema-profile gemini" in proc.stderr
    assert "openai: ok with --schema-profile default" in proc.stderr
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "artie_mcp",
            "--schema-profile",
            "gemini",
            "lint",
            "--client",
            "gemini",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0 and "gemini: ok with --schema-profile gemini" in proc.stderr
