"""artie-mcp-gen benchmark (issue 7): the generator and the generated server,
measured side by side in one run, with peers.

    .venv/bin/python bench/run.py            # full run (`make bench`), a few minutes
    .venv/bin/python bench/run.py --smoke    # seconds: few repetitions, small sizes, no fastmcp

Prints Markdown tables and writes bench/results.json (``--out`` elsewhere).
Every figure is the median over repeated runs, with min and max. Targets are
reported, never enforced: the exit code is 0 unless something failed to run.

Sections:
1. generator on the pinned spec: cold ``generate`` (fresh process, no formatting
   cache), no-change ``check`` (warm cache), each stage;
2. scaling on synthetic specs (bench/synth.py): time and peak RSS;
3. servers over stdio and streamable HTTP against a loopback upstream
   (bench/upstream.py): artie-mcp, a minimal low-level SDK server serving the
   same tools (bench/servers/minimal_server.py) and fastmcp's
   ``FastMCP.from_openapi`` (bench/servers/fastmcp_server.py, in .venv-bench);
4. load (bench/load.py): 200 concurrent streamable-HTTP sessions x 50 calls
   through the `mcp` client, stateful and ``--stateless --workers 2``: client
   errors, throughput, latency p50/p99, RSS.

Only loopback addresses are used; every process started is killed by its id
(process group) before the run ends, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import math
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import load as load_bench  # noqa: E402
from mcpclient import HttpPeer, McpError, StdioPeer, kill_group  # noqa: E402
from synth import spec as synth_spec  # noqa: E402

VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
BENCH_VENV = REPO / ".venv-bench"
BENCH_PY = BENCH_VENV / "bin" / "python"
FASTMCP_PIN = "fastmcp==4.1.2"
BENCH_VENV_PACKAGES = (FASTMCP_PIN, "pyinstrument", "py-spy")
SPEC = REPO / "specs" / "artie-openapi.json"
GENERATED = REPO / "generated"
PACKAGE_DIR = GENERATED / "artie_mcp"
OURS_CMD = VENV_BIN / "artie-mcp"
CALL_TOOL = "connector_list"  # GET /connectors; {"items": []} is a spec-valid answer
CALL_PATH = "/connectors"
API_KEY = "bench-key"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Config:
    mode: str
    cold_reps: int  # cold generate of the pinned spec
    check_reps: int  # no-change check
    sizes: tuple[int, ...]  # synthetic spec sizes (operations)
    size_reps: tuple[int, ...]  # repetitions per size
    stdio_runs: int  # server sessions over stdio, per server
    http_runs: int  # server sessions over streamable HTTP, per server
    list_calls: int  # tools/list requests timed per session
    list_warmup: int
    calls: int  # tools/call requests timed per stdio session
    call_warmup: int
    call_batch: int  # calls per batch; direct httpx batches interleave with them
    fastmcp: bool
    budget_s: float  # scaling repetitions beyond the first are dropped past this
    load_sessions: int = 200  # concurrent streamable-HTTP sessions (bench/load.py)
    load_calls: int = 50  # tools/call per load session


FULL = Config(
    mode="full",
    cold_reps=3,
    check_reps=5,
    sizes=(100, 500, 2000),
    size_reps=(3, 3, 2),
    stdio_runs=3,
    http_runs=3,
    list_calls=40,
    list_warmup=3,
    calls=1000,
    call_warmup=20,
    call_batch=100,
    fastmcp=True,
    budget_s=260,
)
SMOKE = Config(
    mode="smoke",
    cold_reps=1,
    check_reps=1,
    sizes=(10, 30),
    size_reps=(1, 1),
    stdio_runs=1,
    http_runs=1,
    list_calls=5,
    list_warmup=1,
    calls=30,
    call_warmup=3,
    call_batch=10,
    fastmcp=False,
    budget_s=50,
    load_sessions=5,
    load_calls=2,
)

# -- processes -----------------------------------------------------------------

_children: set[int] = set()  # process-group leaders started by this run


def _cleanup() -> None:
    for pid in list(_children):
        kill_group(pid)
        _children.discard(pid)


def _on_signal(signum: int, frame: Any) -> None:
    _cleanup()
    raise SystemExit(128 + signum)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_kib(pid: int, key: str = "VmRSS") -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    out = [pid]
    for index in range(len(out) + 10_000):
        if index >= len(out):
            break
        try:
            tasks = os.listdir(f"/proc/{out[index]}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{out[index]}/task/{tid}/children", encoding="ascii") as f:
                    out.extend(int(c) for c in f.read().split())
            except OSError:
                continue
    return out


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants (pool workers)."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            total = sum(rss_kib(p) for p in _descendants(self.pid))
            self.peak_kib = max(self.peak_kib, total)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


# -- statistics ----------------------------------------------------------------


def stat(values: Iterable[float]) -> dict[str, float]:
    s = sorted(values)
    if not s:
        return {"median": 0.0, "min": 0.0, "max": 0.0, "n": 0}
    return {"median": statistics.median(s), "min": s[0], "max": s[-1], "n": len(s)}


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(samples)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def med(d: dict[str, Any] | None) -> float:
    return float(d["median"]) if d else float("nan")


# -- the generator ---------------------------------------------------------------


def run_generator(argv: Sequence[str], env_extra: dict[str, str], work: Path) -> dict[str, Any]:
    """One generator process; wall time, phases, stages, peak RSS."""
    timings = work / "timings.json"
    timings.unlink(missing_ok=True)
    env = child_env()
    env = {k: v for k, v in env.items() if not k.startswith("ARTIE_MCP_GEN")}
    env.update(env_extra)
    env["BENCH_TIMINGS_OUT"] = str(timings)
    err_path = work / "generator.stderr"
    with open(err_path, "wb") as err:
        spawned = time.time()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [PYTHON, str(BENCH / "gen_child.py"), *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            start_new_session=True,
            cwd=str(REPO),
        )
        _children.add(proc.pid)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        exited = time.time()
        sampler.stop()
        _children.discard(proc.pid)
        proc.returncode = os.waitstatus_to_exitcode(status)
    rc = proc.returncode
    if rc not in (0, 1):
        raise RuntimeError(f"generator failed ({rc}): {err_path.read_text()[-2000:]}")
    if not timings.is_file():
        raise RuntimeError(f"generator failed ({rc}): {err_path.read_text()[-2000:]}")
    rec = json.loads(timings.read_text())
    phases = {
        "startup": rec["entered"] - spawned,  # interpreter and site start-up
        "imports": rec["build_start"] - rec["entered"],  # CLI imports, argument parsing
        **rec["stages"],
        "write_or_compare": rec["main_end"] - rec["build_end"],
        "exit": max(0.0, exited - rec["main_end"]),
    }
    return {
        "wall_s": wall,
        "rc": rc,
        "phases_s": phases,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # largest single process (Linux: KiB)
        "peak_tree_rss_mib": sampler.peak_kib / 1024,  # generator + pool workers, sampled
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "files": rec.get("files", 0),
        "bytes": rec.get("bytes", 0),
        "tools": rec.get("tools", 0),
        "excluded": rec.get("excluded", 0),
    }


def summarize_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    phases = list(runs[0]["phases_s"])
    return {
        "wall_s": stat(r["wall_s"] for r in runs),
        "phases_s": {p: stat(r["phases_s"][p] for r in runs) for p in phases},
        "peak_rss_mib": stat(r["peak_rss_mib"] for r in runs),
        "peak_tree_rss_mib": stat(r["peak_tree_rss_mib"] for r in runs),
        "cpu_s": stat(r["cpu_s"] for r in runs),
        "rc": [r["rc"] for r in runs],
        "files": runs[0]["files"],
        "bytes": runs[0]["bytes"],
        "tools": runs[0]["tools"],
        "excluded": runs[0]["excluded"],
    }


def makefile_gen_flags() -> list[str]:
    """``GEN_FLAGS`` as the Makefile sets it, so the bench times what `make generate`
    and `make check` run (the Makefile also passes it with --gen-flags)."""
    import re

    try:
        text = (REPO / "Makefile").read_text(encoding="utf-8")
    except OSError:
        return ["--strict"]
    m = re.search(r"^GEN_FLAGS\s*[?:]?=\s*(.*)$", text, re.MULTILINE)
    return shlex.split(m.group(1)) if m else ["--strict"]


def bench_generator(cfg: Config, work: Path, gen_flags: Sequence[str]) -> dict[str, Any]:
    if not SPEC.is_file():
        raise SystemExit(f"{SPEC} is missing: run `make spec` first")
    cache = work / "cache"  # private generator cache: never the user's ~/.cache
    out = work / "artie_out"
    common = ["--spec", str(SPEC), *gen_flags, "-q"]
    cold_runs = []
    for i in range(cfg.cold_reps):
        target = out if i == 0 else work / f"artie_out_{i}"
        log(f"  cold generate {i + 1}/{cfg.cold_reps}")
        cold_runs.append(
            run_generator(
                ["generate", "--out", str(target), *common], {"ARTIE_MCP_GEN_NO_CACHE": "1"}, work
            )
        )
        if target != out:
            shutil.rmtree(target, ignore_errors=True)
    cache_env = {"ARTIE_MCP_GEN_CACHE": str(cache)}
    log("  warming the generator cache (one generate, not timed)")
    run_generator(["generate", "--out", str(work / "warm_out"), *common], cache_env, work)
    shutil.rmtree(work / "warm_out", ignore_errors=True)
    against_repo = run_generator(["check", "--out", str(GENERATED), *common], cache_env, work)
    check_runs = []
    for i in range(cfg.check_reps):
        log(f"  no-change check {i + 1}/{cfg.check_reps}")
        check_runs.append(run_generator(["check", "--out", str(out), *common], cache_env, work))
    return {
        "flags": list(gen_flags),
        "spec": str(SPEC.relative_to(REPO)),
        "spec_version": _spec_version(),
        "operations": cold_runs[0]["tools"] + cold_runs[0]["excluded"],
        "tools": cold_runs[0]["tools"],
        "cold_generate": summarize_runs(cold_runs),
        "check": summarize_runs(check_runs),
        "generated_up_to_date": against_repo["rc"] == 0,
    }


def _spec_version() -> str:
    try:
        return str(json.loads(SPEC.read_text())["info"]["version"])
    except (OSError, ValueError, KeyError):
        return "?"


def bench_scaling(cfg: Config, work: Path, deadline: float | None = None) -> dict[str, Any]:
    """Cold generation of synthetic specs. Repetitions after each size's first
    are skipped when they would end past ``deadline`` (a ``perf_counter``
    time), so a slow machine still finishes in its budget; n says how many ran."""
    sizes: dict[str, Any] = {}
    skipped: list[str] = []
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in cfg.sizes}
    paths = {}
    for n in cfg.sizes:
        path = work / f"synth_{n}.json"
        path.write_text(json.dumps(synth_spec(n)))
        paths[n] = path
    for rep in range(max(cfg.size_reps)):  # interleaved: 100, 500, 2000, 100, ...
        for n, reps in zip(cfg.sizes, cfg.size_reps, strict=True):
            if rep >= reps:
                continue
            if rep > 0 and deadline is not None:
                expected = runs[n][0]["wall_s"] * 1.1 + 1
                if time.perf_counter() + expected > deadline:
                    log(
                        f"  {n} operations, run {rep + 1}/{reps}: skipped to stay within the time budget"
                    )
                    skipped.append(f"{n} operations, run {rep + 1}")
                    continue
            log(f"  {n} operations, run {rep + 1}/{reps}")
            out = work / f"synth_out_{n}"
            argv = [
                "generate",
                "--spec",
                str(paths[n]),
                "--out",
                str(out),
                "--package",
                "synth_mcp",
                "-q",
            ]
            result = run_generator(argv, {"ARTIE_MCP_GEN_NO_CACHE": "1"}, work)
            if result["rc"] != 0:
                raise RuntimeError(f"synthetic spec of {n} operations did not generate")
            runs[n].append(result)
            shutil.rmtree(out, ignore_errors=True)
    for n in cfg.sizes:
        summary = summarize_runs(runs[n])
        summary["ms_per_operation"] = stat(r["wall_s"] * 1000 / n for r in runs[n])
        sizes[str(n)] = summary
    return {"sizes": sizes, "growth": growth(cfg.sizes, sizes), "skipped_for_budget": skipped}


def growth(ns: Sequence[int], sizes: dict[str, Any]) -> dict[str, Any]:
    lo, hi = min(ns), max(ns)
    t = {n: med(sizes[str(n)]["wall_s"]) for n in ns}
    m = {n: med(sizes[str(n)]["peak_tree_rss_mib"]) for n in ns}
    # least squares t = a + b*n
    mean_n = sum(ns) / len(ns)
    mean_t = sum(t.values()) / len(ns)
    var = sum((n - mean_n) ** 2 for n in ns)
    slope = sum((n - mean_n) * (t[n] - mean_t) for n in ns) / var if var else 0.0
    intercept = mean_t - slope * mean_n
    render = {n: med(sizes[str(n)]["phases_s"].get("render")) for n in ns}
    validate = {n: med(sizes[str(n)]["phases_s"].get("validate")) for n in ns}
    ratio = t[hi] / t[lo] if t[lo] else float("nan")
    return {
        "from_ops": lo,
        "to_ops": hi,
        "ops_ratio": hi / lo,
        "time_ratio": ratio,
        "time_exponent": (
            math.log(ratio) / math.log(hi / lo) if ratio > 0 and hi > lo else float("nan")
        ),
        "render_ratio": render[hi] / render[lo] if render[lo] else float("nan"),
        "validate_ratio": validate[hi] / validate[lo] if validate[lo] else float("nan"),
        "fixed_s": intercept,
        "ms_per_operation": slope * 1000,
        "memory_ratio": m[hi] / m[lo] if m[lo] else float("nan"),
        "memory_mib_per_1000_ops": (m[hi] - m[lo]) / (hi - lo) * 1000 if hi > lo else float("nan"),
    }


# -- the servers -----------------------------------------------------------------


@dataclass
class ServerKind:
    key: str
    label: str
    stdio: list[str]
    http: Any  # port -> argv
    env: dict[str, str] = field(default_factory=dict)


def child_env() -> dict[str, str]:
    """The environment for measured processes: bytecode caching on, as in a normal
    install (some shells set PYTHONDONTWRITEBYTECODE, which would make every start
    compile the generator or the generated package from source)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_bytecode() -> None:
    """Write the .pyc files a normal install has, before anything is timed."""
    subprocess.run(
        [PYTHON, "-m", "compileall", "-q", "generator", "generated", "bench"],
        cwd=REPO,
        env=child_env(),
        capture_output=True,
    )


