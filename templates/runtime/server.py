"""The MCP face of a generated package: a low-level ``mcp.server.Server`` whose
handlers hand each request to the part that owns it.

- ``catalog``: tools/list, the excluded-operations resource, instructions
- ``calls``: the one call path (validate, build, send, shape)
- ``confirm``: asking the user before a destructive tool runs
- ``compact``: the three meta-tools of compact mode
- ``prompts``: workflow prompts
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import mcp.types as types
from mcp.server import Server, ServerRequestContext

from . import compact, confirm
from .access import served
from .calls import Caller
from .catalog import Catalog
from .contract import PROMPTS_FILE, TOOLS_DIR
from .grantscope import Perimeter
from .operation import Operation, PackageInfo, load_operations
from .prompts import Prompts
from .settings import Settings

if TYPE_CHECKING:
    import httpx


class ToolServer:
    """Everything one server process needs; ``server`` is the MCP face of it."""

    def __init__(
        self,
        package: PackageInfo,
        operations: Sequence[Operation],
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        prompts_file: Path | None = None,
    ) -> None:
        self.package = package
        self.settings = settings
        self.all_operations = {op.name: op for op in operations}
        self.operations = {op.name: op for op in served(operations, settings)}
        not_exposed = [
            op for op in operations if op.exposure == "excluded" and op.name not in self.operations
        ]
        self.catalog = Catalog(package, settings, self.operations, not_exposed)
        self.caller = Caller(package, settings, self.operations, self.all_operations, transport)
        self.prompts = Prompts(
            prompts_file,
            self.operations,
            self.all_operations,
            note=confirm.prompt_note(self.operations, settings),
        )
        self.perimeter = Perimeter(package, settings, self.operations)  # per-caller scoping (HTTP)
        self.approvals = confirm.Approvals(settings)
        self.server: Server[Any] = Server(
            package.name,
            version=package.version,
            title=package.title,
            instructions=self.catalog.instructions,
            get_tool_input_schema=self.catalog.input_schema,
            on_list_tools=self._on_list_tools,
            on_call_tool=self._on_call_tool,
            on_list_prompts=self._on_list_prompts,
            on_get_prompt=self._on_get_prompt,
            on_list_resources=self._on_list_resources,
            on_list_resource_templates=self._on_list_resource_templates,
            on_read_resource=self._on_read_resource,
        )

    @classmethod
    def create(
        cls,
        package: PackageInfo,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> ToolServer:
        """The server of an installed package: its tool files and prompts."""
        root = package.root or Path(".")
        return cls(
            package,
            load_operations(root / TOOLS_DIR),
            settings,
            transport=transport,
            prompts_file=root / PROMPTS_FILE,
        )

    @classmethod
    def from_environment(cls, package: PackageInfo) -> ToolServer:
        """What each HTTP worker process builds: settings from the environment."""
        return cls.create(package, Settings.load(package))

    @property
    def instructions(self) -> str:
        return self.catalog.instructions

    def tools(self) -> list[types.Tool]:
        return self.catalog.tools()

    async def call(
        self, name: str, arguments: dict[str, Any], api_key: str | None = None
    ) -> types.CallToolResult:
        return await self.caller.call(name, arguments, api_key)

    async def aclose(self) -> None:
        await self.caller.aclose()

    # -- handlers ------------------------------------------------------------------

    async def _on_list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        if self.perimeter.active:  # per caller: their grant's or token's tools
            return types.ListToolsResult(tools=self.perimeter.tools(ctx, self.catalog))
        # a dict, dumped once (see catalog.PreSerialised): the SDK takes dicts as results
        return cast(types.ListToolsResult, self.catalog.list_result())

    async def _on_call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        return await self.perimeter.call(ctx, params, self._call_tool, self.caller)

    async def _call_tool(
        self,
        ctx: ServerRequestContext[Any],
        params: types.CallToolRequestParams,
        served: dict[str, Operation],
        api_key: str | None,
    ) -> types.CallToolResult | types.InputRequiredResult:
        header = self.settings.upstream_key_from_header
        if not api_key and header and ctx.request is not None:
            api_key = getattr(ctx.request, "headers", {}).get(header) or None
        name, arguments = params.name, params.arguments or {}
        if self.catalog.compact and name in compact.NAMES:
            routed = compact.route(name, arguments, served, self.catalog)
            if isinstance(routed, types.CallToolResult):
                return routed
            name, arguments = routed
        op = served.get(name)
        if op is not None and op.annotations.destructive and self.settings.confirms(op.name):
            if self.caller.invalid(op, arguments) is None:  # invalid calls are refused unasked
                verdict = await self.approvals.gate(
                    ctx, params, op, arguments, self.package.command
                )
                if isinstance(verdict, types.InputRequiredResult):
                    return verdict
                if verdict is not None:
                    self.caller.audit.record(op, op.name, arguments, verdict.type, None, None, 0.0)
                    return self.caller.error(op, verdict)
        return await self.caller.call(name, arguments, api_key=api_key, served=served)

    async def _on_list_prompts(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=self.perimeter.prompts(ctx, self.prompts))

    async def _on_get_prompt(
        self, ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        self.perimeter.check_prompt(ctx, self.prompts, params.name)
        return self.prompts.render(params.name, params.arguments)

    async def _on_list_resources(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=self.perimeter.resources(ctx, self.catalog))

    async def _on_list_resource_templates(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[])

    async def _on_read_resource(
        self, ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        return self.perimeter.read(ctx, self.catalog, str(params.uri))
