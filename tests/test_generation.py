"""The generator as users run it: CLI, determinism, check, and clear failures."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import REPO, artie_spec
from tests.generator.minimal import run


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".egg-info" not in str(p)
    }


def test_output_is_identical_across_runs_and_hash_seeds(tmp_path: Path, pinned_spec: Path) -> None:
    outs = []
    for seed in ("0", "1"):
        out = tmp_path / f"seed{seed}"
        proc = run(
            "generate",
            "--spec",
            str(pinned_spec),
            "--out",
            str(out),
            "-q",
            env={"PYTHONHASHSEED": seed, "ARTIE_MCP_GEN_NO_CACHE": "1"},
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(tree(out))
    assert outs[0] == outs[1]
    text = b"".join(outs[0].values()).decode()
    assert str(REPO) not in text and str(tmp_path) not in text and "/tmp/" not in text


def test_make_check_is_clean() -> None:
    proc = subprocess.run(
        ["make", "-s", "check"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_check_reports_changed_missing_and_extra_files(tmp_path: Path, pinned_spec: Path) -> None:
    copy = tmp_path / "generated"
    shutil.copytree(
        REPO / "generated", copy, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    (copy / "artie_mcp/tools/pipeline_start.json").write_text("# hand edit\n")
    (copy / "artie_mcp/tools/pipeline_list.json").unlink()
    (copy / "artie_mcp/tools/stray.json").write_text("{}\n")
    proc = run(
        "check", "--spec", str(pinned_spec), "--out", str(copy), "-q", "--prompts", "specs/prompts"
    )
    assert proc.returncode == 1
    assert "1 changed, 1 missing, 1 not generated any more" in proc.stderr
    assert (
        "pipeline_start.json" in proc.stdout
        and "-# hand edit" in proc.stdout
        and "stray.json" in proc.stdout
    )


def test_invalid_spec_lists_every_problem_with_pointer_and_writes_nothing(tmp_path: Path) -> None:
    doc = yaml.load(artie_spec("v1.0.76").read_text(), Loader=yaml.CSafeLoader)
    doc["paths"]["/pipelines/{uuid}"]["get"]["parameters"][0]["required"] = False
    doc["components"]["schemas"]["PayloadsSSHTunnel"]["properties"]["port"]["type"] = "int"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous")
    proc = run("generate", "--spec", str(bad), "--out", str(out), "--strict")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "#/paths/~1pipelines~1{uuid}/get/parameters/0/required" in proc.stderr
    assert "#/components/schemas/PayloadsSSHTunnel/properties/port/type" in proc.stderr
    assert len(proc.stderr) < 5000
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_dangling_ref_is_one_short_line(tmp_path: Path) -> None:
    doc = yaml.load(artie_spec("v1.0.76").read_text(), Loader=yaml.CSafeLoader)
    doc["paths"]["/pipelines"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] = {"$ref": "#/components/schemas/Nope"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    proc = run("validate", "--spec", str(bad))
    assert proc.returncode == 1
    where = "#/paths/~1pipelines/get/responses/200/content/application~1json/schema"
    assert f"{where}: $ref '#/components/schemas/Nope' points to nothing" in proc.stderr
    assert len(proc.stderr) < 2000 and "Traceback" not in proc.stderr


def test_unreadable_inputs_are_clear_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\npaths: [unclosed\n")
    cases = {
        str(tmp_path / "missing.yaml"): "spec file not found",
        str(broken): "is not valid YAML",
        str(tmp_path): "is a directory",
    }
    for source, message in cases.items():
        proc = run("generate", "--spec", source, "--out", str(tmp_path / "o"))
        assert (
            proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
        ), proc.stderr
    assert not (tmp_path / "o").exists()


def test_spec_fetch_checks_sha256_and_keeps_the_old_file(tmp_path: Path) -> None:
    lock = tmp_path / "lock.json"
    lock.write_text(
        json.dumps({"version": "v1.0.76", "url": "https://example.invalid/x", "sha256": "0" * 64})
    )
    out = tmp_path / "spec.json"
    out.write_text("old")
    source = str(artie_spec("v1.0.76"))
    proc = run("spec", "fetch", "--lock", str(lock), "--source", source, "--out", str(out))
    assert proc.returncode == 2 and "sha256 mismatch" in proc.stderr
    assert out.read_text() == "old"
    real = json.loads((REPO / "specs/artie-openapi.lock.json").read_text())
    lock.write_text(json.dumps(real))
    proc = run("spec", "fetch", "--lock", str(lock), "--source", source, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["info"]["version"] == "v1.0.76"


def test_spec_source_env_is_honoured(tmp_path: Path) -> None:
    out = tmp_path / "spec.json"
    proc = run(
        "spec",
        "fetch",
        "--lock",
        str(REPO / "specs/artie-openapi.lock.json"),
        "--out",
        str(out),
        env={"ARTIE_SPEC_SOURCE": str(artie_spec("v1.0.75"))},
    )
    assert proc.returncode == 2 and "sha256 mismatch" in proc.stderr and "v1.0.75" in proc.stderr


def test_spec_pin_rewrites_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "lock.json"
    shutil.copy(REPO / "specs/artie-openapi.lock.json", lock)
    proc = run(
        "spec",
        "pin",
        "--lock",
        str(lock),
        "--version",
        "v1.0.75",
        "--source",
        str(artie_spec("v1.0.75")),
    )
    assert proc.returncode == 0, proc.stderr
    pinned = json.loads(lock.read_text())
    assert pinned["version"] == "v1.0.75" and pinned["url"].endswith("/v1.0.75/openapi.yaml")
    import hashlib

    assert pinned["sha256"] == hashlib.sha256(artie_spec("v1.0.75").read_bytes()).hexdigest()
    wrong = run(
        "spec",
        "pin",
        "--lock",
        str(lock),
        "--version",
        "v9.9.9",
        "--source",
        str(artie_spec("v1.0.76")),
    )
    assert wrong.returncode == 2 and "not v9.9.9" in wrong.stderr
    assert json.loads(lock.read_text()) == pinned
