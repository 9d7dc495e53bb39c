"""A pinned server keeps working when the API moves ahead (issue 15).

For every consecutive pair of Artie's real releases, a server generated from the
older spec answers, through the mcp client (which checks structuredContent
against the advertised outputSchema), with answers drawn from the newer spec's
response schemas: each is a success that carries the data unchanged.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from mcp import Client

from generator import load, operations
from generator.config import GeneratorConfig
from generator.diagnostics import Diagnostics
from tests.conftest import ARTIE_VERSIONS, artie_spec
from tests.support.drawing import (
    FORMATS,
    bound_ints,
    draw_arguments,
    is_unicode,
    sendable,
    unrolled,
)
from tests.support.served import call_tools, generate_app, tool_server
from tests.support.upstream import Reply, Upstream

# every tool served and listed, answers passed on whole: what a tolerance check needs
EVERY_TOOL_AS_IS: dict[str, Any] = {
    "api_key": "sk-test-0123456789abcdef",
    "include_excluded": True,
    "compact": False,  # every tool listed, past the default budget
    "reveal_credentials": True,
    "max_result_chars": 10**8,
}

PAIRS = list(zip(ARTIE_VERSIONS, ARTIE_VERSIONS[1:], strict=False))
ANSWERS_PER_TOOL = 2
DRAWN_PER_TOOL = 2  # drawn per changed tool; those the older spec rejects are served first


@functools.cache
def ir(version: str) -> Any:
    """The IR of one release (each is the head of one pair and the base of the next)."""
    spec = load.load(str(artie_spec(version)), validate=False).doc
    return operations.build(spec, GeneratorConfig(), Diagnostics())


def changed_responses(base: Any, head: Any) -> dict[str, tuple[Any, Any]]:
    """{tool name: (older, newer documented response schema)} where it changed."""
    newer = {t.name: t for t in head.all_tools}
    out = {}
    for tool in base.all_tools:
        other = newer.get(tool.name)
        if other is None or tool.response_schema is None or other.response_schema is None:
            continue
        if json.dumps(tool.response_schema, sort_keys=True) != json.dumps(
            other.response_schema, sort_keys=True
        ):
            out[tool.name] = (tool.response_schema, other.response_schema)
    return out


def drifted_answers(older: Any, newer: Any, n: int) -> tuple[list[Any], int]:
    """``n`` answers valid under the newer schema, those the older one rejects
    first (the drift a pinned server meets), and how many of them it rejects.
    Drawn answers rarely hit what the newer schema added (one new enum value
    among many), so each is also moved onto every widening found between the
    two schemas (``widenings``), one at a time."""
    pool = draw_answers(newer, DRAWN_PER_TOOL)
    old, new = Draft202012Validator(older), Draft202012Validator(newer)
    wider = list(widenings(unrolled(older), unrolled(newer)))
    moved = [m for a in pool for m in (placed(a, path, value) for path, value in wider) if m]
    rejected = [a for a in pool + moved if new.is_valid(a) and not old.is_valid(a)]
    unique = list({json.dumps(a, sort_keys=True): a for a in rejected}.values())
    chosen = (unique + [a for a in pool if old.is_valid(a)])[:n]
    return chosen, min(len(unique), n)


SAMPLES = {"null": None, "string": "drifted", "integer": 7, "number": 1.5, "boolean": True}
SAMPLES_MORE = {"object": {}, "array": []}


def kinds(node: Any) -> set[str]:
    kind = node.get("type") if isinstance(node, dict) else None
    return {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else set()


def widenings(old: Any, new: Any, path: tuple[Any, ...] = ()) -> Any:
    """(instance path, value) pairs the newer schema allows where the older one did
    not, found by walking both along properties and array items: enum values
    added (null among them), types added, a type dropped (any value)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if isinstance(old_enum, list) and isinstance(new_enum, list):
        for value in new_enum:
            if value not in old_enum:
                yield path, value
    old_kinds, new_kinds = kinds(old), kinds(new)
    if old_kinds and new_kinds:
        for kind in sorted(new_kinds - old_kinds):
            yield path, {**SAMPLES, **SAMPLES_MORE}[kind]
    elif old_kinds and not new_kinds and "enum" not in new and not {"anyOf", "oneOf"} & set(new):
        for kind, value in SAMPLES.items():
            if kind not in old_kinds:
                yield path, value
                break
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    for key in sorted(set(old_props) & set(new_props)):
        yield from widenings(old_props[key], new_props[key], (*path, key))
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        yield from widenings(old["items"], new["items"], (*path, 0))


def placed(answer: Any, path: tuple[Any, ...], value: Any) -> Any:
    """``answer`` with ``value`` at ``path`` (a missing last key is added), or None
    when the path does not lead into the answer."""
    if not path:
        return value
    copy = json.loads(json.dumps(answer))
    node = copy
    for step in path[:-1]:
        if isinstance(step, int):
            if not isinstance(node, list) or not node:
                return None
            node = node[step]
        elif isinstance(node, dict) and isinstance(node.get(step), (dict, list)):
            node = node[step]
        else:
            return None
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not node:
            return None
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        return None
    return copy


