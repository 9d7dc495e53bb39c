"""``runtime.request.build_request`` on its own: arguments in, the HTTP request out,
for every parameter location and style and both body modes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from artie_mcp.runtime.errors import ToolError
from artie_mcp.runtime.operation import Annotations, Body, Operation, Param
from artie_mcp.runtime.request import MAX_URL_CHARS, build_request

WRITE = Annotations(read_only=False, destructive=False, idempotent=False, open_world=True)


def op(method: str = "GET", path: str = "/things/{id}", **fields: Any) -> Operation:
    return Operation(
        name="t", title="T", description="", method=method, path=path, annotations=WRITE, **fields
    )


def test_path_segments_are_encoded_whole_and_dot_segments_cannot_climb() -> None:
    o = op(params=(Param("id", "id", "path"),))
    assert build_request(o, {"id": "a/b c?"}).path == "/things/a%2Fb%20c%3F"
    assert build_request(o, {"id": ".."}).path == "/things/%2E%2E"
    assert build_request(o, {"id": "."}).path == "/things/%2E"
    assert build_request(o, {"id": 7}).path == "/things/7"


@pytest.mark.parametrize(
    ("param", "value", "query"),
    [
        (
            Param("tag", "tag", "query"),
            ["a", "b"],
            [("tag", "a"), ("tag", "b")],
        ),  # explode (default)
        (Param("tag", "tag", "query", explode=False), ["a", "b"], [("tag", "a,b")]),
        (Param("tag", "tag", "query", style="pipeDelimited"), ["a", "b"], [("tag", "a|b")]),
        (Param("tag", "tag", "query", style="spaceDelimited"), ["a", "b"], [("tag", "a b")]),
        (
            Param("f", "filter", "query", style="deepObject"),
            {"x": 1, "y": True},
            [("filter[x]", "1"), ("filter[y]", "true")],
        ),
        (Param("f", "filter", "query"), {"x": 1}, [("x", "1")]),  # form, exploded object
        (Param("on", "on", "query"), False, [("on", "false")]),
        (Param("on", "on", "query"), None, []),  # null: left out
    ],
)
def test_query_styles(param: Param, value: Any, query: list[tuple[str, str]]) -> None:
    assert build_request(op(path="/things", params=(param,)), {param.arg: value}).query == query


def test_arguments_not_given_are_not_sent_and_the_wire_name_is_used() -> None:
    o = op(
        path="/things", params=(Param("page_size", "page-size", "query"), Param("q", "q", "query"))
    )
    assert build_request(o, {"page_size": 5}).query == [("page-size", "5")]


def test_headers_and_cookies() -> None:
    o = op(
        path="/x",
        params=(
            Param("rid", "X-Request-Id", "header"),
            Param("s", "session", "cookie"),
            Param("t", "theme", "cookie"),
        ),
    )
    request = build_request(o, {"rid": "r-1", "s": "a b", "t": "dark"})
    assert request.headers == {"X-Request-Id": "r-1", "Cookie": "session=a%20b; theme=dark"}
    with pytest.raises(ToolError) as caught:
        build_request(o, {"rid": "bad\r\nInjected: 1"})
    assert caught.value.type == "invalid_arguments" and "nothing was sent" in caught.value.message


def test_a_flat_body_takes_each_field_from_its_argument() -> None:
    body = Body("application/json", "flat", fields=(("name", "name"), ("dry_run", "dryRun")))
    request = build_request(op("POST", "/things", body=body), {"name": "n", "dry_run": True})
    assert json.loads(request.content or b"") == {"name": "n", "dryRun": True}
    assert request.headers["Content-Type"] == "application/json"
    # a GET with no body fields given sends no body; a POST sends {}
    assert build_request(op("GET", "/things", body=body), {}).content is None
    assert json.loads(build_request(op("POST", "/things", body=body), {}).content or b"") == {}


def test_a_wrapped_body_is_the_argument_and_form_encoding_follows_the_content_type() -> None:
    wrapped = Body("application/json", "wrapped", arg="pipeline")
    request = build_request(op("POST", "/p", body=wrapped), {"pipeline": {"a": [1, None]}})
    assert json.loads(request.content or b"") == {"a": [1, None]}
    assert build_request(op("POST", "/p", body=wrapped), {}).content is None  # optional and absent
    form = Body(
        "application/x-www-form-urlencoded", "flat", fields=(("ids", "ids"), ("meta", "meta"))
    )
    request = build_request(op("POST", "/f", body=form), {"ids": [1, 2], "meta": {"k": "v w"}})
    assert request.content == b"ids=1&ids=2&meta%5Bk%5D=v+w"


def test_a_url_over_the_limit_is_refused_naming_the_argument_that_makes_it_long() -> None:
    o = op(path="/things/{id}", params=(Param("id", "id", "path"), Param("q", "q", "query")))
    with pytest.raises(ToolError) as caught:
        build_request(o, {"id": "x", "q": "é" * MAX_URL_CHARS})
    assert caught.value.type == "invalid_arguments"
    assert "'q' makes" in caught.value.message and caught.value.details[0]["path"] == "/q"
