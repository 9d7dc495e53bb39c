"""What the server lists: its tools, the excluded-operations resource, and the
instructions sent at initialisation, each built once per configuration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import mcp.types as types
from mcp.shared.exceptions import MCPError

from . import compact
from .compat import gemini_schema
from .contract import MAX_DESCRIPTION
from .operation import Operation, PackageInfo
from .settings import Settings


class Catalog:
    def __init__(
        self,
        package: PackageInfo,
        settings: Settings,
        served: Mapping[str, Operation],
        not_exposed: list[Operation],
    ) -> None:
        self.package = package
        self.settings = settings
        self.served = served
        self.not_exposed = not_exposed
        self._tools: list[types.Tool] | None = None
        self.instructions = instructions(package, served.values(), not_exposed, settings)

    # -- tools/list ----------------------------------------------------------

    def tools(self) -> list[types.Tool]:
        if self._tools is None:
            if self.settings.compact:
                self._tools = compact.tools(len(self.served))
            else:
                self._tools = [self.tool(op) for op in self.served.values()]
        return self._tools

    def tool(self, op: Operation) -> types.Tool:
        input_schema = op.input_schema
        if self.settings.schema_profile == "gemini":
            input_schema = gemini_schema(input_schema)  # arguments are checked against the full one
        return types.Tool(
            name=op.name,
            title=op.title,
            description=op.description,
            input_schema=input_schema,
            output_schema=op.output_schema,
            annotations=types.ToolAnnotations(**op.annotations.as_mcp()),
        )

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """The advertised inputSchema of a served tool (the SDK checks Mcp-Param headers with it)."""
        if self.settings.compact:
            found = next((t for t in self.tools() if t.name == name), None)
            return found.input_schema if found is not None else None
        op = self.served.get(name)
        return None if op is None else self.tool(op).input_schema

    # -- the excluded-operations resource ---------------------------------------

    def resource_uri(self) -> str:
        return f"{self.package.command}://excluded-operations"

    def resources(self) -> list[types.Resource]:
        if not self.not_exposed:
            return []
        return [
            types.Resource(
                uri=self.resource_uri(),
                name="excluded-operations",
                title="Operations this server does not expose",
                description="Why each is left out and what to do instead.",
                mime_type="text/markdown",
            )
        ]

    def read(self, uri: str) -> types.ReadResourceResult:
        if uri != self.resource_uri() or not self.not_exposed:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown resource: {uri}")
        lines = ["# Operations not exposed by this server", ""]
        for op in self.not_exposed:
            lines.append(f"## {op.name} ({op.method} {op.path})")
            lines.append(f"- why: {op.exclusion_reason or 'excluded by the API spec'}")
            lines.append(f"- instead: {op.remediation or 'use the API directly'}")
            lines.append("")
        text = "\n".join(lines)
        contents = types.TextResourceContents(uri=uri, mime_type="text/markdown", text=text)
        return types.ReadResourceResult(contents=[contents])


def instructions(
    package: PackageInfo,
    served: Iterable[Operation],
    not_exposed: list[Operation],
    settings: Settings,
) -> str:
    """Sent at initialisation; kept under the 2,048 characters Claude Code shows."""
    served = list(served)
    parts = [_sentence(package.instructions)] if package.instructions.strip() else []
    destructive = [op.name for op in served if op.annotations.destructive]
    if destructive:
        from .confirm import describe

        asked = sum(1 for name in destructive if settings.confirms(name))
        named = 0 < asked < len(destructive)  # names only where they are treated differently
        parts.append(
            f"Destructive tools ({len(destructive)}): {describe(destructive, settings, named)}"
        )
    if not_exposed:
        names = ", ".join(op.name for op in not_exposed)
        parts.append(
            f"Deliberately not exposed ({len(not_exposed)}): {names}. If asked for one of these, do not guess: "
            f"read the resource {package.command}://excluded-operations for why and what to do instead."
        )
    text = "\n\n".join(parts)
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _sentence(text: str) -> str:
    """``text`` ending as a sentence does, so that the next part reads as a new one."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."
