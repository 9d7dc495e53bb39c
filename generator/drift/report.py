"""The drift report: its rows, their grouping by upstream change, and the JSON shape.

A row is one change to one tool (or webhook). Rows that come from the same
edit of a shared component (same component, same place in it, same change) form
one *upstream change*: the report lists it once with every tool and side it
reaches. Every row counts once in ``summary`` (the per-tool view);
``change_summary`` counts upstream changes. A tool whose route appeared or
vanished is a row shown through the ``added``/``removed`` lists; an exposure
flip counts through its ``tool-exposure-changed`` row and is also listed as
added or removed from the served tool list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from generator.drift.rules import SEVERITIES, Change

DIRECTIONS = {"meta": 0, "input": 1, "output": 2}
PLURAL = {"breaking": "breaking", "warning": "warnings", "info": "info"}
ORDER: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass
class Row:
    subject: str  # the tool (head name) or webhook
    change: Change
    listed: bool = False  # shown through the added/removed lists, not under "changed"
    webhook: bool = False
    excluded: bool = False  # the tool is exposure: excluded (served only with --include-excluded)
    former: str = ""  # the tool's name in the base spec, when it was renamed

    def key(self) -> tuple[Any, ...]:
        """Rows with the same key are one upstream change: the same edit of the same
        component (whichever side of whichever tool it reaches), or the same tool-level
        change (a new required scope, a hint flipped) on several tools."""
        c = self.change
        if c.origin is not None:
            return ("component", self.webhook, c.origin[0], c.origin[1], c.event)
        if c.direction == "meta":
            return ("meta", self.webhook, c.rule, c.message)
        return ("own", self.webhook, self.subject, c.direction, c.location, c.rule, c.message)


@dataclass
class Group:
    """One upstream change and every tool (and side) it reaches."""

    id: int
    rows: list[Row]

    @cached_property
    def severity(self) -> str:
        return min((r.change.severity for r in self.rows), key=ORDER.__getitem__)

    @property
    def first(self) -> Row:
        return self.rows[0]

    def reaches(self) -> list[dict[str, Any]]:
        """One entry per tool and side (its first location; how many places in all)."""
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for row in self.rows:
            key = (row.subject, row.change.direction)
            if key in seen:
                seen[key]["places"] += row.change.places
                continue
            seen[key] = {
                "tool": row.subject,
                "direction": row.change.direction,
                "severity": row.change.severity,
                "location": row.change.location,
                "excluded": row.excluded,
                "places": row.change.places,
            }
        return sorted(
            seen.values(), key=lambda r: (ORDER[r["severity"]], r["tool"], r["direction"])
        )

    def as_dict(self) -> dict[str, Any]:
        c = self.first.change
        reaches = self.reaches()
        return {
            "id": self.id,
            "severity": self.severity,
            "component": c.origin[0] if c.origin else None,
            "where": c.where,
            "message": c.summary or c.message,
            "rules": sorted({r.change.rule for r in self.rows}),
            "webhook": self.first.webhook,
            "tools": reaches,
            "excluded_only": all(r["excluded"] for r in reaches),
        }


@dataclass
class Report:
    base: dict[str, Any]
    head: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    tools: dict[str, list[Any]] = field(default_factory=dict)
    webhooks: dict[str, list[Any]] = field(default_factory=dict)
    actions: dict[str, list[Any]] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)

    def sort(self) -> None:
        self.rows.sort(
            key=lambda r: (
                ORDER[r.change.severity],
                r.webhook,
                r.subject,
                DIRECTIONS[r.change.direction],
                r.change.location,
                r.change.rule,
            )
        )
        grouped: dict[tuple[Any, ...], list[Row]] = {}
        for row in self.rows:
            grouped.setdefault(row.key(), []).append(row)
        groups = [Group(0, rows) for rows in grouped.values()]
        groups.sort(
            key=lambda g: (
                ORDER[g.severity],
                g.first.webhook,
                -len({r.subject for r in g.rows}),
                g.first.change.where,
                g.first.subject,
            )
        )
        for n, group in enumerate(groups, 1):
            group.id = n
        self.groups = groups

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for row in self.rows:
            counts[row.change.severity] += 1
        return counts

    def change_summary(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for group in self.groups:
            counts[group.severity] += 1  # type: ignore[index]
        return counts

    def fails(self, fail_on: str) -> bool:
        levels = {"breaking": 1, "warning": 2, "any": 3, "never": 0}[fail_on]
        counts = self.summary()
        return any(counts[s] for s in SEVERITIES[:levels])

    def changed_count(self, webhooks: bool) -> int:
        return len({r.subject for r in self.rows if not r.listed and r.webhook == webhooks})

    def group_of(self) -> dict[int, int]:
        return {id(row): g.id for g in self.groups for row in g.rows}

    def changed(self, webhooks: bool) -> list[dict[str, Any]]:
        ids = self.group_of()
        grouped: dict[str, list[dict[str, Any]]] = {}
        excluded: dict[str, bool] = {}
        for row in self.rows:
            if not row.listed and row.webhook == webhooks:
                entry = {**row.change.as_dict(), "change": ids.get(id(row))}
                grouped.setdefault(row.subject, []).append(entry)
                excluded[row.subject] = row.excluded
        key = "webhook" if webhooks else "tool"
        out = []
        for name in sorted(grouped):
            item: dict[str, Any] = {key: name, "changes": grouped[name]}
            if not webhooks:
                item["excluded"] = excluded[name]
            out.append(item)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "summary": self.summary(),
            "change_summary": self.change_summary(),
            "changes": [g.as_dict() for g in self.groups],
            "actions": self.actions,
            "tools": {**self.tools, "changed": self.changed(False)},
            "webhooks": {**self.webhooks, "changed": self.changed(True)},
        }

    def json_text(self) -> str:
        big = len(self.rows) > 5000  # indentation would double a large report's size
        return json.dumps(self.as_dict(), indent=None if big else 2, ensure_ascii=False) + "\n"

    def markdown(self) -> str:
        from generator.drift.markdown import markdown

        return markdown(self)
