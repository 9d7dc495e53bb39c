"""The generator's configuration, declared once.

``FIELDS`` is the one declaration: the flags of ``generate``, ``check`` and ``lint``,
the keys of a ``--config`` TOML file, their checks and messages, and the JSON Schema
of that file (``generator/config.schema.json``, kept equal to ``json_schema()`` by a
test) all derive from it. ``GeneratorConfig`` is what the stages read: the IR builder
the naming fields and ``[chunk]``, the renderer the package fields.

Precedence: a flag given on the command line, then the file, then the default.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import naming
from generator.contract import contract
from generator.diagnostics import GeneratorError

SCHEMA_FILE = Path(__file__).with_name("config.schema.json")
SCHEMA_ID = "https://github.com/artie-labs/artie-mcp/generator/config.schema.json"

_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
_DIST_NAME = r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"
_COMMAND = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_TOOL_PREFIX = r"^[A-Za-z0-9_-]*$"
_DERIVED = {"dist_name", "command", "env_prefix"}  # defaults derived from the package


@dataclass(frozen=True)
class Field:
    """One setting: its key (TOML, ``snake_case`` or ``kebab-case``), flag and check."""

    key: str
    kind: str  # "string", "integer", "boolean", "table" (of strings)
    help: str
    flag: str | None = None  # None: the file only
    metavar: str | None = None
    pattern: str | None = None
    allowed: str = ""  # what the pattern allows, in words
    minimum: int | None = None
    maximum: int | None = None
    negative_flag: bool = False  # a boolean set off with --no-<key>
    flag_help: str | None = None  # the flag's own help where it differs from the key's

    @property
    def toml_key(self) -> str:
        return self.key.replace("_", "-")


FIELDS: tuple[Field, ...] = (
    Field(
        "tool_prefix",
        "string",
        "prefix for every tool name (e.g. artie_)",
        flag="--tool-prefix",
        pattern=_TOOL_PREFIX,
        allowed="made of letters, digits, '_' and '-'",
    ),
    Field(
        "max_name_length",
        "integer",
        "longest tool name; longer ones get a readable stem and a short hash (default 48)",
        flag="--max-name-length",
        minimum=8,
        maximum=64,
    ),
    Field(
        "package",
        "string",
        "import package name (default artie_mcp)",
        flag="--package",
        pattern=_IDENTIFIER,
        allowed="a Python identifier",
    ),
    Field(
        "dist_name",
        "string",
        "distribution name (default: package with '-')",
        flag="--dist-name",
        pattern=_DIST_NAME,
        allowed="a distribution name (letters, digits, '.', '_', '-'; a letter or digit at each end)",
    ),
    Field(
        "command",
        "string",
        "console script name (default: the dist name)",
        flag="--command",
        pattern=_COMMAND,
        allowed="a command name (letters, digits, '.', '_' and '-')",
    ),
    Field(
        "env_prefix",
        "string",
        "prefix of the server's environment variables (default: from the package, ARTIE for artie_mcp)",
        flag="--env-prefix",
        pattern=_IDENTIFIER,
        allowed="an environment variable name (letters, digits, '_')",
    ),
    Field(
        "prompts",
        "string",
        "folder of workflow prompts (*.md with YAML front matter) to serve; tools they name must "
        "exist (in a config file: relative to the file)",
        flag="--prompts",
        metavar="DIR",
    ),
    Field(
        "registry_name",
        "string",
        "the server's name in the MCP Registry, in server.json and the README's mcp-name line "
        "(default io.github.artie-labs/<dist name>; io.github.OWNER/... for a GitHub login)",
        flag="--registry-name",
        metavar="NAME",
    ),
    Field(
        "package_version",
        "string",
        "version of the generated package (default: info.version, mapped to PEP 440)",
        flag="--package-version",
        metavar="PEP440",
    ),
    Field(
        "models",
        "boolean",
        "write the Pydantic models module (default true)",
        flag="--no-models",
        negative_flag=True,
        flag_help="skip the Pydantic models module",
    ),
    Field(
        "chunk",
        "table",
        'bodies the server may split: <tool name or operationId> = "<body array field>"',
    ),
)
BY_KEY = {f.key: f for f in FIELDS}


@dataclass(frozen=True)
class GeneratorConfig:
    """Every choice a generation makes besides the spec; empty names are derived
    from ``package`` (``artie_mcp`` -> ``artie-mcp``, ``ARTIE``)."""

    tool_prefix: str = ""
    max_name_length: int = naming.DEFAULT_MAX_NAME_LENGTH
    package: str = "artie_mcp"
    dist_name: str = ""
    command: str = ""
    env_prefix: str = ""  # ARTIE_API_KEY, ARTIE_BASE_URL, ARTIE_MCP_*
    prompts: str | None = None
    registry_name: str | None = None  # the MCP Registry's name; default registry.default_name
    package_version: str | None = None  # default: from info.version
    models: bool = True
    chunk: tuple[tuple[str, str], ...] = ()  # (tool name or operationId, body array field)

    def __post_init__(self) -> None:
        dist = self.dist_name or self.package.replace("_", "-")
        object.__setattr__(self, "dist_name", dist)
        object.__setattr__(self, "command", self.command or dist)
        prefix = self.env_prefix or re.sub(r"_mcp$", "", self.package).upper()
        object.__setattr__(self, "env_prefix", prefix)

    @property
    def server_key(self) -> str:
        """The key clients know the server by (its name budgets in the lint)."""
        return contract.server_key(self.dist_name)


# -- the command line -------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of every field that has one; each defaults to "not given"."""
    for f in FIELDS:
        if f.flag is None:
            continue
        if f.negative_flag:
            parser.add_argument(
                f.flag, dest=f.key, action="store_false", default=None, help=f.flag_help or f.help
            )
            continue
        parser.add_argument(
            f.flag,
            dest=f.key,
            type=int if f.kind == "integer" else str,
            default=None,
            metavar=f.metavar,
            help=f.help,
        )
    parser.add_argument(
        "--config",
        metavar="TOML",
        help='generator config file: any option above as a key (tool-prefix = "artie_"), and '
        '[chunk] <operation> = "<body array field>" for bodies the server may split; '
        "flags win over the file (schema: generator/config.schema.json)",
    )


