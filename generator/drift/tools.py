"""Matching tools across two IRs; tool-level (meta) and webhook changes.

Tools are matched by method and path (path parameter names ignored), then by
name (a tool that moved to another route); a different name at the same route
is a rename. Webhooks are matched by name and method and never become tools.
"""

from __future__ import annotations

import re
from typing import Any

from generator import schemas, schematools
from generator.drift.compare import Differ
from generator.drift.model import Side
from generator.drift.report import Report, Row
from generator.drift.rules import Change, Naming, Severity, schema_changes
from generator.ir import Tool, Webhook

HINTS = (  # (field, served name, severity when it turns true, when it turns false)
    ("read_only", "readOnlyHint", "info", "breaking"),
    ("destructive", "destructiveHint", "warning", "info"),
    ("idempotent", "idempotentHint", "info", "warning"),
    ("open_world", "openWorldHint", "info", "info"),
)
POLICY = "/x-artie-mcp/"


def _route(tool: Tool) -> tuple[str, str]:
    return tool.method, re.sub(r"\{[^}/]*\}", "{}", tool.path)


def _index(tools: list[Tool]) -> dict[tuple[str, str], Tool]:
    grouped: dict[tuple[str, str], list[Tool]] = {}
    for tool in tools:
        grouped.setdefault(_route(tool), []).append(tool)
    out: dict[tuple[str, str], Tool] = {}
    for key, found in grouped.items():
        for tool in found:
            out[key if len(found) == 1 else (tool.method, tool.path)] = tool
    return out


def _exposed(tool: Tool) -> bool:
    return tool.policy.exposure == "exposed"


def compare_tools(report: Report, base_side: Side, head_side: Side) -> None:
    base, head = base_side.api, head_side.api
    inputs = Differ("input", base_side.defs("input"), head_side.defs("input"))
    outputs = Differ("output", base_side.defs("output"), head_side.defs("output"))
    old, new = _index(base.all_tools), _index(head.all_tools)
    pairs = [(old.pop(k), new.pop(k)) for k in sorted(old.keys() & new.keys())]
    by_name = {t.name: k for k, t in new.items()}
    for key, tool in sorted(old.items()):
        if tool.name in by_name:  # the same tool on another route
            pairs.append((old.pop(key), new.pop(by_name[tool.name])))
    added: list[str] = []
    removed: list[str] = []
    for a in old.values():
        where = f"{a.method} {a.path}"
        if _exposed(a):
            removed.append(a.name)
            change = Change("breaking", "tool-removed", "meta", "", f"tool removed ({where})")
        else:
            message = f"excluded tool removed ({where}; it was served only with --include-excluded)"
            change = Change("warning", "tool-removed", "meta", "", message)
        report.rows.append(Row(a.name, change, listed=_exposed(a), excluded=not _exposed(a)))
    for b in new.values():
        if _exposed(b):
            added.append(b.name)
        message = f"new tool ({b.method} {b.path})" + (
            "" if _exposed(b) else ", excluded by default"
        )
        severity: Severity = "info"
        if b.annotations is not None and b.annotations.destructive:
            severity = "warning"  # as visible as a tool that becomes destructive
            message += "; destructive (destructiveHint true): the server asks before each call"
        change = Change(severity, "tool-added", "meta", "", message)
        report.rows.append(Row(b.name, change, listed=_exposed(b), excluded=not _exposed(b)))
    renamed = []
    for a, b in pairs:
        if a.name != b.name:
            renamed.append({"from": a.name, "to": b.name})
        if _exposed(a) and not _exposed(b):
            removed.append(a.name)
        elif _exposed(b) and not _exposed(a):
            added.append(b.name)
        excluded = not _exposed(b)
        component = _body_component(head_side, b)
        for change in meta_changes(a, b) + schema_changes(a, b, inputs, outputs, component):
            report.rows.append(Row(b.name, change, excluded=excluded, former=a.name))
    report.tools = {
        "added": sorted(added),
        "removed": sorted(removed),
        "renamed": sorted(renamed, key=lambda r: r["to"]),
    }


