"""Loading: one way from bytes to the document for every command (generate, check,
validate, lint, drift); the fast YAML path gives exactly what PyYAML gives; alias
bombs refused fast wherever a spec is read; problems located with their JSON
pointer and the reason first; URLs checked.

Validator findings: warnings with their real JSON pointers unless --strict;
only what makes generation impossible stops it.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from generator import fastyaml, findings, load
from tests.conftest import ARTIE_SPECS, PINNED_SPEC, PUBLIC_SPECS, REPO
from tests.generator.minimal import run, spec, write_spec

TRICKY = """
openapi: 3.1.0
info: {title: "t", version: 1.10}
x-dates: {on: 2024-01-02, at: 2024-01-02T03:04:05Z}
x-bools: [yes, No, true, "true", off, ~, null, "", '']
x-numbers: [0x1F, 0o17, 1_000, 1.5e3, .inf, -.inf, "12", 012, 1:30]
x-keys: {200: a, true: b, 1.5: c, null: d, "3": e, 2024-01-02: f}
x-anchors: {a: &one {k: [1, 2]}, b: *one}
paths: {}
"""
YAML_SPECS = sorted(ARTIE_SPECS.glob("*.yaml")) + sorted(PUBLIC_SPECS.glob("*.yaml"))
YAML_SPECS += sorted((REPO / "tests" / "specs").rglob("*.yaml"))


def pyyaml(text: str) -> object:
    return load._plain(yaml.load(text, Loader=yaml.CSafeLoader))


@pytest.mark.parametrize("path", YAML_SPECS, ids=[p.name for p in YAML_SPECS])
def test_the_fast_yaml_path_equals_pyyaml_on_every_spec_we_test(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert fastyaml.load(text) == pyyaml(text)


def test_the_fast_yaml_path_equals_pyyaml_on_yaml_oddities() -> None:
    assert fastyaml.load(TRICKY) == pyyaml(TRICKY)
    assert load.parse_spec(TRICKY.encode(), "t") == pyyaml(TRICKY)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {b: 1}\nc: {<<: *x, d: 2}\n",  # merge key
        "a: !!str 1\n",  # explicit tag
        "? [a, b]\n: c\n",  # complex key
        "a: 1\n---\nb: 2\n",  # two documents
    ],
)
def test_unusual_yaml_falls_back_to_pyyaml_with_the_same_result(text: str) -> None:
    with pytest.raises(fastyaml.Fallback):
        fastyaml.load(text)
    if "---" in text or "?" in text:  # PyYAML refuses these too, with its own words
        with pytest.raises(load.GeneratorError, match="is not valid YAML"):
            load.parse_spec(("openapi: 3.1.0\n" + text).encode(), "t")
        return
    doc = load.parse_spec(("openapi: 3.1.0\n" + text).encode(), "t")
    assert doc == pyyaml("openapi: 3.1.0\n" + text)


def test_invalid_yaml_is_still_worded_by_pyyaml() -> None:
    with pytest.raises(load.GeneratorError, match=r"is not valid YAML: .* at line 3, column 1"):
        load.parse_spec(b"openapi: 3.1.0\npaths: [unclosed\n", "bad.yaml")


def test_every_command_reads_the_same_document(tmp_path: Path) -> None:
    """generate/check (pipeline), validate/lint (load.load) and drift (load.load) all go
    through load.document: parsed the fast way, external $refs bundled."""
    (tmp_path / "shared.yaml").write_text(
        "Thing: {type: object, properties: {a: {type: string}}}\n"
    )
    spec = tmp_path / "api.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /t:\n    get:\n"
        "      responses:\n        '200':\n          description: ok\n          content:\n"
        "            application/json: {schema: {$ref: 'shared.yaml#/Thing'}}\n"
    )
    doc = load.load(str(spec), validate=False).doc
    assert doc == load.document(spec.read_bytes(), str(spec))
    assert doc["components"]["schemas"]["Thing"]["properties"] == {"a": {"type": "string"}}
    ref = doc["paths"]["/t"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"] == {"$ref": "#/components/schemas/Thing"}


HEADER = 'openapi: 3.1.0\ninfo: {title: bomb, version: "1"}\npaths: {}\n'


def billion_laughs() -> str:
    """Nine levels of nine aliases: about 500 bytes that stand for 9**9 strings."""
    lines = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"x-{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return HEADER + "\n".join(lines) + "\n"


@pytest.fixture
def bomb(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    assert 400 < path.stat().st_size < 600
    return path


def refused_quickly(args: list[str], command: tuple[str, ...] | None = None) -> str:
    started = time.monotonic()
    extra = {"command": command} if command else {}
    proc = run(*args, timeout=60, **extra)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert proc.returncode not in (0, None), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "YAML aliases" in proc.stderr and "refused" in proc.stderr, proc.stderr[-2000:]
    assert elapsed < 15, f"took {elapsed:.1f}s"
    return proc.stderr


def test_a_billion_laughs_is_refused_by_generate_and_validate(bomb: Path, tmp_path: Path) -> None:
    message = refused_quickly(["generate", "--spec", str(bomb), "--out", str(tmp_path / "o")])
    assert str(bomb) in message
    refused_quickly(["validate", "--spec", str(bomb)])
    assert not (tmp_path / "o").exists()


def test_a_billion_laughs_is_refused_by_the_drift_command_and_make_drift(
    bomb: Path, tmp_path: Path
) -> None:
    refused_quickly(["drift", "--base", str(PINNED_SPEC), "--head", str(bomb)])
    refused_quickly(
        ["--base", str(bomb), "--head", str(PINNED_SPEC)],
        command=(sys.executable, "-m", "generator.drift"),
    )
    refused_quickly(
        ["-s", "drift", f"DRIFT_HEAD={bomb}", f"DRIFT_JSON={tmp_path / 'drift.json'}"],
        command=("make",),
    )


def test_a_recursive_alias_is_refused_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(HEADER + "x-loop: &loop [1, *loop]\n", encoding="utf-8")
    proc = run("validate", "--spec", str(path), timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "refused" in proc.stderr and "contain itself" in proc.stderr


def test_specs_that_share_nodes_with_aliases_still_load(tmp_path: Path) -> None:
    ok = {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
    text = (
        HEADER.replace("paths: {}\n", "")
        + "x-ok: &ok "
        + json.dumps(ok)
        + "\npaths:\n"
        + "".join(
            f"  /t{i}:\n    get:\n      operationId: t{i}\n      responses:\n        '200': *ok\n"
            for i in range(50)
        )
    )
    path = tmp_path / "shared.yaml"
    path.write_text(text, encoding="utf-8")
    proc = run("validate", "--spec", str(path), timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_a_default_that_breaks_its_pattern_is_located_with_the_reason_first(
    tmp_path: Path,
) -> None:
    doc = spec()
    doc["paths"]["/things"]["get"]["parameters"] = [
        {
            "name": "q",
            "in": "query",
            "schema": {"type": "string", "pattern": "^[a-z]+$", "default": "X" * 400},
        }
    ]
    doc["components"] = {
        "schemas": {
            "S": {
                "type": "object",
                "properties": {"p": {"type": "string", "pattern": "^[a-z]+$", "default": "ABC"}},
            }
        }
    }
    proc = run("validate", "--spec", str(write_spec(tmp_path / "d.json", doc)), timeout=60)
    assert proc.returncode == 1
    lines = [ln.strip() for ln in proc.stderr.splitlines()]
    assert (
        "#/components/schemas/S/properties/p/default: does not match '^[a-z]+$' (got 'ABC')"
        in lines
    )
    long = next(
        ln for ln in lines if ln.startswith("#/paths/~1things/get/parameters/0/schema/default: ")
    )
    assert long.split(": ", 1)[1].startswith("does not match '^[a-z]+$' (got 'XXXX")
    assert len(long) < 200


MESSY = """
openapi: 3.1.0
info: {title: Messy, version: "1"}
paths:
  /things:
    get:
      operationId: thing_list
      parameters:
        - name: status
          in: query
          schema: {type: string, enum: []}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
    post:
      operationId: thing_create
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Thing"}
      responses:
        "201": {description: made}
