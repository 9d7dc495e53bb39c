"""IR -> ``{relative path: text}`` for the whole generated package.

The only module that touches jinja2. Templates format what the IR says; the
runtime (``templates/runtime``) is copied verbatim; Python files are then
formatted with ruff format (``formatting``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from generator import escape, formatting, outlines, registry, versions
from generator.config import GeneratorConfig
from generator.contract import contract, operation, options
from generator.diagnostics import Diagnostics, GeneratorError
from generator.ir import Api, Tool
from generator.models import ModelsJob

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def pystr(value: Any) -> str:
    """A Python literal for an untrusted spec string (never raw interpolation)."""
    return repr(value)


def pytuple(values: Any) -> str:
    items = list(values)
    if not items:
        return "()"
    return "(" + ", ".join(repr(v) for v in items) + ("," if len(items) == 1 else "") + ")"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES / "package")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pystr"] = pystr
    env.filters["pytuple"] = pytuple
    env.filters["code"] = lambda value: escape.code_span(value, table=True)  # in a table cell
    env.filters["code_inline"] = escape.code_span
    env.filters["md"] = escape.markdown  # text in a table cell or a line, markup escaped
    return env


def dist_version(version: str) -> str:
    """The spec's version as a PEP 440 version (see ``versions``)."""
    return versions.package_version(version)[0]


def package_version(api: Api, options: GeneratorConfig) -> str:
    return options.package_version or dist_version(api.version)


def auth_view(api: Api) -> dict[str, Any]:
    """How the server authenticates upstream, and the doc line that says so."""
    scheme = api.auth
    kind = str(scheme.get("type", "")).lower()
    view: dict[str, Any] = {"kind": "none", "name": "", "token_url": "", "scopes": []}
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
        view.update(kind="basic", name="Authorization")
    elif kind == "apikey":
        where = str(scheme.get("in", "header"))
        view.update(
            kind=where if where in ("query", "cookie") else "header",
            name=str(scheme.get("name", "X-API-Key")),
        )
    elif kind == "oauth2" and scheme.get("tokenUrl"):
        view.update(
            kind="oauth2",
            name="Authorization",
            token_url=str(scheme["tokenUrl"]),
            scopes=list(scheme.get("scopes", [])),
        )
    elif kind in ("http", "oauth2", "openidconnect"):
        view.update(kind="bearer", name="Authorization")
    return view


def declaration(tool: Tool, model_classes: frozenset[str] = frozenset()) -> Any:
    """The runtime's ``Operation`` for a tool: what its data file holds.
    ``model_classes``: the classes of the generated models module."""
    policy = tool.policy
    body = tool.body
    return operation.Operation(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        method=tool.method,
        path=tool.path,
        annotations=tool.annotations,
        params=tuple(
            operation.Param(p.arg, p.wire, p.location, p.style, p.explode) for p in tool.params
        ),
        body=(
            operation.Body(body.content_type, body.mode, body.arg, body.fields, body.files)
            if body is not None
            else None
        ),
        tags=tool.tags,
        method_class=tool.method_class,
        exposure=policy.exposure,
        bodiless=tool.bodiless,
        output_wrapped=tool.output_wrapped,
        json_response=tool.json_response,
        list_field=tool.list_field,
        window_args=tool.window_args or (),
        fields_arg=tool.fields_arg,
        chunk_field=tool.chunk_field,
        state_check=tool.state_check,
        retry=policy.retry,
        scopes=policy.scopes,
        input_sensitivity=policy.input_sensitivity,
        output_sensitivity=policy.output_sensitivity,
        exclusion_reason=policy.exclusion_reason,
        remediation=policy.remediation,
        input_schema=tool.input_schema,
        output_schema=tool.output_schema,
        response_schema=(
            outlines.bounded(tool.response_schema) if tool.response_schema is not None else None
        ),
        response_model=model_class(tool.response_component, model_classes),
    )


# what json.dumps writes for a character a reader must not get raw: a short escape
# (\r, \b, \f), a \u escape of a C0 control, or the character itself
_JSON_UNSAFE = re.compile(r"\\[rbf]|\\u00(?:0[0-8bBeEfF]|1[0-9a-fA-F])|" + escape.UNSAFE.pattern)


def tool_file(tool: Tool, model_classes: frozenset[str] = frozenset()) -> str:
    """A tool's data file. Text a model reads (title, descriptions, the exclusion
    note) holds no control characters; any other spec string holding one (an enum
    value, a default) is written as a JSON escape, never raw."""
    op = declaration(tool, model_classes)
    text = operation.dump(op)
    if not _JSON_UNSAFE.search(text):
        return text  # the common case: nothing to clean
    op = dataclasses.replace(
        op,
        title=escape.line(op.title) if op.title else op.title,
        description=escape.text(op.description),
        exclusion_reason=escape.text(op.exclusion_reason) if op.exclusion_reason else None,
        remediation=escape.text(op.remediation) if op.remediation else None,
        input_schema=escape.schema_texts(op.input_schema),
        output_schema=escape.schema_texts(op.output_schema),
        response_schema=escape.schema_texts(op.response_schema),
    )
    return escape.json_text(operation.dump(op))


