"""Workflow prompts: Markdown files with YAML front matter, reviewed like code.

Each file names the tools its workflow uses; generation fails when one of them
is not an operation of the spec, so upstream drift cannot silently break a
prompt. Placeholders (``{{ name }}``) must be declared arguments.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Diagnostics
from generator.ir import Api

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def load_prompts(directory: Path, api: Api, diagnostics: Diagnostics) -> list[dict[str, Any]]:
    if not directory.is_dir():
        diagnostics.error(str(directory), "prompts folder not found")
        return []
    tools = {t.name: t for t in api.all_tools}
    prompts: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.md")):
        where = f"prompt {path.name}"
        text = path.read_text(encoding="utf-8")
        match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
        if not match:
            diagnostics.error(
                where, "expected YAML front matter between --- lines, then the prompt text"
            )
            continue
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            diagnostics.error(where, f"front matter is not valid YAML: {str(exc).splitlines()[0]}")
            continue
        body = match.group(2).strip() + "\n"
        name = str(meta.get("name", ""))
        if not NAME.match(name):
            diagnostics.error(where, f"name {name!r} must match {NAME.pattern}")
            continue
        arguments = [
            {
                "name": str(a["name"]),
                "description": str(a.get("description", "")),
                "required": bool(a.get("required", False)),
            }
            for a in meta.get("arguments") or []
        ]
        declared = {a["name"] for a in arguments}
        for used in sorted(set(PLACEHOLDER.findall(body)) - declared):
            diagnostics.error(where, f"placeholder {{{{ {used} }}}} is not a declared argument")
        named = [str(t) for t in meta.get("tools") or []]
        if not named:
            diagnostics.error(
                where, "names no tools: list the tools the workflow uses under 'tools:'"
            )
        for tool in named:
            if tool not in tools:
                diagnostics.error(where, f"names tool {tool!r}, which the spec does not have")
            elif tools[tool].policy.exposure == "excluded":
                diagnostics.info(
                    where,
                    f"names {tool!r}, which the spec excludes; the text should say what to do instead",
                )
        for mentioned in sorted(set(re.findall(r"`([a-z][a-z0-9_]+)`", body))):
            if mentioned in tools and mentioned not in named:
                diagnostics.error(
                    where, f"mentions tool {mentioned!r} without listing it under 'tools:'"
                )
        prompts.append(
            {
                "name": name,
                "title": str(meta.get("title", name)),
                "description": str(meta.get("description", "")).strip(),
                "arguments": arguments,
                "tools": named,
                "text": body,
            }
        )
    return prompts