components:
  schemas:
    Thing:
      type: object
      required: [id, id]
      properties:
        id: {type: string}
        size: {type: integer, minimum: 0, exclusiveMinimum: true}
        kind:
          oneOf: [{type: string}, {type: integer}]
          default: null
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_value_level_problems_have_their_real_pointer() -> None:
    problems = findings.validate_spec(yaml.safe_load(MESSY))
    assert (
        "#/components/schemas/Thing/properties/size/exclusiveMinimum: is not of type 'number' (got True)"
        in problems
    )
    assert any(
        p.startswith("#/components/schemas/Thing/properties/kind/default: ") for p in problems
    )
    assert not any(p.startswith("#:") for p in problems)


def test_a_messy_spec_generates_with_warnings_and_strict_refuses_it(tmp_path: Path) -> None:
    spec = write(tmp_path, MESSY)
    proc = run(
        "generate", "--spec", str(spec), "--out", str(tmp_path / "out"), "--package", "messy_mcp"
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning: #/components/schemas/Thing/properties/kind/default:" in proc.stderr
    assert "empty enum" in proc.stderr and "dropped" in proc.stderr
    tool = json.loads((tmp_path / "out/messy_mcp/tools/thing_list.json").read_text())
    assert "enum" not in tool["input_schema"]["properties"]["status"]  # every value accepted
    made = json.loads((tmp_path / "out/messy_mcp/tools/thing_create.json").read_text())
    schema = made["input_schema"]
    Draft202012Validator.check_schema(schema)
    assert (
        schema["properties"]["size"]["exclusiveMinimum"] == 0
        and "minimum" not in schema["properties"]["size"]
    )
    proc = run("generate", "--spec", str(spec), "--out", str(tmp_path / "strict"), "--strict")
    assert proc.returncode == 1 and not (tmp_path / "strict").exists()


def test_a_ref_cycle_with_nothing_in_it_names_the_cycle(tmp_path: Path) -> None:
    doc: dict[str, Any] = yaml.safe_load(MESSY)
    doc["components"]["schemas"]["A"] = {"$ref": "#/components/schemas/B"}
    doc["components"]["schemas"]["B"] = {"$ref": "#/components/schemas/A"}
    problems = findings.validate_spec(doc)
    assert any(
        "$ref cycle: #/components/schemas/A -> #/components/schemas/B -> #/components/schemas/A"
        in p
        for p in problems
    ), problems
    proc = run(
        "generate",
        "--spec",
        str(write(tmp_path, yaml.safe_dump(doc))),
        "--out",
        str(tmp_path / "o"),
    )
    assert proc.returncode == 2 and "$ref cycle" in proc.stderr and "recursion" not in proc.stderr


def test_a_dangling_ref_is_located_where_it_is_written() -> None:
    doc = spec()
    schema = {"$ref": "#/components/schemas/Missing"}
    doc["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] = schema
    doc["paths"]["/other"] = {"get": {"responses": {"200": {"description": "ok", "content": {
        "application/json": {"schema": {"type": "array", "items": dict(schema)}}}}}}}  # fmt: skip
    problems = findings.validate_spec(doc)
    where = "#/paths/~1things/get/responses/200/content/application~1json/schema"
    assert problems == [
        f"{where}: $ref '#/components/schemas/Missing' points to nothing (and 1 more place)"
    ], problems


def test_a_cached_verdict_is_not_reused_by_a_generator_that_words_it_differently(
    tmp_path: Path,
) -> None:
    """The cache key covers the code that words the validator's findings, so an
    upgraded generator never prints the previous version's messages."""
    doc = spec()
    doc["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Missing"
    }
    source = write_spec(tmp_path / "s.json", doc)
    env = {"ARTIE_MCP_GEN_CACHE": str(tmp_path / "cache")}
    first = run("generate", "--spec", str(source), "--out", str(tmp_path / "a"), env=env)
    assert first.returncode == 0 and "points to nothing" in first.stderr, first.stderr
    copy = tmp_path / "repo"
    shutil.copytree(
        REPO / "generator", copy / "generator", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(
        REPO / "templates", copy / "templates", ignore=shutil.ignore_patterns("__pycache__")
    )
    loader = copy / "generator" / "findings.py"
    loader.write_text(loader.read_text().replace("points to nothing", "points nowhere"))
    second = run(
        "generate", "--spec", str(source), "--out", str(tmp_path / "b"), cwd=copy,
        env={**env, "PYTHONPATH": str(copy)},
    )  # fmt: skip
    assert second.returncode == 0 and "points nowhere" in second.stderr, second.stderr


def test_lint_and_validate_share_the_cached_verdict_with_generate(tmp_path: Path) -> None:
    """The validator is the slow part of every command that reads a spec (about 1.3 s
    for Artie's, 10 s for Stripe's): lint and validate remember its verdict under the
    same key as generate, so any of them pays for it once per spec and generator."""
    source = write_spec(tmp_path / "s.json", spec())
    cache = tmp_path / "cache"
    env = {"ARTIE_MCP_GEN_CACHE": str(cache)}

    def verdicts() -> list[str]:
        return sorted(
            p.name for p in (cache / "artie-mcp-gen" / "validate").rglob("*") if p.is_file()
        )

    assert run("validate", "--spec", str(source), env=env).returncode == 0
    remembered = verdicts()
    assert len(remembered) == 1, "validate did not remember the verdict"
    assert run("lint", "--spec", str(source), env=env).returncode == 0
    out = tmp_path / "out"
    assert run("generate", "--spec", str(source), "--out", str(out), "-q", env=env).returncode == 0
    assert verdicts() == remembered  # one key: the same spec is validated once
