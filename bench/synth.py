"""Synthetic OpenAPI 3.1 specs of a chosen size, for the generator's scaling figures.

Each resource ``rNNNN`` has five operations (list, create, detail, update,
delete) over ``/rNNNN`` and ``/rNNNN/{id}``, three component schemas that
reference each other and two shared ones (``Meta``, ``Error``), so the spec
exercises refs, path and query parameters, request bodies and 2xx/4xx
responses. Operations beyond a multiple of five come from one more resource.

    python bench/synth.py 500 > /tmp/spec500.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

KINDS = ("list", "create", "detail", "update", "delete")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_responses() -> dict[str, Any]:
    return {
        "400": {
            "description": "Bad request",
            "content": {"application/json": {"schema": _ref("Error")}},
        },
        "404": {"description": "Not found"},
    }


def _schemas(r: str) -> dict[str, Any]:
    cap = r.capitalize()
    return {
        cap: {
            "type": "object",
            "description": f"One {r} resource.",
            "properties": {
                "uuid": {"type": "string", "format": "uuid"},
                "name": {"type": "string", "maxLength": 200},
                "status": {"type": "string", "enum": ["active", "paused", "deleted"]},
                "count": {"type": ["integer", "null"], "minimum": 0},
                "createdAt": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "meta": _ref("Meta"),
            },
            "required": ["uuid", "name", "status"],
        },
        f"{cap}Input": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "status": {"type": "string", "enum": ["active", "paused"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "meta": _ref("Meta"),
            },
            "required": ["name"],
        },
        f"{cap}List": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": _ref(cap)},
                "total": {"type": "integer"},
            },
            "required": ["items"],
        },
    }


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ok(schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {
        status: {"description": "OK", "content": {"application/json": {"schema": schema}}},
        **_error_responses(),
    }


def _operation(r: str, kind: str) -> tuple[str, str, dict[str, Any]]:
    cap = r.capitalize()
    id_param = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
        "description": f"The {r}'s UUID.",
    }
    common = {"operationId": f"{r}_{kind}", "tags": [cap]}
    if kind == "list":
        return (
            f"/{r}",
            "get",
            {
                **common,
                "summary": f"List {r} resources",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": _ok(_ref(f"{cap}List")),
            },
        )
    if kind == "create":
        return (
            f"/{r}",
            "post",
            {
                **common,
                "summary": f"Create a {r}",
                "requestBody": _json_body(_ref(f"{cap}Input")),
                "responses": _ok(_ref(cap), "201"),
            },
        )
    if kind == "detail":
        return (
            f"/{r}/{{id}}",
            "get",
            {
                **common,
                "summary": f"Get a {r}",
                "parameters": [id_param],
                "responses": _ok(_ref(cap)),
            },
        )
    if kind == "update":
        return (
            f"/{r}/{{id}}",
            "patch",
            {
                **common,
                "summary": f"Update a {r}",
                "parameters": [id_param],
                "requestBody": _json_body(_ref(f"{cap}Input")),
                "responses": _ok(_ref(cap)),
            },
        )
    return (
        f"/{r}/{{id}}",
        "delete",
        {
            **common,
            "summary": f"Delete a {r}",
            "parameters": [id_param],
            "responses": {"204": {"description": "Deleted"}, **_error_responses()},
        },
    )


def spec(operations: int) -> dict[str, Any]:
    """An OpenAPI 3.1 document with exactly ``operations`` operations."""
    if operations < 1:
        raise ValueError("operations must be positive")
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {
        "Meta": {
            "type": "object",
            "properties": {
                "owner": {"type": ["string", "null"]},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}, "code": {"type": "integer"}},
            "required": ["error"],
        },
    }
    for n in range(operations):
        r = f"r{n // len(KINDS):04d}"
        if n % len(KINDS) == 0:
            schemas.update(_schemas(r))
        path, method, op = _operation(r, KINDS[n % len(KINDS)])
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Synthetic API ({operations} operations)", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.com"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python bench/synth.py OPERATIONS > spec.json", file=sys.stderr)
        return 2
    json.dump(spec(int(argv[0])), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
