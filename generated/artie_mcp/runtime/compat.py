"""What real MCP clients and model APIs accept, as code: a lint and the Gemini dialect.

It imports only ``contract`` (standard library only) so that the generator
(``artie-mcp-gen lint``) and the generated server (``artie-mcp lint``,
``--schema-profile gemini``) share one copy of the rules. Each rule names its
source: the client's own error text where one is known.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from .contract import ARG_NAME as PROPERTY_KEY
from .contract import CLIENT_DESCRIPTION_LIMIT as MAX_DESCRIPTION
from .contract import TOOL_NAME

CLIENTS = ("claude", "claude-code", "cursor", "openai", "vscode", "gemini")
GEMINI_RECURSION_DEPTH = 2
GEMINI_KEYWORDS = {
    "type", "format", "title", "description", "nullable", "enum", "items", "minItems", "maxItems",
    "minimum", "maximum", "properties", "required", "propertyOrdering", "anyOf", "pattern",
    "minLength", "maxLength", "minProperties", "maxProperties",
}  # fmt: skip
TOOL_LIMITS = {"openai": 128, "gemini": 512}  # tools one request may carry
TOOLS_LIST_BUDGET = 100_000  # bytes of a full tools/list (about 25,000 tokens) before compact


def compact_reason(count: int, size: int, budget: int = TOOLS_LIST_BUDGET) -> str | None:
    """Why a full tools/list of ``count`` tools and ``size`` bytes should not be
    served by default (the server starts in compact mode), or None."""
    if count > min(TOOL_LIMITS.values()):
        return f"{count} tools are more than OpenAI takes in one request ({TOOL_LIMITS['openai']})"
    if size > budget:
        return f"the full tools/list is {size:,} bytes, over the budget of {budget:,}"
    return None


GEMINI_FORMATS = {
    "string": {"date-time", "enum"},
    "integer": {"int32", "int64"},
    "number": {"float", "double"},
}


@dataclass(frozen=True)
class Rule:
    id: str
    clients: tuple[str, ...]
    client_error: str
    source: str


RULES = {
    r.id: r
    for r in (
        Rule(
            "tool-name-pattern",
            CLIENTS,
            "tool name must match ^[a-zA-Z0-9_-]{1,64}$",
            "Anthropic and OpenAI tool APIs",
        ),
        Rule(
            "tool-name-length",
            ("claude-code", "cursor"),
            "Claude Code: mcp__<server>__<tool> over 64 characters is rejected; Cursor drops tools whose server+tool name reaches 60",
            "anthropics/claude-code issues; Cursor forum",
        ),
        Rule(
            "input-root-object",
            CLIENTS,
            "input_schema: type must be 'object'",
            "Anthropic API, MCP spec",
        ),
        Rule(
            "input-root-combinator",
            ("claude", "claude-code"),
            "input_schema does not support oneOf, allOf, or anyOf at the top level",
            "Anthropic API error",
        ),
        Rule(
            "object-properties",
            ("openai",),
            "object schema missing properties",
            "OpenAI function calling",
        ),
        Rule(
            "array-items",
            ("openai", "vscode", "gemini"),
            "array schema missing items / tool parameters array type must have items",
            "OpenAI; VS Code Copilot",
        ),
        Rule(
            "property-schema",
            CLIENTS,
            "every value under properties must be a schema",
            "JSON Schema",
        ),
        Rule(
            "property-key-pattern",
            ("claude", "claude-code"),
            "Property keys should match pattern '^[a-zA-Z0-9_.-]{1,64}$'",
            "Anthropic API error",
        ),
        Rule(
            "output-root-object",
            CLIENTS,
            "outputSchema: expected type 'object' (tools/list rejected)",
            "MCP TypeScript SDK (Zod)",
        ),
        Rule(
            "description-length",
            ("claude-code",),
            "descriptions over 2,048 characters are silently truncated",
            "Claude Code",
        ),
        Rule(
            "gemini-ref",
            ("gemini",),
            "reference to undefined schema / Request contains an invalid argument",
            "Gemini API",
        ),
        Rule(
            "gemini-type-list",
            ("gemini",),
            "Proto field is not repeating, cannot start list",
            "Gemini API",
        ),
        Rule(
            "gemini-keyword",
            ("gemini",),
            'Invalid JSON payload received. Unknown name "<keyword>": Cannot find field.',
            "Gemini API",
        ),
        Rule("gemini-enum", ("gemini",), "Invalid value at ...enum[0] (TYPE_STRING)", "Gemini API"),
        Rule(
            "gemini-format",
            ("gemini",),
            "only 'enum' and 'date-time' are supported for STRING type",
            "Gemini API",
        ),
        Rule(
            "gemini-type-and-anyof",
            ("gemini",),
            "type and anyOf cannot be both populated",
            "Gemini API",
        ),
        Rule(
            "gemini-empty-properties",
            ("gemini",),
            "properties: should be non-empty for OBJECT type",
            "Gemini API",
        ),
        Rule(
            "portable-pattern",
            CLIENTS,
            "regex lookaround is not supported (OpenAI); patterns are ECMA-262 regexes (JSON Schema)",
            "OpenAI structured outputs; JSON Schema 2020-12 section 6.3.3",
        ),
        Rule(
            "tool-count",
            tuple(TOOL_LIMITS),
            "OpenAI: at most 128 tools per request; Gemini: at most 512 function declarations",
            "OpenAI API; Gemini API",
        ),
    )
}


@dataclass(frozen=True)
class Violation:
    client: str
    tool: str
    rule: str
    pointer: str
    message: str

    @property
    def client_error(self) -> str:
        return RULES[self.rule].client_error

    def as_dict(self) -> dict[str, str]:
        return {
            "client": self.client,
            "tool": self.tool,
            "rule": self.rule,
            "pointer": self.pointer,
            "message": self.message,
            "client_error": self.client_error,
        }


# -- walking schemas ----------------------------------------------------------


def _nodes(schema: Any, pointer: str = "") -> Any:
    """Every subschema with its JSON pointer (keyword-aware, $defs included)."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for key in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"):
        value = schema.get(key)
        if isinstance(value, dict):
            for name, sub in value.items():
                yield from _nodes(sub, f"{pointer}/{key}/{_escape(name)}")
    for key in (
        "items",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
    ):
        if isinstance(schema.get(key), dict):
            yield from _nodes(schema[key], f"{pointer}/{key}")
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                yield from _nodes(sub, f"{pointer}/{key}/{i}")


