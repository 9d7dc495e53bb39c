"""Load on the generated server (issue 14): many concurrent streamable-HTTP
sessions, each a tools/list and then a series of tools/call, through the `mcp`
SDK client, against the loopback upstream (bench/upstream.py).

Two configurations: stateful (one process; the clients speak the 2025 protocol,
so each holds a session with its event stream) and ``--stateless --workers 2``
(the clients' default protocol). Figures: client errors (the target is 0),
throughput, call latency p50/p99, and the server's RSS (all its processes).

    .venv/bin/python bench/load.py [--sessions 200] [--calls 50]

``make bench`` runs it as one of its sections (bench/run.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
SERVER = VENV_BIN / "artie-mcp"
TOOL = "connector_list"  # GET /connectors; {"items": []} is a spec-valid answer
MODES = {
    "stateful": (["--transport", "streamable-http"], "legacy"),
    "stateless, 2 workers": (
        ["--transport", "streamable-http", "--stateless", "--workers", "2"],
        "auto",
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_rss_kib(pid: int) -> int:
    pids, total = [pid], 0
    for p in pids:
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children", encoding="ascii") as f:
                    pids.extend(int(c) for c in f.read().split())
            with open(f"/proc/{p}/status", encoding="ascii") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total


class Peak(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._stop_event = pid, 0, threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.1):
            self.peak = max(self.peak, tree_rss_kib(self.pid))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def percentile(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[max(0, math.ceil(q * len(s)) - 1)] if s else float("nan")


async def one_mode(
    name: str, sessions: int, calls: int, upstream: str, work: Path
) -> dict[str, Any]:
    import httpx
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    args, client_mode = MODES[name]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIE_")}
    env.update({"ARTIE_API_KEY": "bench-key", "ARTIE_BASE_URL": upstream})
    log = open(work / f"load-{port}.stderr", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(SERVER), *args, "--port", str(port), "--audit-log", os.devnull],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"server did not start; see {log.name}") from None
                await asyncio.sleep(0.1)
        rss_idle = tree_rss_kib(proc.pid)
        peak = Peak(proc.pid)
        peak.start()
        latencies: list[float] = []
        errors: Counter[str] = Counter()

        async def session() -> None:
            try:
                async with httpx2.AsyncClient(timeout=300) as hc:
                    async with Client(
                        streamable_http_client(url, http_client=hc), mode=client_mode
                    ) as c:
                        await c.list_tools()
                        for _ in range(calls):
                            started = time.perf_counter()
                            result = await c.call_tool(TOOL, {})
                            latencies.append(time.perf_counter() - started)
                            if result.is_error:
                                errors[result.content[0].text[:120]] += 1
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                errors[repr(exc)[:160]] += 1

        began = time.perf_counter()
        await asyncio.gather(*(session() for _ in range(sessions)))
        wall = time.perf_counter() - began
        peak.stop()
        rss_after = tree_rss_kib(proc.pid)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    done = len(latencies)
    return {
        "mode": name,
        "client_protocol": "2025-11-25 (sessions)" if client_mode == "legacy" else "2026-07-28",
        "sessions": sessions,
        "calls_per_session": calls,
        "calls": done,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
        "wall_s": wall,
        "calls_per_s": done / wall if wall else float("nan"),
        "call_p50_ms": percentile(latencies, 0.5) * 1000,
        "call_p99_ms": percentile(latencies, 0.99) * 1000,
        "rss_idle_mib": rss_idle / 1024,
        "rss_peak_mib": peak.peak / 1024,
        "rss_after_mib": rss_after / 1024,
    }


async def bench_load(sessions: int, calls: int, upstream: str, work: Path) -> dict[str, Any]:
    return {name: await one_mode(name, sessions, calls, upstream, work) for name in MODES}


def render(load: dict[str, Any]) -> str:
    first = next(iter(load.values()))
    lines = [
        f"### Load: {first['sessions']} concurrent streamable-HTTP sessions × "
        f"{first['calls_per_session']} tools/call `{TOOL}` (after a tools/list), `mcp` SDK client",
        "",
        "| server | client protocol | client errors | calls/s | call p50 ms | call p99 ms "
        "| RSS idle MiB | RSS peak MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in load.values():
        lines.append(
            f"| {r['mode']} | {r['client_protocol']} | {r['errors']} of {r['sessions'] * r['calls_per_session']} "
            f"| {r['calls_per_s']:.0f} | {r['call_p50_ms']:.0f} | {r['call_p99_ms']:.0f} "
            f"| {r['rss_idle_mib']:.0f} | {r['rss_peak_mib']:.0f} |"
        )
    kinds = {k: v for r in load.values() for k, v in r["error_kinds"].items()}
    if kinds:
        lines += ["", "Errors: " + "; ".join(f"{v}× {k}" for k, v in kinds.items())]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=200)
    p.add_argument("--calls", type=int, default=50)
    p.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="artie-mcp-load-"))
    upstream = subprocess.Popen(
        [PYTHON, str(BENCH / "upstream.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert upstream.stdout is not None
        line = upstream.stdout.readline().decode()
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        load = asyncio.run(bench_load(args.sessions, args.calls, url, work))
    finally:
        os.killpg(upstream.pid, signal.SIGKILL)
        upstream.wait()
    if args.out:
        args.out.write_text(json.dumps(load, indent=2) + "\n")
    print(render(load))
    return 0 if all(r["errors"] == 0 for r in load.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
