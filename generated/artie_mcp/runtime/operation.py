"""The declarations a generated package is made of, and their JSON form.

Each operation is one data file, ``<package>/tools/<name>.json``: the keys are
the field names below (defaults left out), so a change to one tool is a change
to one reviewable file. The generator writes these files with ``dump`` and the
runtime reads them with ``load_operations``; neither spells the format twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

from .contract import HINTS, Exposure, Location, MethodClass, Retry

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Param:
    """A tool argument that becomes an HTTP parameter."""

    arg: str
    wire: str
    location: Location
    style: str | None = None
    explode: bool | None = None


@dataclass(frozen=True, slots=True)
class Body:
    """How the request body is built: ``flat`` takes each field from its own
    argument, ``wrapped`` sends the argument ``arg`` as the whole body."""

    content_type: str
    mode: Literal["flat", "wrapped"]
    arg: str | None = None
    fields: tuple[tuple[str, str], ...] = ()  # (argument, body property)
    files: tuple[str, ...] = ()  # arguments that carry a file: {content_base64 | path, ...}


@dataclass(frozen=True, slots=True)
class Annotations:
    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool

    def as_mcp(self) -> JSON:
        """As tools/list spells them, leaving out what MCP's defaults already say
        (readOnlyHint false, idempotentHint false, openWorldHint true; destructive and
        idempotent mean nothing for a read-only tool). destructiveHint stays explicit
        on every tool that writes."""
        out: JSON = {}
        if self.read_only:
            out["readOnlyHint"] = True
        else:
            out["destructiveHint"] = self.destructive
            if self.idempotent:
                out["idempotentHint"] = True
        if not self.open_world:
            out["openWorldHint"] = False
        return out

    def labels(self) -> list[str]:
        """Short names of the hints that are on (``read-only``, ``destructive``, ...)."""
        return [label for attr, _, label in HINTS if getattr(self, attr)]


@dataclass(frozen=True, slots=True)
class Operation:
    """One upstream operation served as one MCP tool."""

    name: str
    title: str
    description: str
    method: str
    path: str
    annotations: Annotations
    params: tuple[Param, ...] = ()
    body: Body | None = None
    tags: tuple[str, ...] = ()
    method_class: MethodClass = "custom"
    exposure: Exposure = "exposed"
    bodiless: bool = False  # success carries no body: {"ok": true, "status": n}
    output_wrapped: bool = False  # structuredContent is {"result": <body>}
    json_response: bool = False  # every documented success body is JSON
    list_field: str | None = None  # the array a list result is windowed on
    window_args: tuple[str, ...] = ()  # (offset argument, limit argument)
    fields_arg: str | None = None  # field-projection argument
    chunk_field: str | None = None  # body array split across requests over the size limit
    state_check: str | None = None  # the read operation showing whether a failed call took effect
    retry: Retry = "unsafe"
    scopes: tuple[str, ...] = ()  # x-artie-mcp requiredScopes
    input_sensitivity: str = "none"
    output_sensitivity: str = "none"
    exclusion_reason: str | None = None
    remediation: str | None = None
    input_schema: JSON = field(default_factory=dict, compare=False)
    output_schema: JSON | None = field(default=None, compare=False)  # as advertised
    response_schema: JSON | None = field(default=None, compare=False)  # as the spec documents it
    response_model: str | None = None  # the class in the package's models that reads an answer

    @property
    def control_args(self) -> tuple[str, ...]:
        """Arguments that shape the result and never reach upstream."""
        return tuple(a for a in (*self.window_args, self.fields_arg) if a)


# -- the JSON form ------------------------------------------------------------------


def _default(f: Any) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def _plain(value: Any) -> Any:
    """A declaration as JSON: field names as keys, defaults left out."""
    if is_dataclass(value) and not isinstance(value, type):
        out: JSON = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if item == _default(f):
                continue
            out[f.name] = _plain(item)
        return out
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def dump(op: Operation) -> str:
    """The tool file's text: stable, indented, one trailing newline."""
    return json.dumps(_plain(op), indent=2, ensure_ascii=False) + "\n"


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(tuple(v) if isinstance(v, list) else v for v in value or ())


def from_json(data: JSON) -> Operation:
    body = data.get("body")
    return Operation(
        **{
            **data,
            "annotations": Annotations(**data["annotations"]),
            "params": tuple(Param(**p) for p in data.get("params", ())),
            "body": (
                Body(
                    **{
                        **body,
                        "fields": _tuple(body.get("fields")),
                        "files": _tuple(body.get("files")),
                    }
                )
                if body
                else None
            ),
            "tags": tuple(data.get("tags", ())),
            "window_args": tuple(data.get("window_args", ())),
            "scopes": tuple(data.get("scopes", ())),
        }
    )


def load_operations(directory: Path) -> tuple[Operation, ...]:
    """Every ``*.json`` declaration in ``directory``, by name."""
    paths: Iterable[Path] = sorted(directory.glob("*.json"))
    return tuple(from_json(json.loads(p.read_text(encoding="utf-8"))) for p in paths)


@dataclass(frozen=True, slots=True)
class Auth:
    """How the upstream API key is sent (from the spec's security scheme)."""

    kind: Literal["bearer", "oauth2", "basic", "header", "query", "cookie", "none"] = "bearer"
    name: str = "Authorization"
    token_url: str = ""  # oauth2: the client-credentials token endpoint
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PackageInfo:
    """What a generated package tells the runtime about itself."""

    name: str  # MCP server name
    version: str
    title: str
    api_key_env: str
    base_url_env: str
    default_base_url: str
    option_env_prefix: str  # e.g. ARTIE_MCP_
    command: str
    module: str = ""  # the import package, for worker processes
    auth: Auth = Auth()
    spec_version: str = ""
    spec_digest: str = ""
    instructions: str = ""
    root: Path | None = None  # the package folder: tools/ and prompts.json live here
