"""artie-mcp-gen: turns an OpenAPI 3.0/3.1 spec into a static MCP server package.

The flow is load -> validate -> build IR -> render -> format -> write; see ARCHITECTURE.md.
"""

__version__ = "0.1.0"
