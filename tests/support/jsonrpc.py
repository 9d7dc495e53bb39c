"""Raw MCP messages for tests that speak to a server below the SDK client: over
HTTP with httpx, or line by line over stdio."""

from __future__ import annotations

from typing import Any

PROTOCOL = "2025-06-18"
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def initialize(protocol: str = PROTOCOL, request_id: int = 1) -> dict[str, Any]:
    """An ``initialize`` request from a client that asks for nothing."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": protocol,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }


INIT = initialize()