def _escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("type")
    return kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []


# -- the lint -------------------------------------------------------------------


def lint(
    tools: list[dict[str, Any]],
    clients: tuple[str, ...] = CLIENTS,
    server_key: str = "artie",
    instructions: str | None = None,
) -> list[Violation]:
    """Every rule each tool (tools/list JSON, camelCase keys) breaks, per client."""
    found: list[Violation] = []
    for client in clients:
        limit = TOOL_LIMITS.get(client)
        if limit is not None and len(tools) > limit:
            found.append(
                Violation(
                    client,
                    "(tools/list)",
                    "tool-count",
                    "/tools",
                    f"{len(tools)} tools, at most {limit}: serve compact mode or fewer tools",
                )
            )
        for tool in tools:
            for rule, pointer, message in _check(tool, client, server_key):
                if client in RULES[rule].clients:
                    found.append(Violation(client, str(tool.get("name")), rule, pointer, message))
        if instructions and len(instructions) > MAX_DESCRIPTION and client == "claude-code":
            found.append(
                Violation(
                    client,
                    "(server instructions)",
                    "description-length",
                    "/instructions",
                    f"{len(instructions)} characters",
                )
            )
    return found


def _check(tool: dict[str, Any], client: str, server_key: str) -> Any:
    name = str(tool.get("name", ""))
    if not TOOL_NAME.match(name):
        yield "tool-name-pattern", "/name", f"{name!r} has characters or a length tool names cannot have"
    if client == "claude-code" and len(f"mcp__{server_key}__{name}") > 64:
        yield "tool-name-length", "/name", f"mcp__{server_key}__{name} is {len(f'mcp__{server_key}__{name}')} characters"
    if client == "cursor" and len(server_key) + len(name) >= 60:
        yield "tool-name-length", "/name", f"server key + tool name is {len(server_key) + len(name)} characters"
    description = tool.get("description") or ""
    if len(description) > MAX_DESCRIPTION:
        yield "description-length", "/description", f"{len(description)} characters"
    schema = tool.get("inputSchema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        yield "input-root-object", "/inputSchema/type", "the root is not type: object"
        schema = schema if isinstance(schema, dict) else {}
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            yield "input-root-combinator", f"/inputSchema/{key}", f"{key} at the root"
    if "properties" not in schema:
        yield "object-properties", "/inputSchema", "the root object has no properties"
    yield from _schema_rules(schema, "/inputSchema", client)
    output = tool.get("outputSchema")
    if output is not None:
        if not isinstance(output, dict) or output.get("type") != "object":
            yield "output-root-object", "/outputSchema/type", "the root is not type: object"


def _schema_rules(schema: dict[str, Any], base: str, client: str) -> Any:
    for pointer, node in _nodes(schema):
        where = base + pointer
        kinds = _types(node)
        if "array" in kinds and "items" not in node and "prefixItems" not in node:
            yield "array-items", where, "array without items"
        props = node.get("properties")
        if isinstance(props, dict):
            for key, value in props.items():
                if not isinstance(value, (dict, bool)):
                    yield "property-schema", f"{where}/properties/{_escape(key)}", "not a schema"
                if not PROPERTY_KEY.match(str(key)):
                    yield "property-key-pattern", f"{where}/properties/{_escape(key)}", f"key {key!r}"
        if pointer and "object" in kinds and not props:
            yield "gemini-empty-properties", where, "a nested object without properties"
        pattern = node.get("pattern")
        if isinstance(pattern, str) and not portable_pattern(pattern):
            yield "portable-pattern", f"{where}/pattern", f"{pattern!r} is outside the portable subset"
        if client != "gemini":
            continue
        if "$ref" in node or "$defs" in node:
            yield "gemini-ref", where, "$ref/$defs"
        if isinstance(node.get("type"), list):
            yield "gemini-type-list", f"{where}/type", f"type {node['type']}"
        for key in node:
            if key not in GEMINI_KEYWORDS and key not in ("$ref", "$defs"):
                yield "gemini-keyword", f"{where}/{_escape(key)}", f"keyword {key!r}"
        if isinstance(node.get("enum"), list) and any(not isinstance(v, str) for v in node["enum"]):
            yield "gemini-enum", f"{where}/enum", "non-string enum values"
        fmt = node.get("format")
        if fmt is not None and kinds and fmt not in GEMINI_FORMATS.get(kinds[0], set()):
            yield "gemini-format", f"{where}/format", f"format {fmt!r} on {kinds[0]}"
        if "type" in node and "anyOf" in node:
            yield "gemini-type-and-anyof", where, "type next to anyOf"


# -- regular expressions every client can run -----------------------------------------

_NOT_PORTABLE = (
    ("(?=", "lookahead"),
    ("(?!", "lookahead"),
    ("(?<=", "lookbehind"),
    ("(?<!", "lookbehind"),
    ("(?P", "a Python named group"),
    ("(?>", "an atomic group"),
    ("(?#", "a comment group"),
)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is outside the portable subset (ECMA-262 without
    lookaround or backreferences, which every regex engine behind a client or a
    model API runs the same), or None."""
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not in_class and nxt.isdigit() and nxt != "0":
                return "a backreference"
            if nxt == "k" and pattern[i + 2 : i + 3] == "<":
                return "a backreference"
            if nxt in ("A", "Z", "z", "G", "h", "R", "K", "Q", "E"):
                return f"\\{nxt}, which ECMA-262 does not have"
            i += 2
            continue
        if in_class:
            if ch == "[" and pattern[i + 1 : i + 2] == ":":
                return "a POSIX character class"
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1  # a literal ] first in a class
        elif ch == "(" and pattern[i + 1 : i + 2] == "?":
            for token, what in _NOT_PORTABLE:
                if pattern.startswith(token, i):
                    return what
            rest = pattern[i + 2 :]
            flags = len(rest) - len(rest.lstrip("aiLmsux-"))
            if flags and rest[flags : flags + 1] in (")", ":"):
                return "inline flags"
        elif ch in "*+?}" and pattern[i + 1 : i + 2] == "+":
            return "a possessive quantifier"
        i += 1
    return None


def portable_pattern(pattern: str) -> bool:
    return pattern_problem(pattern) is None


# -- OpenAI strict mode ----------------------------------------------------------------

STRICT_SAFE_SIBLINGS = {"description", "title", "default", "examples", "deprecated"}


def strict_problems(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """Where the OpenAI Agents SDK (``convert_schemas_to_strict=True``) gives up on
    strict mode for this inputSchema and sends the tool non-strict: objects that
    permit undeclared properties, references it cannot inline, constraints strict
    mode does not have. Empty: the schema is strict-compatible (the SDK may still
    make every property required, as strict mode asks)."""
    out: list[tuple[str, str]] = []
    if "null" in _types(schema) or any(k in schema for k in ("anyOf", "oneOf", "allOf")):
        out.append(("", "the root must be a plain, non-nullable object"))
    for pointer, node in _nodes(schema):
        if pointer.startswith("/$defs") or pointer.startswith("/definitions"):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str):
            siblings = set(node) - {"$ref"}
            if not siblings:
                out.append((pointer, f"a bare $ref ({ref}) is never inlined"))
            elif siblings - STRICT_SAFE_SIBLINGS:
                out.append((pointer, f"$ref beside {sorted(siblings - STRICT_SAFE_SIBLINGS)}"))
            continue
        is_object = "object" in _types(node) or "properties" in node
        extra = node.get("additionalProperties")
        if is_object and not node.get("properties") and extra is not False:
            out.append((pointer, "an object that permits undeclared properties"))
        elif is_object and extra not in (None, False):
            out.append((pointer, "additionalProperties other than false"))
        for key in ("minProperties", "maxProperties", "patternProperties"):
            if key in node:
                out.append((pointer, f"{key}, which strict mode does not have"))
    return out


# -- what the server serves ---------------------------------------------------------


def served_schema(
    schema: dict[str, Any], profile: str = "default", keep_null: bool = False
) -> dict[str, Any]:
    """The inputSchema a tool is listed with; arguments are always checked against
    the full ``schema``.

    ``gemini``: the Gemini dialect. ``default``: ``schema`` without what only the
    server needs to enforce: the root's ``additionalProperties: false`` (unknown
    arguments are refused all the same; google-genai's MCP helper crashes on a
    boolean there, and OpenAI's strict converters add it themselves), and
    ``null`` as a value of optional properties, where leaving the property out
    says the same (``keep_null`` for merge patches, where null clears a field).
    """
    if profile == "gemini":
        return gemini_schema(_portable(schema))
    out = dict(schema)
    if out.get("properties") and out.get("additionalProperties") is False:
        del out["additionalProperties"]  # with nothing declared it stays: an open object
    out = _portable(out)
    return out if keep_null else _without_optional_null(out)


def _portable(node: Any) -> Any:
    """``node`` without patterns outside the portable subset (the server still
    checks them: arguments are validated against the full schema)."""
    if isinstance(node, list):
        return [_portable(v) for v in node]
    if not isinstance(node, dict):
        return node
    return {
        k: _portable(v)
        for k, v in node.items()
        if not (k == "pattern" and isinstance(v, str) and not portable_pattern(v))
    }


def _without_optional_null(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_optional_null(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            raw = node.get("required")
            required: list[Any] = raw if isinstance(raw, list) else []
            out[key] = {
                name: _without_optional_null(sub if name in required else _not_null(sub))
                for name, sub in value.items()
            }
        elif isinstance(value, (dict, list)) and key not in (
            "enum",
            "const",
            "default",
            "required",
        ):
            out[key] = _without_optional_null(value)
        else:
            out[key] = value
    return out


def _not_null(schema: Any) -> Any:
    """``schema`` without null among its values (the rest unchanged)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [k for k in kind if k != "null"]
        if rest:
            out["type"] = rest[0] if len(rest) == 1 else rest
    if isinstance(out.get("enum"), list) and None in out["enum"] and len(out["enum"]) > 1:
        out["enum"] = [v for v in out["enum"] if v is not None]
    for key in ("anyOf", "oneOf"):
        branches = out.get(key)
        if isinstance(branches, list) and {"type": "null"} in branches:
            rest_b = [b for b in branches if b != {"type": "null"}]
            if len(rest_b) == 1 and isinstance(rest_b[0], dict) and not set(rest_b[0]) & set(out):
                del out[key]
                out.update(rest_b[0])
            elif rest_b:
                out[key] = rest_b
    return out


# -- the Gemini dialect ---------------------------------------------------------------


def gemini_schema(schema: dict[str, Any], depth: int = GEMINI_RECURSION_DEPTH) -> dict[str, Any]:
    """An inputSchema in the subset Gemini's function declarations accept.

    References are inlined; a recursive one is unrolled ``depth`` times and then
    described instead (``Any JSON value``). ``[T, "null"]`` becomes ``nullable``;
    ``oneOf`` becomes ``anyOf``; ``allOf`` of objects is merged; ``const``,
    non-string enums, unsupported formats, defaults and other keywords are
    folded into the description.
    """
    defs = schema.get("$defs") or {}
    out = _gemini(
        copy.deepcopy({k: v for k, v in schema.items() if k != "$defs"}), defs, {}, depth, root=True
    )
    out.setdefault("properties", {})
    return out


def _note(node: dict[str, Any], text: str) -> None:
    node["description"] = (node.get("description", "") + " " + text).strip()


def _gemini(
    node: Any, defs: dict[str, Any], seen: dict[str, int], depth: int, root: bool = False
) -> Any:
    if not isinstance(node, dict):
        return {"description": "Any JSON value."} if node is True else node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.rsplit("/", 1)[-1]
        if seen.get(name, 0) >= depth or name not in defs:
            cut = {
                "description": f"{name}: any JSON value (recursive structure, nesting not described further)."
            }
            if node.get("description"):
                _note(cut, node["description"])
            return cut
        target = copy.deepcopy(defs[name])
        target.update({k: v for k, v in node.items() if k != "$ref"})
        return _gemini(target, defs, {**seen, name: seen.get(name, 0) + 1}, depth)
    out: dict[str, Any] = {}
    notes: list[str] = []
    kinds = _types(node)
    nullable = "null" in kinds
    kinds = [k for k in kinds if k != "null"]
    if len(kinds) == 1:
        out["type"] = kinds[0]
    elif len(kinds) > 1:
        out["anyOf"] = [{"type": k} for k in kinds]
    if nullable:
        out["nullable"] = True
    for key, value in node.items():
        if key in ("type", "$defs", "$ref"):
            continue
        if key == "properties" and isinstance(value, dict):
            if value:
                out["properties"] = {k: _gemini(v, defs, seen, depth) for k, v in value.items()}
        elif key == "items" and isinstance(value, dict):
            out["items"] = _gemini(value, defs, seen, depth)
        elif key in ("oneOf", "anyOf") and isinstance(value, list):
            branches = [_gemini(v, defs, seen, depth) for v in value]
            non_null = [b for b in branches if b.get("type") != "null"]
            if len(non_null) < len(branches):
                out["nullable"] = True
            if len(non_null) == 1:
                out.update({k: v for k, v in non_null[0].items() if k not in out or k == "type"})
            else:
                out["anyOf"] = non_null
        elif key == "allOf" and isinstance(value, list):
            for part in (_gemini(v, defs, seen, depth) for v in value):
                for k, v in part.items():
                    if k == "properties":
                        out.setdefault("properties", {}).update(v)
                    elif k == "required":
                        out["required"] = sorted(set(out.get("required", [])) | set(v))
                    elif k == "description":
                        _note(out, v)
                    else:
                        out.setdefault(k, v)
        elif key == "const":
            if isinstance(value, str):
                out["type"], out["enum"] = "string", [value]
            else:
                notes.append(f"Must be {json.dumps(value)}.")
        elif key == "enum" and isinstance(value, list):
            values = [v for v in value if v is not None]
            if None in value:
                out["nullable"] = True
            if all(isinstance(v, str) for v in values):
                out["enum"] = values
            else:
                notes.append("Allowed values: " + ", ".join(json.dumps(v) for v in values) + ".")
        elif key == "format":
            allowed = GEMINI_FORMATS.get(out.get("type", ""), set())
            if value in allowed:
                out["format"] = value
            else:
                notes.append(f"(format: {value})")
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, (int, float)):
            notes.append(f"Must be {'>' if key == 'exclusiveMinimum' else '<'} {value}.")
        elif key == "default":
            notes.append(f"Default: {json.dumps(value)}.")
        elif key == "additionalProperties" and isinstance(value, dict):
            notes.append("An object mapping names to values.")
        elif key == "description":
            out["description"] = (str(value) + " " + out.get("description", "")).strip()
        elif key in GEMINI_KEYWORDS:
            out[key] = value
    if "anyOf" in out:
        out.pop("type", None)
    if isinstance(out.get("required"), list) and "properties" in out:
        out["required"] = [r for r in out["required"] if r in out["properties"]] or None
        if out["required"] is None:
            del out["required"]
    elif "required" in out and "properties" not in out:
        del out["required"]
    if out.get("type") == "array" and "items" not in out:
        out["items"] = {"description": "Any JSON value."}
    for text in notes:
        _note(out, text)
    if not root and out.get("type") == "object" and not out.get("properties"):
        del out["type"]  # Gemini rejects an OBJECT without properties: any value instead
        _note(out, "A JSON object.")
    if not root and not out:
        out["description"] = "Any JSON value."
    return out
