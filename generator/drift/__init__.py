"""``artie-mcp-gen drift``: what an upstream spec change does to each tool.

Both specs go through the generator's own IR (``operations.build``), so the
report speaks of tools as agents see them: names, exposure, annotations, and
the self-contained input and output schemas (a shared component's change shows
up in every tool that reaches it; ``nullable: true`` and ``[T, "null"]`` are
the same thing there). Webhooks are reported apart, never as tools.

- ``rules``: schema changes and their severity by direction
- ``tools``: matching tools and webhooks; tool-level (meta) changes
- ``report``: the JSON shape and the Markdown for a PR comment

Exit codes: 1 when a change at or above ``--fail-on`` is found, 0 otherwise,
2 when the comparison could not run.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import Any

from generator import load, operations
from generator.diagnostics import Diagnostics, GeneratorError
from generator.drift.report import PLURAL, Report, Row
from generator.drift.rules import SEVERITIES, Change
from generator.drift.tools import compare_tools, compare_webhooks
from generator.ir import Api

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
        for problem in exc.problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        return 2
    counts = report.summary()
    found = ", ".join(f"{counts[s]} {PLURAL[s]}" for s in SEVERITIES)
    print(f"drift {report.base['version']} -> {report.head['version']}: {found}", file=sys.stderr)
    return 1 if report.fails(args.fail_on) else 0


def build(source: str) -> tuple[dict[str, Any], Api]:
    spec = load.load(source, validate=False).doc  # the document generate reads
    try:
        return spec, operations.build(spec, operations.Options(), Diagnostics())
    except Exception as exc:  # noqa: BLE001 - one clear message, never a traceback
        raise GeneratorError(
            f"cannot build the tools of {source} ({type(exc).__name__}: {exc}); "
            f"`artie-mcp-gen validate --spec {source}` shows what is wrong with it"
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
    collecting = gc.isenabled()
    gc.disable()  # two big acyclic trees: the cycle collector only slows their building (~25%)
    try:
        base_spec, base = build(base_source)
        head_spec, head = build(head_source)
        report = Report(_side(base_source, base), _side(head_source, head))
        compare_tools(report, base, head)
        compare_webhooks(report, base_spec, head_spec, base, head)
    finally:
        if collecting:
            gc.enable()
    report.sort()
    return report
