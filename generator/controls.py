"""What a tool adds to its operation to keep answers and requests in bounds: result
windows (offset/limit arguments on reads of lists), field projections, the read that
shows whether a failed delete took effect, and the body arrays a request may be split on."""

from __future__ import annotations

from generator import schematools
from generator.contract import contract
from generator.diagnostics import Diagnostics
from generator.ir import JSON, Tool

PROJECT_MIN_CHARS = 1500  # object results this large (as schema) get a field projection


def result_controls(tool: Tool) -> None:
    """A result with one list is windowed by the server to fit the result limit;
    reads of lists (the whole answer, or a list of objects in it) also get
    offset/limit arguments and a field projection, and big object results of
    reads a projection. Writes advertise none of them: their answer is the
    item they made, which a read gives again with its controls."""
    documented = tool.response_schema
    if documented is None or tool.bodiless or tool.output_schema is None:
        return
    # the shape of structuredContent: a wrapped answer sits under "result"
    out = (
        {"type": "object", "properties": {contract.RESULT_KEY: documented}}
        if tool.output_wrapped
        else documented
    )
    raw_props = out.get("properties")
    props: JSON = raw_props if isinstance(raw_props, dict) else {}
    arrays = [k for k, v in props.items() if isinstance(v, dict) and v.get("type") == "array"]
    taken = set(tool.input_schema["properties"])

    def free(name: str) -> str:
        while name in taken:
            name = "mcp_" + name
        taken.add(name)
        return name

    read = tool.annotations.read_only
    if len(arrays) == 1 and contract.WINDOW_KEY not in props:
        tool.list_field = arrays[0]
        items = props[arrays[0]].get("items")
        of_objects = isinstance(items, dict) and (
            items.get("type") == "object" or "properties" in items
        )
        if read and (tool.output_wrapped or of_objects):
            offset, limit = free("result_offset"), free("result_limit")
            tool.window_args = (offset, limit)
            tool.input_schema["properties"][offset] = {"type": "integer", "minimum": 0}
            tool.input_schema["properties"][limit] = {"type": "integer", "minimum": 1}
    big = schematools.json_size(out, PROJECT_MIN_CHARS) >= PROJECT_MIN_CHARS
    if read and out.get("type") == "object" and (tool.window_args or big):
        tool.fields_arg = free("result_fields")
        scope = " of each item" if tool.window_args else ""
        tool.input_schema["properties"][tool.fields_arg] = {
            "type": "array",
            "items": {"type": "string"},
            "description": f"Only these fields{scope}.",
        }


def state_checks(tools: list[Tool]) -> None:
    """retrySemantics safe-after-state-check: a DELETE may be retried once a GET
    of the same item shows it still exists. Other such operations are never
    retried (no read can show generically whether they took effect)."""
    reads = {t.path: t for t in tools if t.method == "GET"}
    for tool in tools:
        if (
            tool.policy.retry == "safe-after-state-check"
            and tool.method == "DELETE"
            and tool.path in reads
        ):
            tool.state_check = reads[tool.path].name


def chunking(
    tools: list[Tool], chunk: tuple[tuple[str, str], ...], diagnostics: Diagnostics
) -> None:
    """The config's ``[chunk]`` entries: bulk bodies the server may split on an array field."""
    by_key = {t.name: t for t in tools} | {t.operation_id: t for t in tools if t.operation_id}
    for key, field_name in chunk:
        tool = by_key.get(key)
        where = f"chunk {key}.{field_name}"
        if tool is None:
            diagnostics.error(where, f"no operation named {key!r}")
            continue
        prop = tool.input_schema["properties"].get(field_name)
        if (
            tool.body is None
            or tool.body.mode != "flat"
            or not isinstance(prop, dict)
            or prop.get("type") != "array"
        ):
            diagnostics.error(
                where, f"{field_name!r} is not an array field of {tool.name}'s JSON body"
            )
            continue
        tool.chunk_field = field_name
        tool.output_schema = None  # one result per chunk: no single shape to declare
        tool.response_schema = None
        diagnostics.info(tool.where, f"requests over the size limit are split on {field_name!r}")
