"""Pinned npm test tools (tests/tools/package.json + package-lock.json) for the Python tests.

* Prism (``@stoplight/prism-cli``) serves a mock of an OpenAPI document on loopback:
  it validates each request against the spec (auth, params, body) and answers with a
  response built from the spec's examples/schemas.
* MCP Inspector's CLI (``@modelcontextprotocol/inspector-cli``) in ``--cli`` mode is a real MCP
  client written against the TypeScript SDK; it speaks stdio (or HTTP/SSE) to a server
  and prints the JSON result of one method call.
* The MCP Bundle CLI (``@anthropic-ai/mcpb``): ``mcpb validate|pack|info|unpack``, and
  ``getMcpConfigForManifest``, the code Claude Desktop runs to turn a bundle's manifest and
  the user's settings into the command that starts the server.

The tools are installed with ``npm ci`` from the lock file on first use (``make npm``
does the same), so a fresh clone needs nothing but node and npm on PATH; a parallel run
(``make test``) starts the install as it starts (``install_in_background``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOOLS_DIR = Path(__file__).resolve().parents[1] / "tools"
BIN_DIR = TOOLS_DIR / "node_modules" / ".bin"
PRISM_BIN = BIN_DIR / "prism"
# @modelcontextprotocol/inspector-cli 0.15.0 (the CLI part of the Inspector, without its web UI)
# declares the bin "mcp-inspector-cli" (build/cli.js), the launcher the Inspector's own
# "mcp-inspector" bin is: given --cli, it runs the real CLI (build/index.js) in a child node process.
INSPECTOR_BIN = BIN_DIR / "mcp-inspector-cli"
MCPB_BIN = BIN_DIR / "mcpb"

NPM_CI = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
NPM_CI_TIMEOUT = 900.0

# Prism 5.14 logs "[CLI] ▶  start     Prism is listening on http://127.0.0.1:PORT" when ready.
PRISM_READY_MARKER = "Prism is listening"
PRISM_START_DEADLINE = 60.0

# Keep node's output free of ANSI colour codes, so logs are plain text.
_NODE_ENV = {"NO_COLOR": "1", "FORCE_COLOR": "0"}


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """Serialise `npm ci` between processes (e.g. two pytest runs at once)."""
    key = hashlib.sha256(str(TOOLS_DIR).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"artie-mcp-npm-tools-{key}.lock"
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


OIDC_PROVIDER = TOOLS_DIR / "node_modules" / "oidc-provider" / "package.json"
# The Inspector's proxy: what its web UI connects through (it passes Authorization on).
INSPECTOR_PROXY = (
    TOOLS_DIR / "node_modules" / "@modelcontextprotocol" / "inspector-server" / "build" / "index.js"
)


def _installed() -> bool:
    return (
        PRISM_BIN.exists()
        and INSPECTOR_BIN.exists()
        and MCPB_BIN.exists()
        and OIDC_PROVIDER.exists()
    )


def ensure_installed() -> None:
    """Run ``npm ci`` in TOOLS_DIR unless the tools are already installed."""
    if _installed():
        return
    with _install_lock():
        if _installed():  # another process installed them while we waited
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "npm is not on PATH: the tests need node and npm to install the pinned tools "
                f"in {TOOLS_DIR} (npm ci)"
            )
        cmd = [npm, *NPM_CI[1:]]
        try:
            proc = subprocess.run(
                cmd,
                cwd=TOOLS_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_CI_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(
                f"`{' '.join(NPM_CI)}` in {TOOLS_DIR} timed out after {NPM_CI_TIMEOUT:.0f}s"
            ) from exc
        if proc.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(NPM_CI)}` in {TOOLS_DIR} failed with exit code {proc.returncode}:\n"
                f"{_tail(proc.stdout + proc.stderr)}"
            )
        if not _installed():
            raise RuntimeError(
                f"`{' '.join(NPM_CI)}` in {TOOLS_DIR} succeeded but {PRISM_BIN.name}, "
                f"{INSPECTOR_BIN.name} or {MCPB_BIN.name} is missing from {BIN_DIR}"
            )


def install_in_background() -> threading.Thread:
    """``ensure_installed`` in a started thread, so that ``npm ci`` (20-35 s on a fresh
    clone) runs beside the first tests instead of before them; a test that needs the tools
    first waits on the install lock. Join the thread before exiting: an install cut off
    half-way would leave node_modules broken. A failure is not raised here: the next
    ``ensure_installed`` runs ``npm ci`` again and says what went wrong, in the test
    that needed the tools."""

    def install() -> None:
        with contextlib.suppress(RuntimeError):
            ensure_installed()

    thread = threading.Thread(target=install, name="npm-ci", daemon=True)
    thread.start()
    return thread


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_group(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float = 10.0) -> None:
    """SIGTERM the process group of ``proc`` (started with start_new_session), then SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # Kill whatever is left in the group, even if the leader already exited.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


