"""A generated MCP server package (artie-mcp-gen). Do not edit: regenerate instead.

The spec it was generated from is named here and nowhere else in the package.
"""

__version__ = "1.2.3"
SPEC_TITLE = "Runtime Test API"
SPEC_VERSION = "1.2.3"
SPEC_DIGEST = "10aac19ed70b1f475eb00315e452efa9b2f25c37e5085ae61c0c12fc2978eb4e"  # sha256 of the spec as canonical JSON