def server_env(upstream: str) -> dict[str, str]:
    env = {k: v for k, v in child_env().items() if not k.startswith("ARTIE_")}
    env.update({"ARTIE_API_KEY": API_KEY, "ARTIE_BASE_URL": upstream, "PYTHONUNBUFFERED": "1"})
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_upstream(work: Path) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        PYTHON,
        str(BENCH / "upstream.py"),
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=open(work / "upstream.stderr", "wb"),  # noqa: SIM115
        start_new_session=True,
    )
    _children.add(proc.pid)
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    if not line.startswith(b"PORT "):
        raise RuntimeError("loopback upstream did not start")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def model_facing(tools: list[dict[str, Any]]) -> int:
    """Bytes a model reads of the tools: name, description and inputSchema of each,
    as {"tools": [...]} JSON (how issue 17 measured the peers)."""
    keep = ("name", "description", "inputSchema")
    return len(compact({"tools": [{k: t[k] for k in keep if k in t} for t in tools]}))


# Peers measured on the same 41 Artie v1.0.76 tools with model_facing (issue 17);
# fastmcp's from_openapi is also measured live below.
RECORDED_PEERS = {
    "Artie's official server shaping": {"model_facing": 22_807, "tools_list": None},
    "openapi-mcp-generator": {"model_facing": 28_449, "tools_list": None},
    "fastmcp from_openapi (recorded)": {"model_facing": 25_553, "tools_list": 72_223},
}
LEAN_TARGETS = {"model_facing": 25_000, "tools_list": 72_000}


