"""IR -> ``{relative path: text}`` for the whole generated package.

The only module that touches jinja2. Templates format what the IR says; the
runtime (``templates/runtime``) is copied verbatim; Python files are then
formatted with black (``formatting``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from generator import formatting, naming
from generator.diagnostics import Diagnostics
from generator.ir import Api, Tool
from generator.models import ModelsJob

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class RenderOptions:
    package: str = "artie_mcp"
    dist_name: str = "artie-mcp"
    command: str = "artie-mcp"
    env_prefix: str = "ARTIE"  # ARTIE_API_KEY, ARTIE_BASE_URL, ARTIE_MCP_*
    models: bool = True
    prompts_dir: str | None = None


def pystr(value: Any) -> str:
    """A Python literal for an untrusted spec string (never raw interpolation)."""
    return repr(value)


def pytuple(values: Any) -> str:
    items = list(values)
    if not items:
        return "()"
    return "(" + ", ".join(repr(v) for v in items) + ("," if len(items) == 1 else "") + ")"


def one_line(text: str, limit: int = 120) -> str:
    """Safe inside a docstring or a Markdown table cell."""
    text = " ".join(str(text).split())
    text = text.replace("\\", "/").replace('"""', "'''").replace("|", "/")
    text = text.rstrip('"')
    return text[:limit] + ("…" if len(text) > limit else "")


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
    return env


def dist_version(version: str) -> str:
    candidate = version.lstrip("vV")
    if re.fullmatch(r"\d+(\.\d+)*", candidate):
        return candidate
    return "0.0.0"


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


def _hints(tool: Tool) -> str:
    a = tool.annotations
    assert a is not None
    names = [
        n
        for n, on in (
            ("read-only", a.read_only),
            ("destructive", a.destructive),
            ("idempotent", a.idempotent),
        )
        if on
    ]
    return ", ".join(names) or "-"


def manifest(api: Api) -> dict[str, Any]:
    def entry(tool: Tool) -> dict[str, Any]:
        a = tool.annotations
        assert a is not None
        return {
            "name": tool.name,
            "operationId": tool.operation_id,
            "method": tool.method,
            "path": tool.path,
            "exposure": tool.policy.exposure,
            "class": tool.method_class,
            "tags": list(tool.tags),
            "annotations": a.as_mcp(),
        }

    return {
        "spec": {
            "title": api.title,
            "version": api.version,
            "openapi": api.openapi,
            "digest": api.digest,
        },
        "policy_from_spec": api.has_policy,
        "tools": [entry(t) for t in api.all_tools],
        "webhooks": [
            {"name": w.name, "method": w.method, "summary": w.summary} for w in api.webhooks
        ],
        "renamed": [{"where": w, "wanted": a, "name": b} for w, a, b in api.renames],
    }


