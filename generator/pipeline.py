"""The flow, stage by stage: load -> validate -> IR -> render (models, templates,
format). ``generate`` writes the result; ``check`` only compares it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from generator import findings, operations, service
from generator import load as loading
from generator.config import GeneratorConfig
from generator.diagnostics import Diagnostics, GeneratorError
from generator.ir import Api
from generator.models import ModelsJob
from generator.render import render

T = TypeVar("T")


@dataclass
class Result:
    api: Api
    files: dict[str, str]
    diagnostics: Diagnostics
    timings: dict[str, float] = field(default_factory=dict)


class Stages:
    """Times each stage and, when asked, says which one is running."""

    def __init__(self, progress: bool) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}

    def run(self, name: str, fn: Callable[[], T], detail: str = "") -> T:
        if self.progress:
            print(
                f"  {name}{f' ({detail})' if detail else ''}…", file=sys.stderr, end="", flush=True
            )
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.timings[name] = time.perf_counter() - start
            if self.progress:
                print(f" {self.timings[name]:.2f}s", file=sys.stderr, flush=True)


def build(
    source: str,
    config: GeneratorConfig,
    *,
    validate: bool = True,
    progress: bool = False,
) -> Result:
    stages = Stages(progress)
    raw = stages.run("load", lambda: loading.read_source(source))
    spec: dict[str, Any] = stages.run("parse", lambda: loading.document(raw, source))
    digest = stages.run("digest", lambda: service.digest(spec))
    models = None
    if config.models:  # started now: it runs while the spec is validated
        models = ModelsJob(spec, digest)
    try:
        findings: list[str] = []
        if validate:
            findings = stages.run("validate", lambda: _validate(spec, digest, source))
        return _build(spec, config, stages, models, digest, findings)
    finally:
        if models is not None:
            models.close()


def _validate(spec: dict[str, Any], digest: str, source: str) -> list[str]:
    """openapi-spec-validator's findings (remembered by the spec's digest). Those
    that make generation impossible stop it here; the others become warnings."""
    problems = findings.remembered(spec, digest)
    fatal = findings.fatal(problems)
    if fatal:
        raise GeneratorError(f"{source} cannot be generated", fatal)
    return problems


def _build(
    spec: dict[str, Any],
    config: GeneratorConfig,
    stages: Stages,
    models: ModelsJob | None,
    digest: str,
    findings: list[str] | None = None,
) -> Result:
    diagnostics = Diagnostics()
    for finding in findings or ():
        where, _, message = finding.partition(": ")
        diagnostics.warning(
            where, f"{message} (not valid OpenAPI: generated as written; --strict refuses it)"
        )
    api = stages.run("ir", lambda: operations.build(spec, config, diagnostics, digest))
    if not api.tools and not api.excluded:
        diagnostics.warning("#/paths", "the spec has no operations: the server will have no tools")
    stages.run("lint", lambda: _lint(api, diagnostics, config.server_key))
    prompts = None
    if config.prompts:
        from generator.prompts import load_prompts

        directory = Path(config.prompts)
        prompts = stages.run("prompts", lambda: load_prompts(directory, api, diagnostics))
    if diagnostics.has_errors:
        return Result(api=api, files={}, diagnostics=diagnostics, timings=stages.timings)
    count = len(api.tools) + len(api.excluded)
    files = stages.run(
        "render",
        lambda: render(api, config, spec, diagnostics, prompts, models),
        f"{count} tool modules, models, ruff format",
    )
    return Result(api=api, files=files, diagnostics=diagnostics, timings=stages.timings)


LINT_SHOWN = 5  # findings shown per client and rule; the rest are counted


def _lint(api: Api, diagnostics: Diagnostics, server_key: str) -> None:
    """A tool list that a real client rejects is a broken product: fail generation.
    Names that only the server's key makes too long are warnings (``--strict`` fails)."""
    from generator.contract import compat
    from generator.lint import lint_api

    found = lint_api(api, compat.CLIENTS, server_key)
    by_rule: dict[tuple[str, str, bool], list[Any]] = {}
    for v in found:
        # too long only with the key the user gives the server in the client: a one-character key fits
        by_key = v.rule == "tool-name-length" and len(v.tool) + 1 <= compat.NAME_BUDGET[v.client]
        by_rule.setdefault((v.client, v.rule, by_key), []).append(v)
    for (client, rule, by_key), group in by_rule.items():
        report = diagnostics.warning if by_key else diagnostics.error
        for v in group[:LINT_SHOWN]:
            report(f"{v.tool} ({v.client})", f"{v.rule} at {v.pointer}: {v.message}")
        if len(group) > LINT_SHOWN:
            report(f"… ({client})", f"{rule}: {len(group) - LINT_SHOWN} more tools like the above")
        if by_key:
            longest = max(len(v.tool) for v in group)
            fits = compat.NAME_BUDGET[client] - longest
            report(
                f"server key {server_key!r} ({client})",
                f"{client} counts the key it knows the server by in each tool name: add the server "
                f"under a key of at most {fits} characters (the printed client config uses the dist "
                "name without -mcp), or generate with a shorter --dist-name or --max-name-length",
            )
