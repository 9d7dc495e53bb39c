"""``artie-mcp-gen drift``: what an upstream spec change does to each tool.

Both specs are read the way ``generate`` reads them (``load.document``) and go
through the generator's own IR (``operations.Builder``), so the report speaks
of tools as agents see them: names, exposure, annotations, the input schema and
the documented result. Each shared component is compared once and its changes
mapped to every tool that reaches it, then grouped into one row per upstream
change. Webhooks are reported apart, never as tools.

- ``model``: both sides' documents and IRs, components shared among tools
- ``shapes``: what a schema accepts, whatever its spelling
- ``compare``: two schemas compared once per pair of nodes
- ``rules``: severity by direction and the tool's naming of each change
- ``tools``: matching tools and webhooks; tool-level (meta) changes
- ``report``, ``markdown``, ``advice``: grouping, JSON, the PR comment, what to do

Exit codes: 1 when a change at or above ``--fail-on`` is found, 0 otherwise,
2 when the comparison could not run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from generator.diagnostics import GeneratorError
from generator.drift import model
from generator.drift.advice import advise
from generator.drift.report import PLURAL, Report, Row
from generator.drift.rules import SEVERITIES, Change
from generator.drift.tools import compare_tools, compare_webhooks

__all__ = ["Change", "Report", "Row", "add_parser", "compare", "main", "run"]

FAIL_ON = ("breaking", "warning", "any", "never")


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
    p.add_argument(
        "--prompts",
        metavar="DIR",
        help="workflow prompts (*.md) to check: the report names those that name a changed tool",
    )


def add_parser(subparsers: Any) -> None:
    """Add the ``drift`` command to ``artie-mcp-gen``'s subparsers."""
    p = subparsers.add_parser(
        "drift",
        help="report what a spec change does to each tool (breaking / warning / info)",
        description="Compare the tools two specs give: added, removed, renamed, and every "
        "input, output and annotation change, rated for the agents that call them. Exit 1 "
        "when a change at or above --fail-on is found, 0 otherwise, 2 when it could not run.",
    )
    _arguments(p)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="artie-mcp-gen drift")
    _arguments(p)
    return run(p.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    try:
        report = compare(args.base, args.head, args.prompts)
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
        for problem in exc.problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        return 2
    counts = report.summary()
    found = ", ".join(f"{counts[s]} {PLURAL[s]}" for s in SEVERITIES)
    print(f"drift {report.base['version']} -> {report.head['version']}: {found}", file=sys.stderr)
    return 1 if report.fails(args.fail_on) else 0


def compare(base_source: str, head_source: str, prompts: str | None = None) -> Report:
    base = model.build(base_source)
    head = model.build(head_source)
    report = Report(base.summary(), head.summary())
    compare_tools(report, base, head)
    compare_webhooks(report, base, head)
    report.sort()
    advise(report, prompts, {t.name for t in base.api.tools})
    return report
