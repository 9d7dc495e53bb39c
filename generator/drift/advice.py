"""What to do about a drift: the saved calls that must change, the prompts that name
a changed tool, upstream's remediation texts, and where to look in the regenerated
``generated/`` diff."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from generator.drift.report import Report

TOOLS_DIR = "generated/artie_mcp/tools"
MENTION = re.compile(r"`([A-Za-z0-9_.-]{1,64})`")


def prompt_tools(path: Path) -> set[str]:
    """The tools a prompt file names: its front matter's ``tools`` and `backticked` words."""
    text = path.read_text(encoding="utf-8")
    named: set[str] = set()
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    body = text
    if match:
        body = match.group(2)
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError:
            meta = {}
        if isinstance(meta, dict):
            named |= {str(t) for t in meta.get("tools") or []}
    named |= set(MENTION.findall(body))
    return named


def advise(report: Report, prompts_dir: str | None, base_tools: set[str]) -> None:
    """Fill ``report.actions``."""
    renamed = {r["from"]: r["to"] for r in report.tools.get("renamed", [])}
    saved: dict[str, dict[str, Any]] = {}
    remediation: list[dict[str, str]] = []
    touched: dict[str, list[str]] = {}  # tool (head name) -> what changed, for prompts
    for row in report.rows:
        c = row.change
        if row.webhook:
            continue
        if c.severity in ("breaking", "warning"):
            touched.setdefault(row.subject, []).append(c.message)
        breaks_calls = c.severity == "breaking" and (
            c.direction == "input"
            or c.rule in ("tool-renamed", "tool-removed", "tool-exposure-changed")
        )
        if breaks_calls:
            entry = saved.setdefault(
                row.subject, {"tool": row.subject, "excluded": row.excluded, "why": []}
            )
            if row.former and row.former != row.subject:
                entry["former"] = row.former
            if c.message not in entry["why"]:
                entry["why"].append(c.message)
        if c.rule == "tool-exposure-changed" and "upstream says:" in c.message:
            remediation.append(
                {"tool": row.subject, "text": c.message.split("upstream says: ", 1)[1]}
            )
    prompts: list[dict[str, Any]] = []
    if prompts_dir:
        directory = Path(prompts_dir)
        for path in sorted(directory.glob("*.md")) if directory.is_dir() else []:
            named = prompt_tools(path)
            hits = []
            for name in sorted(named):
                if name in renamed:
                    hits.append({"tool": name, "what": f"renamed to `{renamed[name]}`"})
                elif name in report.tools.get("removed", []) and name in base_tools:
                    hits.append({"tool": name, "what": "removed or no longer exposed"})
                elif name in touched:
                    hits.append({"tool": name, "what": touched[name][0]})
            if hits:
                prompts.append({"prompt": str(path), "tools": hits})
    review = sorted(
        {
            f"{TOOLS_DIR}/{r.subject}.json"
            for r in report.rows
            if not r.webhook and not (r.listed and r.change.rule == "tool-removed")
        }
    )
    components = sorted({g.first.change.origin[0] for g in report.groups if g.first.change.origin})
    report.actions = {
        "saved_calls": [saved[name] for name in sorted(saved)],
        "prompts": prompts,
        "remediation": remediation,
        "review": review,
        "components": components,
    }