@dataclass
class PrismServer:
    """A running Prism mock server."""

    url: str  # http://127.0.0.1:PORT, no trailing slash
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        """Prism's combined stdout/stderr so far (one line per event, no colours)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log(), lines)


@contextlib.contextmanager
def prism(
    spec_path: str | Path, *, port: int | None = None, errors: bool = False
) -> Iterator[PrismServer]:
    """Run ``prism mock`` on ``spec_path`` at 127.0.0.1 and yield a PrismServer.

    ``port`` defaults to a free port. ``errors=True`` adds ``--errors``. Note that Prism
    validates *requests* either way (an invalid request gets 422 problem+json, or the
    operation's own 400 with an ``sl-violations`` header when it declares one; a missing
    or wrong credential gets 401); ``--errors`` additionally turns *response* violations
    (the mock's answer not matching its own schema) into 500 problem+json responses.

    The process and its children are always stopped on exit.
    """
    ensure_installed()
    spec = str(spec_path)
    if not spec.startswith(("http://", "https://")):
        spec_file = Path(spec).resolve()
        if not spec_file.is_file():
            raise FileNotFoundError(f"spec for Prism not found: {spec_file}")
        spec = str(spec_file)

    attempts = 1 if port is not None else 3  # a picked free port can be taken before Prism binds it
    for attempt in range(1, attempts + 1):
        use_port = port if port is not None else free_port()
        cmd = [str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p", str(use_port)]
        if errors:
            cmd.append("--errors")
        cmd.append(spec)
        log_fd, log_name = tempfile.mkstemp(prefix="prism-", suffix=".log")
        log_path = Path(log_name)
        try:
            with os.fdopen(log_fd, "wb") as log_file:
                proc = subprocess.Popen(
                    cmd,
                    cwd=TOOLS_DIR,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **_NODE_ENV},
                    start_new_session=True,
                )
            server = PrismServer(
                url=f"http://127.0.0.1:{use_port}", port=use_port, log_path=log_path, process=proc
            )
            try:
                failure = _wait_until_ready(server)
                if failure is not None:
                    if "EADDRINUSE" in server.log() and attempt < attempts:
                        continue  # finally: stops this one; try another port
                    raise RuntimeError(
                        f"Prism did not start ({failure}): {' '.join(cmd)}\n{server.log_tail()}"
                    )
                yield server
                return
            finally:
                _stop_group(proc)
        finally:
            with contextlib.suppress(OSError):
                log_path.unlink()


def _wait_until_ready(server: PrismServer) -> str | None:
    """None once Prism serves requests; otherwise why it did not."""
    deadline = time.monotonic() + PRISM_START_DEADLINE
    while time.monotonic() < deadline:
        rc = server.process.poll()
        if rc is not None:
            return f"exited with code {rc}"
        if PRISM_READY_MARKER in server.log() and _accepts_connections(server.port):
            return None
        time.sleep(0.2)
    return f"not listening after {PRISM_START_DEADLINE:.0f}s"


def inspector_cli(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``mcp-inspector-cli --cli *args`` and return the completed process (text, captured).

    Typical ``args``: ``["-e", "KEY=VALUE", "<server command>", "<server args>...",
    "--method", "tools/call", "--tool-name", "NAME", "--tool-arg", "k=v", "k2=v2"]``.
    On success stdout is the JSON result; on failure the exit code is 1 and stderr has
    the message. On timeout the whole process group (launcher, CLI, MCP server) is
    killed and ``subprocess.TimeoutExpired`` is raised.
    """
    ensure_installed()
    cmd = [str(INSPECTOR_BIN), "--cli", *args]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **_NODE_ENV},
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _stop_group(proc, grace=5.0)
        stdout, stderr = proc.communicate()
        raise subprocess.TimeoutExpired(cmd, timeout, output=stdout, stderr=stderr) from exc
    finally:
        # The launcher can exit while a child lingers; never leave one behind.
        _stop_group(proc, grace=5.0)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def mcpb(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the pinned ``mcpb`` CLI (``validate``, ``pack``, ``info``, ``unpack``, ...)."""
    ensure_installed()
    return subprocess.run(
        [str(MCPB_BIN), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **_NODE_ENV},
    )


_MCP_CONFIG_JS = """
import { readFileSync } from "node:fs";
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";
const options = JSON.parse(readFileSync(0, "utf8"));
const config = await getMcpConfigForManifest(options);
process.stdout.write(JSON.stringify(config ?? null));
"""


def mcp_config_for_manifest(
    manifest: dict[str, Any],
    extension_path: Path,
    user_config: dict[str, Any],
    system_dirs: dict[str, str],
) -> dict[str, Any] | None:
    """What Claude Desktop starts for an installed bundle: ``{command, args, env}`` with
    ``${__dirname}``, ``${HOME}``... and ``${user_config.*}`` substituted, by mcpb's own
    ``getMcpConfigForManifest``; None when a required setting is missing."""
    ensure_installed()
    options = {
        "manifest": manifest,
        "extensionPath": str(extension_path),
        "userConfig": user_config,
        "systemDirs": system_dirs,
        "pathSeparator": os.sep,
    }
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", _MCP_CONFIG_JS],
        cwd=TOOLS_DIR,  # where the bare import resolves
        input=json.dumps(options),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **_NODE_ENV},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"getMcpConfigForManifest failed:\n{_tail(proc.stderr)}")
    result: dict[str, Any] | None = json.loads(proc.stdout)
    return result


@dataclass
class InspectorProxy:
    """A running MCP Inspector proxy server (the half of the Inspector that talks to MCP servers)."""

    base: str  # http://127.0.0.1:PORT
    token: str  # the proxy's session token (X-MCP-Proxy-Auth: Bearer ...)
    process: subprocess.Popen[bytes]

    def url(self, server_url: str) -> str:
        """The proxy endpoint the Inspector's UI connects to for a streamable-HTTP server."""
        from urllib.parse import urlencode

        query = urlencode({"transportType": "streamable-http", "url": server_url})
        return f"{self.base}/mcp?{query}"


@contextlib.contextmanager
def inspector_proxy() -> Iterator[InspectorProxy]:
    """Run the Inspector's proxy (``@modelcontextprotocol/inspector-server``) on loopback, as
    ``mcp-inspector`` does for its web UI.

    Inspector 0.15's CLI has no option for request headers, and sends an HTTP server URL
    that does not end in /mcp to <origin>/mcp; its UI sends the bearer token and the URL as
    given, through this proxy. Connect to ``proxy.url(server_url)`` with the header
    ``X-MCP-Proxy-Auth: Bearer <proxy.token>`` (and ``Authorization`` to pass on)."""
    ensure_installed()
    port = free_port()
    token = hashlib.sha256(os.urandom(16)).hexdigest()
    env = {
        **os.environ,
        **_NODE_ENV,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "MCP_PROXY_TOKEN": token,
    }
    proc = subprocess.Popen(
        ["node", str(INSPECTOR_PROXY)],
        cwd=TOOLS_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _accepts_connections(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Inspector proxy did not start (exit {proc.poll()})")
            time.sleep(0.1)
        yield InspectorProxy(f"http://127.0.0.1:{port}", token, proc)
    finally:
        _stop_group(proc)