def bench_real_specs(cfg: Config, work: Path) -> dict[str, Any]:
    """Cold generation (default flags, no cache) of the real public specs in
    ../shared: time, CPU, package size, and what the server lists by default."""
    specs = sorted((REPO.parent / "shared" / "specs" / "public").glob("*"))
    specs = [p for p in specs if p.suffix in (".json", ".yaml", ".yml")]
    if cfg.mode == "smoke":
        specs = [p for p in specs if "adyen" in p.name][:1]
    out: dict[str, Any] = {}
    for spec in specs:
        log(f"  {spec.name}")
        target = work / f"real_{spec.stem}"
        argv = ["generate", "--spec", str(spec), "--out", str(target), "--package", "real_mcp", "-q"]
        result = run_generator(argv, {"ARTIE_MCP_GEN_NO_CACHE": "1"}, work)
        rec = json.loads((work / "timings.json").read_text())
        out[spec.name] = {
            "rc": result["rc"],
            "operations": result["tools"] + result["excluded"],
            "wall_s": result["wall_s"],
            "cpu_s": result["cpu_s"],
            "package_bytes": result["bytes"],
            "files": result["files"],
            "tools": result["tools"],
            "tools_list_bytes": rec.get("tools_list_bytes"),
            "model_facing_bytes": rec.get("model_facing_bytes"),
            "default_mode": rec.get("default_mode"),
            "peak_rss_mib": result["peak_rss_mib"],
        }
        shutil.rmtree(target, ignore_errors=True)
    return out


