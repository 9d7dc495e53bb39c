"""Spec dict -> ``ir.Api``: one tool per operation, every decision made here."""

from __future__ import annotations

import json
import re
from typing import Any

from generator import controls, naming, outlines, policy, schemas, schematools, service
from generator.config import GeneratorConfig
from generator.contract import contract
from generator.diagnostics import Diagnostics
from generator.ir import JSON, Api, Body, Param, Tool, Webhook

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
IGNORED_HEADERS = {"authorization", "content-type", "accept"}
# printable ASCII without leading or trailing blanks (RFC 9110 field values)
HEADER_VALUE = "^(?:[\\x21-\\x7E](?:[\\x20-\\x7E]*[\\x21-\\x7E])?)?$"
BODY_PREFERENCE = (
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
    "application/octet-stream",
)


class Builder:
    def __init__(
        self,
        spec: JSON,
        options: GeneratorConfig,
        diagnostics: Diagnostics,
        spec_digest: str | None = None,
    ) -> None:
        self.spec = spec
        self.spec_digest = spec_digest
        self.options = options
        self.diagnostics = diagnostics
        self.walker = schemas.SchemaWalker(spec, diagnostics)

    # -- entry point -------------------------------------------------------

    def build(self) -> Api:
        spec = self.spec
        info = spec.get("info") or {}
        api = Api(
            title=str(info.get("title", "API")),
            version=str(info.get("version", "")),
            openapi=str(spec.get("openapi", "")),
            description=str(info.get("description") or ""),
            digest=self.spec_digest or service.digest(spec),
            base_url=service.base_url(spec),
            auth=service.auth_scheme(spec),
        )
        tools: list[Tool] = []
        paths = spec.get("paths") or {}
        for path, item in paths.items():
            if not isinstance(item, dict):
                continue
            item = self._deref(item)
            for method in METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    tools.append(self._tool(path, method.upper(), op, item))
        api.has_policy = any(t.policy.from_spec for t in tools)
        if tools and not api.has_policy:
            self.diagnostics.info(
                "#/paths",
                "no x-artie-mcp blocks: every operation is exposed, "
                "annotations derived from the HTTP method",
            )
        api.renames = self._settle_names(tools)
        controls.chunking(tools, self.options.chunk, self.diagnostics)
        for tool in tools:
            controls.result_controls(tool)
        controls.state_checks(tools)
        api.tools = [t for t in tools if t.policy.exposure == "exposed"]
        api.excluded = [t for t in tools if t.policy.exposure == "excluded"]
        for name, item in (spec.get("webhooks") or {}).items():
            for method in METHODS:
                op = (item or {}).get(method)
                if isinstance(op, dict):
                    api.webhooks.append(
                        Webhook(
                            name,
                            method.upper(),
                            str(op.get("summary") or op.get("description") or ""),
                        )
                    )
        return api

    # -- naming ------------------------------------------------------------

    def _settle_names(self, tools: list[Tool]) -> list[tuple[str, str, str]]:
        """One pass: every tool gets a unique, valid, short-enough name."""
        limit = self.options.max_name_length
        prefix = self.options.tool_prefix
        taken: set[str] = set()  # case-folded: tool files must differ on every filesystem
        renames: list[tuple[str, str, str]] = []
        for tool in tools:
            if tool.operation_id:
                base = naming.sanitize(tool.operation_id) or naming.derive_name(
                    tool.method, tool.path
                )
            else:
                base = naming.derive_name(tool.method, tool.path)
            wanted = prefix + base
            name = naming.unique(naming.shorten(wanted, limit), taken, limit)
            taken.add(name.casefold())
            tool.name = name
            original = prefix + tool.operation_id if tool.operation_id else None
            if original is not None and name != original:
                renames.append((tool.where, original, name))
            elif original is None and name != wanted:
                renames.append((tool.where, wanted, name))
        for where, wanted, got in renames:
            self.diagnostics.info(where, f"tool name {wanted!r} became {got!r}")
        return renames

    # -- one operation ------------------------------------------------------

    def _deref(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 20:
            try:
                node = self.walker.lookup(node["$ref"])
            except (KeyError, IndexError, ValueError, TypeError):
                return {}
            seen += 1
        return node

    def _tool(self, path: str, method: str, op: JSON, item: JSON) -> Tool:
        where = f"{method} {path}"
        pol = policy.read_policy(op, method)
        summary = str(op.get("summary") or "").strip()
        title = (
            pol.title or summary or naming.derive_name(method, path).replace("_", " ").capitalize()
        )
        ann = policy.tool_annotations(op, method)
        op_id = op.get("operationId")
        tool = Tool(
            operation_id=str(op_id) if op_id else None,
            method=method,
            path=path,
            title=title,
            summary=summary,
            tags=tuple(str(t) for t in op.get("tags") or ()),
            deprecated=op.get("deprecated") is True,
            method_class=policy.method_class(method, path, self.spec.get("paths") or {}),
            annotations=ann,
            policy=pol,
        )
        tool.description = policy.describe(
            summary, str(op.get("description") or ""), pol, ann, tool.deprecated
        )
        body_props, body_required, tool.body = self._body(op, where)
        tool.params = self._params(op, item, where, set(body_props))
        tool.input_schema = self._input_schema(tool, body_props, body_required)
        self._responses(tool, op, where)
        return tool

    def _params(self, op: JSON, item: JSON, where: str, body_names: set[str]) -> list[Param]:
        merged: dict[tuple[str, str], JSON] = {}
        for source in (item.get("parameters") or [], op.get("parameters") or []):
            for raw in source:
                param = self._deref(raw)
                if not isinstance(param, dict) or "name" not in param or "in" not in param:
                    continue
                merged[(str(param["name"]), str(param["in"]))] = param
        out: list[Param] = []
        taken = set(body_names)
        order = {"path": 0, "query": 1, "header": 2, "cookie": 3}
        for (wire, location), param in sorted(
            merged.items(), key=lambda kv: order.get(kv[0][1], 9)
        ):
            if location == "header" and wire.lower() in IGNORED_HEADERS:
                continue
            if location not in order:
                continue
            schema = param.get("schema")
            if schema is None and isinstance(param.get("content"), dict):
                first: JSON = next(iter(param["content"].values()), {}) or {}
                schema = first.get("schema", {})
            converted, defs = self.walker.convert(
                schema if schema is not None else {}, "input", where
            )
            converted = schematools.with_defs(converted, defs) if defs else converted
            if isinstance(converted, dict):
                converted = dict(converted)
                if param.get("description") and "description" not in converted:
                    converted["description"] = str(param["description"]).strip()
                if param.get("deprecated") is True:
                    converted["deprecated"] = True
                # OpenAPI forbids empty query values unless allowEmptyValue says
                # otherwise. Path values that never reach this operation (empty, and
                # the dot segments '.' and '..') are refused by the server itself
                # (calls.path_problems): a schema pattern would need lookaround,
                # which OpenAI's structured outputs reject.
                empty_ok = location == "query" and param.get("allowEmptyValue") is True
                if location == "query" and not empty_ok and converted.get("type") == "string":
                    converted.setdefault("minLength", 1)
                required = location == "path" or param.get("required") is True
                if location == "query" and converted.get("type") == "array":
                    if required:
                        converted.setdefault("minItems", 1)  # an empty array sends no value at all
                    items = converted.get("items")
                    if not empty_ok and isinstance(items, dict) and items.get("type") == "string":
                        converted["items"] = {"minLength": 1, **items}
                if location == "header" and converted.get("type") == "string":
                    converted.setdefault("pattern", HEADER_VALUE)  # HTTP header values are ASCII
            arg = naming.arg_name(wire)
            if arg in taken:
                arg = naming.arg_name(f"{wire}_{location}")
            n = 2
            while arg in taken:
                arg = naming.arg_name(f"{wire}_{location}_{n}")
                n += 1
            if arg != wire:
                self.diagnostics.info(where, f"{location} parameter {wire!r} is argument {arg!r}")
            taken.add(arg)
            out.append(
                Param(
                    arg=arg,
                    wire=wire,
                    location=location,  # type: ignore[arg-type]
                    required=location == "path" or param.get("required") is True,
                    schema=converted,
                    style=param.get("style"),
                    explode=param.get("explode"),
                )
            )
        return out

    def _body(self, op: JSON, where: str) -> tuple[JSON, list[str], Body | None]:
        request = self._deref(op.get("requestBody"))
        if not isinstance(request, dict) or not isinstance(request.get("content"), dict):
            return {}, [], None
        content = request["content"]
        chosen = next((ct for ct in content if _is_json(ct)), None)
        if chosen is None:
            chosen = next((ct for ct in BODY_PREFERENCE if ct in content), None)
        if chosen is None:
            chosen = next(iter(content))
            self.diagnostics.warning(where, f"request body {chosen!r} is sent as the text given")
        base = chosen.split(";")[0].strip().lower()
        required = request.get("required") is True
        if base == "application/octet-stream" or base.startswith(("image/", "audio/", "video/")):
            return (
                {"body": contract.FILE_SCHEMA},
                ["body"] if required else [],
                Body(chosen, "wrapped", required, "body", files=("body",)),
            )
        raw_schema = (content.get(chosen) or {}).get("schema", {})
        converted, defs = self.walker.convert(raw_schema, "input", where)
        flat = schematools.merge_all_of(converted) if isinstance(converted, dict) else converted
        if (
            not defs
            and schematools.is_plain_object(flat)
            and all(naming.ARG_NAME.match(k) for k in flat["properties"])
        ):
            properties = dict(flat["properties"])
            files: tuple[str, ...] = ()
            if base == "multipart/form-data":
                files = tuple(k for k, v in properties.items() if _is_file(v))
                properties.update(
                    {k: {**contract.FILE_SCHEMA, **_doc(properties[k])} for k in files}
                )
            fields = tuple((k, k) for k in properties)
            # an optional body with required fields: we always send a body, so the
            # fields stay required
            body_required = list(flat.get("required", []))
            return properties, body_required, Body(chosen, "flat", required, None, fields, files)
        if base == "multipart/form-data":
            self.diagnostics.warning(
                where, "multipart body is not an object of fields; sent as JSON text"
            )
        schema = (
            schematools.with_defs(converted, defs) if isinstance(converted, dict) else converted
        )
        return (
            {"body": schema},
            ["body"] if required else [],
            Body(chosen, "wrapped", required, "body"),
        )

    def _input_schema(self, tool: Tool, body_props: JSON, body_required: list[str]) -> JSON:
        properties: JSON = {}
        required: list[str] = []
        defs: JSON = {}
        for param in tool.params:
            schema = param.schema
            if isinstance(schema, dict) and "$defs" in schema:
                defs.update(schema["$defs"])
                schema = {k: v for k, v in schema.items() if k != "$defs"}
            properties[param.arg] = schema
            if param.required:
                required.append(param.arg)
        for name, schema in body_props.items():
            if isinstance(schema, dict) and "$defs" in schema:
                defs.update(schema["$defs"])
                schema = {k: v for k, v in schema.items() if k != "$defs"}
            properties[name] = schema
        required.extend(r for r in body_required if r not in required)
        root: JSON = {"type": "object", "properties": properties}
        if required:
            root["required"] = required
        root["additionalProperties"] = False
        if defs:
            root["$defs"] = dict(sorted(defs.items()))
        return schematools.finalize(root)

    def _responses(self, tool: Tool, op: JSON, where: str) -> None:
        """The documented success body (``response_schema``) and what is advertised
        (``output_schema``): an outline that any answer the runtime passes on meets,
        whatever a newer release of the API adds or widens (see ``outlines.outline``)."""
        responses = op.get("responses") or {}
        bodies: list[Any] = []  # schemas of JSON success bodies
        other_content = False
        with_body = 0
        for code, raw in responses.items():
            if not re.fullmatch(r"2(\d\d|XX)", str(code), re.IGNORECASE):
                continue
            response = self._deref(raw)
            content = (response or {}).get("content") or {}
            json_ct = next((ct for ct in content if _is_json(ct)), None)
            if json_ct is not None:
                bodies.append((content[json_ct] or {}).get("schema", {}))
                with_body += 1
            elif content:
                other_content = True
        if not bodies and not other_content:
            if responses and any(
                re.fullmatch(r"2(\d\d|XX)", str(c), re.IGNORECASE) for c in responses
            ):
                tool.bodiless = True
                tool.output_schema = contract.BODILESS_SCHEMA
            return
        if other_content:
            return  # text or binary answers: shown as content, no structured result
        tool.json_response = True
        distinct: dict[str, Any] = {}
        for body in bodies:
            distinct.setdefault(json.dumps(body, sort_keys=True), body)
        shapes = list(distinct.values())
        raw_schema = shapes[0] if len(shapes) == 1 else {"anyOf": shapes}
        ref = raw_schema.get("$ref") if isinstance(raw_schema, dict) else None
        if (
            isinstance(ref, str)
            and ref.startswith("#/components/schemas/")
            and len(raw_schema) == 1
        ):
            tool.response_component = schemas.unescape(ref.rsplit("/", 1)[-1])
        converted, defs = self.walker.convert(raw_schema, "output", where)
        if not isinstance(converted, dict):
            converted = {} if converted is True else {"not": {}}
        if (
            defs
            and not schematools.deferred()
            and self.walker.defs_over(defs, outlines.RESPONSE_LIMIT)
        ):
            # a reference cycle through many components, copied into every such tool:
            # summarised as deep as the size bound allows (outlines.summarise)
            tool.response_schema = schematools.finalize(outlines.summarise(converted, defs))
        else:
            tool.response_schema = schematools.finalize(schematools.with_defs(converted, defs))
        tool.output_wrapped = not outlines.always_object(tool.response_schema)
        tool.output_schema = outlines.outline(tool.response_schema, tool.output_wrapped)


def _is_file(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if (
        schema.get("format") == "binary"
        or "contentMediaType" in schema
        or "contentEncoding" in schema
    ):
        return True
    items = schema.get("items")
    return schema.get("type") == "array" and _is_file(items)


def _doc(schema: Any) -> JSON:
    text = schema.get("description") if isinstance(schema, dict) else None
    return {"description": f"{text} ({contract.FILE_SCHEMA['description']})"} if text else {}


def _is_json(content_type: str) -> bool:
    base = content_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def build(
    spec: JSON, options: GeneratorConfig, diagnostics: Diagnostics, spec_digest: str | None = None
) -> Api:
    """The IR; ``spec_digest`` when the caller has already hashed the spec."""
    return Builder(spec, options, diagnostics, spec_digest).build()
