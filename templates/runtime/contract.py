"""The facts the generator and the runtime share, defined once.

The generator imports this module (``generator/contract.py``) instead of
restating any of it, so the two cannot drift apart. It imports nothing outside
the standard library.
"""

from __future__ import annotations

import re
from typing import Literal

# -- names ------------------------------------------------------------------------

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # Anthropic and OpenAI tool APIs
ARG_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")  # property keys Claude accepts
SERVER_SUFFIX = "-mcp"  # artie-mcp -> the client key "artie"
API_KEY_SUFFIX = "_API_KEY"  # ARTIE_API_KEY -> ARTIE_CLIENT_ID, ARTIE_CLIENT_SECRET


def server_key(dist_or_command: str) -> str:
    """The key clients know the server by: the distribution name without ``-mcp``."""
    return dist_or_command.removesuffix(SERVER_SUFFIX) or dist_or_command


def env_base(api_key_env: str) -> str:
    """``ARTIE_API_KEY`` -> ``ARTIE`` (the prefix of the other credential variables)."""
    return api_key_env.removesuffix(API_KEY_SUFFIX)


# -- descriptions -------------------------------------------------------------------

CLIENT_DESCRIPTION_LIMIT = 2048  # Claude Code silently cuts descriptions and instructions here
MAX_DESCRIPTION = CLIENT_DESCRIPTION_LIMIT - 48  # what we write, with room to spare

# -- annotations --------------------------------------------------------------------

# (attribute of ``operation.Annotations``, MCP name, short label)
HINTS: tuple[tuple[str, str, str], ...] = (
    ("read_only", "readOnlyHint", "read-only"),
    ("destructive", "destructiveHint", "destructive"),
    ("idempotent", "idempotentHint", "idempotent"),
    ("open_world", "openWorldHint", "open-world"),
)

# -- behaviour from x-artie-mcp -----------------------------------------------------

Retry = Literal["safe", "unsafe", "safe-after-state-check"]
RETRY_SEMANTICS: tuple[Retry, ...] = ("safe", "unsafe", "safe-after-state-check")
Location = Literal["path", "query", "header", "cookie"]
LOCATIONS: tuple[Location, ...] = ("path", "query", "header", "cookie")
MethodClass = Literal["read", "write", "custom"]
METHOD_CLASSES: tuple[MethodClass, ...] = ("read", "write", "custom")
Exposure = Literal["exposed", "excluded"]

# -- result shapes ------------------------------------------------------------------

RESULT_KEY = "result"  # structuredContent of a non-object answer: {"result": <answer>}
WINDOW_KEY = "_window"  # what a windowed list returned and where the next window starts
# answers larger than this are parsed, checked against the pinned spec and shaped in a
# worker thread (one big answer must not stall other sessions); smaller ones on the loop,
# where a thread hop would cost more than the work
INLINE_BYTES = 64 * 1024
REDACTED = "[redacted]"
# A success without a body. The runtime builds exactly this shape (and ``body`` when
# upstream sent one anyway), so the schema can assert it.
BODILESS_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {"ok": {"const": True}, "status": {"type": "integer"}},
    "required": ["ok", "status"],
}

# A file argument: what ``http.read_file`` takes (bytes as base64, or a path the
# operator allows), advertised as this schema wherever the spec sends a file.
FILE_SCHEMA: dict[str, object] = {
    "type": "object",
    "description": "A file: its bytes as base64, or a path under a folder the operator allows (--allow-file-dir).",
    "properties": {
        "content_base64": {"type": "string"},
        "path": {"type": "string"},
        "filename": {"type": "string"},
        "content_type": {"type": "string"},
    },
    "minProperties": 1,
    "additionalProperties": False,
}

# -- the generated package ------------------------------------------------------------

TOOLS_DIR = "tools"  # <package>/tools/<tool name>.json, one file per operation
PROMPTS_FILE = "prompts.json"