async def stdio_session(kind: ServerKind, cfg: Config, upstream: str, work: Path) -> dict[str, Any]:
    import httpx

    peer = StdioPeer(kind.stdio, kind.env, str(work / f"{kind.key}.stderr"))
    started = time.perf_counter()
    await peer.spawn()
    _children.add(peer.pid)
    try:
        await peer.initialize()
        first = await peer.request("tools/list")
        start_s = time.perf_counter() - started
        rss_start = rss_kib(peer.pid) / 1024
        tools = first["tools"]

        for _ in range(cfg.list_warmup):
            await peer.request("tools/list")
        lists = []
        for _ in range(cfg.list_calls):
            t0 = time.perf_counter()
            await peer.request("tools/list")
            lists.append(time.perf_counter() - t0)

        call = {"name": CALL_TOOL, "arguments": {}}
        calls: list[float] = []
        direct: list[float] = []
        errors = 0
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {API_KEY}"}) as client:
            url = upstream + CALL_PATH
            for _ in range(cfg.call_warmup):
                (await client.get(url)).json()
                result = await peer.request("tools/call", call)
            last = result
            done = 0
            while done < cfg.calls:
                batch = min(cfg.call_batch, cfg.calls - done)
                for _ in range(batch):  # the floor: the same request straight from httpx
                    t0 = time.perf_counter()
                    (await client.get(url)).json()
                    direct.append(time.perf_counter() - t0)
                for _ in range(batch):
                    t0 = time.perf_counter()
                    last = await peer.request("tools/call", call)
                    calls.append(time.perf_counter() - t0)
                    errors += bool(last.get("isError"))
                done += batch
        rss_calls = rss_kib(peer.pid) / 1024
        rss_peak = rss_kib(peer.pid, "VmHWM") / 1024
    finally:
        pid = peer.pid
        await peer.close()
        _children.discard(pid)
    ms = 1000.0
    return {
        "start_to_first_list_s": start_s,
        "rss_after_start_mib": rss_start,
        "rss_after_calls_mib": rss_calls,
        "rss_peak_mib": rss_peak,
        "list_p50_ms": percentile(lists, 0.5) * ms,
        "list_p99_ms": percentile(lists, 0.99) * ms,
        "call_p50_ms": percentile(calls, 0.5) * ms,
        "call_p99_ms": percentile(calls, 0.99) * ms,
        "direct_p50_ms": percentile(direct, 0.5) * ms,
        "direct_p99_ms": percentile(direct, 0.99) * ms,
        "overhead_p50_ms": (percentile(calls, 0.5) - percentile(direct, 0.5)) * ms,
        "overhead_p99_ms": (percentile(calls, 0.99) - percentile(direct, 0.99)) * ms,
        "call_errors": errors,
        "call_result": last,
        "tools": tools,
    }


async def http_session(kind: ServerKind, cfg: Config, work: Path) -> dict[str, Any]:
    import httpx

    port = free_port()
    with open(work / f"{kind.key}.http.stderr", "ab") as err:
        proc = await asyncio.create_subprocess_exec(
            *kind.http(port),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
            env=kind.env,
            start_new_session=True,
        )
    _children.add(proc.pid)
    peer = HttpPeer(f"http://127.0.0.1:{port}/mcp")
    started = time.perf_counter()
    try:
        while True:
            if proc.returncode is not None:
                raise RuntimeError(
                    f"{kind.label} HTTP server exited; see {work}/{kind.key}.http.stderr"
                )
            try:
                await peer.initialize()
                break
            except (httpx.TransportError, McpError):
                if time.perf_counter() - started > 60:
                    raise
                await asyncio.sleep(0.05)
        ready_s = time.perf_counter() - started
        await peer.request("tools/list")
        for _ in range(cfg.list_warmup):
            await peer.request("tools/list")
        lists = []
        for _ in range(cfg.list_calls):
            t0 = time.perf_counter()
            await peer.request("tools/list")
            lists.append(time.perf_counter() - t0)
        rss = rss_kib(proc.pid) / 1024
    finally:
        await peer.close()
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                kill_group(proc.pid)
                await proc.wait()
        kill_group(proc.pid)  # anything it left behind
        _children.discard(proc.pid)
    return {
        "ready_s": ready_s,
        "list_p50_ms": percentile(lists, 0.5) * 1000,
        "list_p99_ms": percentile(lists, 0.99) * 1000,
        "rss_after_lists_mib": rss,
    }


STDIO_FIGURES = (
    "start_to_first_list_s",
    "rss_after_start_mib",
    "rss_after_calls_mib",
    "rss_peak_mib",
    "list_p50_ms",
    "list_p99_ms",
    "call_p50_ms",
    "call_p99_ms",
    "direct_p50_ms",
    "direct_p99_ms",
    "overhead_p50_ms",
    "overhead_p99_ms",
)
HTTP_FIGURES = ("ready_s", "list_p50_ms", "list_p99_ms", "rss_after_lists_mib")


