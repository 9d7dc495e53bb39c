"""Tool arguments -> the HTTP request to the upstream API (method, encoded path,
query, headers, body), checked before anything is sent.

Path parameters are percent-encoded as a whole (``/`` and ``?`` included), so
no argument can reach another endpoint; header values with CR or LF are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from .errors import ToolError
from .operation import Operation


@dataclass
class Request:
    method: str
    path: str  # already encoded
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _segment(value: Any) -> str:
    """One path segment: every reserved character encoded, and dot segments too
    (an unencoded ``..`` would be resolved away by the client, reaching another
    endpoint)."""
    encoded = quote(_scalar(value), safe="")
    if encoded and set(encoded) == {"."}:
        encoded = encoded.replace(".", "%2E")
    return encoded


# RFC 9110 asks every HTTP party to take request lines of at least 8,000 octets; longer
# ones are refused by common servers and proxies, and httpx refuses 65,536 outright.
MAX_URL_CHARS = 8000


def _safe_header(name: str, value: str, arg: str | None = None) -> str:
    problem = header_problem(value)
    if problem:
        raise ToolError(
            "invalid_arguments",
            f"argument {arg or name!r} goes in the HTTP header {name!r}, which {problem}; nothing was sent",
            details=[{"path": "/" + (arg or name), "message": f"the header {problem}"}],
        )
    return value


def header_problem(value: str) -> str | None:
    if "\r" in value or "\n" in value or "\x00" in value:
        return "may not contain CR, LF or NUL characters"
    if not value.isascii():
        return "may hold ASCII characters only"
    return None


def _url_length(
    op: Operation, arguments: Mapping[str, Any], path: str, query: list[tuple[str, str]]
) -> None:
    """Refuse a request whose URL no server is sure to take, naming the argument that makes it long."""
    length = len(path) + len(urlencode(query, quote_via=quote))
    if length <= MAX_URL_CHARS:
        return
    sizes = {
        p.arg: len(quote(_scalar(arguments[p.arg]), safe=""))
        for p in op.params
        if p.arg in arguments and p.location in ("path", "query")
    }
    longest = max(sizes, key=lambda a: sizes[a], default="")
    share = f"; {longest!r} makes {sizes[longest]} of them" if longest else ""
    raise ToolError(
        "invalid_arguments",
        f"the request URL would be {length} characters, over the {MAX_URL_CHARS} HTTP servers are "
        f"sure to take{share}; nothing was sent",
        details=[
            {
                "path": "/" + longest,
                "message": f"too long for a URL: path and query arguments together must stay under "
                f"{MAX_URL_CHARS} characters once encoded",
            }
        ],
    )


def build_request(
    op: Operation, arguments: Mapping[str, Any], file_dirs: Sequence[str] = ()
) -> Request:
    path = op.path
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for param in op.params:
        if param.arg not in arguments:
            continue
        value = arguments[param.arg]
        if param.location == "path":
            path = path.replace("{" + param.wire + "}", _segment(value))
        elif param.location == "query":
            if value is None:
                continue
            if isinstance(value, list):
                if param.explode is False or param.style in ("spaceDelimited", "pipeDelimited"):
                    sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(param.style or "", ",")
                    query.append((param.wire, sep.join(_scalar(v) for v in value)))
                else:
                    query.extend((param.wire, _scalar(v)) for v in value)
            elif isinstance(value, dict) and param.style == "deepObject":
                query.extend((f"{param.wire}[{k}]", _scalar(v)) for k, v in value.items())
            elif isinstance(value, dict) and param.explode is not False:
                query.extend((k, _scalar(v)) for k, v in value.items())
            else:
                query.append((param.wire, _scalar(value)))
        elif param.location == "header":
            headers[param.wire] = _safe_header(param.wire, _scalar(value), param.arg)
        elif param.location == "cookie":
            cookies.append(f"{param.wire}={quote(_scalar(value), safe='')}")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    _url_length(op, arguments, path, query)
    request = Request(op.method, path, query, headers)
    body = op.body
    if body is None:
        return request
    if body.mode == "wrapped":
        arg = body.arg or "body"
        if arg not in arguments:
            return request
        if arg in body.files:
            _, data, ctype = read_file(arguments[arg], file_dirs, arg)
            request.content = data
            request.headers["Content-Type"] = ctype or body.content_type
            return request
        payload: Any = arguments[arg]
    else:
        payload = {prop: arguments[arg] for arg, prop in body.fields if arg in arguments}
        if not payload and op.method not in ("POST", "PUT", "PATCH"):
            return request
    base = body.content_type.split(";")[0].strip().lower()
    if base == "multipart/form-data" and isinstance(payload, dict):
        request.content, request.headers["Content-Type"] = _multipart(
            payload, body.files, file_dirs
        )
    else:
        request.content = _encode(body.content_type, payload)
        request.headers["Content-Type"] = body.content_type
    return request


def read_file(spec: Any, file_dirs: Sequence[str], where: str) -> tuple[str, bytes, str | None]:
    """(filename, bytes, content type) of a file argument."""
    import base64
    import binascii
    import os

    if not isinstance(spec, dict):
        raise ToolError(
            "invalid_arguments", f"{where}: a file is an object with content_base64 or path"
        )
    filename = str(spec.get("filename") or "")
    ctype = spec.get("content_type")
    if "content_base64" in spec:
        try:
            return (
                filename or "file",
                base64.b64decode(str(spec["content_base64"]), validate=True),
                ctype,
            )
        except (binascii.Error, ValueError):
            raise ToolError(
                "invalid_arguments", f"{where}: content_base64 is not valid base64"
            ) from None
    raw = str(spec.get("path") or "")
    if not file_dirs:
        raise ToolError(
            "not_allowed",
            f"{where}: reading local files is off; the operator can allow a folder with --allow-file-dir",
        )
    real = os.path.realpath(raw)
    allowed = [os.path.realpath(d) for d in file_dirs]
    if not any(real == d or real.startswith(d.rstrip(os.sep) + os.sep) for d in allowed):
        raise ToolError(
            "not_allowed", f"{where}: {raw!r} is outside the folders the operator allows"
        )
    try:
        with open(real, "rb") as handle:
            return filename or os.path.basename(real), handle.read(), ctype
    except OSError as exc:
        raise ToolError(
            "invalid_arguments", f"{where}: cannot read {raw!r}: {exc.strerror}"
        ) from None


def _multipart(
    payload: Mapping[str, Any], files: Sequence[str], file_dirs: Sequence[str]
) -> tuple[bytes, str]:
    import httpx

    data: list[tuple[str, str]] = []
    parts: list[tuple[str, tuple[str, bytes, str]]] = []
    for key, value in payload.items():
        if key in files:
            for item in value if isinstance(value, list) else [value]:
                name, content, ctype = read_file(item, file_dirs, key)
                parts.append((key, (name, content, ctype or "application/octet-stream")))
        elif isinstance(value, list):
            data.extend((key, _scalar(v)) for v in value)
        else:
            data.append((key, _scalar(value)))
    encoded = httpx.Request(
        "POST", "http://multipart.invalid/", data=dict(_group(data)), files=parts or None
    )
    return encoded.read(), encoded.headers["content-type"]


def _group(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for key, value in pairs:
        if key in out:
            existing = out[key]
            out[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[key] = value
    return out


def _encode(content_type: str, payload: Any) -> bytes:
    base = content_type.split(";")[0].strip().lower()
    if base == "application/x-www-form-urlencoded" and isinstance(payload, dict):
        pairs: list[tuple[str, str]] = []
        for key, value in payload.items():
            if isinstance(value, list):
                pairs.extend((key, _scalar(v)) for v in value)
            elif isinstance(value, dict):  # deepObject: key[sub]=value
                pairs.extend((f"{key}[{k}]", _scalar(v)) for k, v in value.items())
            else:
                pairs.append((key, _scalar(value)))
        return urlencode(pairs).encode()
    if base.startswith("text/") and isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
