"""``artie-mcp-gen drift``: what an upstream spec change does to each tool.

Both specs go through the generator's own IR (``operations.build``), so the
report speaks of tools as agents see them: names, annotations, and the
self-contained input and output schemas. Tools are matched by method and path
(path parameter names ignored), then by name; a different name at the same
route is a rename. Rules and severities live in ``drift_rules``.

Counting: every change record counts once in the summary. Tools that appear in
or vanish from the served list because their route was added or removed count
as one info / one breaking change; exposure flips count through their
``tool-exposure-changed`` record (and are also listed as added / removed).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generator import load, operations, schemas
from generator.diagnostics import Diagnostics, GeneratorError
from generator.drift_rules import SEVERITIES, Change, SchemaDiff, Severity, schema_changes
from generator.ir import Api, Tool

FAIL_ON = ("breaking", "warning", "any", "never")
MAX_MARKDOWN = 60_000  # GitHub comments and PR bodies stop at 65,536 characters
DIRECTION_ORDER = {"meta": 0, "input": 1, "output": 2}
HINTS = (  # (field, served name, severity when it turns true, when it turns false)
    ("read_only", "readOnlyHint", "info", "breaking"),
    ("destructive", "destructiveHint", "warning", "info"),
    ("idempotent", "idempotentHint", "info", "warning"),
    ("open_world", "openWorldHint", "info", "info"),
)


# -- the command -------------------------------------------------------------


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base", required=True, metavar="OLD", help="the old spec (path or URL)")
    p.add_argument("--head", required=True, metavar="NEW", help="the new spec (path or URL)")
    p.add_argument("--format", choices=("md", "json"), default="md", help="report format")
    p.add_argument("--out", metavar="FILE", help="write the report here (default: stdout)")
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="breaking",
        help="exit 1 when a change at or above this severity is found (default: breaking)",
    )


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "drift",
        help="report what a spec change does to each tool (breaking / warning / info)",
        description="Compare the tools two specs give: added, removed, renamed, and every "
        "input, output and annotation change, rated for the agents that call them. "
        "Exit 1 when a change at or above --fail-on is found, 2 when it could not run.",
    )
    _arguments(p)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="artie-mcp-gen drift")
    _arguments(p)
    return run(p.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    try:
        report = compare(args.base, args.head)
        text = report.markdown() if args.format == "md" else report.json_text()
        if args.out:
            try:
                with open(args.out, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise GeneratorError(f"cannot write {args.out}: {exc.strerror}") from None
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    except GeneratorError as exc:
        print(f"artie-mcp-gen drift: error: {exc.message}", file=sys.stderr)
        return 2
    counts = report.summary()
    print(
        f"drift {report.base['version']} -> {report.head['version']}: "
        + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES),
        file=sys.stderr,
    )
    return 1 if report.fails(args.fail_on) else 0


# -- the comparison ----------------------------------------------------------


@dataclass
class Row:
    subject: str  # tool name, or "webhook <name>"
    change: Change
    listed: bool = False  # shown through the added/removed lists rather than "changed"


@dataclass
class Report:
    base: dict[str, Any]
    head: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    tools: dict[str, list[Any]] = field(default_factory=dict)
    webhooks: dict[str, list[Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for row in self.rows:
            counts[row.change.severity] += 1
        return counts

    def fails(self, fail_on: str) -> bool:
        counts = self.summary()
        levels = {"breaking": 1, "warning": 2, "any": 3, "never": 0}[fail_on]
        return any(counts[s] for s in SEVERITIES[:levels])

    def as_dict(self) -> dict[str, Any]:
        def changed(kind: str, key: str) -> list[dict[str, Any]]:
            grouped: dict[str, list[dict[str, Any]]] = {}
            for row in self.rows:
                is_hook = row.subject.startswith("webhook ")
                if row.listed or is_hook != (kind == "webhook"):
                    continue
                name = row.subject.removeprefix("webhook ")
                grouped.setdefault(name, []).append(row.change.as_dict())
            return [{key: name, "changes": grouped[name]} for name in sorted(grouped)]

        return {
            "base": self.base,
            "head": self.head,
            "summary": self.summary(),
            "tools": {**self.tools, "changed": changed("tool", "tool")},
            "webhooks": {**self.webhooks, "changed": changed("webhook", "webhook")},
        }

    def json_text(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"

    def markdown(self) -> str:
        return render_markdown(self)


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


def _build(source: str) -> tuple[dict[str, Any], Api]:
    try:
        spec = load.parse_spec(load.read_source(source), source)
    except GeneratorError:
        raise
    except Exception as exc:  # noqa: BLE001 - any read failure is one clear message
        raise GeneratorError(f"cannot read {source}: {exc}") from None
    try:
        return spec, operations.build(spec, operations.Options(), Diagnostics())
    except Exception as exc:  # noqa: BLE001
        raise GeneratorError(
            f"cannot build the tools of {source} ({type(exc).__name__}: {exc}); "
            "run `artie-mcp-gen validate --spec` on it"
        ) from None


def _side(source: str, api: Api) -> dict[str, Any]:
    return {
        "version": api.version,
        "title": api.title,
        "openapi": api.openapi,
        "source": source,
        "tools": len(api.tools),
        "excluded": len(api.excluded),
        "webhooks": len(api.webhooks),
    }


def compare(base_source: str, head_source: str) -> Report:
    base_spec, base = _build(base_source)
    head_spec, head = _build(head_source)
    report = Report(_side(base_source, base), _side(head_source, head))
    _tools(report, base, head)
    _webhooks(report, base_spec, head_spec, base, head)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    report.rows.sort(
        key=lambda r: (
            order[r.change.severity],
            r.subject,
            DIRECTION_ORDER[r.change.direction],
            r.change.location,
        )
    )
    return report


def _tools(report: Report, base: Api, head: Api) -> None:
    old, new = _index(base.all_tools), _index(head.all_tools)
    pairs = [(old.pop(k), new.pop(k)) for k in sorted(old.keys() & new.keys())]
    by_name = {t.name: k for k, t in new.items()}
    for key, tool in sorted(old.items()):
        if tool.name in by_name:  # same tool, new route
            pairs.append((old.pop(key), new.pop(by_name[tool.name])))
    added: list[str] = []
    removed: list[str] = []
    for a in old.values():
        exposed = a.policy.exposure == "exposed"
        where = f"{a.method} {a.path}"
        if exposed:
            removed.append(a.name)
            change = Change("breaking", "tool-removed", "meta", "", f"tool removed ({where})")
        else:
            message = f"excluded tool removed ({where}; was served only with --include-excluded)"
            change = Change("warning", "tool-removed", "meta", "", message)
        report.rows.append(Row(a.name, change, listed=exposed))
    for b in new.values():
        exposed = b.policy.exposure == "exposed"
        where = f"{b.method} {b.path}"
        if exposed:
            added.append(b.name)
        message = f"new tool ({where})" + ("" if exposed else ", excluded by default")
        report.rows.append(Row(b.name, Change("info", "tool-added", "meta", "", message), exposed))
    renamed = []
    for a, b in pairs:
        if a.name != b.name:
            renamed.append({"from": a.name, "to": b.name})
        if a.policy.exposure != b.policy.exposure:
            (removed if b.policy.exposure == "excluded" else added).append(
                a.name if b.policy.exposure == "excluded" else b.name
            )
        for change in meta_changes(a, b) + schema_changes(a, b):
            report.rows.append(Row(b.name, change))
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

    exposed = base.policy.exposure == "exposed"
    if base.name != head.name:
        how = f"operationId {base.operation_id!r} -> {head.operation_id!r}"
        message = f"renamed from `{base.name}` to `{head.name}` ({how}); saved calls and "
        message += "allow-lists naming the old tool stop working"
        add("breaking" if exposed else "warning", "tool-renamed", "/name", message)
    if base.policy.exposure != head.policy.exposure:
        if head.policy.exposure == "excluded":
            why = f": {head.policy.exclusion_reason}" if head.policy.exclusion_reason else ""
            message = f"no longer exposed (x-artie-mcp exposure: excluded{why})"
            add("breaking", "tool-exposure-changed", "/exposure", message)
        else:
            add("info", "tool-exposure-changed", "/exposure", "now exposed (was excluded)")
    if base.path != head.path:
        add("info", "tool-route-changed", "/path", f"path {base.path} -> {head.path}")
    ba, ha = base.annotations, head.annotations
    if ba is not None and ha is not None:
        if ba.title != ha.title:
            add("info", "tool-title-changed", "/title", f"title {ba.title!r} -> {ha.title!r}")
        for attr, served, to_true, to_false in HINTS:
            was, now = getattr(ba, attr), getattr(ha, attr)
            if was != now:
                message = f"{served} {str(was).lower()} -> {str(now).lower()}"
                add(
                    to_true if now else to_false,
                    "tool-annotation-changed",  # type: ignore[arg-type]
                    f"/annotations/{served}",
                    message,
                )
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
    policy_pointer = "/x-artie-mcp/"
    for scope in sorted(set(head.policy.scopes) - set(base.policy.scopes)):
        message = f"now requires scope {scope!r}"
        add("warning", "tool-required-scope-added", policy_pointer + "requiredScopes", message)
    for scope in sorted(set(base.policy.scopes) - set(head.policy.scopes)):
        message = f"no longer requires scope {scope!r}"
        add("info", "tool-required-scope-removed", policy_pointer + "requiredScopes", message)
    for attr, served, rule in (
        ("retry", "retrySemantics", "tool-retry-semantics-changed"),
        ("input_sensitivity", "inputSensitivity", "tool-sensitivity-changed"),
        ("output_sensitivity", "outputSensitivity", "tool-sensitivity-changed"),
    ):
        was, now = getattr(base.policy, attr), getattr(head.policy, attr)
        if was != now:
            add("info", rule, policy_pointer + served, f"{served} {was} -> {now}")
    return out


# -- webhooks: reported apart, never as tools --------------------------------------


def _payload(spec: dict[str, Any], name: str, method: str) -> Any:
    walker = schemas.SchemaWalker(spec, Diagnostics())
    try:
        op = walker.lookup("#/webhooks/" + name.replace("~", "~0").replace("/", "~1"))
        op = op[method.lower()]
        body = op.get("requestBody") or {}
        body = walker.lookup(body["$ref"]) if "$ref" in body else body
        content = body.get("content") or {}
        raw = next((v.get("schema") for k, v in content.items() if "json" in k), None)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
    if raw is None:
        return None
    converted, defs = walker.convert(raw, "output", f"webhook {name}")
    return schemas.with_defs(converted, defs) if isinstance(converted, dict) else converted


def _webhooks(report: Report, base_spec: Any, head_spec: Any, base: Api, head: Api) -> None:
    def label(hook: Any) -> str:
        return hook.name if hook.method == "POST" else f"{hook.method} {hook.name}"

    old = {(w.name, w.method): w for w in base.webhooks}
    new = {(w.name, w.method): w for w in head.webhooks}
    gone = [label(old[k]) for k in sorted(old.keys() - new.keys())]
    came = [label(new[k]) for k in sorted(new.keys() - old.keys())]
    for name in gone:
        change = Change("warning", "webhook-removed", "meta", "", "webhook removed")
        report.rows.append(Row(f"webhook {name}", change, listed=True))
    for name in came:
        change = Change("info", "webhook-added", "meta", "", "new webhook")
        report.rows.append(Row(f"webhook {name}", change, listed=True))
    for key in sorted(old.keys() & new.keys()):
        a, b = old[key], new[key]
        subject = f"webhook {label(b)}"
        if a.summary != b.summary:
            change = Change(
                "info",
                "webhook-description-changed",
                "meta",
                "/description",
                f"description {a.summary!r} -> {b.summary!r}",
            )
            report.rows.append(Row(subject, change))
        pa, pb = _payload(base_spec, *key), _payload(head_spec, *key)
        if pa != pb:
            for change in SchemaDiff("output", "webhook").run(pa or {}, pb or {}):
                report.rows.append(Row(subject, change))
    report.webhooks = {"added": came, "removed": gone}


# -- Markdown ----------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    counts = report.summary()
    t, w = report.tools, report.webhooks
    changed = len({r.subject for r in report.rows if not r.listed and " " not in r.subject})
    title = f"{report.head['title']} {report.base['version']} → {report.head['version']}"
    names = {"breaking": "breaking", "warning": "warnings", "info": "info"}
    line = f"**Tool drift, {title}: " + ", ".join(f"{counts[s]} {names[s]}" for s in SEVERITIES)
    line += "**"
    line += (
        f" · tools: {len(t['added'])} added, {len(t['removed'])} removed, "
        f"{len(t['renamed'])} renamed, {changed} changed"
        f" · webhooks (not tools): {len(w['added'])} added, {len(w['removed'])} removed"
    )
    parts = [line + "\n"]
    if not report.rows:
        parts.append("\nNo change to any tool or webhook.\n")
        return "".join(parts)
    budget = MAX_MARKDOWN - len(line)
    headings = {"breaking": "### Breaking changes", "warning": "### Warnings"}
    for severity in SEVERITIES:
        rows = [r for r in report.rows if r.change.severity == severity]
        if not rows:
            continue
        head = headings.get(severity, f"<details><summary>Info ({len(rows)})</summary>")
        table = [
            f"\n{head}\n",
            "\n| tool | side | location | change | rule |\n| --- | --- | --- | --- | --- |\n",
        ]
        used = sum(map(len, table))
        for i, row in enumerate(rows):
            c = row.change
            cells = [f"`{row.subject}`", c.direction, f"`{c.location or '/'}`", c.message]
            text = "| " + " | ".join(_cell(x) for x in cells) + f" | `{c.rule}` |\n"
            if used + len(text) > budget - 300:
                table.append(f"\n_… and {len(rows) - i} more: see `--format json`._\n")
                break
            table.append(text)
            used += len(text)
        if severity == "info":
            table.append("\n</details>\n")
        budget -= sum(map(len, table))
        parts.extend(table)
    return "".join(parts)


if __name__ == "__main__":
    sys.exit(main())
