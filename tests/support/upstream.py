"""A real HTTP server on loopback that stands in for the upstream API.

It records every request exactly as it arrived (method, raw path and query,
headers, body) and answers from a programmable list of rules.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    method: str
    raw_path: str  # path and query exactly as sent
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.raw_path).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.raw_path).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Rule = Callable[[Recorded], Reply | None]


class Upstream:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.rules: list[Rule] = []
        self.default = Reply(200, {})
        self._lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with upstream._lock:
                    upstream.requests.append(rec)
                reply = upstream.reply_for(rec)
                if reply.delay:
                    import time

                    time.sleep(reply.delay)
                if isinstance(reply.body, (dict, list)):
                    data = json.dumps(reply.body).encode()
                    ctype = "application/json"
                elif isinstance(reply.body, str):
                    data, ctype = reply.body.encode(), "text/plain"
                elif isinstance(reply.body, bytes):
                    data, ctype = reply.body, "application/octet-stream"
                else:
                    data, ctype = b"", ""
                self.send_response(reply.status)
                headers = {
                    "content-length": str(len(data)),
                    **({"content-type": ctype} if ctype else {}),
                }
                headers.update(reply.headers)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if data and self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # socketserver's backlog of 5 makes bursts of concurrent calls wait on SYN
            # retries (seconds each); a real API's listener takes far more
            request_queue_size = 1024

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that hang up (timeouts, cancelled calls) are expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def reply_for(self, rec: Recorded) -> Reply:
        for rule in reversed(self.rules):
            reply = rule(rec)
            if reply is not None:
                return reply
        return self.default

    def on(self, method: str, path: str, reply: Reply) -> None:
        self.rules.append(lambda r: reply if r.method == method and r.path == path else None)

    def __enter__(self) -> Upstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
