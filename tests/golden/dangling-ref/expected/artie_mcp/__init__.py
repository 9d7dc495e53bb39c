"""A generated MCP server package (artie-mcp-gen). Do not edit: regenerate instead.

The spec it was generated from is named here and nowhere else in the package.
"""

__version__ = "1"
SPEC_TITLE = "T"
SPEC_VERSION = "1"
SPEC_DIGEST = "c9e4263f2e4a552146ba72fa96300018c31534b820dd380f1f5ada52fb22798a"  # sha256 of the spec as canonical JSON
