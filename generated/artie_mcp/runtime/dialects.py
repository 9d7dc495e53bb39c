"""The schemas a server lists, per client dialect: patterns every client's regex
engine runs the same, the default profile (what only the server enforces left
out) and the Gemini dialect. Standard library only, shared by the generator
(its lint) and the generated server (``--schema-profile``)."""

from __future__ import annotations

import copy
import json
from typing import Any

GEMINI_RECURSION_DEPTH = 2
GEMINI_KEYWORDS = {
    "type", "format", "title", "description", "nullable", "enum", "items", "minItems", "maxItems",
    "minimum", "maximum", "properties", "required", "propertyOrdering", "anyOf", "pattern",
    "minLength", "maxLength", "minProperties", "maxProperties",
}  # fmt: skip
GEMINI_FORMATS = {
    "string": {"date-time", "enum"},
    "integer": {"int32", "int64"},
    "number": {"float", "double"},
}


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("type")
    return kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []


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


# -- what the server serves ---------------------------------------------------------


def keeps_null(method: str, content_type: str) -> bool:
    """Whether null is a value worth advertising for optional arguments: in a
    patch it clears a field, elsewhere leaving the argument out says the same."""
    return method == "PATCH" or "merge-patch" in content_type


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
