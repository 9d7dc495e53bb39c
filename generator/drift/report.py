"""The drift report: its rows, the JSON shape, and Markdown short enough for a PR comment.

Counting: every row counts once in the summary. A tool whose route appeared or
vanished is a row shown through the ``added``/``removed`` lists (info /
breaking); an exposure flip counts through its ``tool-exposure-changed`` row and
is also listed as added or removed from the served tool list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from generator.drift.rules import SEVERITIES, Change

MAX_MARKDOWN = 60_000  # GitHub comments and PR bodies stop at 65,536 characters
DIRECTIONS = {"meta": 0, "input": 1, "output": 2}
PLURAL = {"breaking": "breaking", "warning": "warnings", "info": "info"}


@dataclass
class Row:
    subject: str  # the tool (head name) or webhook
    change: Change
    listed: bool = False  # shown through the added/removed lists, not under "changed"
    webhook: bool = False


@dataclass
class Report:
    base: dict[str, Any]
    head: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    tools: dict[str, list[Any]] = field(default_factory=dict)
    webhooks: dict[str, list[Any]] = field(default_factory=dict)

    def sort(self) -> None:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        self.rows.sort(
            key=lambda r: (
                order[r.change.severity],
                r.webhook,
                r.subject,
                DIRECTIONS[r.change.direction],
                r.change.location,
                r.change.rule,
            )
        )

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for row in self.rows:
            counts[row.change.severity] += 1
        return counts

    def fails(self, fail_on: str) -> bool:
        levels = {"breaking": 1, "warning": 2, "any": 3, "never": 0}[fail_on]
        counts = self.summary()
        return any(counts[s] for s in SEVERITIES[:levels])

    def changed(self, webhooks: bool) -> list[dict[str, Any]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows:
            if not row.listed and row.webhook == webhooks:
                grouped.setdefault(row.subject, []).append(row.change.as_dict())
        key = "webhook" if webhooks else "tool"
        return [{key: name, "changes": grouped[name]} for name in sorted(grouped)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "summary": self.summary(),
            "tools": {**self.tools, "changed": self.changed(False)},
            "webhooks": {**self.webhooks, "changed": self.changed(True)},
        }

    def json_text(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"

    def markdown(self) -> str:
        return markdown(self)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown(report: Report) -> str:
    """One summary line; breaking changes first, then warnings; info collapsed."""
    counts = report.summary()
    tools, hooks = report.tools, report.webhooks
    changed = len(report.changed(False))
    title = f"{report.head['title']} {report.base['version']} → {report.head['version']}"
    line = f"**Tool drift, {title}: "
    line += ", ".join(f"{counts[s]} {PLURAL[s]}" for s in SEVERITIES) + "**"
    line += (
        f" · tools: {len(tools['added'])} added, {len(tools['removed'])} removed, "
        f"{len(tools['renamed'])} renamed, {changed} changed · webhooks (not tools): "
        f"{len(hooks['added'])} added, {len(hooks['removed'])} removed, "
        f"{len(report.changed(True))} changed\n"
    )
    if not report.rows:
        return line + "\nNo change to any tool or webhook.\n"
    parts = [line]
    budget = MAX_MARKDOWN - len(line)
    for severity in SEVERITIES:
        rows = [r for r in report.rows if r.change.severity == severity]
        if not rows:
            continue
        heading = {
            "breaking": f"### Breaking changes ({len(rows)})",
            "warning": f"### Warnings ({len(rows)})",
        }.get(severity, f"<details><summary>Info ({len(rows)})</summary>")
        table = [f"\n{heading}\n\n| tool | side | location | change | rule |\n"]
        table.append("| --- | --- | --- | --- | --- |\n")
        used = sum(map(len, table)) + 200
        for i, row in enumerate(rows):
            c = row.change
            subject = f"webhook `{row.subject}`" if row.webhook else f"`{row.subject}`"
            cells = [subject, c.direction, f"`{c.location or '/'}`", c.message, f"`{c.rule}`"]
            text = "| " + " | ".join(_cell(x) for x in cells) + " |\n"
            if used + len(text) > budget:
                table.append(f"\n_… and {len(rows) - i} more (the JSON report has them all)._\n")
                break
            table.append(text)
            used += len(text)
        if severity == "info":
            table.append("\n</details>\n")
        budget -= sum(map(len, table))
        parts.extend(table)
    return "".join(parts)
