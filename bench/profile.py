"""Where the time goes, for the targets the benchmark misses (BENCHMARKS.md).

Samples with py-spy (from .venv-bench, made by bench/run.py when missing) and
prints Markdown summaries:

    .venv/bin/python bench/profile.py generator   # cold generate + no-change check, by stage and package
    .venv/bin/python bench/profile.py server      # artie-mcp vs the minimal server: tools/call and
                                                  #   tools/list (stdio) and tools/list (HTTP), µs per request
    .venv/bin/python bench/profile.py startup     # -X importtime: what each server imports before answering
    .venv/bin/python bench/profile.py all

``--keep DIR`` keeps the raw collapsed stacks (flamegraph.pl / speedscope input).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402
from mcpclient import HttpPeer, StdioPeer, kill_group  # noqa: E402

PY_SPY = run.BENCH_VENV / "bin" / "py-spy"
STDLIB = set(sys.stdlib_module_names) | {"<frozen", "site-packages"}
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?):(?P<line>\d+)\)$")


def py_spy(
    out: Path, cmd: list[str], rate: int = 250, subprocesses: bool = True, native: bool = False
) -> list[str]:
    argv = [str(PY_SPY), "record", "--format", "raw", "--rate", str(rate), "-o", str(out)]
    if subprocesses:
        argv.append("--subprocesses")
    if native:
        argv.append("--native")
    return [*argv, "--", *cmd]


def parse(path: Path) -> list[tuple[list[tuple[str, str, int]], int, str]]:
    """[(frames root→leaf as (func, file, line), count, process label)]."""
    samples = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = raw.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        process = ""
        for part in stack.split(";"):
            if part.startswith("process "):
                process = part.split(":", 1)[0]
                continue
            if part.startswith("thread "):
                continue
            m = FRAME.match(part)
            if m:
                frames.append((m["func"], m["file"], int(m["line"])))
            else:
                frames.append((part, "", 0))
        samples.append((frames, int(count), process))
    return samples


def package(file: str) -> str:
    if file.startswith("<frozen"):
        return "<frozen>"
    head = file.split("/", 1)[0]
    return head.removesuffix(".py")


WAITS = {
    "Condition.wait",
    "Event.wait",
    "_PollLikeSelector.select",
    "EpollSelector.select",
    "BaseSelector.select",
    "wait",
    "select",
    "poll",
    "sleep",
    "_wait_for_tstate_lock",
    "Thread.join",
    "Connection._recv",
    "_recv_bytes",
    "WorkerThread.run",  # anyio's thread blocked reading stdin (the SDK's stdio transport)
}
FORMAT = {("generator/formatting.py", "format_one"), ("generator/formatting.py", "format_many")}  # ruff runs as a subprocess


def owner(frames: list[tuple[str, str, int]]) -> str:
    """Who the sample's time belongs to: waiting, imports, formatting, else the
    innermost non-standard-library package (stdlib frames count for their caller)."""
    if frames and frames[-1][0] in WAITS:
        return "waiting"
    if any(func in ("_find_and_load", "_call_with_frames_removed") for func, _, _ in frames):
        return "imports"
    if frames and (frames[-1][1], frames[-1][0]) in FORMAT:
        return "formatting"
    for _, file, _ in reversed(frames):
        pkg = package(file)
        if pkg and pkg not in STDLIB and pkg not in ("<frozen>", "<string>"):
            return pkg
    return "stdlib"


def stage_of(frames: list[tuple[str, str, int]], sources: dict[str, list[str]]) -> str:
    for func, file, line in frames:
        if file.endswith("generator/pipeline.py") and "<lambda>" in func:
            lines = sources.setdefault(file, _source(file))
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            m = re.search(r'run\("(\w+)"', text)
            if m:
                return m.group(1)
    for func, file, _ in frames:
        if file.endswith("generator/cli.py") and func == "_generate":
            return "cli (write/compare/print)"
        if file.startswith("generator/") and func == "main":
            return "cli"
    return "start-up and imports"


def _source(file: str) -> list[str]:
    path = run.REPO / file
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def ms(samples: int, rate: int) -> float:
    return samples * 1000.0 / rate


def table(rows: list[list[str]]) -> str:
    return run.table(rows)


# -- generator --------------------------------------------------------------------


def profile_generator(work: Path, keep: Path | None, rate: int = 250) -> str:
    spec = str(run.SPEC)
    cache = work / "cache"
    env = {k: v for k, v in run.child_env().items() if not k.startswith("ARTIE_MCP_GEN")}
    base = [run.PYTHON, "-m", "generator"]
    flags = run.makefile_gen_flags()
    out: list[str] = []
    subprocess.run(
        [*base, "generate", "--spec", spec, "--out", str(work / "warm"), *flags, "-q"],
        env={**env, "ARTIE_MCP_GEN_CACHE": str(cache)},
        check=True,
        cwd=run.REPO,
    )
    for label, argv, extra in (
        (
            "cold generate (no generator cache)",
            ["generate", "--out", str(work / "cold")],
            {"ARTIE_MCP_GEN_NO_CACHE": "1"},
        ),
        (
            "no-change check (warm cache)",
            ["check", "--out", str(work / "warm")],
            {"ARTIE_MCP_GEN_CACHE": str(cache)},
        ),
    ):
        raw = work / f"gen-{extra and next(iter(extra))}.txt"
        started = time.perf_counter()
        subprocess.run(
            py_spy(raw, [*base, *argv, "--spec", spec, *flags, "-q"], rate),
            env={**env, **extra},
            check=True,
            cwd=run.REPO,
            capture_output=True,
        )
        wall = time.perf_counter() - started
        out.append(summarize_generator(label, parse(raw), rate, wall))
        if keep:
            shutil.copy(raw, keep / raw.name)
    return "\n".join(out)


def summarize_generator(label: str, samples: list[Any], rate: int, wall: float) -> str:
    sources: dict[str, list[str]] = {}
    pids = {proc for _, _, proc in samples if proc}
    main_process = min(pids, key=lambda p: int(p.split()[-1])) if pids else ""  # the first started
    by_stage: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    worker: collections.Counter[str] = collections.Counter()
    funcs: collections.Counter[str] = collections.Counter()
    waiting = 0
    for frames, count, process in samples:
        who = owner(frames)
        if who == "waiting":
            waiting += count
            continue
        if process == main_process:
            by_stage[stage_of(frames, sources)][who] += count
        else:
            worker[who] += count
        if frames and who != "waiting":
            func, file, _ = frames[-1]
            funcs[f"{func} ({file})"] += count
    lines = [f"#### {label}: {wall:.2f} s wall under py-spy (sampled CPU time, ms)", ""]
    rows = [["stage (main process)", "ms", "spent in"]]
    for stage, counter in sorted(by_stage.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(counter.values())
        top = ", ".join(f"{k} {ms(v, rate):.0f}" for k, v in counter.most_common(4))
        rows.append([stage, f"{ms(total, rate):.0f}", top])
    if worker:
        top = ", ".join(f"{k} {ms(v, rate):.0f}" for k, v in worker.most_common(5))
        rows.append(["pool workers (all)", f"{ms(sum(worker.values()), rate):.0f}", top])
    lines += [
        table(rows),
        "",
        f"(threads waiting on locks, pipes or the pool: {ms(waiting, rate):.0f} ms, not counted above)",
        "",
        "Top functions by self time:",
        "",
    ]
    rows = [["function", "ms"]]
    for name, count in funcs.most_common(10):
        rows.append([name[:110], f"{ms(count, rate):.0f}"])
    lines += [table(rows), ""]
    return "\n".join(lines)


# -- servers ------------------------------------------------------------------------


class Recorder:
    """py-spy attached to a running server for the measured part only (no start-up)."""

    def __init__(self, pid: int, out: Path, rate: int) -> None:
        self.out = out
        self.proc = subprocess.Popen(
            [str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "--rate", str(rate)]
            + ["--nonblocking", "-o", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        run._children.add(self.proc.pid)
        time.sleep(0.5)  # attached

    def stop(self) -> list[Any]:
        self.proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            kill_group(self.proc.pid)
            self.proc.wait()
        run._children.discard(self.proc.pid)
        return parse(self.out) if self.out.exists() else []


async def _stdio(
    cmd: list[str], env: dict[str, str], work: Path, name: str, rate: int, calls: int, lists: int
) -> tuple[list[Any], list[Any]]:
    peer = StdioPeer(cmd, env, str(work / "profile.stderr"))
    await peer.spawn()
    run._children.add(peer.pid)
    call = {"name": run.CALL_TOOL, "arguments": {}}
    try:
        await peer.initialize()
        for _ in range(5):
            await peer.request("tools/list")
            await peer.request("tools/call", call)
        rec = Recorder(peer.pid, work / f"calls-{name}.txt", rate)
        for _ in range(calls):
            await peer.request("tools/call", call)
        call_samples = rec.stop()
        rec = Recorder(peer.pid, work / f"lists-{name}.txt", rate)
        for _ in range(lists):
            await peer.request("tools/list")
        list_samples = rec.stop()
    finally:
        pid = peer.pid
        await peer.close()
        run._children.discard(pid)
    return call_samples, list_samples


async def _http(
    cmd: list[str], env: dict[str, str], work: Path, name: str, rate: int, lists: int
) -> list[Any]:
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=open(work / "profile.http.stderr", "ab"),  # noqa: SIM115
        start_new_session=True,
    )
    run._children.add(proc.pid)
    peer = HttpPeer(f"http://127.0.0.1:{int(cmd[-1])}/mcp")
    try:
        for _ in range(600):
            try:
                await peer.initialize()
                break
            except Exception:
                await asyncio.sleep(0.05)
        for _ in range(5):
            await peer.request("tools/list")
        rec = Recorder(proc.pid, work / f"http-{name}.txt", rate)
        for _ in range(lists):
            await peer.request("tools/list")
        return rec.stop()
    finally:
        await peer.close()
        kill_group(proc.pid)
        await proc.wait()
        run._children.discard(proc.pid)


def summarize_server(label: str, samples: list[Any], rate: int, per: int, what: str) -> list[str]:
    by_owner: collections.Counter[str] = collections.Counter()
    funcs: collections.Counter[str] = collections.Counter()
    for frames, count, _ in samples:
        who = owner(frames)
        if who == "waiting":
            continue
        by_owner[who] += count
        if frames:
            func, file, _ = frames[-1]
            funcs[f"{func} ({file})"] += count
    total = sum(by_owner.values())
    us = 1e6 / rate / per
    head = f"{label}: {total * us:.0f} µs CPU per {what}: " + ", ".join(
        f"{k} {v * us:.0f}" for k, v in by_owner.most_common(7)
    )
    top = ", ".join(f"{k} {v * us:.0f}" for k, v in funcs.most_common(5))
    return [f"- {head}", f"  - top self: {top}"]


def profile_server(work: Path, keep: Path | None, calls: int = 3000, lists: int = 300) -> str:
    rate = 200
    out: list[str] = []

    async def main() -> None:
        upstream_proc, upstream = await run.start_upstream(work)
        try:
            env = run.server_env(upstream)
            minimal = [
                run.PYTHON,
                str(BENCH / "servers" / "minimal_server.py"),
                "--package-dir",
                str(run.PACKAGE_DIR),
            ]
            kinds = {"artie-mcp": [str(run.OURS_CMD)], "minimal": minimal}
            if (run.BENCH_VENV / "bin" / "python").exists():
                kinds["from_openapi"] = [
                    str(run.BENCH_VENV / "bin" / "python"),
                    str(BENCH / "servers" / "fastmcp_server.py"),
                    str(run.SPEC),
                ]
            for name, cmd in kinds.items():
                n = lists if name != "from_openapi" else max(10, lists // 15)
                call_samples, list_samples = await _stdio(cmd, env, work, name, rate, calls, n)
                out.extend(
                    summarize_server(f"{name}, tools/call stdio", call_samples, rate, calls, "call")
                )
                out.extend(
                    summarize_server(f"{name}, tools/list stdio", list_samples, rate, n, "list")
                )
                port = run.free_port()
                http = (
                    [*cmd, "--transport", "streamable-http", "--port", str(port)]
                    if name == "artie-mcp"
                    else [*cmd, "--http", str(port)]
                )
                samples = await _http(http, env, work, name, rate, n)
                out.extend(summarize_server(f"{name}, tools/list HTTP", samples, rate, n, "list"))
                if keep:
                    for f in work.glob(f"*-{name}.txt"):
                        shutil.copy(f, keep / f.name)
        finally:
            upstream_proc.kill()
            await upstream_proc.wait()
            run._children.discard(upstream_proc.pid)

    asyncio.run(main())
    note = (
        "(py-spy attached after warm-up, so start-up is not included. Sampled CPU time of the "
        "server process; waiting on pipes, sockets and the stdin reader thread is left out.)"
    )
    return "\n".join(
        ["#### Servers: sampled CPU time per request (µs), by owner", "", *out, "", note, ""]
    )


# -- start-up ------------------------------------------------------------------------


def profile_startup(work: Path) -> str:
    """-X importtime of each server module path, summed by top-level package."""
    env = run.server_env("http://127.0.0.1:9")
    # each server started for real with stdin at EOF: it imports, starts serving, reads EOF, exits
    probes = {
        "artie-mcp": [run.PYTHON, "-X", "importtime", "-m", "artie_mcp"],
        "minimal": [
            run.PYTHON,
            "-X",
            "importtime",
            str(BENCH / "servers" / "minimal_server.py"),
            "--package-dir",
            str(run.PACKAGE_DIR),
        ],
    }
    lines = [
        "#### Imports before the first answer (-X importtime, self time summed by package, ms)",
        "",
    ]
    totals = {}
    for name, cmd in probes.items():
        r = subprocess.run(
            cmd, capture_output=True, text=True, cwd=work, stdin=subprocess.DEVNULL, env=env
        )
        per: collections.Counter[str] = collections.Counter()
        for line in r.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if m:
                per[m.group(4).lstrip().split(".")[0]] += int(m.group(1))
        totals[name] = per
    names = sorted(set().union(*totals.values()), key=lambda k: -max(t[k] for t in totals.values()))
    rows = [["package", *totals]]
    rows.append(["**total**", *[f"**{sum(t.values()) / 1000:.0f}**" for t in totals.values()]])
    for k in names[:14]:
        rows.append([k, *[f"{t[k] / 1000:.0f}" for t in totals.values()]])
    lines += [table(rows), ""]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=("generator", "server", "startup", "all"))
    p.add_argument("--keep", type=Path, help="copy the raw collapsed stacks here")
    args = p.parse_args()
    if args.what in ("generator", "server", "all"):
        py, reason = run.ensure_bench_venv()
        if py is None or not PY_SPY.exists():
            print(f"py-spy is not available: {reason}", file=sys.stderr)
            return 1
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="artie-mcp-profile-"))
    run.compile_bytecode()
    try:
        if args.what in ("generator", "all"):
            print(profile_generator(work, args.keep))
        if args.what in ("startup", "all"):
            print(profile_startup(work))
        if args.what in ("server", "all"):
            print(profile_server(work, args.keep))
    finally:
        run._cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
