"""The drift report as Markdown for a pull-request comment (GitHub stops at 65,536
characters): a summary line, what to do, then one row per upstream change,
breaking first, then warnings, then info (collapsed). Every breaking change is
shown; the lists of tools a change reaches are shortened before anything else."""

from __future__ import annotations

from generator.drift.report import PLURAL, Group, Report
from generator.drift.rules import SEVERITIES

MAX_MARKDOWN = 60_000
MARKER = "<!-- artie-mcp-gen drift -->"  # lets a workflow find and update its comment
HEADINGS = {"breaking": "Breaking", "warning": "Warnings", "info": "Info"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _tools(group: Group, limit: int) -> str:
    parts = []
    for reach in group.reaches():
        side = {"input": "in", "output": "out", "meta": ""}[reach["direction"]]
        text = f"`{reach['tool']}`" + (f" {side}" if side else "")
        if reach["excluded"]:
            text += " (excluded)"
        if reach["places"] > 1:
            text += f" ×{reach['places']}"
        parts.append(text)
    shown = ", ".join(parts[:limit])
    if len(parts) > limit:
        shown += f", … {len(parts) - limit} more"
    return shown


def _row(group: Group, limit: int) -> str:
    c = group.first.change
    subject = f"webhook `{group.first.subject}`" if group.first.webhook else _tools(group, limit)
    where = f"`{c.where}`" if c.where else (f"`{c.location.lstrip('/')}`" if c.location else "tool")
    cells = [c.summary or c.message, where, subject, f"`{c.rule}`"]
    return "| " + " | ".join(_cell(x) for x in cells) + " |\n"


def _actions(report: Report) -> list[str]:
    a = report.actions or {}
    lines = []
    saved = a.get("saved_calls") or []
    if saved:
        lines.append("- **Saved calls that must change:**")
        for entry in saved[:40]:
            name = f"`{entry['tool']}`" + (" (excluded)" if entry["excluded"] else "")
            why = entry["why"][0]
            if entry.get("former"):
                name += f" (was `{entry['former']}`)"
                why = "renamed" if why.startswith("renamed from") else why
            more = f" (+{len(entry['why']) - 1} more)" if len(entry["why"]) > 1 else ""
            lines.append(f"  - {name}: {why}{more}")
        if len(saved) > 40:
            lines.append(f"  - … {len(saved) - 40} more (the JSON report lists them)")
    for prompt in a.get("prompts") or []:
        what = ", ".join(f"`{h['tool']}` ({h['what']})" for h in prompt["tools"])
        lines.append(f"- **Update prompt** `{prompt['prompt']}`: it names {what}")
    review = a.get("review") or []
    if review:
        shown = ", ".join(f"`{p.rsplit('/', 1)[-1]}`" for p in review[:30])
        more = f" and {len(review) - 30} more" if len(review) > 30 else ""
        folder = review[0].rsplit("/", 1)[0]
        lines.append(f"- **Review in the regenerated diff** (`{folder}/`): {shown}{more}")
    if a.get("components"):
        names = ", ".join(f"`{n}`" for n in a["components"][:20])
        more = " …" if len(a["components"]) > 20 else ""
        lines.append(
            f"- Components changed: {names}{more} (`models.py` changes with them only where a "
            "field's Python type does)"
        )
    return lines


def markdown(report: Report) -> str:
    if report.rows and not report.groups:
        report.sort()
    counts, groups = report.summary(), report.change_summary()
    tools, hooks = report.tools, report.webhooks
    changed = report.changed_count(False)
    title = f"{report.head['title']} {report.base['version']} → {report.head['version']}"
    line = f"{MARKER}\n**Tool drift, {title}: "
    line += ", ".join(f"{counts[s]} {PLURAL[s]}" for s in SEVERITIES) + "**"
    line += (
        f" ({sum(groups.values())} upstream changes: "
        + ", ".join(f"{groups[s]} {PLURAL[s]}" for s in SEVERITIES)
        + f") · tools: {len(tools['added'])} added, {len(tools['removed'])} removed, "
        f"{len(tools['renamed'])} renamed, {changed} changed · webhooks (not tools): "
        f"{len(hooks['added'])} added, {len(hooks['removed'])} removed, "
        f"{report.changed_count(True)} changed\n"
    )
    if not report.rows:
        return line + "\nNo change to any tool or webhook.\n"
    parts = [line]
    actions = _actions(report)
    if actions:
        parts.append("\n### What to do\n\n" + "\n".join(actions) + "\n")
    budget = MAX_MARKDOWN - sum(map(len, parts)) - 400
    breaking = [g for g in report.groups if g.severity == "breaking"]
    limit = 12
    while limit > 1 and sum(len(_row(g, limit)) for g in breaking) > budget * 0.8:
        limit //= 2  # every breaking change stays visible: shorten the tool lists first
    for severity in SEVERITIES:
        chosen = [g for g in report.groups if g.severity == severity]
        if not chosen:
            continue
        n_rows = sum(len(g.rows) for g in chosen)
        label = f"{HEADINGS[severity]} ({len(chosen)} changes, {n_rows} tool rows)"
        heading = f"### {label}" if severity != "info" else f"<details><summary>{label}</summary>"
        table = [
            f"\n{heading}\n\n| change | where | tools (in = arguments, out = result) | rule |\n"
        ]
        table.append("| --- | --- | --- | --- |\n")
        used = sum(map(len, table)) + 120
        for i, group in enumerate(chosen):
            text = _row(group, limit)
            if used + len(text) > budget:
                table.append(f"\n_… and {len(chosen) - i} more (the JSON report has them all)._\n")
                break
            table.append(text)
            used += len(text)
        if severity == "info":
            table.append("\n</details>\n")
        budget -= sum(map(len, table))
        parts.extend(table)
    return "".join(parts)