def draw_answers(schema: dict[str, Any], n: int) -> list[Any]:
    """Answers valid under ``schema`` (recursive parts drawn a few levels deep)."""
    drawn: list[Any] = []
    valid = Draft202012Validator(schema)

    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(from_schema(bound_ints(unrolled(schema)), custom_formats=FORMATS))
    def collect(value: Any) -> None:
        assume(is_unicode(value) and valid.is_valid(value))
        drawn.append(value)

    collect()
    return drawn


def minimal_arguments(op: Any) -> dict[str, Any]:
    schema = sendable(op.input_schema, op)
    required = set(schema.get("required", []))
    only = {
        **schema,
        "properties": {k: v for k, v in schema["properties"].items() if k in required},
    }
    return draw_arguments(only, 1)[0]


async def serve(
    server: Any, upstream: Upstream, calls: list[tuple[str, dict[str, Any], Any]]
) -> list[Any]:
    out = []
    try:
        async with Client(server.server) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            for name, args, answer in calls:
                upstream.default = Reply(200, answer)
                out.append((listed[name], await client.call_tool(name, args)))
    finally:
        await server.aclose()
    return out


@pytest.mark.parametrize(("base", "head"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_a_server_from_the_older_spec_passes_newer_answers_on(
    base: str, head: str, tmp_path: Path, record_property: Any
) -> None:
    changed = changed_responses(ir(base), ir(head))
    if not changed:  # no documented response changed: no answer of the newer release is new
        record_property("drifted_answers", 0)
        return
    app = generate_app(artie_spec(base), tmp_path, f"tol_{base}")
    with Upstream() as upstream:
        server = tool_server(app, base_url=upstream.url, **EVERY_TOOL_AS_IS)
        calls = []
        rejected = 0
        for name, (older, newer) in sorted(changed.items()):
            args = minimal_arguments(server.operations[name])
            answers, n = drifted_answers(older, newer, ANSWERS_PER_TOOL)
            rejected += n
            calls.extend((name, args, answer) for answer in answers)
        results = anyio.run(serve, server, upstream, calls)
    record_property("drifted_answers", len(calls))
    record_property("answers_the_pinned_spec_rejects", rejected)
    for (name, _, answer), (tool, result) in zip(calls, results, strict=True):
        assert not result.is_error, (name, answer, result.content[0].text[:500])
        assert result.structured_content is not None, name
        op = server.operations[name]
        expected = (
            answer if isinstance(answer, dict) and not op.output_wrapped else {"result": answer}
        )
        if op.bodiless:
            expected = {"ok": True, "status": 200, "body": answer}
        assert result.structured_content == expected, name
        Draft202012Validator(tool.output_schema).validate(result.structured_content)
    print(
        f"{base} -> {head}: {len(changed)} tools changed, {len(calls)} drifted answers served, "
        f"{rejected} of them rejected by the pinned spec's schema"
    )


def test_a_success_that_is_not_json_is_an_upstream_error(tmp_path: Path, pinned_spec: Path) -> None:
    app = generate_app(pinned_spec, tmp_path, "tol_html")
    login = "<!DOCTYPE html><html><body>Sign in to continue</body></html>"
    with Upstream() as upstream:
        upstream.default = Reply(200, login, headers={"Content-Type": "text/html; charset=utf-8"})
        server = tool_server(app, api_key="sk-test-0123456789abcdef", base_url=upstream.url)
        (result,) = call_tools(server, [("pipeline_list", {})])
    assert result.is_error
    error = json.loads(result.content[0].text)["error"]
    assert error["type"] == "upstream_error" and error["status"] == 200
    assert "text/html" in error["message"] and "<!DOCTYPE html>" in error["message"]
    assert "GET /pipelines" in error["message"] and "JSON" in error["message"]


def test_a_drifted_answer_carries_a_note_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """v1.0.76 lets a source reader's messageCompression be null; a v1.0.75 server,
    whose spec does not, passes that on with a note and one log line."""
    app = generate_app(artie_spec("v1.0.75"), tmp_path, "tol_note")
    newer = next(t for t in ir("v1.0.76").all_tools if t.name == "source_reader_detail")
    answer = draw_answers(newer.response_schema, 1)[0]
    answer["settings"] = {**(answer.get("settings") or {}), "messageCompression": None}
    assert Draft202012Validator(newer.response_schema).is_valid(answer)
    uuid = "6f1c2a3e-0000-4000-8000-000000000001"
    with Upstream() as upstream:
        upstream.default = Reply(200, answer)
        server = tool_server(app, base_url=upstream.url, **EVERY_TOOL_AS_IS)
        with caplog.at_level("WARNING", logger="mcp_runtime"):
            results = call_tools(server, [("source_reader_detail", {"uuid": uuid})] * 3)
    for result in results:
        assert not result.is_error and result.structured_content == answer
        note = result.meta["spec_drift"]
        assert note["pinned_spec"] == "v1.0.75"
        assert any(d["path"] == "/settings/messageCompression" for d in note["differences"])
    logged = [r for r in caplog.records if "does not document" in r.getMessage()]
    assert len(logged) == 1, [r.getMessage() for r in logged]
