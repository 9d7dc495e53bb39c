"""What real MCP clients and model APIs accept, as code: the lint (the dialects the
server lists its schemas in are ``dialects``).

It imports only ``contract`` (standard library only) so that the generator
(``artie-mcp-gen lint``) and the generated server (``artie-mcp lint``,
``--schema-profile gemini``) share one copy of the rules. Each rule names its
source: the client's own error text where one is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .contract import ARG_NAME as PROPERTY_KEY
from .contract import CLIENT_DESCRIPTION_LIMIT as MAX_DESCRIPTION
from .contract import TOOL_NAME
from .dialects import GEMINI_FORMATS, GEMINI_KEYWORDS, _types, portable_pattern

CLIENTS = ("claude", "claude-code", "cursor", "openai", "vscode", "gemini")
TOOL_LIMITS = {"openai": 128, "gemini": 512}  # tools one request may carry
# the longest server key + tool name a client takes: mcp__<key>__<tool> within 64
# characters (Claude Code), key and tool together under 60 (Cursor)
NAME_BUDGET = {"claude-code": 64 - len("mcp____"), "cursor": 59}
TOOLS_LIST_BUDGET = 100_000  # bytes of a full tools/list (about 25,000 tokens) before compact


def compact_reason(count: int, size: int, budget: int = TOOLS_LIST_BUDGET) -> str | None:
    """Why a full tools/list of ``count`` tools and ``size`` bytes should not be
    served by default (the server starts in compact mode), or None."""
    if count > min(TOOL_LIMITS.values()):
        return f"{count} tools are more than OpenAI takes in one request ({TOOL_LIMITS['openai']})"
    if size > budget:
        return f"the full tools/list is {size:,} bytes, over the budget of {budget:,}"
    return None


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


# -- the lint -------------------------------------------------------------------


def lint(
    tools: list[dict[str, Any]],
    clients: tuple[str, ...],
    server_key: str,
    instructions: str | None = None,
) -> list[Violation]:
    """Every rule each tool (tools/list JSON, camelCase keys) breaks, per client;
    ``server_key`` is the key the client knows the server by (its name budgets)."""
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
    over = client in NAME_BUDGET and len(server_key) + len(name) > NAME_BUDGET[client]
    if over and client == "claude-code":
        yield "tool-name-length", "/name", f"mcp__{server_key}__{name} is {len(f'mcp__{server_key}__{name}')} characters"
    if over and client == "cursor":
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
