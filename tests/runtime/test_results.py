"""``runtime.results.window`` on its own: a list cut to the window asked for, then to
what fits, never mid-item, with ``_window`` saying where the next one starts."""

from __future__ import annotations

import json

from artie_mcp.runtime.contract import WINDOW_KEY
from artie_mcp.runtime.results import project, window

ITEMS = [{"id": i, "name": f"item {i}", "note": "x" * 50} for i in range(20)]


def answer() -> dict:  # type: ignore[type-arg]
    return {"items": list(ITEMS), "count": 20}


def test_nothing_cut_means_no_window() -> None:
    assert window(answer(), "items", 0, None, 100_000) == answer()
    assert window(answer(), "items", 0, 50, 100_000) == answer()


def test_offset_and_limit_cut_the_list_and_say_where_to_go_on() -> None:
    got = window(answer(), "items", 5, 3, 100_000)
    assert [i["id"] for i in got["items"]] == [5, 6, 7] and got["count"] == 20
    assert got[WINDOW_KEY] == {
        "offset": 5,
        "returned": 3,
        "total": 20,
        "truncated": True,
        "next_offset": 8,
    }
    last = window(answer(), "items", 18, 10, 100_000)
    assert [i["id"] for i in last["items"]] == [18, 19]
    assert last[WINDOW_KEY]["next_offset"] is None and last[WINDOW_KEY]["truncated"] is True
    past = window(answer(), "items", 40, 10, 100_000)
    assert past["items"] == [] and past[WINDOW_KEY]["returned"] == 0


def test_a_window_too_large_keeps_the_most_whole_items_that_fit() -> None:
    limit = 600
    got = window(answer(), "items", 0, None, limit)
    text = json.dumps(got, separators=(",", ":"), ensure_ascii=False)
    assert len(text) <= limit
    n = got[WINDOW_KEY]["returned"]
    assert 0 < n < 20 and got["items"] == ITEMS[:n] and got[WINDOW_KEY]["next_offset"] == n
    one_more = window(answer(), "items", 0, n + 1, 100_000)
    assert len(json.dumps(one_more, separators=(",", ":"), ensure_ascii=False)) > limit


def test_an_answer_without_the_list_is_left_alone() -> None:
    assert window({"items": "not a list"}, "items", 0, 1, 10) == {"items": "not a list"}


def test_projection_keeps_the_fields_asked_and_what_the_schema_requires() -> None:
    schema = {"required": ["id"]}
    assert project({"id": 1, "name": "n", "note": "x"}, ["name"], schema) == {"id": 1, "name": "n"}
    assert project("text", ["name"], schema) == "text"
