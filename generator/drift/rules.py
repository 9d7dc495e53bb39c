"""Drift rules: what a change to one tool's schemas means for its callers.

Severity is decided by what happens to an agent against the new server. A
tool's input is what the agent sends: narrowing it (a new required argument, a
removed enum value, a tighter bound, an argument removed from the closed
argument object) makes saved calls fail. Its output is what the agent reads:
widening it (a new enum value, null, a wider type) may surprise a consumer.
Rule ids follow oasdiff's where one exists.

``Found`` items (``compare``) carry the kind of change and a pointer; here they
get the tool's naming (parameter, body or property; request or response) and
their severity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from generator.contract import contract
from generator.drift.compare import Differ
from generator.drift.local import LISTS, Found
from generator.ir import Tool

Severity = Literal["breaking", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("breaking", "warning", "info")
JSON = dict[str, Any]

# how a kind of change rates on the input side and on the output side
IMPACT: dict[str, tuple[Severity, Severity]] = {
    "narrow": ("breaking", "info"),  # accepts / may return less than before
    "widen": ("info", "warning"),  # accepts / may return more than before
    "break": ("breaking", "breaking"),
    "warn": ("warning", "warning"),
    "info": ("info", "info"),
}


@dataclass(frozen=True)
class Change:
    severity: Severity
    rule: str
    direction: Literal["input", "output", "meta"]
    location: (
        str  # JSON pointer inside the tool's inputSchema / documented result, or into the tool
    )
    message: str
    origin: tuple[str, str] | None = None  # (component, pointer inside it): one upstream edit
    where: str = ""  # a short path for people: `Component.field`, or the tool's own path
    summary: str = ""  # the message as said of the component (the same for every tool)
    places: int = 1  # the same change at this many places of the tool schema
    event: str = ""  # what changed, the same on both sides (for grouping)

    def as_dict(self) -> JSON:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "direction": self.direction,
            "location": self.location,
            "message": self.message,
            "places": self.places,
        }


def unesc(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


@lru_cache(maxsize=65536)
def short_path(ptr: str) -> str:
    """``/properties/a/items/properties/b`` -> ``a[].b``; alternatives as ``<anyOf 2>``."""
    parts, out, i = [unesc(p) for p in ptr.split("/")[1:]], "", 0
    while i < len(parts):
        part = parts[i]
        if part in ("properties", "patternProperties", "$defs") and i + 1 < len(parts):
            out += ("." if out else "") + ("$defs/" if part == "$defs" else "") + parts[i + 1]
            i += 2
        elif part in LISTS and i + 1 < len(parts) and parts[i + 1].isdigit():
            out += f"<{part} {int(parts[i + 1]) + 1}>"
            i += 2
        elif part == "additionalProperties":
            out += "{*}"
            i += 1
        else:
            out += "[]" if part == "items" else ("." if out else "") + part
            i += 1
    return out


class Naming:
    """Subjects and labels of one tool side: ``request-parameter`` or ``response-property``,
    "query parameter `cursor`" or "`a.b[]`"."""

    def __init__(
        self,
        direction: Literal["input", "output"],
        side: str,  # request, response or webhook
        params: Mapping[str, str] | None = None,  # argument -> HTTP location
        body_arg: str | None = None,  # the argument holding a wrapped body
        result_key: str | None = None,  # the output is wrapped as {"result": ...}
        generated: frozenset[str] = frozenset(),  # arguments the generator adds
        flat_origin: Mapping[str, str] | None = None,  # flat body argument -> its component
    ) -> None:
        self.flat_origin: Mapping[str, str] = flat_origin or {}
        self.direction = direction
        self.side = side
        self.params: Mapping[str, str] = params or {}
        self.body_arg = body_arg
        self.result_key = result_key
        self.generated = generated

    def _top(self, ptr: str) -> str | None:
        parts = ptr.split("/")
        return unesc(parts[2]) if len(parts) == 3 and parts[1] == "properties" else None

    def subject(self, ptr: str) -> str:
        top = self._top(ptr)
        if self.side == "request":
            if ptr == "" or (top is not None and top == self.body_arg):
                return "request-body"
            return "request-parameter" if top in self.params else "request-property"
        if self.side == "response":
            if ptr == "" or (top is not None and top == self.result_key):
                return "response-body"
            return "response-property"
        return f"{self.side}-payload" if ptr == "" else f"{self.side}-property"

    def label(self, ptr: str) -> str:
        top = self._top(ptr)
        note = " (added by the generator)" if top in self.generated else ""
        if self.side == "request" and top is not None and top in self.params:
            return f"{self.params[top]} parameter `{top}`{note}"
        out = short_path(ptr)
        if not out:
            return {"request": "the arguments", "response": "the result"}.get(self.side, "payload")
        return f"`{out}`{note}"

    def rule(self, found: Found, ptr: str) -> str:
        s = self.subject(ptr)
        if found.event == "property-removed":
            return (
                f"{s}-removed"
                if self.direction == "input"
                else f"{self.side}-{found.kind}-property-removed"
            )
        if found.event == "property-added":
            if self.direction == "output":
                return f"{self.side}-{found.kind}-property-added"
            return f"{s}-added-{found.kind}" if s == "request-body" else f"new-{found.kind}-{s}"
        if found.event == "type-narrowed":
            return f"{s}-type-changed" if self.direction == "input" else f"{s}-type-specialized"
        return f"{s}-{found.event}"

    def change(self, found: Found, prefix: str = "") -> Change:
        ptr = prefix + found.ptr
        top = ptr.split("/")[2] if ptr.startswith("/properties/") else None
        if found.origin is None and top is not None and unesc(top) in self.flat_origin:
            # a flat body's fields are the body component's properties
            found = found._replace(origin=(self.flat_origin[unesc(top)], ptr))
        label = self.label(ptr)
        plain = label if self.subject(ptr) == "request-parameter" else f"property {label}"
        message = found.text.replace("{w}", label).replace("{W}", plain)
        severity = IMPACT[found.impact][0 if self.direction == "input" else 1]
        where, summary = "", message
        if found.origin is not None:
            inner = short_path(found.origin[1])
            where = f"{found.origin[0]}.{inner}" if inner else found.origin[0]
            named = f"`{where}`"
            summary = found.text.replace("{w}", named).replace("{W}", f"property {named}")
        return Change(
            severity,
            self.rule(found, ptr),
            self.direction,
            ptr,
            message,
            found.origin,
            where or short_path(ptr) or "/",
            summary,
            found.places,
            found.event if found.event.startswith("property-") else found.text,
        )


def documented_output(tool: Tool, unwrapped: bool = False) -> JSON | None:
    """What a tool's structuredContent documentedly holds (not the advertised
    outline): the bodiless shape, or the response schema, under "result" when wrapped
    (``unwrapped``: the documented body itself). The one place drift reads a tool's
    output from."""
    if tool.bodiless:
        return dict(contract.BODILESS_SCHEMA)
    if tool.response_schema is None:
        return None
    if tool.output_wrapped and not unwrapped:
        key = contract.RESULT_KEY
        inner = {k: v for k, v in tool.response_schema.items() if k != "$defs"}
        out: JSON = {"type": "object", "properties": {key: inner}, "required": [key]}
        if "$defs" in tool.response_schema:
            out["$defs"] = tool.response_schema["$defs"]
        return out
    return tool.response_schema


def schema_changes(
    base: Tool, head: Tool, inputs: Differ, outputs: Differ, body_component: str | None = None
) -> list[Change]:
    """Input and output schema changes of one tool (the same route in both specs)."""
    params = {p.arg: p.location for p in head.params} | {p.arg: p.location for p in base.params}
    generated = frozenset(
        n for t in (base, head) for n in (*(t.window_args or ()), t.fields_arg) if n
    )
    body = head.body or base.body
    body_arg = body.arg if body is not None and body.mode == "wrapped" else None
    flat: dict[str, str] = {}
    if body_component and body is not None and body.mode == "flat":
        flat = {arg: body_component for arg, _ in body.fields if arg not in params}
    naming = Naming("input", "request", params, body_arg, None, generated, flat)
    found = [naming.change(f) for f in inputs.tool(base.input_schema, head.input_schema)]
    old, new = documented_output(base), documented_output(head)
    if old is not None and new is not None and base.output_wrapped != head.output_wrapped:
        # the documented body is compared as it is; the move itself is one change
        key = contract.RESULT_KEY
        how = f'now sits under "{key}"' if head.output_wrapped else f'no longer sits under "{key}"'
        message = f"structuredContent changes shape: the result {how}"
        found.append(Change("breaking", "response-body-wrapping-changed", "output", "", message))
        old, new = documented_output(base, unwrapped=True), documented_output(head, unwrapped=True)
    if old is not None and new is not None:
        wrapped = contract.RESULT_KEY if base.output_wrapped and head.output_wrapped else None
        naming = Naming("output", "response", result_key=wrapped)
        found += [naming.change(f) for f in outputs.tool(old, new)]
    elif old is not None:
        message = "no outputSchema any more: the result is no longer described"
        found.append(Change("warning", "tool-output-schema-removed", "output", "", message))
    elif new is not None:
        message = "the result now has an outputSchema"
        found.append(Change("info", "tool-output-schema-added", "output", "", message))
    return found
