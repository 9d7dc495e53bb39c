"""The intermediate representation: every decision made, nothing left to templates.

Builders (``operations``, ``policy``, ``naming``, ``schemas``) fill these; the
renderer only formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from generator.contract import contract, operation

JSON = dict[str, Any]
Location = contract.Location
MethodClass = contract.MethodClass
Retry = contract.Retry
# the runtime's own class: what a tool's hints are, defined once
Annotations = operation.Annotations


@dataclass(frozen=True)
class Param:
    """One tool argument that maps to an HTTP parameter."""

    arg: str  # the tool argument name
    wire: str  # the name on the wire
    location: Location
    required: bool
    schema: JSON
    style: str | None = None
    explode: bool | None = None


@dataclass(frozen=True)
class Body:
    """How the JSON request body is built from the arguments.

    ``flat``: each body property is its own argument (``fields`` maps argument
    name to property name). ``wrapped``: the whole body is the argument ``arg``.
    """

    content_type: str
    mode: Literal["flat", "wrapped"]
    required: bool
    arg: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    files: tuple[str, ...] = ()  # arguments that carry a file (multipart parts, raw bodies)


@dataclass
class Policy:
    """What upstream says about how a tool should behave (``x-artie-mcp``)."""

    exposure: Literal["exposed", "excluded"] = "exposed"
    title: str | None = None
    trigger: str | None = None
    scopes: tuple[str, ...] = ()
    retry: Retry = "unsafe"
    input_sensitivity: str = "none"
    output_sensitivity: str = "none"
    bodiless_success: bool = False
    exclusion_reason: str | None = None
    remediation: str | None = None
    from_spec: bool = False  # False: derived from the HTTP method


@dataclass
class Tool:
    operation_id: str | None
    method: str  # upper case
    path: str
    name: str = ""  # settled by naming.resolve
    title: str = ""
    summary: str = ""
    description: str = ""  # the tool description as served
    tags: tuple[str, ...] = ()
    deprecated: bool = False
    method_class: MethodClass = "custom"
    annotations: Any = None  # Annotations, set by the builder
    policy: Policy = field(default_factory=Policy)
    params: list[Param] = field(default_factory=list)
    body: Body | None = None
    input_schema: JSON = field(default_factory=dict)
    response_schema: JSON | None = None  # the documented success body, self-contained
    response_component: str | None = None  # the component that body is, when it is one
    output_schema: JSON | None = None  # as advertised: an outline the runtime always meets
    output_wrapped: bool = False  # structuredContent is {"result": <body>}
    json_response: bool = False  # every documented success body is JSON
    bodiless: bool = False  # success carries no body: {"ok": true, "status": n}
    list_field: str | None = None  # the array field of a list result, for windowing
    window_args: tuple[str, str] | None = None  # (offset, limit) argument names of list tools
    fields_arg: str | None = None  # the field-projection argument, for object results
    chunk_field: str | None = None  # a body array the runtime may split into several requests
    state_check: str | None = None  # the read that shows whether a failed call took effect

    @property
    def where(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Webhook:
    name: str
    method: str
    summary: str


@dataclass
class Api:
    title: str
    version: str
    openapi: str
    description: str
    digest: str  # sha256 of the canonical JSON of the spec
    base_url: str
    auth: JSON  # the security scheme the server sends, see service.auth_scheme
    tools: list[Tool] = field(default_factory=list)  # exposed
    excluded: list[Tool] = field(default_factory=list)  # exposure: excluded
    webhooks: list[Webhook] = field(default_factory=list)
    has_policy: bool = False  # any x-artie-mcp block at all
    renames: list[tuple[str, str, str]] = field(default_factory=list)  # (where, wanted, got)

    @property
    def all_tools(self) -> list[Tool]:
        return sorted(self.tools + self.excluded, key=lambda t: t.name)
