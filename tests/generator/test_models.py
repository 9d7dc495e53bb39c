"""The Pydantic models read every answer the spec documents, and answers from a
newer release of the API (new enum values, new fields, new nulls) too."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from tests.conftest import REPO
from tests.runtime.test_tolerance import draw_answers

TOOLS = REPO / "generated" / "artie_mcp" / "tools"
NEW_VALUE = "a-value-from-a-newer-release"


def declarations() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(TOOLS.glob("*.json"))]


def resolve(schema: Any, defs: dict[str, Any]) -> Any:
    while isinstance(schema, dict) and str(schema.get("$ref", "")).startswith("#/$defs/"):
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def newer(value: Any, schema: Any, defs: dict[str, Any]) -> Any:
    """``value`` as a newer release might send it: each object gains a field,
    enum fields take a value the pinned spec does not list, a field turns null."""
    schema = resolve(schema, defs)
    if isinstance(value, list) and isinstance(schema, dict):
        return [newer(v, schema.get("items", {}), defs) for v in value]
    if not isinstance(value, dict) or not isinstance(schema, dict):
        return value
    props = schema.get("properties") or {}
    out = {k: newer(v, props.get(k, {}), defs) for k, v in value.items()}
    for key, sub in props.items():
        sub = resolve(sub, defs)
        if key in out and isinstance(sub, dict) and isinstance(sub.get("enum"), list):
            out[key] = NEW_VALUE
    nullable = next(
        (
            k
            for k in out
            if not isinstance(resolve(props.get(k), defs), dict)
            or resolve(props.get(k), defs).get("enum") is None
        ),
        None,
    )
    if nullable is not None:
        out[nullable] = None
    out["fieldFromANewerRelease"] = {"nested": [1, "two"]}
    return out


@pytest.fixture(scope="module")
def models() -> Any:
    return importlib.import_module("artie_mcp.models")


def test_tools_name_the_class_that_reads_their_answer(models: Any) -> None:
    named = [d for d in declarations() if d.get("response_model")]
    assert len(named) >= 40
    for decl in named:
        assert hasattr(models, decl["response_model"]), decl["name"]


@pytest.mark.parametrize(
    "decl", [d for d in declarations() if d.get("response_model")], ids=lambda d: d["name"]
)
def test_documented_and_newer_answers_validate_through_the_models(
    models: Any, decl: dict[str, Any]
) -> None:
    model = getattr(models, decl["response_model"])
    schema = decl["response_schema"]
    defs = schema.get("$defs", {})
    for answer in draw_answers(schema, 3):
        model.model_validate(answer)
        drifted = newer(answer, schema, defs)
        read = model.model_validate(drifted)
        if isinstance(drifted, dict):
            dumped = read.model_dump(by_alias=True, exclude_unset=True, mode="json")
            assert dumped["fieldFromANewerRelease"] == {"nested": [1, "two"]}
