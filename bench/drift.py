"""Drift on the Stripe pair (issue 21): ``artie-mcp-gen drift`` beside Redocly's
``@redocly/cli diff``, each a fresh process on the same two specs
(``../shared/specs/public/stripe-2022-08-31.yaml`` -> ``stripe-2023-09-07.yaml``,
3.8 and 4.1 MB).

    .venv/bin/python bench/drift.py [--runs 3] [--out bench/drift-results.json]

Per tool and format: wall time, CPU (user + sys of the process and its children)
and peak RSS, median of ``--runs`` with min and max. Redocly lives in
``bench/redocly`` (``package-lock.json`` pins @redocly/cli; installed with
``npm ci`` on first use, never a project dependency), run with its telemetry and
update notices off. Targets (reported, not enforced): under 5 s wall and 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SPECS = REPO.parent / "shared" / "specs" / "public"
BASE, HEAD = SPECS / "stripe-2022-08-31.yaml", SPECS / "stripe-2023-09-07.yaml"
REDOCLY = BENCH / "redocly"
PYTHON = REPO / ".venv" / "bin" / "python"
QUIET = {
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "REDOCLY_SUPPRESS_NOTIFICATIONS": "true",
}


def measure(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """One fresh process: wall s, CPU s (user + sys, children included), peak RSS MB, exit code."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "rc": proc.returncode,
        "stderr_tail": stderr.strip().splitlines()[-1:] if stderr.strip() else [],
    }


def stat(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def redocly_cli() -> Path | None:
    binary = REDOCLY / "node_modules" / ".bin" / "redocly"
    if not binary.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=REDOCLY,
            env={**os.environ, **QUIET},
            check=False,
        )
    return binary if binary.exists() else None


def cases(work: Path) -> list[tuple[str, list[str]]]:
    out = []
    for fmt in ("md", "json"):
        argv = [str(PYTHON), "-m", "generator.drift", "--base", str(BASE), "--head", str(HEAD)]
        argv += ["--format", fmt, "--out", str(work / f"drift.{fmt}"), "--fail-on", "never"]
        out.append((f"artie-mcp-gen drift --format {fmt}", argv))
    cli = redocly_cli()
    if cli is not None:
        for fmt, ext in (("markdown", "md"), ("json", "json")):
            argv = [str(cli), "diff", str(BASE), str(HEAD), "--format", fmt]
            argv += ["-o", str(work / f"redocly.{ext}"), "--fail-on", "none"]
            out.append((f"redocly diff --format {fmt}", argv))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path, default=BENCH / "drift-results.json")
    args = p.parse_args(argv)
    if not (BASE.is_file() and HEAD.is_file()):
        print(f"missing {BASE} or {HEAD}", file=sys.stderr)
        return 2
    env = {**os.environ, **QUIET, "PYTHONPATH": str(REPO)}
    results: dict[str, Any] = {"base": BASE.name, "head": HEAD.name, "runs": args.runs, "tools": {}}
    with tempfile.TemporaryDirectory(prefix="artie-drift-bench-") as tmp:
        work = Path(tmp)
        for name, command in cases(work):
            runs = [measure(command, env) for _ in range(args.runs)]
            ok = all(r["rc"] == 0 for r in runs)
            out_file = Path(command[command.index("--out" if "--out" in command else "-o") + 1])
            results["tools"][name] = {
                "ok": ok,
                "wall_s": stat([r["wall_s"] for r in runs]),
                "cpu_s": stat([r["cpu_s"] for r in runs]),
                "rss_mb": stat([r["rss_mb"] for r in runs]),
                "output_chars": (
                    len(out_file.read_text(errors="replace")) if out_file.exists() else 0
                ),
                "errors": [] if ok else runs[-1]["stderr_tail"],
            }
    if not any(n.startswith("redocly") for n in results["tools"]):
        results["redocly"] = "not installed (npm ci in bench/redocly failed or npm is missing)"
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"### Drift, Stripe {BASE.stem} -> {HEAD.stem} (median of {args.runs} [min-max])\n")
    print("| tool | wall s | CPU s | peak RSS MB | output chars |")
    print("| --- | --- | --- | --- | --- |")
    for name, r in results["tools"].items():

        def cell(d: dict[str, float], digits: int = 2) -> str:
            return f"{d['median']:.{digits}f} [{d['min']:.{digits}f}-{d['max']:.{digits}f}]"

        status = "" if r["ok"] else " (failed)"
        print(
            f"| {name}{status} | {cell(r['wall_s'])} | {cell(r['cpu_s'])} | "
            f"{cell(r['rss_mb'], 0)} | {r['output_chars']:,} |"
        )
    print("\nTargets for artie-mcp-gen drift: under 5 s wall and 500 MB (reported, not enforced).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
