"""How each tool should behave: upstream's ``x-artie-mcp`` block, or HTTP defaults.

Also the tool description as served: the essentials first (what it does,
whether it is destructive, the scope it needs), cut under the 2,048-character
limit that Claude Code applies.
"""

from __future__ import annotations

from typing import Any, cast

from generator.contract import contract
from generator.ir import Annotations, MethodClass, Policy, Retry

EXTENSION = "x-artie-mcp"


def read_policy(op: dict[str, Any], method: str) -> Policy:
    block = op.get(EXTENSION)
    if not isinstance(block, dict):
        safe = method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        return Policy(retry="safe" if safe else "unsafe", from_spec=False)
    exposure = block.get("exposure", "exposed")
    retry = block.get("retrySemantics")
    if retry not in contract.RETRY_SEMANTICS:
        retry = "safe" if method in ("GET", "HEAD", "PUT", "DELETE") else "unsafe"
    scopes = block.get("requiredScopes") or ()
    return Policy(
        exposure="excluded" if exposure == "excluded" else "exposed",
        title=_text(block.get("title")),
        trigger=_text(block.get("triggerDescription")),
        scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
        retry=cast(Retry, retry),
        input_sensitivity=str(block.get("inputSensitivity", "none")),
        output_sensitivity=str(block.get("outputSensitivity", "none")),
        bodiless_success=block.get("bodilessSuccess") is True,
        exclusion_reason=_text(block.get("exclusionReason")),
        remediation=_text(block.get("remediation")),
        from_spec=True,
    )


def _text(value: Any) -> str | None:
    return str(value).strip() if isinstance(value, str) and value.strip() else None


def tool_annotations(op: dict[str, Any], method: str) -> Annotations:
    """``x-artie-mcp`` hints where given; otherwise from the HTTP method."""
    raw = op.get(EXTENSION)
    block: dict[str, Any] = raw if isinstance(raw, dict) else {}
    defaults = {
        "readOnlyHint": method in ("GET", "HEAD", "OPTIONS"),
        "destructiveHint": method == "DELETE",
        "idempotentHint": method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
        "openWorldHint": True,
    }

    def hint(key: str) -> bool:
        value = block.get(key)
        return value if isinstance(value, bool) else defaults[key]

    read_only = hint("readOnlyHint")
    return Annotations(
        read_only=read_only,
        destructive=False if read_only else hint("destructiveHint"),
        idempotent=hint("idempotentHint"),
        open_world=hint("openWorldHint"),
    )


def method_class(method: str, path: str, paths: dict[str, Any]) -> MethodClass:
    """read = GET; write = create/update/delete on a collection or item path;
    custom = any other action (``.../start``, ``.../deploy``, ``.../search``)."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return "read"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last.startswith("{"):
        return "write"  # update or delete of an item
    if method in ("PUT", "PATCH", "DELETE"):
        return "write"
    # POST to a literal segment: a create when it is a collection
    collection = "get" in (paths.get(path) or {}) or any(
        other.startswith(path.rstrip("/") + "/{") and other.count("/") == path.count("/") + 1
        for other in paths
    )
    return "write" if collection else "custom"


def describe(
    summary: str,
    description: str,
    policy: Policy,
    annotations: Annotations,
    deprecated: bool,
) -> str:
    head: list[str] = []
    if summary:
        head.append(summary.rstrip(".") + ".")
    if deprecated:
        head.append("DEPRECATED.")
    if annotations.destructive:
        head.append("Destructive: ask the user to confirm before calling.")
    if policy.scopes:
        head.append("Requires scope: " + ", ".join(policy.scopes) + ".")
    parts = [" ".join(head)]
    if description and description.strip() != summary.strip():
        parts.append(description.strip())
    if policy.trigger:
        parts.append(policy.trigger)
    if policy.exposure == "excluded":
        if policy.exclusion_reason:
            parts.append("Not exposed by default: " + policy.exclusion_reason)
        if policy.remediation:
            parts.append(policy.remediation)
    text = "\n\n".join(p for p in parts if p)
    return cut(text, contract.MAX_DESCRIPTION)


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    window = text[: limit - 1]
    stop = max(window.rfind(". "), window.rfind("\n"))
    if stop > limit // 2:
        window = window[: stop + 1]
    return window.rstrip() + "…"
