"""Loading: one way from bytes to the document, for every command (generate, check,
validate, lint, drift); the fast YAML path gives exactly what PyYAML gives."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from generator import fastyaml, load
from tests.conftest import ARTIE_SPECS, PUBLIC_SPECS, REPO

TRICKY = """
openapi: 3.1.0
info: {title: "t", version: 1.10}
x-dates: {on: 2024-01-02, at: 2024-01-02T03:04:05Z}
x-bools: [yes, No, true, "true", off, ~, null, "", '']
x-numbers: [0x1F, 0o17, 1_000, 1.5e3, .inf, -.inf, "12", 012, 1:30]
x-keys: {200: a, true: b, 1.5: c, null: d, "3": e, 2024-01-02: f}
x-anchors: {a: &one {k: [1, 2]}, b: *one}
paths: {}
"""
YAML_SPECS = sorted(ARTIE_SPECS.glob("*.yaml")) + sorted(PUBLIC_SPECS.glob("*.yaml"))
YAML_SPECS += sorted((REPO / "tests" / "specs").rglob("*.yaml"))


def pyyaml(text: str) -> object:
    return load._plain(yaml.load(text, Loader=yaml.CSafeLoader))


@pytest.mark.parametrize("path", YAML_SPECS, ids=[p.name for p in YAML_SPECS])
def test_the_fast_yaml_path_equals_pyyaml_on_every_spec_we_test(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert fastyaml.load(text) == pyyaml(text)


def test_the_fast_yaml_path_equals_pyyaml_on_yaml_oddities() -> None:
    assert fastyaml.load(TRICKY) == pyyaml(TRICKY)
    assert load.parse_spec(TRICKY.encode(), "t") == pyyaml(TRICKY)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {b: 1}\nc: {<<: *x, d: 2}\n",  # merge key
        "a: !!str 1\n",  # explicit tag
        "? [a, b]\n: c\n",  # complex key
        "a: 1\n---\nb: 2\n",  # two documents
    ],
)
def test_unusual_yaml_falls_back_to_pyyaml_with_the_same_result(text: str) -> None:
    with pytest.raises(fastyaml.Fallback):
        fastyaml.load(text)
    if "---" in text or "?" in text:  # PyYAML refuses these too, with its own words
        with pytest.raises(load.GeneratorError, match="is not valid YAML"):
            load.parse_spec(("openapi: 3.1.0\n" + text).encode(), "t")
        return
    doc = load.parse_spec(("openapi: 3.1.0\n" + text).encode(), "t")
    assert doc == pyyaml("openapi: 3.1.0\n" + text)


def test_invalid_yaml_is_still_worded_by_pyyaml() -> None:
    with pytest.raises(load.GeneratorError, match=r"is not valid YAML: .* at line 3, column 1"):
        load.parse_spec(b"openapi: 3.1.0\npaths: [unclosed\n", "bad.yaml")


def test_every_command_reads_the_same_document(tmp_path: Path) -> None:
    """generate/check (pipeline), validate/lint (load.load) and drift (load.load) all go
    through load.document: parsed the fast way, external $refs bundled."""
    (tmp_path / "shared.yaml").write_text(
        "Thing: {type: object, properties: {a: {type: string}}}\n"
    )
    spec = tmp_path / "api.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /t:\n    get:\n"
        "      responses:\n        '200':\n          description: ok\n          content:\n"
        "            application/json: {schema: {$ref: 'shared.yaml#/Thing'}}\n"
    )
    doc = load.load(str(spec), validate=False).doc
    assert doc == load.document(spec.read_bytes(), str(spec))
    assert doc["components"]["schemas"]["Thing"]["properties"] == {"a": {"type": "string"}}
    ref = doc["paths"]["/t"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"] == {"$ref": "#/components/schemas/Thing"}


def test_the_fast_path_is_faster_on_a_big_spec() -> None:
    text = (PUBLIC_SPECS / "stripe-2023-09-07.yaml").read_text(encoding="utf-8")
    started = time.perf_counter()
    fast = fastyaml.load(text)
    fast_s = time.perf_counter() - started
    started = time.perf_counter()
    slow = pyyaml(text)
    slow_s = time.perf_counter() - started
    assert fast == slow
    assert fast_s * 2 < slow_s, (fast_s, slow_s)
    print(f"\nStripe 2023 (4.1 MB): fast YAML path {fast_s:.2f} s, PyYAML {slow_s:.2f} s")
