"""Spec strings made safe for where they land: a terminal, Python source, JSON,
Markdown, or text a model reads.

A spec is untrusted input. Its strings may hold control characters (ESC
sequences that repaint a terminal, NUL, CR that hides what came before it),
line and paragraph separators (U+2028/U+2029, which some tools treat as line
ends and others do not) and bidirectional overrides (text that reads
differently from what it is). None of them reaches a generated file, a
generator message or a tool description raw:

- ``terminal``: generator messages; each such character shown as an escape (``\\x1b``).
- ``text`` / ``line``: text a model or a person reads (descriptions, titles); line
  separators become newlines (``line``: spaces), the rest is dropped.
- ``python_source`` / ``json_text``: value-preserving escapes inside Python and JSON literals.
- ``markdown`` / ``code_span``: inline Markdown, backslash-escaped or fenced.

``find_unsafe`` is the check the renderer runs over every file it writes.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but TAB and LF, DEL, C1 controls (NEL among them), line and paragraph
# separators, bidirectional marks/embeddings/overrides/isolates, BOM, lone surrogates.
_UNSAFE_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
    "\ud800-\udfff"
)
UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_UNSAFE_OR_LF = re.compile(f"[\n{_UNSAFE_CLASS}]")
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# an underscore between two letters or digits never opens emphasis: left as it is
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|~&]|(?<![^\W_])_|_(?![^\W_]))")


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal(text: object) -> str:
    """One line for a terminal: every unsafe character and newline shown escaped."""
    return _UNSAFE_OR_LF.sub(lambda m: _escape(m.group()), str(text))


def text(value: object) -> str:
    """Multi-line text for a reader: CR/CRLF and Unicode line breaks become LF,
    every other unsafe character is dropped."""
    return UNSAFE.sub("", _LINE_BREAKS.sub("\n", str(value)))


def line(value: object, limit: int | None = None) -> str:
    """One line of text: whitespace runs (line breaks included) become one space."""
    out = " ".join(text(value).split())
    if limit is not None and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out


def visible(source: str) -> str:
    """Multi-line text (a diff) for a terminal: lines kept, unsafe characters escaped."""
    return UNSAFE.sub(lambda m: _escape(m.group()), source)


def python_source(source: str) -> str:
    """Unsafe characters in generated Python (inside its string literals and
    comments, the only places they can be) written as escape sequences: the
    value of every non-raw literal is unchanged, and a regular expression in a
    raw literal still means the same character."""
    return UNSAFE.sub(lambda m: _escape(m.group()), source)


def json_text(source: str) -> str:
    """Unsafe characters in JSON text (only possible inside strings) as ``\\uXXXX``:
    the parsed value is unchanged, the file is plain UTF-8 without them."""
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", source)


def markdown(value: object, limit: int | None = None) -> str:
    """Inline Markdown (a table cell, bold text): one line, and every character that
    could open markup (emphasis, code, links, HTML, entities, cells) backslash-escaped.
    Backslashes are kept (as ``\\\\``), so the rendered text is the spec's."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", line(value, limit))


def code_span(value: object, table: bool = False) -> str:
    """``value`` as one Markdown code span, whatever backticks it holds; in a table
    cell its ``|`` are escaped (GFM splits cells before it parses code)."""
    body = line(value)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`") or (body.startswith(" ") and body.endswith(" ")):
        body = f" {body} "
    if table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def find_unsafe(source: str) -> str | None:
    """The first unsafe character in ``source`` with its context, or None."""
    match = UNSAFE.search(source)
    if match is None:
        return None
    start = max(0, match.start() - 30)
    return f"{_escape(match.group())} after {terminal(source[start:match.start()])!r}"


def schema_texts(node: Any) -> Any:
    """A copy of a JSON Schema (or any JSON) whose ``description`` and ``title``
    strings are ``text`` / ``line``: what a model reads of it. Values (enums,
    defaults, patterns) are left as they are."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                out[key] = text(value)
            elif key == "title" and isinstance(value, str):
                out[key] = line(value)
            else:
                out[key] = schema_texts(value)
        return out
    if isinstance(node, list):
        return [schema_texts(v) for v in node]
    return node
