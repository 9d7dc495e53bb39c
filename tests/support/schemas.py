"""Checks of served tool schemas, shared by the tests: every ``$ref`` resolves,
and the schema is valid JSON Schema 2020-12 (checked one distinct subschema at a
time, so that Stripe's hundreds of large schemas stay fast)."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
SUBSCHEMA_ONE += ("propertyNames", "unevaluatedProperties", "unevaluatedItems")


def refs(node: Any) -> list[str]:
    """Every ``$ref`` value in ``node``."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def unresolved(schema: Any) -> list[str]:
    """Every ``$ref`` of a tool schema that does not name one of its ``$defs``."""
    defs = schema.get("$defs") or {} if isinstance(schema, dict) else {}
    return [r for r in refs(schema) if not (r.startswith("#/$defs/") and r[8:] in defs)]


CHECKED: set[str] = set()  # subschemas that passed in this process


def check_2020_12(schema: Any) -> None:
    """``Draft202012Validator.check_schema`` of the whole schema, done one subschema
    at a time (its subschemas replaced by ``true``, each distinct one checked once per
    process, ``CHECKED``): the metaschema judges every subschema on its own, so this is
    the same verdict. Artie's 18 releases share most of their schemas."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            Draft202012Validator.check_schema(node)  # a boolean schema
            continue
        shallow = dict(node)
        for key in SUBSCHEMA_MAPS:
            if isinstance(node.get(key), dict):
                shallow[key] = {k: True for k in node[key]}
                stack.extend(node[key].values())
        for key in SUBSCHEMA_LISTS:
            if isinstance(node.get(key), list):
                shallow[key] = [True for _ in node[key]]
                stack.extend(node[key])
        for key in SUBSCHEMA_ONE:
            if key in node:
                shallow[key] = True
                stack.append(node[key])
        text = json.dumps(shallow, sort_keys=True)
        if text not in CHECKED:
            Draft202012Validator.check_schema(shallow)
            CHECKED.add(text)  # only what passed: a failure fails again
