"""Declarations that generated tool modules are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Location = Literal["path", "query", "header", "cookie"]


@dataclass(frozen=True, slots=True)
class Param:
    """A tool argument that becomes an HTTP parameter."""

    arg: str
    wire: str
    location: Location
    required: bool = False
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
    files: tuple[
        str, ...
    ] = ()  # arguments that carry a file: {content_base64 | path, filename, content_type}


@dataclass(frozen=True, slots=True)
class Annotations:
    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool


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
    method_class: Literal["read", "write", "custom"] = "custom"
    exposure: Literal["exposed", "excluded"] = "exposed"
    success_statuses: tuple[int, ...] = ()
    bodiless: bool = False
    output_wrapped: bool = False
    has_output_schema: bool = False
    list_field: str | None = None  # the array a list result is windowed on
    window_args: tuple[str, ...] = ()  # (offset argument, limit argument)
    fields_arg: str | None = None  # field-projection argument
    chunk_field: str | None = None  # body array split across requests over the size limit
    state_check: str | None = None  # a GET showing whether a failed call took effect
    retry: Literal["safe", "unsafe", "safe-after-state-check"] = "unsafe"
    scopes: tuple[str, ...] = ()
    input_sensitivity: str = "none"
    output_sensitivity: str = "none"
    exclusion_reason: str | None = None
    remediation: str | None = None
    operation_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


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
    instructions: str = ""
