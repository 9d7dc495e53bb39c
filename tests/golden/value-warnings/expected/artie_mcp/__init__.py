"""A generated MCP server package (artie-mcp-gen). Do not edit: regenerate instead.

The spec it was generated from is named here and nowhere else in the package.
"""

__version__ = "1"
SPEC_TITLE = "T"
SPEC_VERSION = "1"
SPEC_DIGEST = "6f642464da418b1b3b8779527e0ccc75cad33fd05e44c90b358ab0e07c393895"  # sha256 of the spec as canonical JSON
