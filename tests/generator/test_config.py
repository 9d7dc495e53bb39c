"""One generator configuration (generator/config.py): flags, the ``--config`` TOML file
and its JSON Schema come from one declaration; the file and the flags give the same
package; the lint counts the real server key."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from generator import config
from tests.generator.minimal import run, spec, write_spec

BODY_SPEC = {
    **spec(operations={"thing_list": "/things"}),
}
BODY_SPEC["paths"]["/rows"] = {
    "post": {
        "operationId": "rows_insert",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"rows": {"type": "array", "items": {"type": "object"}}},
                    }
                }
            },
        },
        "responses": {"204": {"description": "done"}},
    }
}


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".artie-mcp-gen" not in p.name
    }


def test_the_committed_schema_is_the_declared_one_and_covers_every_setting() -> None:
    committed = json.loads(config.SCHEMA_FILE.read_text(encoding="utf-8"))
    assert (
        committed == config.json_schema()
    ), "run: python -m generator.config > generator/config.schema.json"
    Draft202012Validator.check_schema(committed)
    declared = {f.key for f in config.FIELDS}
    settings = {f.name for f in fields(config.GeneratorConfig)}
    assert declared == settings
    assert set(committed["properties"]) == {k.replace("_", "-") for k in declared}


def test_a_config_file_gives_the_package_the_same_flags_give_and_flags_win(
    tmp_path: Path,
) -> None:
    source = write_spec(tmp_path / "s.json", BODY_SPEC)
    settings = tmp_path / "gen.toml"
    settings.write_text(
        'tool-prefix = "x_"\npackage = "cfg_pkg"\nenv-prefix = "CFG"\nmax-name-length = 40\n'
        'models = false\n[chunk]\nrows_insert = "rows"\n',
        encoding="utf-8",
    )
    assert Draft202012Validator(config.json_schema()).is_valid(
        {"tool-prefix": "x_", "package": "cfg_pkg", "chunk": {"rows_insert": "rows"}}
    )
    by_file, by_flags = tmp_path / "file", tmp_path / "flags"
    chunk_only = tmp_path / "chunk.toml"
    chunk_only.write_text('[chunk]\nrows_insert = "rows"\n', encoding="utf-8")
    proc = run(
        "generate", "--spec", str(source), "--out", str(by_file), "--config", str(settings), "-q"
    )
    assert proc.returncode == 0, proc.stderr
    flags = ["--tool-prefix", "x_", "--package", "cfg_pkg", "--env-prefix", "CFG"]
    flags += ["--max-name-length", "40", "--no-models", "--config", str(chunk_only)]
    proc = run("generate", "--spec", str(source), "--out", str(by_flags), *flags, "-q")
    assert proc.returncode == 0, proc.stderr
    assert tree(by_file) == tree(by_flags)
    assert (by_file / "cfg_pkg" / "tools" / "x_rows_insert.json").is_file()
    assert not (by_file / "cfg_pkg" / "models.py").exists()
    tool = json.loads((by_file / "cfg_pkg" / "tools" / "x_rows_insert.json").read_text())
    assert tool["chunk_field"] == "rows"

    # a flag given on the command line wins over the file
    wins = tmp_path / "wins"
    proc = run(
        "generate", "--spec", str(source), "--out", str(wins), "--config", str(settings),
        "--tool-prefix", "y_", "-q",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (wins / "cfg_pkg" / "tools" / "y_rows_insert.json").is_file()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('tool_prefix = "x_"', "unknown key 'tool_prefix' (did you mean 'tool-prefix'?)"),
        ('prefix = "x_"', "unknown key 'prefix' (known: tool-prefix, max-name-length"),
        ("max-name-length = 100", "max-name-length must be between 8 and 64, not 100"),
        ('max-name-length = "40"', 'max-name-length: "40" is not a whole number'),
        ("models = 1", "models: 1 is not true or false"),
        ('package = "my-pkg"', "package 'my-pkg' is not a Python identifier"),
        ('tool-prefix = "a b"', "tool-prefix 'a b' is not made of letters, digits, '_' and '-'"),
        ("[chunk]\nrows_insert = 3", 'chunk: expected a table of <operation> = "<field>"'),
    ],
)
def test_a_wrong_config_value_names_the_file_the_key_and_what_is_allowed(
    tmp_path: Path, text: str, expected: str
) -> None:
    source = write_spec(tmp_path / "s.json", BODY_SPEC)
    settings = tmp_path / "gen.toml"
    settings.write_text(text + "\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = run("generate", "--spec", str(source), "--out", str(out), "--config", str(settings))
    assert proc.returncode == 2, proc.stderr
    assert f"config {settings}" in proc.stderr and expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()


def test_a_wrong_flag_names_the_flag_and_what_is_allowed(tmp_path: Path) -> None:
    source = write_spec(tmp_path / "s.json", BODY_SPEC)
    out = tmp_path / "out"
    proc = run("generate", "--spec", str(source), "--out", str(out), "--max-name-length", "7")
    assert (
        proc.returncode == 2 and "--max-name-length must be between 8 and 64, not 7" in proc.stderr
    )
    proc = run("generate", "--spec", str(source), "--out", str(out), "--dist-name=bad-")
    assert proc.returncode == 2 and "--dist-name 'bad-' is not a distribution name" in proc.stderr
    assert not out.exists()


def test_the_lint_counts_the_server_key_clients_will_use(tmp_path: Path, pinned_spec: Path) -> None:
    long_dist = "artie-cdc-replication-platform-operations-mcp"
    key = "artie-cdc-replication-platform-operations"
    out = tmp_path / "out"
    flags = ["--spec", str(pinned_spec), "--dist-name", long_dist]
    proc = run("generate", *flags, "--out", str(out))
    assert proc.returncode == 0, proc.stderr  # the user picks the key when adding the server
    assert "warning: column_hashing_salt_list (claude-code): tool-name-length" in proc.stderr
    assert f"mcp__{key}__" in proc.stderr, proc.stderr
    assert "under a key of at most 16 characters" in proc.stderr  # 64 - 7 - 41
    assert "more tools like the above" in proc.stderr  # grouped, not one line per tool
    strict = run("generate", *flags, "--out", str(tmp_path / "strict"), "--strict")
    assert strict.returncode == 1 and not (tmp_path / "strict").exists()
    lint = run("lint", *flags, "--client", "claude-code")
    assert lint.returncode == 1 and f"mcp__{key}__" in lint.stdout
    short = run("lint", "--spec", str(pinned_spec), "--client", "claude-code")
    assert short.returncode == 0, short.stdout + short.stderr
