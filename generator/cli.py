"""``artie-mcp-gen``: generate, check, validate, and manage the pinned spec.

Every failure the user can fix is one clear message on stderr and a non-zero
exit; nothing is written unless the whole run succeeded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from generator import __version__, config, drift, escape, lock
from generator.diagnostics import Diagnostics, GeneratorError
from generator.output import destination, diff_tree, write_tree

MAX_PROBLEMS_SHOWN = 50
# the tools whose releases decide the bytes of the output (pinned in pyproject.toml)
OUTPUT_TOOLS = ("ruff", "datamodel-code-generator", "openapi-spec-validator")


def say(text: object, file: TextIO | None = None) -> None:
    """Print one message (on stderr unless told): spec text in it cannot drive the terminal."""
    print(escape.terminal(text), file=sys.stderr if file is None else file)


def version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in OUTPUT_TOOLS:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return f"artie-mcp-gen {__version__} ({', '.join(found)})"


def _add_spec(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--spec", required=True, metavar="PATH_OR_URL", help="OpenAPI 3.0/3.1 spec, YAML or JSON"
    )


def _add_generation(p: argparse.ArgumentParser) -> None:
    config.add_arguments(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show each stage as it runs (default: when stderr is a terminal)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="artie-mcp-gen",
        description="Generate a static MCP server package from an OpenAPI spec (Artie's first).",
    )
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="render the server package into --out (atomically)")
    _add_spec(g)
    g.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="output folder: new, empty, or an earlier generation (its files are replaced)",
    )
    g.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that holds other files (they are left alone)",
    )
    _add_generation(g)

    c = sub.add_parser(
        "check", help="exit 1 with a diff when --out is not what generate would write"
    )
    _add_spec(c)
    c.add_argument("--out", required=True, metavar="DIR", help="the committed output folder")
    _add_generation(c)

    v = sub.add_parser(
        "validate", help="validate a spec; print every problem with its JSON pointer"
    )
    _add_spec(v)

    lt = sub.add_parser(
        "lint", help="check the tools against what real MCP clients and model APIs accept"
    )
    _add_spec(lt)
    lt.add_argument(
        "--client",
        action="append",
        choices=("claude", "claude-code", "cursor", "openai", "vscode", "gemini", "all"),
        help="client to check for (repeatable; default all)",
    )
    lt.add_argument(
        "--server-key",
        default=None,
        help="the key the client knows the server by (name budgets; default: the dist name without -mcp)",
    )
    lt.add_argument("--format", choices=("text", "json"), default="text")
    _add_generation(lt)

    drift.add_parser(sub)

    b = sub.add_parser(
        "bundle",
        help="pack a generated package as an MCP Bundle (<command>.mcpb) for Claude Desktop",
    )
    b.add_argument(
        "--package-dir",
        default="generated",
        metavar="DIR",
        help="the package `generate` wrote (default generated)",
    )
    b.add_argument(
        "--out", default="dist", metavar="DIR", help="where <command>.mcpb goes (default dist)"
    )
    b.add_argument(
        "--no-lock",
        action="store_true",
        help="ship no uv.lock (each install resolves the dependencies); default: `uv lock` pins them",
    )
    b.add_argument("--author", default=None, help="the author Claude shows (default artie-mcp-gen)")

    s = sub.add_parser("spec", help="obtain or re-pin the locked upstream spec")
    ssub = s.add_subparsers(dest="spec_cmd", required=True, metavar="ACTION")
    f = ssub.add_parser(
        "fetch", help="fetch the pinned spec, check its sha256, write normalised JSON"
    )
    f.add_argument("--lock", default="specs/artie-openapi.lock.json")
    f.add_argument(
        "--source",
        default=None,
        help=f"path or URL (default ${lock.SOURCE_ENV}, else the pinned URL)",
    )
    f.add_argument("--out", default="specs/artie-openapi.json")
    d = ssub.add_parser(
        "digest",
        help="print a spec's content digest, the one a generated server's --version names",
        description=(
            "The sha256 of the spec's content (parsed, external $refs bundled, as canonical JSON): "
            "the same for the release's YAML and the normalised JSON `spec fetch` writes, so any "
            "copy can be checked against what `<server> --version` prints."
        ),
    )
    d.add_argument("source", metavar="PATH_OR_URL")
    u = ssub.add_parser("pin", help="re-pin the lock to another upstream release")
    u.add_argument("--lock", default="specs/artie-openapi.lock.json")
    u.add_argument(
        "--version", required=True, dest="spec_version", help="release tag, e.g. v1.0.77"
    )
    u.add_argument("--source", default=None, help="path or URL of that release's openapi.yaml")
    return p


def _print_diagnostics(diagnostics: Diagnostics, quiet: bool) -> None:
    for d in diagnostics.items:
        if d.level == "info" and quiet:
            continue
        say(d)


def _generate(args: argparse.Namespace, write: bool) -> int:
    from generator import pipeline

    settings = config.from_arguments(args)
    if write:
        destination(args.out)  # refused folders are refused before any work
    started = time.perf_counter()
    result = pipeline.build(
        args.spec,
        settings,
        progress=(
            args.progress if args.progress is not None else (not args.quiet and sys.stderr.isatty())
        ),
    )
    diagnostics = result.diagnostics
    _print_diagnostics(diagnostics, args.quiet)
    if diagnostics.has_errors or (args.strict and diagnostics.of_level("warning")):
        say("artie-mcp-gen: nothing written (errors above; --strict counts warnings)")
        return 1
    out = Path(args.out)
    api = result.api
    if write:
        write_tree(result.files, out, force=args.force)
        elapsed = time.perf_counter() - started
        if not args.quiet:
            size = sum(len(t.encode()) for t in result.files.values())
            say(
                f"generated {out}: {len(api.tools)} tools exposed, {len(api.excluded)} excluded, "
                f"{len(api.webhooks)} webhooks (not tools), {len(result.files)} files, "
                f"{size / 1024:.0f} KiB, {elapsed:.1f}s "
                f"[{api.title} {api.version}, OpenAPI {api.openapi}]"
            )
            from generator.lint import list_summary

            for line in list_summary(api):
                say(f"  {line}")
            # renames and the no-x-artie-mcp note are diagnostics: printed above, once
        return 0
    diff = diff_tree(result.files, out, label=str(out))
    if diff.clean:
        if not args.quiet:
            say(f"{out} is up to date ({len(result.files)} files)")
        return 0
    sys.stdout.write(escape.visible(diff.text))
    print(file=sys.stderr)
    say(
        f"{out} is stale: {len(diff.changed)} changed, {len(diff.added)} missing, "
        f"{len(diff.removed)} not generated any more. Run `make generate` and commit the result."
    )
    return 1


def _lint(args: argparse.Namespace) -> int:
    import json

    from generator import load as loading
    from generator import operations
    from generator.contract import compat
    from generator.lint import lint_api

    spec = loading.load(args.spec)
    settings = config.from_arguments(args)
    api = operations.build(spec.doc, settings, Diagnostics())
    chosen = args.client or ["all"]
    clients = compat.CLIENTS if "all" in chosen else tuple(dict.fromkeys(chosen))
    found = lint_api(api, clients, args.server_key or settings.server_key)
    if args.format == "json":
        print(json.dumps([v.as_dict() for v in found], indent=2))
    else:
        for v in found:
            say(
                f"{v.client}: {v.tool}: {v.rule} at {v.pointer}: {v.message} (client says: {v.client_error})",
                sys.stdout,
            )
        per = {c: sum(1 for v in found if v.client == c) for c in clients}
        summary = ", ".join(f"{c} {'ok' if n == 0 else f'{n} broken'}" for c, n in per.items())
        say(f"{len(api.tools)} tools checked: {summary}")
        if "openai" in clients:
            from generator.lint import strict_report

            report = strict_report(api)
            for name, problems in report.items():
                if problems:
                    pointer, why = problems[0]
                    print(f"openai: {name}: not strict-compatible at {pointer or '/'}: {why}")
                else:
                    print(f"openai: {name}: strict-compatible")
            ready = sum(1 for p in report.values() if not p)
            say(
                f"openai strict mode: {ready} of {len(report)} tools strict-compatible "
                "(the others are sent non-strict by the OpenAI Agents SDK)"
            )
    return 1 if found else 0


def _validate(args: argparse.Namespace) -> int:
    from generator.load import load

    spec = load(args.spec)
    paths = spec.doc.get("paths") or {}
    say(f"{args.spec}: OK (OpenAPI {spec.doc.get('openapi')}, {len(paths)} paths)", sys.stdout)
    return 0


def _bundle(args: argparse.Namespace) -> int:
    from generator import mcpb

    built = mcpb.build(
        Path(args.package_dir),
        Path(args.out),
        lock=not args.no_lock,
        author=args.author or mcpb.DEFAULT_AUTHOR,
    )
    print(
        f"wrote {built.path}: {built.tools} tools, {len(built.files)} files, "
        f"{built.size / 1024:.0f} KiB, sha256 {built.sha256} "
        f"(manifest {mcpb.MANIFEST_VERSION}, server.type uv, "
        f"{'dependencies pinned in uv.lock' if built.locked else 'no uv.lock'})",
        file=sys.stderr,
    )
    return 0


def _spec(args: argparse.Namespace) -> int:
    if args.spec_cmd == "fetch":
        used, version = lock.fetch(Path(args.lock), Path(args.out), args.source)
        say(f"wrote {args.out}: {version} from {used} (sha256 verified)")
        return 0
    if args.spec_cmd == "digest":
        from generator import load as loading
        from generator import service

        doc = loading.document(loading.read_source(args.source), args.source)
        print(f"{service.digest(doc)}  {args.source}")
        return 0
    pinned = lock.pin(Path(args.lock), args.spec_version, args.source)
    say(f"pinned {pinned.version} sha256 {pinned.sha256} in {args.lock}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.cmd == "generate":
            return _generate(args, write=True)
        if args.cmd == "check":
            return _generate(args, write=False)
        if args.cmd == "validate":
            return _validate(args)
        if args.cmd == "lint":
            return _lint(args)
        if args.cmd == "drift":
            return drift.run(args)
        if args.cmd == "spec":
            return _spec(args)
        if args.cmd == "bundle":
            return _bundle(args)
    except GeneratorError as exc:
        say(f"artie-mcp-gen: error: {exc.message}")
        for problem in exc.problems[:MAX_PROBLEMS_SHOWN]:
            say(f"  {problem}")
        if len(exc.problems) > MAX_PROBLEMS_SHOWN:
            say(f"  … and {len(exc.problems) - MAX_PROBLEMS_SHOWN} more")
        if exc.problems:
            say(f"{len(exc.problems)} problem(s) found")
        return 2 if args.cmd != "validate" else 1
    except KeyboardInterrupt:
        print("artie-mcp-gen: interrupted; nothing written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
        return 141
    return 2