def model_class(component: str | None, classes: frozenset[str]) -> str | None:
    """The models class datamodel-code-generator made of a component, if it made one."""
    if component is None:
        return None
    for candidate in (
        component,
        "".join(w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", component)),
    ):
        if candidate in classes:
            return candidate
    return None


def render(
    api: Api,
    options: GeneratorConfig,
    spec: dict[str, Any],
    diagnostics: Diagnostics,
    prompts: list[dict[str, Any]] | None = None,
    models: ModelsJob | None = None,
) -> dict[str, str]:
    """The whole package, formatted, as {relative path: text}."""
    pkg = options.package
    if models is None and options.models:
        models = ModelsJob(spec, api.digest)
    try:
        env = environment()
        files: dict[str, str] = {}
        python: dict[str, str] = {}
        ctx = _context(api, options)
        if options.package_version is None:
            note = versions.package_version(api.version)[1]
            if note is not None:
                diagnostics.info("#/info/version", escape.line(note))
        python[f"{pkg}/__init__.py"] = env.get_template("init.py.jinja").render(**ctx)
        python[f"{pkg}/__main__.py"] = env.get_template("main.py.jinja").render(**ctx)
        python[f"{pkg}/app.py"] = env.get_template("app.py.jinja").render(**ctx)
        files["pyproject.toml"] = pyproject(api, options)
        files["README.md"] = env.get_template("README.md.jinja").render(**ctx)
        files[registry.SERVER_FILE] = registry.server_json(
            listing(api, options), ctx["registry_name"]
        )
        files[f"{pkg}/py.typed"] = ""
        if prompts:
            files[f"{pkg}/{contract.PROMPTS_FILE}"] = escape.json_text(
                json.dumps(prompts, indent=2, ensure_ascii=False) + "\n"
            )
        for source in sorted((TEMPLATES / "runtime").glob("*.py")):
            files[f"{pkg}/runtime/{source.name}"] = source.read_text(encoding="utf-8")
        files.update(formatting.format_many(python))  # while the models are still being made
        classes: frozenset[str] = frozenset()
        if models is not None:
            made = models.result(diagnostics)
            files.update({f"{pkg}/{path}": text for path, text in made.items()})
            if "models.py" in made:  # a flat module: tools can name their answer's class
                classes = frozenset(re.findall(r"^class (\w+)\(", made["models.py"], re.M))
        for tool in api.all_tools:
            path = f"{pkg}/{contract.TOOLS_DIR}/{tool.name}.json"
            files[path] = tool_file(tool, classes)
    finally:
        if models is not None:
            models.close()
    for path, text in files.items():
        found = escape.find_unsafe(text)
        if found is not None:  # a generator bug: never write it
            raise GeneratorError(f"the rendered {path} holds an unescaped {found}")
    return dict(sorted(files.items()))


DEPENDENCIES = (
    "mcp>=2.3,<3",
    "httpx>=0.28,<1",
    "sniffio>=1.3",  # without it httpcore retries its import on every request
    "jsonschema>=4.20",
    "pydantic>=2.7,<3",
    "uvicorn>=0.30",
    "starlette>=0.40",
    "cryptography>=42",  # grants: their own API keys sealed at rest (Fernet); JWT signatures
    "pyjwt[crypto]>=2.8",  # OAuth: access tokens checked against the issuer's keys
)
# Extras: what only some deployments need, with a clear error when it is missing.
OPTIONAL_DEPENDENCIES = {
    "postgres": ["psycopg[binary]>=3.1"],  # --grants-db postgresql://... (replicas share grants)
}


def description(api: Api) -> str:
    return f"MCP server for {escape.line(api.title)}, generated from its OpenAPI spec"


def listing(api: Api, options: GeneratorConfig) -> registry.Package:
    """The package as the MCP Registry and the MCP bundle describe it."""
    prefix = options.env_prefix
    return registry.Package(
        dist_name=options.dist_name,
        version=package_version(api, options),
        description=description(api),
        command=options.command,
        title=escape.line(api.title),
        api_key_env=f"{prefix}_API_KEY",
        base_url_env=f"{prefix}_BASE_URL",
        default_base_url=api.base_url,
        option_env_prefix=f"{prefix}_MCP_",
        auth_kind=auth_view(api)["kind"],
        tags=tuple(sorted({tag for t in api.tools for tag in t.tags})),
    )


def pyproject(api: Api, options: GeneratorConfig) -> str:
    """``pyproject.toml``, written by a TOML writer (spec strings are escaped) and
    parsed back before it is used."""
    import tomllib

    import tomli_w

    document = {
        "build-system": {"requires": ["setuptools>=68"], "build-backend": "setuptools.build_meta"},
        "project": {
            "name": options.dist_name,
            "version": package_version(api, options),
            "description": description(api),
            "readme": "README.md",
            "requires-python": ">=3.11",
            "dependencies": list(DEPENDENCIES),
            "optional-dependencies": {k: list(v) for k, v in OPTIONAL_DEPENDENCIES.items()},
            "scripts": {options.command: f"{options.package}.app:main"},
        },
        "tool": {
            "setuptools": {
                "packages": {"find": {"where": ["."], "include": [f"{options.package}*"]}},
                "package-data": {"*": ["*.json", "py.typed"]},
            }
        },
    }
    text = "# Generated by artie-mcp-gen. Do not edit.\n" + tomli_w.dumps(document)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # a generator bug: never write it
        raise GeneratorError(f"the rendered pyproject.toml does not parse: {exc}") from None
    return text


def instructions(api: Api) -> str:
    """The fixed part of the server's instructions; the runtime adds what this
    configuration leaves out."""
    about = escape.line(api.description or "", 300)
    if about and not about.endswith((".", "!", "?", "…")):
        about += "."  # the sentence after it starts with a capital
    text = f"Tools for the {escape.line(api.title)}, generated from its OpenAPI spec."
    if about:
        text += f" {about}"
    return (
        text
        + " Each tool's description names the scope it requires; a 403 usually means the API key lacks it."
    )


def server_options(option_prefix: str, base_url_env: str) -> list[dict[str, str]]:
    """Every option of the generated server, from the runtime's one option table:
    its flag, its environment variable and what it does (the generated README's
    table, which therefore cannot fall behind ``--help``)."""
    from types import SimpleNamespace

    names = SimpleNamespace(option_env_prefix=option_prefix, base_url_env=base_url_env)
    return [
        {"flag": o.flag, "env": o.env_name(names), "help": o.help}  # type: ignore[arg-type]
        for o in options.OPTIONS
    ]


def _context(api: Api, options: GeneratorConfig) -> dict[str, Any]:
    prefix = options.env_prefix
    api_view = {
        "title": escape.line(api.title),
        "version": escape.line(api.version),
        "digest": api.digest,
        "base_url": api.base_url,
        "title_doc": escape.markdown(api.title, 80),
        "version_doc": escape.markdown(api.version, 40),
    }
    auth = auth_view(api)
    auth_doc = {
        "bearer": "`Authorization: Bearer <key>`",
        "oauth2": f"an OAuth2 bearer token: the key itself, or one fetched with {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET",
        "basic": "HTTP basic auth (the key is `user:password`)",
        "header": f"the {escape.code_span(auth['name'])} header",
        "query": f"the {escape.code_span(auth['name'])} query parameter",
        "cookie": f"the {escape.code_span(auth['name'])} cookie",
        "none": "nothing (the API declares no security scheme)",
    }[auth["kind"]]
    return {
        "instructions": instructions(api),
        "api": api_view,
        "package": options.package,
        "dist_name": options.dist_name,
        "dist_version": package_version(api, options),
        "command": options.command,
        "server_name": options.dist_name,
        "server_key": options.server_key,
        "registry_name": options.registry_name or registry.default_name(options.dist_name),
        "env": {
            "api_key": f"{prefix}_API_KEY",
            "base_url": f"{prefix}_BASE_URL",
            "client_id": f"{prefix}_CLIENT_ID",
            "client_secret": f"{prefix}_CLIENT_SECRET",
            "prefix": f"{prefix}_MCP_",
        },
        "options": server_options(f"{prefix}_MCP_", f"{prefix}_BASE_URL"),
        "auth": auth,
        "auth_doc": auth_doc,
        "tools": [
            {
                "name": t.name,
                "method": t.method,
                "path": t.path,
                "method_class": t.method_class,
                "hints": ", ".join(t.annotations.labels()) or "-",
            }
            for t in api.tools
        ],
        "excluded": [
            {
                "name": t.name,
                "reason": escape.markdown(t.policy.exclusion_reason or "-", 200),
                "remediation": escape.markdown(t.policy.remediation or "-", 200),
            }
            for t in sorted(api.excluded, key=lambda t: t.name)
        ],
        "webhooks": [{"name": escape.line(w.name, 80)} for w in api.webhooks],
    }
