"""A generated MCP server package (artie-mcp-gen). Do not edit: regenerate instead.

The spec it was generated from is named here and nowhere else in the package.
"""

__version__ = "1.0.76"
SPEC_TITLE = "Artie API"
SPEC_VERSION = "v1.0.76"
SPEC_DIGEST = "37d3f9f909f01e4f896120297d505432bfb3f0a074f3d3b8c039582322d10fe4"  # sha256 of the spec as canonical JSON