def from_arguments(args: argparse.Namespace) -> GeneratorConfig:
    """The configuration of a run: its ``--config`` file, then the flags given."""
    values: dict[str, Any] = {}
    source = getattr(args, "config", None)
    if source:
        values.update(read_file(Path(source)))
    for f in FIELDS:
        given = getattr(args, f.key, None)
        if f.flag is not None and given is not None:
            values[f.key] = check(f, given, f.flag)
    return finish(GeneratorConfig(**values))


def finish(config: GeneratorConfig) -> GeneratorConfig:
    """``config`` with its derived names checked too (a bad package makes a bad dist name)."""
    for key in ("dist_name", "command", "env_prefix"):
        f = BY_KEY[key]
        check(f, getattr(config, key), f.flag or key)
    if config.package_version is not None:
        from generator import versions

        if not versions.is_pep440(config.package_version):
            raise GeneratorError(
                f"--package-version {config.package_version!r} is not a PEP 440 version "
                "(e.g. 1.2.3, 1.2.3rc1, 1.2.3.post1)"
            )
    if config.registry_name is not None:
        from generator.registry import check_name

        problem = check_name(config.registry_name)
        if problem:
            raise GeneratorError(f"--registry-name: {problem}")
    return config


def check(f: Field, value: Any, where: str) -> Any:
    """``value`` if it is what ``f`` allows, else a message naming it and the rule."""
    shown = json.dumps(value, ensure_ascii=False)
    if f.kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise GeneratorError(f"{where}: {shown} is not a whole number")
        if (f.minimum is not None and value < f.minimum) or (
            f.maximum is not None and value > f.maximum
        ):
            raise GeneratorError(
                f"{where} must be between {f.minimum} and {f.maximum}, not {value}"
            )
        return value
    if f.kind == "boolean":
        if not isinstance(value, bool):
            raise GeneratorError(f"{where}: {shown} is not true or false")
        return value
    if f.kind == "table":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise GeneratorError(f'{where}: expected a table of <operation> = "<field>"')
        return tuple((str(k), v) for k, v in value.items())
    if not isinstance(value, str):
        raise GeneratorError(f"{where}: {shown} is not text")
    if f.pattern and not re.search(f.pattern, value):  # the patterns are anchored
        raise GeneratorError(f"{where} {value!r} is not {f.allowed}")
    return value


# -- the file -----------------------------------------------------------------------------


def read_file(path: Path) -> dict[str, Any]:
    """The settings a TOML file holds (keys as in the schema: ``tool-prefix``), each
    checked; an unknown key is refused with the known ones listed."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GeneratorError(f"cannot read config {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise GeneratorError(
            f"config {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
            f"at offset {exc.start}): it must be a TOML file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise GeneratorError(f"config {path} is not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        f = BY_KEY.get(raw_key.replace("-", "_"))
        if f is None or raw_key != f.toml_key:
            known = ", ".join(x.toml_key for x in FIELDS)
            hint = f" (did you mean {f.toml_key!r}?)" if f is not None else f" (known: {known})"
            raise GeneratorError(f"config {path}: unknown key {raw_key!r}{hint}")
        value = check(f, value, f"config {path}: {raw_key}")
        if f.key == "prompts":
            value = str(path.parent / value) if not Path(value).is_absolute() else value
        values[f.key] = value
    return values


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a config file (draft 2020-12), derived from ``FIELDS``."""
    properties: dict[str, Any] = {}
    for f in FIELDS:
        prop: dict[str, Any] = {"description": f.help}
        if f.kind == "table":
            prop.update(type="object", additionalProperties={"type": "string", "minLength": 1})
        else:
            prop["type"] = f.kind
        if f.pattern:
            prop["pattern"] = f.pattern
        if f.minimum is not None:
            prop["minimum"] = f.minimum
        if f.maximum is not None:
            prop["maximum"] = f.maximum
        default = getattr(GeneratorConfig(), f.key) if f.key not in _DERIVED else None
        if default not in (None, "", ()):
            prop["default"] = default
        properties[f.toml_key] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "artie-mcp-gen configuration (--config FILE, TOML)",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m generator.config > generator/config.schema.json
    print(schema_text(), end="")
