"""Start the installed `artie-mcp` as a real process on loopback, and stop it."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import REPO

SCRIPT = Path(sys.executable).parent / "artie-mcp"
if not SCRIPT.exists():
    SCRIPT = REPO / ".venv" / "bin" / "artie-mcp"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    process: subprocess.Popen[str]
    port: int
    stderr_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@contextlib.contextmanager
def artie_mcp(
    args: list[str],
    env: dict[str, str],
    tmp: Path,
    wait_path: str = "/healthz",
    port: int | None = None,
) -> Iterator[Running]:
    port = port or free_port()
    log = tmp / f"server-{port}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIE_")}
    full_env.update(env)
    with open(log, "w") as handle:
        proc = subprocess.Popen(
            [str(SCRIPT), *args, "--port", str(port)],
            env=full_env,
            stdout=handle,
            stderr=handle,
            text=True,
            start_new_session=True,
        )
    running = Running(proc, port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"artie-mcp exited {proc.returncode}: {running.stderr()[-2000:]}"
                )
            try:
                httpx.get(running.base + wait_path, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"artie-mcp did not start: {running.stderr()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def artie_mcps(
    count: int, args: list[str], env: dict[str, str], tmp: Path
) -> Iterator[list[Running]]:
    """Several servers started at once, as replicas are; all stopped on exit."""
    managers = [artie_mcp(args, env, tmp) for _ in range(count)]
    with contextlib.ExitStack() as stack:
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            started = [pool.submit(m.__enter__) for m in managers]
        for manager, future in zip(managers, started, strict=True):
            if future.exception() is None:
                stack.push(manager)
        yield [f.result() for f in started]