def render(
    api: Api,
    options: RenderOptions,
    spec: dict[str, Any],
    diagnostics: Diagnostics,
    prompts: list[dict[str, Any]] | None = None,
    models: ModelsJob | None = None,
) -> dict[str, str]:
    """The whole package, formatted, as {relative path: text}."""
    pkg = options.package
    if models is None and options.models:
        models = ModelsJob(spec, api.title, api.version, api.digest)
    try:
        env = environment()
        files: dict[str, str] = {}
        python: dict[str, str] = {}
        ctx = _context(api, options)
        modules = []
        for tool in api.all_tools:
            module = naming.python_identifier(tool.name)
            modules.append(module)
            python[f"{pkg}/tools/{module}.py"] = env.get_template("tool.py.jinja").render(
                tool=tool,
                doc_line=one_line(f"{tool.method} {tool.path}: {tool.summary or tool.name}"),
                **ctx,
            )
            schemas: dict[str, Any] = {"input": tool.input_schema, "output": tool.output_schema}
            files[f"{pkg}/schemas/{tool.name}.json"] = (
                json.dumps(schemas, indent=2, ensure_ascii=False) + "\n"
            )
        python[f"{pkg}/tools/__init__.py"] = env.get_template("tools_init.py.jinja").render(
            modules=modules, **ctx
        )
        python[f"{pkg}/__init__.py"] = env.get_template("init.py.jinja").render(**ctx)
        python[f"{pkg}/__main__.py"] = env.get_template("main.py.jinja").render(**ctx)
        python[f"{pkg}/app.py"] = env.get_template("app.py.jinja").render(**ctx)
        files["pyproject.toml"] = env.get_template("pyproject.toml.jinja").render(**ctx)
        files["README.md"] = env.get_template("README.md.jinja").render(**ctx)
        files[f"{pkg}/manifest.json"] = (
            json.dumps(manifest(api), indent=2, ensure_ascii=False) + "\n"
        )
        files[f"{pkg}/py.typed"] = ""
        if prompts:
            files[f"{pkg}/prompts.json"] = json.dumps(prompts, indent=2, ensure_ascii=False) + "\n"
        for source in sorted((TEMPLATES / "runtime").glob("*.py")):
            files[f"{pkg}/runtime/{source.name}"] = source.read_text(encoding="utf-8")
        files.update(formatting.format_many(python))  # while the models are still being made
        if models is not None:
            files.update(
                {f"{pkg}/{path}": text for path, text in models.result(diagnostics).items()}
            )
    finally:
        if models is not None:
            models.close()
    return dict(sorted(files.items()))


def instructions(api: Api) -> str:
    """The fixed part of the server's instructions; the runtime adds what this
    configuration leaves out."""
    about = " ".join(str(api.description or "").split())
    if len(about) > 300:
        about = about[:299] + "…"
    text = f"Tools for the {api.title} ({api.version}), generated from its OpenAPI spec."
    if about:
        text += f" {about}"
    return (
        text
        + " Each tool's description names the scope it requires; a 403 usually means the API key lacks it."
    )


def _context(api: Api, options: RenderOptions) -> dict[str, Any]:
    prefix = options.env_prefix
    api_view = {
        "title": api.title,
        "version": api.version,
        "digest": api.digest,
        "base_url": api.base_url,
        "title_doc": one_line(api.title, 80),
        "version_doc": one_line(api.version, 40),
    }
    auth = auth_view(api)
    auth_doc = {
        "bearer": "`Authorization: Bearer <key>`",
        "oauth2": f"an OAuth2 bearer token: the key itself, or one fetched with {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET",
        "basic": "HTTP basic auth (the key is `user:password`)",
        "header": f"the `{auth['name']}` header",
        "query": f"the `{auth['name']}` query parameter",
        "cookie": f"the `{auth['name']}` cookie",
        "none": "nothing (the API declares no security scheme)",
    }[auth["kind"]]
    return {
        "instructions": instructions(api),
        "api": api_view,
        "package": options.package,
        "dist_name": options.dist_name,
        "dist_version": dist_version(api.version),
        "command": options.command,
        "server_name": options.dist_name,
        "server_key": options.dist_name.replace("-mcp", ""),
        "env": {
            "api_key": f"{prefix}_API_KEY",
            "base_url": f"{prefix}_BASE_URL",
            "client_id": f"{prefix}_CLIENT_ID",
            "client_secret": f"{prefix}_CLIENT_SECRET",
            "prefix": f"{prefix}_MCP_",
        },
        "auth": auth,
        "auth_doc": auth_doc,
        "tools": [
            {
                "name": t.name,
                "method": t.method,
                "path": one_line(t.path),
                "method_class": t.method_class,
                "hints": _hints(t),
            }
            for t in api.tools
        ],
        "excluded": [
            {
                "name": t.name,
                "reason": one_line(t.policy.exclusion_reason or "-", 200),
                "remediation": one_line(t.policy.remediation or "-", 200),
            }
            for t in sorted(api.excluded, key=lambda t: t.name)
        ],
        "webhooks": [{"name": one_line(w.name, 80)} for w in api.webhooks],
    }
