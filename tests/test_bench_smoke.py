"""The benchmark (bench/, issue 7) runs end to end in smoke mode and writes
every figure the full run writes. Timings are never asserted: machines differ
and are noisy; only that each figure is there, positive and sane."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import REPO

BENCH = REPO / "bench"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _positive(value: Any, where: str) -> None:
    assert isinstance(value, (int, float)) and not isinstance(value, bool), where
    assert math.isfinite(value) and value > 0, f"{where} = {value!r}"


def _stat(d: Any, where: str, positive: bool = True) -> None:
    assert isinstance(d, dict) and set(d) >= {"median", "min", "max", "n"}, where
    assert d["n"] >= 1, where
    assert d["min"] <= d["median"] <= d["max"], where
    if positive:
        _positive(d["median"], where)
        _positive(d["min"], where)


def test_synthetic_specs_have_the_asked_number_of_operations_and_are_valid() -> None:
    from openapi_spec_validator import validate

    synth = _module("synth")
    for n in (1, 7, 23):
        doc = synth.spec(n)
        validate(doc)
        ops = [op for item in doc["paths"].values() for op in item.values()]
        assert len(ops) == n
        assert len({op["operationId"] for op in ops}) == n
        assert any("{id}" in p for p in doc["paths"]) or n == 1


@pytest.mark.slow
def test_bench_smoke_writes_every_figure(tmp_path: Path, pinned_spec: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "### Targets" in proc.stdout and "| artie-mcp" in proc.stdout
    data = json.loads(out.read_text())

    meta = data["meta"]
    assert meta["mode"] == "smoke"
    _positive(meta["duration_s"], "duration")
    _positive(meta["machine"]["nproc"], "nproc")
    assert meta["machine"]["python"] and meta["machine"]["cpu_model"]

    gen = data["generator"]
    assert gen["operations"] == 67 and gen["tools"] == 41
    for run in ("cold_generate", "check"):
        _stat(gen[run]["wall_s"], f"{run}.wall_s")
        _stat(gen[run]["peak_rss_mib"], f"{run}.peak_rss_mib")
        _stat(gen[run]["peak_tree_rss_mib"], f"{run}.peak_tree_rss_mib")
        phases = gen[run]["phases_s"]
        for stage in ("load", "parse", "validate", "ir", "lint", "render"):
            _stat(phases[stage], f"{run}.{stage}")
        assert gen[run]["rc"] == [0] * len(gen[run]["rc"])  # the check found nothing to change
        _positive(gen[run]["files"], f"{run}.files")

    scaling = data["scaling"]
    assert len(scaling["sizes"]) == 2
    for n, s in scaling["sizes"].items():
        for figure in ("wall_s", "peak_rss_mib", "peak_tree_rss_mib", "ms_per_operation"):
            _stat(s[figure], f"scaling {n} {figure}")
        _stat(s["phases_s"]["render"], f"scaling {n} render")
        assert s["tools"] == int(n)
    growth = scaling["growth"]
    for key in ("time_ratio", "time_exponent", "ops_ratio", "ms_per_operation", "memory_ratio"):
        assert isinstance(growth[key], (int, float)), key

    servers = data["servers"]
    assert "skipped" in servers["fastmcp"]  # smoke mode leaves the peer out
    for kind in ("ours", "minimal"):
        s = servers[kind]
        for figure in (
            "start_to_first_list_s",
            "rss_after_start_mib",
            "rss_after_calls_mib",
            "list_p50_ms",
            "list_p99_ms",
            "call_p50_ms",
            "call_p99_ms",
            "direct_p50_ms",
            "direct_p99_ms",
        ):
            _stat(s["stdio"][figure], f"{kind}.stdio.{figure}")
        for figure in ("overhead_p50_ms", "overhead_p99_ms"):  # a difference: may be negative
            _stat(s["stdio"][figure], f"{kind}.stdio.{figure}", positive=False)
        for figure in ("list_p50_ms", "list_p99_ms", "rss_after_lists_mib"):
            _stat(s["http"][figure], f"{kind}.http.{figure}")
        assert s["tools"] == 41
        _positive(s["tools_list_bytes"], f"{kind}.tools_list_bytes")
        assert s["tools_list_tokens"] == s["tools_list_bytes"] // 4
        assert s["call_errors"] == 0, s.get("call_result")
    assert servers["minimal"]["same_tools_as_ours"] is True
    _positive(servers["ours"]["model_facing_bytes_same_tools_as_ours"], "model-facing bytes")
    assert "### Lean tool list" in proc.stdout and "### Real specs" in proc.stdout

    (real,) = data["real_specs"].values()  # smoke: the smallest public spec
    assert real["rc"] == 0 and real["default_mode"] == "full list"
    for figure in ("wall_s", "cpu_s", "package_bytes", "tools_list_bytes", "model_facing_bytes"):
        _positive(real[figure], f"real spec {figure}")

    for key in (
        "ours_over_minimal.start",
        "ours_over_minimal.list_p50_stdio",
        "ours_over_minimal.call_p50",
    ):
        _positive(data["ratios"][key], key)
    names = [t["target"] for t in data["targets"]]
    assert len(names) == len(set(names)) >= 7
    for t in data["targets"]:
        assert set(t) >= {"target", "value", "limit", "met"}
        assert t["met"] in (True, False, None)


def test_the_lean_breakdown_starts_from_the_served_figure_and_only_ever_cuts() -> None:
    """bench/lean.py (issue 17's decision aid) measures what the server serves, the same
    way bench/run.py does, and every cut it prices takes bytes away."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / "lean.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lean = _module("lean")
    served = lean.model_facing(lean.served_tools())  # bench/run.py's measure
    first, *_ = proc.stdout.splitlines()
    assert first == f"41 tools, model-facing {served:,} bytes"
    rows = [
        line.split("|")
        for line in proc.stdout.splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:]
    afters = [int(r[3].strip().replace(",", "")) for r in rows]
    assert len(afters) == len(lean.CUTS)
    assert all(int(r[2].strip().replace(",", "")) > 0 for r in rows)
    assert afters == sorted(afters, reverse=True) and afters[0] < served
