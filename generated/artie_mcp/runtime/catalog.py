"""What the server lists: its tools, the excluded-operations resource, and the
instructions sent at initialisation, each built once per configuration."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import mcp.types as types
from mcp.shared.exceptions import MCPError

from . import compact
from .compat import compact_reason
from .contract import MAX_DESCRIPTION
from .dialects import keeps_null, served_schema
from .operation import Operation, PackageInfo
from .settings import Settings

log = logging.getLogger("mcp_runtime")


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
        self._result: dict[str, Any] | None = None
        self.compact_reason: str | None = None
        # compact mode: as the operator says, else when the full list breaks a limit (decided
        # the same way at each start, so the settings keep "not said")
        self.compact = bool(settings.compact)
        if settings.compact is None:
            self._decide_compact()
        self.instructions = instructions(package, served.values(), not_exposed, settings)

    def _decide_compact(self) -> None:
        full = [self.tool(op) for op in self.served.values()]
        size = len(
            types.ListToolsResult(tools=full).model_dump_json(by_alias=True, exclude_none=True)
        )
        self.compact_reason = compact_reason(len(full), size, self.settings.tools_list_budget)
        self.compact = self.compact_reason is not None
        if self.compact_reason is None:
            self._tools = full
            return
        log.warning(
            "%s: %s, so this server lists compact mode's %s instead; --no-compact forces the full "
            "list, --tools/--tags/--methods narrow it",
            self.package.command,
            self.compact_reason,
            ", ".join(compact.NAMES),
        )

    # -- tools/list ----------------------------------------------------------

    def tools(self) -> list[types.Tool]:
        if self._tools is None:
            if self.compact:
                self._tools = compact.tools(len(self.served))
            else:
                self._tools = [self.tool(op) for op in self.served.values()]
        return self._tools

    def list_result(self) -> dict[str, Any]:
        """The tools/list result, dumped once per configuration. The SDK copies a
        returned dict instead of dumping a model, and ``PreSerialised`` answers
        its per-version validation of this very list from a cache."""
        if self._result is None:
            result = types.ListToolsResult(tools=self.tools())
            self._result = result.model_dump(by_alias=True, mode="json", exclude_none=True)
            PRESERIALISED.register(self._result["tools"])
        return self._result

    def listing(self, profile: str) -> list[dict[str, Any]]:
        """tools/list as JSON in a schema profile (``artie-mcp lint`` compares them)."""
        if self.compact:
            tools = self.tools()
        else:
            tools = [self.tool(op, profile) for op in self.served.values()]
        return [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]

    def tool(self, op: Operation, profile: str | None = None) -> types.Tool:
        # arguments are always checked against the full op.input_schema
        profile = profile or self.settings.schema_profile
        content_type = op.body.content_type if op.body is not None else ""
        keep_null = keeps_null(op.method, content_type)
        input_schema = served_schema(op.input_schema, profile, keep_null)
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
        if self.compact:
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
        return [self.resource("Operations this server does not expose")]

    def resource(self, title: str) -> types.Resource:
        """The excluded-operations resource as listed, ``title`` saying for whom."""
        return types.Resource(
            uri=self.resource_uri(),
            name="excluded-operations",
            title=title,
            description="Why each is left out and what to do instead.",
            mime_type="text/markdown",
        )

    def read(self, uri: str) -> types.ReadResourceResult:
        if uri != self.resource_uri() or not self.not_exposed:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown resource: {uri}")
        lines = listing(
            "Operations not exposed by this server",
            (
                (
                    op,
                    op.exclusion_reason or "excluded by the API spec",
                    op.remediation or "use the API directly",
                )
                for op in self.not_exposed
            ),
        )
        return markdown_resource(uri, lines)


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


class PreSerialised:
    """The SDK validates every tools/list result against the negotiated protocol
    version's model and dumps it again (``mcp_types.methods.serialize_server_result``),
    about as much CPU as the rest of a list. For a list this runtime dumped itself
    (``Catalog.list_result``: registered by identity, never changed afterwards) the
    answer per version is computed once by the SDK's own function and reused;
    every other result goes through it as before."""

    def __init__(self) -> None:
        self._lists: dict[int, Any] = {}  # id -> the list (kept alive: ids stay unique)
        self._answers: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._original: Any = None

    def register(self, tools: list[Any]) -> None:
        self._lists[id(tools)] = tools
        self._install()

    def _install(self) -> None:
        if self._original is not None:
            return
        try:
            from mcp_types import methods
        except ImportError:  # another SDK layout: nothing to speed up
            return
        original = methods.serialize_server_result
        self._original = original

        def serialize(method: str, version: str, data: Any, **kwargs: Any) -> Any:
            tools = data.get("tools") if method == "tools/list" and not kwargs else None
            extra = {k: v for k, v in data.items() if k not in ("tools", "_meta")}
            if (
                tools is None
                or id(tools) not in self._lists
                or not all(isinstance(v, (str, int, float, bool)) for v in extra.values())
            ):
                return original(method, version, data, **kwargs)
            key = (id(tools), version, tuple(sorted(extra.items())))
            if key not in self._answers:  # cache hints and the like, with the same list
                self._answers[key] = original(method, version, {**extra, "tools": tools})
            answer = dict(self._answers[key])
            if "_meta" in data:
                answer["_meta"] = data["_meta"]
            return answer

        methods.serialize_server_result = serialize  # type: ignore[assignment]


PRESERIALISED = PreSerialised()


def listing(title: str, entries: Iterable[tuple[Operation, str, str]]) -> list[str]:
    """Markdown lines naming operations a caller cannot use: why, and what to do instead."""
    lines = [f"# {title}", ""]
    for op, why, instead in entries:
        lines += [
            f"## {op.name} ({op.method} {op.path})",
            f"- why: {why}",
            f"- instead: {instead}",
            "",
        ]
    return lines


def markdown_resource(uri: str, lines: list[str]) -> types.ReadResourceResult:
    text = "\n".join(lines)
    contents = types.TextResourceContents(uri=uri, mime_type="text/markdown", text=text)
    return types.ReadResourceResult(contents=[contents])
