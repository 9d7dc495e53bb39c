"""Where the model-facing bytes of the generated server's tool list go (issue 17).

Serves the installed package (``generated/``, default settings, full list) in-process and
prints its model-facing bytes (name + description + inputSchema of every tool, as
``bench/run.py`` measures them), then what each further cut would save, one after another
on top of the previous ones. Nothing here changes what the server sends: it answers
"what would it take to reach a byte target, and what would the model lose?".

    .venv/bin/python bench/lean.py
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import model_facing  # noqa: E402

Tool = dict[str, Any]


def served_tools() -> list[Tool]:
    import artie_mcp.app as app

    from tests.support.served import tool_server

    server = tool_server(app, compact=False)
    return list(server.catalog.list_result()["tools"])


def nodes(schema: Any, name: str | None = None) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Every schema object with the property name it sits under (None elsewhere)."""
    if isinstance(schema, dict):
        yield schema, name
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    yield from nodes(sub, prop)
            else:
                yield from nodes(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from nodes(value)


def drop_keyword(keyword: str, value: Any, where: Callable[[str | None], bool] = bool) -> Any:
    def cut(tool: Tool) -> None:
        for node, name in nodes(tool["inputSchema"]):
            if node.get(keyword) == value and (where is bool or where(name)):
                del node[keyword]

    return cut


def window_details(tool: Tool) -> None:
    props = tool["inputSchema"].get("properties", {})
    props.get("result_fields", {}).pop("description", None)
    for name in ("result_offset", "result_limit"):
        props.get(name, {}).pop("minimum", None)


def shorter_warning(tool: Tool) -> None:
    tool["description"] = tool["description"].replace(
        "Destructive: confirm with the user first.", "Destructive: confirm first."
    )


def no_window(tool: Tool) -> None:
    props = tool["inputSchema"].get("properties", {})
    for name in ("result_offset", "result_limit", "result_fields"):
        props.pop(name, None)


def no_scope(tool: Tool) -> None:
    tool["description"] = re.sub(r"\s*Scope: \S+\.$", "", tool["description"])


# (what is cut, what a model loses, the cut); applied in this order, each on top of the last
CUTS: list[tuple[str, str, Callable[[Tool], None]]] = [
    (
        "format uuid on *UUID names",
        "nothing the name does not say",
        drop_keyword("format", "uuid", lambda n: bool(n and n.lower().endswith("uuid"))),
    ),
    ("minimum: 0", "that counts are non-negative", drop_keyword("minimum", 0)),
    ("minLength: 1", "that names are non-empty", drop_keyword("minLength", 1)),
    ("window descriptions and minimums", "what result_fields does", window_details),
    ("shorter destructive warning", "'with the user'", shorter_warning),
    ("date-time formats", "the timestamp format", drop_keyword("format", "date-time")),
    ("window arguments", "paging and projection in strict clients", no_window),
    ("scope sentences", "the scope each tool needs", no_scope),
]


def main() -> int:
    tools = served_tools()
    total = model_facing(tools)
    print(f"{len(tools)} tools, model-facing {total:,} bytes")
    print("| cut (on top of the ones above) | saves | then | a model loses |")
    print("| --- | ---: | ---: | --- |")
    for label, lost, cut in CUTS:
        trimmed = copy.deepcopy(tools)
        for tool in trimmed:
            cut(tool)
        after = model_facing(trimmed)
        print(f"| {label} | {total - after:,} | {after:,} | {lost} |")
        tools, total = trimmed, after
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
