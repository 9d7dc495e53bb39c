"""Every name the generated server exposes, settled in one pass per API.

Tool names: the operationId where there is one, otherwise derived from method
and path (see ``derive_name``); then the optional prefix; then shortened to the
length limit (readable stem + short hash) and made unique with a numeric
suffix. Argument names: the spec's own names, made safe for every client;
a parameter whose name a body field already uses gets its location as suffix.
"""

from __future__ import annotations

import hashlib
import keyword
import re

from generator.contract import contract

TOOL_NAME = contract.TOOL_NAME
ARG_NAME = contract.ARG_NAME
DEFAULT_MAX_NAME_LENGTH = 48
HASH_LEN = 6


def sanitize(name: str, allowed: str = r"[^A-Za-z0-9_-]") -> str:
    """Replace characters a tool name cannot have with '_' (runs collapsed)."""
    out = re.sub(allowed, "_", name)
    out = re.sub(r"_+", "_", out).strip("_")
    return out


def snake(text: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return sanitize(text.replace("-", "_").replace(".", "_").replace(" ", "_")).lower()


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def derive_name(method: str, path: str) -> str:
    """A readable, stable name for an operation without an operationId.

    resource = the first literal path segment, singular, snake_case
    (``/column-hashing-salts`` -> ``column_hashing_salt``). Then:
    GET on the collection -> ``<resource>_list``; POST on it -> ``_create``;
    GET on an item (``/x/{id}``) -> ``_detail``; PUT/PATCH/POST on an item ->
    ``_update``; DELETE on an item -> ``_delete``. Any other path is an action:
    ``<resource>_<literal segments after the first>``, with the HTTP method in
    front of the action for methods other than POST
    (``POST /pipelines/{uuid}/start`` -> ``pipeline_start``,
    ``GET /connectors/{uuid}/detail`` -> ``connector_get_detail``).
    """
    method = method.lower()
    segments = [s for s in path.strip("/").split("/") if s]
    literal = [s for s in segments if not s.startswith("{")]
    if not literal:
        return f"{method}_root"
    resource_words = snake(literal[0])
    resource = "_".join(resource_words.split("_")[:-1] + [singular(resource_words.split("_")[-1])])
    rest = segments[1:]
    if not rest:
        verb = {
            "get": "list",
            "post": "create",
            "put": "replace",
            "patch": "update",
            "delete": "delete_all",
        }
        return f"{resource}_{verb.get(method, method)}"
    if len(rest) == 1 and rest[0].startswith("{"):
        verb = {
            "get": "detail",
            "post": "update",
            "put": "update",
            "patch": "update",
            "delete": "delete",
        }
        return f"{resource}_{verb.get(method, method)}"
    action = "_".join(snake(s) for s in literal[1:]) or "item"
    if method != "post":
        action = f"{method}_{action}"
    return f"{resource}_{action}"


def shorten(name: str, limit: int) -> str:
    """Cut to ``limit`` keeping a readable stem and a hash of the full name."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:HASH_LEN]
    stem = name[: max(1, limit - HASH_LEN - 1)].rstrip("_-")
    return f"{stem}_{digest}"


def unique(name: str, taken: set[str], limit: int) -> str:
    """``name``, or ``name_2``, ``name_3``...: the first whose case-folded form is
    not in ``taken`` (tool files must differ on case-insensitive filesystems)."""
    if name.casefold() not in taken:
        return name
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = name[: limit - len(suffix)] + suffix
        if candidate.casefold() not in taken:
            return candidate
        n += 1


def arg_name(wire: str) -> str:
    name = sanitize(wire, r"[^A-Za-z0-9_.-]") or "arg"
    return name[:64]


def python_identifier(name: str) -> str:
    ident = re.sub(r"\W", "_", name)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident):
        ident += "_"
    return ident