def meta_changes(base: Tool, head: Tool) -> list[Change]:
    """Name, exposure, route, annotations, description and filters of one tool."""
    out: list[Change] = []

    def add(severity: Severity, rule: str, location: str, message: str) -> None:
        out.append(Change(severity, rule, "meta", location, message))

    if base.name != head.name:
        if base.operation_id == head.operation_id:
            how = "same operationId, named differently"
        elif base.operation_id is None:
            how = "operationId added"
        elif head.operation_id is None:
            how = f"operationId {base.operation_id!r} removed: named after the route"
        else:
            how = f"operationId was {base.operation_id!r}"
        message = f"renamed from `{base.name}` ({how}): saved calls, allow-lists and prompts "
        message += f"naming `{base.name}` stop working"
        add("breaking" if _exposed(base) else "warning", "tool-renamed", "/name", message)
    if _exposed(base) and not _exposed(head):
        why = f": {head.policy.exclusion_reason}" if head.policy.exclusion_reason else ""
        message = f"no longer exposed (x-artie-mcp exposure: excluded{why})"
        if head.policy.remediation:
            message += f"; upstream says: {head.policy.remediation}"
        add("breaking", "tool-exposure-changed", POLICY + "exposure", message)
    elif _exposed(head) and not _exposed(base):
        add("info", "tool-exposure-changed", POLICY + "exposure", "now exposed (was excluded)")
    if base.where != head.where:
        add("info", "tool-route-changed", "/path", f"route {base.where} -> {head.where}")
    ba, ha = base.annotations, head.annotations
    if ba is not None and ha is not None:
        if base.title != head.title:
            add("info", "tool-title-changed", "/title", f"title {base.title!r} -> {head.title!r}")
        for attr, served, to_true, to_false in HINTS:
            was, now = getattr(ba, attr), getattr(ha, attr)
            if was != now:
                message = f"{served} {str(was).lower()} -> {str(now).lower()}"
                severity: Any = to_true if now else to_false
                add(severity, "tool-annotation-changed", f"/annotations/{served}", message)
    if base.description != head.description:
        sizes = f"{len(base.description)} -> {len(head.description)} characters"
        add("info", "tool-description-changed", "/description", f"description changed ({sizes})")
    if base.deprecated != head.deprecated:
        rule = "endpoint-deprecated" if head.deprecated else "endpoint-reactivated"
        add("info", rule, "/deprecated", rule.removeprefix("endpoint-"))
    for tag in sorted(set(base.tags) - set(head.tags)):
        add("warning", "api-tag-removed", "/tags", f"tag {tag!r} removed (--tags filters)")
    for tag in sorted(set(head.tags) - set(base.tags)):
        add("info", "api-tag-added", "/tags", f"tag {tag!r} added")
    if base.method_class != head.method_class:
        message = f"class {base.method_class} -> {head.method_class} (--methods filters)"
        add("warning", "tool-class-changed", "/class", message)
    for scope in sorted(set(head.policy.scopes) - set(base.policy.scopes)):
        message = f"now requires scope {scope!r}"
        add("warning", "tool-required-scope-added", POLICY + "requiredScopes", message)
    for scope in sorted(set(base.policy.scopes) - set(head.policy.scopes)):
        message = f"no longer requires scope {scope!r}"
        add("info", "tool-required-scope-removed", POLICY + "requiredScopes", message)
    for attr, served, rule in (
        ("retry", "retrySemantics", "tool-retry-semantics-changed"),
        ("input_sensitivity", "inputSensitivity", "tool-sensitivity-changed"),
        ("output_sensitivity", "outputSensitivity", "tool-sensitivity-changed"),
    ):
        was, now = getattr(base.policy, attr), getattr(head.policy, attr)
        if was != now:
            add("info", rule, POLICY + served, f"{served} {was} -> {now}")
    return out


def _body_component(side: Side, tool: Tool) -> str | None:
    """The component a tool's request body is (``$ref`` to ``#/components/schemas/X``)."""
    if tool.body is None:
        return None
    walker = side.walker
    try:
        item = (side.spec.get("paths") or {})[tool.path]
        item = walker.lookup(item["$ref"]) if "$ref" in item else item
        body = item[tool.method.lower()]["requestBody"]
        body = walker.lookup(body["$ref"]) if "$ref" in body else body
        ref = body["content"][tool.body.content_type]["schema"]["$ref"]
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return schemas.def_name(ref)
    return None


def _payload(side: Side, hook: Webhook) -> Any:
    """The webhook's JSON payload as a tool-like schema (what a receiver reads)."""
    walker, spec = side.walker, side.spec
    try:
        item = (spec.get("webhooks") or {})[hook.name]
        item = walker.lookup(item["$ref"]) if "$ref" in item else item
        body = item[hook.method.lower()].get("requestBody") or {}
        body = walker.lookup(body["$ref"]) if "$ref" in body else body
        content = body.get("content") or {}
        raw = next((v.get("schema") for k, v in content.items() if "json" in k), None)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
    if raw is None:
        return None
    with schematools.deferred_finalize():
        converted, defs = walker.convert(raw, "output", f"webhook {hook.name}")
        if not isinstance(converted, dict):
            return converted
        return schematools.finalize(schematools.with_defs(converted, defs))


def compare_webhooks(report: Report, base_side: Side, head_side: Side) -> None:
    def label(hook: Webhook) -> str:
        return hook.name if hook.method == "POST" else f"{hook.method} {hook.name}"

    payloads = Differ("output", base_side.defs("output"), head_side.defs("output"))
    naming = Naming("output", "webhook")
    old = {(w.name, w.method): w for w in base_side.api.webhooks}
    new = {(w.name, w.method): w for w in head_side.api.webhooks}
    gone = [label(old[k]) for k in sorted(old.keys() - new.keys())]
    came = [label(new[k]) for k in sorted(new.keys() - old.keys())]
    for name in gone:
        change = Change("warning", "webhook-removed", "meta", "", "webhook removed")
        report.rows.append(Row(name, change, listed=True, webhook=True))
    for name in came:
        change = Change("info", "webhook-added", "meta", "", "new webhook")
        report.rows.append(Row(name, change, listed=True, webhook=True))
    for key in sorted(old.keys() & new.keys()):
        a, b = old[key], new[key]
        if a.summary != b.summary:
            message = f"description {a.summary!r} -> {b.summary!r}"
            change = Change("info", "webhook-description-changed", "meta", "/description", message)
            report.rows.append(Row(label(b), change, webhook=True))
        pa, pb = _payload(base_side, a), _payload(head_side, b)
        for found in payloads.tool(pa or {}, pb or {}):
            report.rows.append(Row(label(b), naming.change(found), webhook=True))
    report.webhooks = {"added": came, "removed": gone}