def ensure_bench_venv() -> tuple[Path | None, str | None]:
    """.venv-bench with fastmcp 4.1.2 (never a project dependency); made if missing."""
    check = "import fastmcp, sys; sys.exit(fastmcp.__version__ != '4.1.2')"
    if (
        BENCH_PY.exists()
        and subprocess.run([str(BENCH_PY), "-c", check], capture_output=True).returncode == 0
    ):
        return BENCH_PY, None
    log(f"  creating {BENCH_VENV.name} with {', '.join(BENCH_VENV_PACKAGES)} (once)")
    try:
        if not BENCH_PY.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(BENCH_VENV)], check=True, capture_output=True
            )
        subprocess.run(
            [
                str(BENCH_PY),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                *BENCH_VENV_PACKAGES,
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return (
            None,
            f"could not set up {BENCH_VENV.name}: {exc} {detail[-500:].decode(errors='replace')}",
        )
    if subprocess.run([str(BENCH_PY), "-c", check], capture_output=True).returncode != 0:
        return None, f"{BENCH_VENV.name} has no fastmcp 4.1.2"
    return BENCH_PY, None


async def bench_servers(cfg: Config, work: Path) -> dict[str, Any]:
    if not OURS_CMD.exists():
        raise SystemExit(f"{OURS_CMD} is missing: run `make install`")
    upstream_proc, upstream = await start_upstream(work)
    try:
        env = server_env(upstream)
        minimal = [
            PYTHON,
            str(BENCH / "servers" / "minimal_server.py"),
            "--package-dir",
            str(PACKAGE_DIR),
        ]
        kinds = [
            ServerKind(
                "ours",
                "artie-mcp",
                [str(OURS_CMD)],
                lambda port: [str(OURS_CMD), "--transport", "streamable-http", "--port", str(port)],
                env,
            ),
            ServerKind(
                "minimal",
                "minimal SDK server",
                minimal,
                lambda port: [*minimal, "--http", str(port)],
                env,
            ),
        ]
        skipped: dict[str, str] = {}
        if cfg.fastmcp:
            py, reason = ensure_bench_venv()
            if py is None:
                skipped["fastmcp"] = reason or "unavailable"
                log(f"  fastmcp skipped: {reason}")
            else:
                fast = [str(py), str(BENCH / "servers" / "fastmcp_server.py"), str(SPEC)]
                kinds.append(
                    ServerKind(
                        "fastmcp",
                        "FastMCP.from_openapi",
                        fast,
                        lambda port: [*fast, "--http", str(port)],
                        env,
                    )
                )
        else:
            skipped["fastmcp"] = "not measured in smoke mode"

        stdio: dict[str, list[dict[str, Any]]] = {k.key: [] for k in kinds}
        http: dict[str, list[dict[str, Any]]] = {k.key: [] for k in kinds}
        for run in range(cfg.stdio_runs):  # interleaved, order rotated each run
            order = kinds[run % len(kinds) :] + kinds[: run % len(kinds)]
            for kind in order:
                log(f"  stdio {kind.label}, run {run + 1}/{cfg.stdio_runs}")
                stdio[kind.key].append(await stdio_session(kind, cfg, upstream, work))
        for run in range(cfg.http_runs):
            order = kinds[run % len(kinds) :] + kinds[: run % len(kinds)]
            for kind in order:
                log(f"  streamable HTTP {kind.label}, run {run + 1}/{cfg.http_runs}")
                http[kind.key].append(await http_session(kind, cfg, work))
    finally:
        upstream_proc.kill()
        await upstream_proc.wait()
        kill_group(upstream_proc.pid)
        _children.discard(upstream_proc.pid)

    ours_tools = stdio["ours"][0]["tools"]
    ours_names = {t["name"] for t in ours_tools}
    servers: dict[str, Any] = {}
    for kind in kinds:
        runs = stdio[kind.key]
        tools = runs[0]["tools"]
        same_names = [t for t in tools if t["name"] in ours_names]
        servers[kind.key] = {
            "label": kind.label,
            "stdio": {f: stat(r[f] for r in runs) for f in STDIO_FIGURES},
            "http": {f: stat(r[f] for r in http[kind.key]) for f in HTTP_FIGURES},
            "tools": len(tools),
            "tools_list_bytes": len(compact({"tools": tools})),
            "tools_list_tokens": len(compact({"tools": tools})) // 4,
            "tools_list_bytes_same_tools_as_ours": len(compact({"tools": same_names})),
            "model_facing_bytes_same_tools_as_ours": model_facing(same_names),
            "calls_per_run": cfg.calls,
            "list_calls_per_run": cfg.list_calls,
            "call_errors": sum(r["call_errors"] for r in runs),
            "call_result": runs[-1]["call_result"],
            "same_tools_as_ours": json.dumps(tools, sort_keys=True)
            == json.dumps(ours_tools, sort_keys=True),
        }
    for key, reason in skipped.items():
        servers[key] = {"skipped": reason}
    return servers


# -- ratios, targets, tables ----------------------------------------------------------


def ratios(servers: dict[str, Any]) -> dict[str, float]:
    ours, mini, fast = servers["ours"], servers["minimal"], servers.get("fastmcp", {})
    out: dict[str, float] = {}

    def r(a: float, b: float) -> float:
        return a / b if b else float("nan")

    for name, section, fig in (
        ("start", "stdio", "start_to_first_list_s"),
        ("list_p50_stdio", "stdio", "list_p50_ms"),
        ("list_p50_http", "http", "list_p50_ms"),
        ("call_p50", "stdio", "call_p50_ms"),
        ("rss_after_start", "stdio", "rss_after_start_mib"),
        ("rss_after_calls", "stdio", "rss_after_calls_mib"),
    ):
        out[f"ours_over_minimal.{name}"] = r(med(ours[section][fig]), med(mini[section][fig]))
        if "stdio" in fast:
            out[f"fastmcp_over_ours.{name}"] = r(med(fast[section][fig]), med(ours[section][fig]))
    if "stdio" in fast:
        out["fastmcp_over_ours.tools_list_bytes"] = r(
            fast["tools_list_bytes"], ours["tools_list_bytes"]
        )
    return out


def targets(
    gen: dict[str, Any],
    scaling: dict[str, Any],
    servers: dict[str, Any],
    rat: dict[str, float],
    real: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    ours, fast = servers["ours"], servers.get("fastmcp", {})
    out: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: str, met: bool | None, unit: str) -> None:
        out.append({"target": name, "value": value, "unit": unit, "limit": limit, "met": met})

    cold = med(gen["cold_generate"]["wall_s"])
    add("cold generation < 3 s", cold, "< 3", cold < 3, "s")
    check = med(gen["check"]["wall_s"])
    add("no-change check < 1 s", check, "< 1", check < 1, "s")
    big = scaling["sizes"].get("2000")
    if big:
        t = med(big["wall_s"])
        add("2,000 operations < 60 s", t, "< 60", t < 60, "s")
    else:
        add("2,000 operations < 60 s", None, "< 60", None, "s")
    start = rat["ours_over_minimal.start"]
    add("start → first tools/list ≤ 1.2× minimal", start, "≤ 1.2", start <= 1.2, "×")
    if "stdio" in fast:
        for transport in ("stdio", "http"):
            x = rat[f"fastmcp_over_ours.list_p50_{transport}"]
            add(
                f"tools/list ≥ 10× faster than from_openapi ({transport}, p50)",
                x,
                "≥ 10",
                x >= 10,
                "×",
            )
        for fig, label in (
            ("rss_after_start_mib", "after start"),
            ("rss_after_calls_mib", "after calls"),
        ):
            x = med(ours["stdio"][fig]) / med(fast["stdio"][fig])
            add(f"memory ≤ from_openapi ({label})", x, "≤ 1", x <= 1, "× of from_openapi")
    else:
        add("tools/list ≥ 10× faster than from_openapi", None, "≥ 10", None, "×")
        add("memory ≤ from_openapi", None, "≤ 1", None, "×")
    over = med(ours["stdio"]["overhead_p50_ms"])
    add("per-call overhead < 1 ms p50 over direct httpx", over, "< 1", over < 1, "ms")
    facing = float(ours["model_facing_bytes_same_tools_as_ours"])
    limit = LEAN_TARGETS["model_facing"]
    add(f"model-facing bytes ≤ {limit:,} (Artie)", facing, f"≤ {limit}", facing <= limit, "B")
    listed = float(ours["tools_list_bytes"])
    limit = LEAN_TARGETS["tools_list"]
    add(f"tools/list bytes ≤ {limit:,} (Artie)", listed, f"≤ {limit}", listed <= limit, "B")
    if real:
        name, largest = max(real.items(), key=lambda kv: kv[1]["operations"])
        cpu = float(largest["cpu_s"])
        add(f"largest real spec ({name}) < 20 s CPU", cpu, "< 20", cpu < 20, "s")
    return out


def cell(d: dict[str, Any] | None, digits: int = 2) -> str:
    if not d or not d.get("n"):
        return "–"
    fmt = f"{{:.{digits}f}}"
    if d["n"] == 1:
        return fmt.format(d["median"])
    return f"{fmt.format(d['median'])} [{fmt.format(d['min'])}–{fmt.format(d['max'])}]"


def num(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


PHASE_LABELS = {
    "startup": "interpreter start-up",
    "imports": "CLI imports",
    "load": "load",
    "parse": "parse",
    "validate": "validate",
    "ir": "ir",
    "lint": "lint",
    "render": "render (models, templates, ruff format)",
    "write_or_compare": "write / compare",
    "exit": "exit",
}


def render_report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    gen = results["generator"]
    scaling = results["scaling"]
    servers = results["servers"]
    m = meta["machine"]
    parts = [
        f"artie-mcp-gen benchmark ({meta['mode']}): {m['nproc']} CPUs ({m['cpu_model']}), "
        f"Python {m['python']}, {meta['duration_s']:.0f} s; median [min–max] over n runs",
        "",
        f"Measured: commit {m['git']['commit']}"
        + (f" with local changes in {', '.join(m['git']['dirty'])}" if m["git"]["dirty"] else "")
        + f". Other processes used {m['other_cpu_share'] * 100:.0f}% of the machine's CPU time meanwhile"
        + (" (busy machine: figures are noisy)." if m["other_cpu_share"] > 0.1 else "."),
        "",
        f"### Generator on the pinned spec ({gen['spec_version']}: {gen['operations']} operations, "
        f"{gen['tools']} tools; flags `{' '.join(gen['flags'])}`)",
        "",
    ]
    cold, check = gen["cold_generate"], gen["check"]
    rows = [
        [
            "seconds",
            f"cold generate (n={cold['wall_s']['n']})",
            f"no-change check (n={check['wall_s']['n']})",
        ]
    ]
    rows.append(
        ["**wall, fresh process**", f"**{cell(cold['wall_s'])}**", f"**{cell(check['wall_s'])}**"]
    )
    for phase in cold["phases_s"]:  # whatever stages this generator reports, in its order
        label = PHASE_LABELS.get(phase, phase)
        rows.append(
            [label, cell(cold["phases_s"][phase], 3), cell(check["phases_s"].get(phase), 3)]
        )
    rows.append(["CPU (user+sys, incl. pool)", cell(cold["cpu_s"]), cell(check["cpu_s"])])
    rows.append(
        [
            "peak RSS MiB, largest process",
            cell(cold["peak_rss_mib"], 0),
            cell(check["peak_rss_mib"], 0),
        ]
    )
    rows.append(
        [
            "peak RSS MiB, process tree",
            cell(cold["peak_tree_rss_mib"], 0),
            cell(check["peak_tree_rss_mib"], 0),
        ]
    )
    parts += [table(rows), ""]
    if not gen["generated_up_to_date"]:
        parts += [
            "(note: `check --out generated` reported differences: this working tree would not "
            "generate the committed generated/; the timed checks compare against a fresh output)",
            "",
        ]

    parts += ["### Scaling: synthetic OpenAPI 3.1 specs, cold generate (no generator cache)", ""]
    rows = [
        [
            "operations",
            "wall s",
            "ms / operation",
            "validate s",
            "render s",
            "peak RSS MiB (largest)",
            "peak RSS MiB (tree)",
            "files",
            "output KiB",
        ]
    ]
    for n, s in scaling["sizes"].items():
        rows.append(
            [
                n,
                cell(s["wall_s"]),
                cell(s["ms_per_operation"], 1),
                cell(s["phases_s"].get("validate")),
                cell(s["phases_s"].get("render")),
                cell(s["peak_rss_mib"], 0),
                cell(s["peak_tree_rss_mib"], 0),
                str(s["files"]),
                f"{s['bytes'] / 1024:.0f}",
            ]
        )
    g = scaling["growth"]
    parts += [
        table(rows),
        "",
        f"Growth {g['from_ops']} → {g['to_ops']} operations ({g['ops_ratio']:.0f}×): time {g['time_ratio']:.1f}× "
        f"(exponent {g['time_exponent']:.2f}; render {g['render_ratio']:.1f}×, validate {g['validate_ratio']:.1f}×), "
        f"linear fit {g['fixed_s']:.1f} s + {g['ms_per_operation']:.1f} ms/operation; "
        f"memory (tree) {g['memory_ratio']:.1f}×, {g['memory_mib_per_1000_ops']:.0f} MiB per 1,000 operations.",
        "",
    ]
    if scaling.get("skipped_for_budget"):
        parts += [
            f"Dropped to stay within the time budget: {', '.join(scaling['skipped_for_budget'])}.",
            "",
        ]

    kinds = [k for k in ("ours", "minimal", "fastmcp") if "stdio" in servers.get(k, {})]
    rat = results["ratios"]
    head = ["", *[servers[k]["label"] for k in kinds], "ours / minimal"]
    if "fastmcp" in kinds:
        head.append("from_openapi / ours")
    ours = servers["ours"]
    calls = ours["calls_per_run"]
    parts += [
        f"### Servers: {ours['stdio']['start_to_first_list_s']['n']} stdio + {ours['http']['list_p50_ms']['n']} HTTP sessions each; "
        f"{ours['list_calls_per_run']} tools/list and {calls} tools/call `{CALL_TOOL}` per session against a loopback upstream",
        "",
    ]
    rows = [head]

    def line(
        label: str, section: str, fig: str, digits: int = 2, ratio_key: str | None = None
    ) -> None:
        row = [label, *[cell(servers[k][section][fig], digits) for k in kinds]]
        if ratio_key:
            row.append(num(rat.get(f"ours_over_minimal.{ratio_key}")))
            if "fastmcp" in kinds:
                row.append(num(rat.get(f"fastmcp_over_ours.{ratio_key}")))
        else:
            row += ["", ""][: len(head) - len(row)]
        rows.append(row)

    line("start → first tools/list, s (stdio)", "stdio", "start_to_first_list_s", 3, "start")
    line("tools/list p50 ms (stdio)", "stdio", "list_p50_ms", 2, "list_p50_stdio")
    line("tools/list p99 ms (stdio)", "stdio", "list_p99_ms")
    line("tools/list p50 ms (streamable HTTP)", "http", "list_p50_ms", 2, "list_p50_http")
    line("tools/list p99 ms (streamable HTTP)", "http", "list_p99_ms")
    line("tools/call p50 ms (stdio)", "stdio", "call_p50_ms", 2, "call_p50")
    line("tools/call p99 ms (stdio)", "stdio", "call_p99_ms")
    line("direct httpx GET p50 ms (same upstream)", "stdio", "direct_p50_ms")
    line("direct httpx GET p99 ms", "stdio", "direct_p99_ms")
    line("per-call overhead p50 ms (call − direct)", "stdio", "overhead_p50_ms")
    line("per-call overhead p99 ms", "stdio", "overhead_p99_ms")
    line("RSS MiB after start", "stdio", "rss_after_start_mib", 1, "rss_after_start")
    line(f"RSS MiB after {calls} calls", "stdio", "rss_after_calls_mib", 1, "rss_after_calls")
    rows.append(["tools", *[str(servers[k]["tools"]) for k in kinds], "", ""][: len(head)])
    size_row = ["tools/list bytes (~tokens)"]
    for k in kinds:
        size_row.append(
            f"{servers[k]['tools_list_bytes']:,} (~{servers[k]['tools_list_tokens']:,})"
        )
    size_row.append("")
    if "fastmcp" in kinds:
        size_row.append(num(rat.get("fastmcp_over_ours.tools_list_bytes")))
    rows.append(size_row)
    if "fastmcp" in kinds:
        f = servers["fastmcp"]
        rows.append(
            [
                f"tools/list bytes, the {ours['tools']} tools ours exposes",
                f"{ours['tools_list_bytes']:,}",
                "",
                f"{f['tools_list_bytes_same_tools_as_ours']:,}",
                "",
                num(f["tools_list_bytes_same_tools_as_ours"] / ours["tools_list_bytes"]),
            ][: len(head)]
        )
    parts += [table(rows), ""]
    notes = []
    mini = servers["minimal"]
    notes.append(
        f"minimal server's tools/list identical to artie-mcp's: {mini['same_tools_as_ours']}"
    )
    for k in kinds:
        if servers[k]["call_errors"]:
            notes.append(
                f"{servers[k]['label']}: {servers[k]['call_errors']} tools/call results had isError"
            )
    for k, v in servers.items():
        if "skipped" in v:
            notes.append(f"{k}: skipped ({v['skipped']})")
    parts += ["; ".join(notes), ""]

    ours_listed = servers["ours"]
    parts += [
        f"### Lean tool list: the {ours_listed['tools']} tools artie-mcp serves for "
        f"{gen['spec_version']}, bytes of {{\"tools\": [...]}} JSON",
        "",
    ]
    rows = [["", "model-facing (name, description, inputSchema)", "whole tools/list"]]
    rows.append(
        [
            "**artie-mcp**",
            f"**{ours_listed['model_facing_bytes_same_tools_as_ours']:,}**",
            f"**{ours_listed['tools_list_bytes']:,}**",
        ]
    )
    if "stdio" in servers.get("fastmcp", {}):
        f = servers["fastmcp"]
        rows.append(
            [
                "fastmcp from_openapi (measured here)",
                f"{f['model_facing_bytes_same_tools_as_ours']:,}",
                f"{f['tools_list_bytes_same_tools_as_ours']:,}",
            ]
        )
    for peer, figures in RECORDED_PEERS.items():
        listed = figures["tools_list"]
        rows.append(
            [f"{peer} (issue 17)", f"{figures['model_facing']:,}", f"{listed:,}" if listed else "–"]
        )
    rows.append(
        ["target", f"≤ {LEAN_TARGETS['model_facing']:,}", f"≤ {LEAN_TARGETS['tools_list']:,}"]
    )
    parts += [table(rows), ""]

    real = results.get("real_specs") or {}
    if real:
        parts += ["### Real specs: cold generate, default flags (no cache)", ""]
        rows = [
            [
                "spec",
                "operations",
                "wall s",
                "CPU s",
                "package KiB",
                "tools",
                "tools/list bytes",
                "model-facing bytes",
                "default mode",
            ]
        ]
        for name, r in real.items():
            rows.append(
                [
                    name,
                    str(r["operations"]),
                    f"{r['wall_s']:.1f}",
                    f"{r['cpu_s']:.1f}",
                    f"{r['package_bytes'] / 1024:,.0f}",
                    str(r["tools"]),
                    f"{r['tools_list_bytes']:,}" if r["tools_list_bytes"] else "–",
                    f"{r['model_facing_bytes']:,}" if r["model_facing_bytes"] else "–",
                    str(r["default_mode"]),
                ]
            )
        parts += [table(rows), ""]

    parts += ["### Targets (reported, not enforced)", ""]
    rows = [["target", "measured", "met"]]
    for t in results["targets"]:
        value = "–" if t["value"] is None else f"{t['value']:.2f} {t['unit']}"
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        rows.append([t["target"], value, met])
    parts.append(table(rows))
    return "\n".join(parts) + "\n"


def machine() -> dict[str, Any]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "git": git_state(),
        "nproc": (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        ),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "mem_total_mib": mem,
        "loadavg_start": list(os.getloadavg()),
    }


def cpu_busy_s() -> float:
    """CPU seconds all processes on the machine have been busy (from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def git_state() -> dict[str, Any]:
    """The commit measured, and whether generator/, templates/ or generated/ had local changes."""

    def git(*args: str) -> str:
        r = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return r.stdout.rstrip() if r.returncode == 0 else ""

    changed = git(
        "status", "--porcelain", "--", "generator", "templates", "generated", "pyproject.toml"
    )
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": sorted({ln[3:].split("/")[0] for ln in changed.splitlines()}),
    }


def versions(fastmcp: bool) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in (
        "mcp",
        "httpx",
        "ruff",
        "datamodel-code-generator",
        "openapi-spec-validator",
        "uvicorn",
        "artie-mcp",
    ):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "?"
    if fastmcp and BENCH_PY.exists():
        code = "import importlib.metadata as m; print(m.version('fastmcp'), m.version('mcp'), m.version('httpx2'))"
        r = subprocess.run([str(BENCH_PY), "-c", code], capture_output=True, text=True)
        if r.returncode == 0:
            f, mcp, httpx2 = r.stdout.split()
            out.update({"fastmcp": f, "mcp (.venv-bench)": mcp, "httpx2 (.venv-bench)": httpx2})
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="artie-mcp-gen benchmark (issue 7)")
    p.add_argument(
        "--smoke", action="store_true", help="a quick run: few repetitions, small sizes, no fastmcp"
    )
    p.add_argument("--out", type=Path, default=BENCH / "results.json")
    p.add_argument("--markdown", type=Path, help="also write the tables to this file")
    p.add_argument("--no-fastmcp", action="store_true", help="skip the fastmcp peer")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    p.add_argument("--budget-s", type=float, help="time budget in seconds (full: 260, smoke: 50)")
    p.add_argument(
        "--gen-flags",
        help="generator flags for the pinned spec, as one string (default: the Makefile's GEN_FLAGS)",
    )
    args = p.parse_args(argv)
    gen_flags = shlex.split(args.gen_flags) if args.gen_flags is not None else makefile_gen_flags()
    cfg = SMOKE if args.smoke else FULL
    if args.no_fastmcp:
        cfg = Config(**{**asdict(cfg), "fastmcp": False})
    if args.budget_s:
        cfg = Config(**{**asdict(cfg), "budget_s": args.budget_s})
    if cfg.fastmcp:
        ensure_bench_venv()  # once, before the clock starts
    compile_bytecode()
    signal.signal(signal.SIGTERM, _on_signal)
    atexit.register(_cleanup)
    work = Path(tempfile.mkdtemp(prefix="artie-mcp-bench-"))
    busy0, own0 = cpu_busy_s(), own_cpu_s()
    began = time.perf_counter()
    meta: dict[str, Any] = {
        "mode": cfg.mode,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "config": asdict(cfg),
    }
    try:
        section = time.perf_counter()
        log("generator on the pinned spec")
        gen = bench_generator(cfg, work, gen_flags)
        meta["generator_section_s"] = time.perf_counter() - section
        section = time.perf_counter()
        log("servers")
        servers = asyncio.run(bench_servers(cfg, work))
        meta["servers_section_s"] = time.perf_counter() - section
        section = time.perf_counter()
        log(f"load: {cfg.load_sessions} sessions x {cfg.load_calls} calls")
        load = asyncio.run(bench_load(cfg, work))
        meta["load_section_s"] = time.perf_counter() - section
        section = time.perf_counter()
        log("scaling on synthetic specs")
        scaling = bench_scaling(cfg, work, began + cfg.budget_s)
        meta["scaling_section_s"] = time.perf_counter() - section
        section = time.perf_counter()
        log("real specs (../shared/specs/public), cold generate")
        real = bench_real_specs(cfg, work)
        meta["real_specs_section_s"] = time.perf_counter() - section
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        _cleanup()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"work folder kept: {work}")
    meta["duration_s"] = time.perf_counter() - began
    other = max(0.0, (cpu_busy_s() - busy0) - (own_cpu_s() - own0))
    meta["machine"]["other_cpu_s"] = other  # CPU time used by processes this run did not start
    meta["machine"]["other_cpu_share"] = other / (meta["duration_s"] * meta["machine"]["nproc"])
    meta["machine"]["loadavg_end"] = list(os.getloadavg())
    meta["versions"] = versions(cfg.fastmcp)
    rat = ratios(servers)
    results = {
        "meta": meta,
        "generator": gen,
        "scaling": scaling,
        "real_specs": real,
        "servers": servers,
        "load": load,
        "ratios": rat,
        "targets": targets(gen, scaling, servers, rat, real),
    }
    for s in servers.values():
        if "call_result" in s:
            s["call_result"] = compact(s["call_result"]).decode()[:300]
    report = render_report(results) + "\n" + load_bench.render(load)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_finite(results), indent=2, allow_nan=False) + "\n")
    if args.markdown:
        args.markdown.write_text(report)
    print(report)
    log(f"wrote {args.out} ({meta['duration_s']:.0f} s)")
    return 0


async def bench_load(cfg: Config, work: Path) -> dict[str, Any]:
    proc, upstream = await start_upstream(work)
    try:
        return await load_bench.bench_load(cfg.load_sessions, cfg.load_calls, upstream, work)
    finally:
        kill_group(proc.pid)
        _children.discard(proc.pid)
        await proc.wait()  # reaped in this event loop, not after it closed


def _finite(value: Any) -> Any:
    """NaN and infinities (a ratio with nothing to divide by) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    raise SystemExit(main())
