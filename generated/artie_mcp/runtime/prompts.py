"""MCP prompts (workflows written as project files, checked at generation time)
and the resources that hold long detail the instructions point to."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import mcp.types as types
from mcp.shared.exceptions import MCPError

from .operation import Operation

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class Prompts:
    """The prompts whose workflows this configuration can carry out.

    Each prompt names the tools it uses. One that needs a tool the operator's filters
    leave out (``--read-only``, ``--tags``, ...) is not listed, and asking for it says
    which tools are missing. A tool the spec itself excludes does not hide a prompt:
    its text says what to do instead.
    """

    def __init__(
        self,
        path: Path | None,
        served: Collection[str] | None = None,
        known: Mapping[str, Operation] | None = None,
        note: Callable[[list[str]], str | None] | None = None,
    ) -> None:
        self.note = note  # what the server adds about a prompt's tools (e.g. confirmation)
        self.items: dict[str, dict[str, Any]] = {}
        self.missing: dict[str, list[str]] = {}  # hidden prompt -> the tools it lacks
        if path is not None and path.is_file():
            every = {p["name"]: p for p in json.loads(path.read_text(encoding="utf-8"))}
            for name, prompt in every.items():
                lacks = [] if served is None else _lacks(prompt, served, known or {})
                if lacks:
                    self.missing[name] = lacks
                else:
                    self.items[name] = prompt

    def listing(self) -> list[types.Prompt]:
        return [
            types.Prompt(
                name=p["name"],
                title=p.get("title"),
                description=p.get("description"),
                arguments=[
                    types.PromptArgument(
                        name=a["name"],
                        description=a.get("description"),
                        required=a.get("required", False),
                    )
                    for a in p.get("arguments", [])
                ],
            )
            for p in self.items.values()
        ]

    def render(self, name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
        prompt = self.items.get(name)
        if prompt is None and name in self.missing:
            raise MCPError(
                code=types.INVALID_PARAMS,
                message=f"prompt {name} is not available: it needs tools this server does not serve "
                f"({', '.join(self.missing[name])})",
            )
        if prompt is None:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown prompt: {name}")
        given = dict(arguments or {})
        missing = [
            a["name"]
            for a in prompt.get("arguments", [])
            if a.get("required") and not given.get(a["name"])
        ]
        if missing:
            raise MCPError(
                code=types.INVALID_PARAMS, message=f"prompt {name} needs: {', '.join(missing)}"
            )
        text = PLACEHOLDER.sub(
            lambda m: given.get(m.group(1)) or f"(no {m.group(1)} given)", prompt["text"]
        )
        extra = self.note(list(prompt.get("tools", []))) if self.note is not None else None
        if extra:
            text = text.rstrip("\n") + "\n\n" + extra + "\n"
        return types.GetPromptResult(
            description=prompt.get("description"),
            messages=[
                types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))
            ],
        )


def _lacks(
    prompt: dict[str, Any], served: Collection[str], known: Mapping[str, Operation]
) -> list[str]:
    """The tools ``prompt`` uses that are not served, leaving out those the spec excludes."""
    return [
        tool
        for tool in prompt.get("tools", [])
        if tool not in served and (tool not in known or known[tool].exposure != "excluded")
    ]
