"""A generated MCP server package (artie-mcp-gen). Do not edit: regenerate instead.

The spec it was generated from is named here and nowhere else in the package.
"""

__version__ = "2.0"
SPEC_TITLE = "Feature Test API"
SPEC_VERSION = "2.0"
SPEC_DIGEST = "89d657a0c75d4ce2fa491cc62083fc98f1a5f82c4dd572031a7d6b0e8c8cc81d"  # sha256 of the spec as canonical JSON
