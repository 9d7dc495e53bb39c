"""A tiny, fast loopback HTTP/1.1 server standing in for the Artie API.

Every request gets ``200 application/json`` with the same body (by default
``{"items": []}``, a valid answer for ``GET /connectors``, i.e. the
``connector_list`` tool). Keep-alive, no routing, no logging: the point is
that it costs as little as possible, so that what a benchmark measures is
the client in front of it.

    python bench/upstream.py [--port 0] [--body '{"items": []}']

prints ``PORT <n>`` on stdout once it listens on 127.0.0.1, then serves until
killed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys


class _Http(asyncio.Protocol):
    def __init__(self, response: bytes) -> None:
        self.response = response
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                line_end = head.find(b"\r\n", at + 2)
                value = head[at + 17 : line_end if line_end >= 0 else len(head)]
                length = int(value.strip() or b"0")
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            assert self.transport is not None
            self.transport.write(self.response)


def response_bytes(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


async def serve(port: int, body: bytes) -> None:
    loop = asyncio.get_running_loop()
    response = response_bytes(body)
    server = await loop.create_server(lambda: _Http(response), "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--body", default='{"items": []}')
    args = p.parse_args()
    try:
        asyncio.run(serve(args.port, args.body.encode()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
