"""How each tool should behave: upstream's ``x-artie-mcp`` block, or HTTP defaults.

Also the tool description as served: the essentials first (what it does,
whether it is destructive, the scope it needs), cut under the 2,048-character
limit that Claude Code applies.
"""

from __future__ import annotations

import re
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


TRIGGER_LEAD = re.compile(
    r"^\s*use (?:this |it )?(?:tool )?(?:when|if) (?:you|the user|a user)"
    r" (?:need|needs|want|wants|would like) to\s+",
    re.IGNORECASE,
)
STOPWORDS = frozenset(
    "a an the of for to in on at by and or with from its it this that all one any each some "
    "is are be you your use when need needs want wants".split()
)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS}


def is_redundant(text: str, *others: str) -> bool:
    """Whether ``text`` says nothing the ``others`` do not: every content word of
    it (a leading "Use when you need to" aside) is already there."""
    words = _words(TRIGGER_LEAD.sub("", text))
    known: set[str] = set()
    for other in others:
        known |= _words(other)
    return words <= known


def describe(
    summary: str,
    description: str,
    policy: Policy,
    annotations: Annotations,
    deprecated: bool,
) -> str:
    """The spec's own words, then the essentials (deprecation, the destructive
    warning, the scope) on one line. Nothing is said twice: the summary is left
    out when the title (served beside the description) already says it and the
    spec has a description; a trigger description is left out when its words
    are all in the title, summary or description ("Use when you need to
    <title>.")."""
    title = policy.title or summary
    description = description.strip()
    text: list[str] = []
    if summary and not (description and is_redundant(summary, title)):
        text.append(summary.rstrip(".") + ".")
    if description and description != summary.strip():
        text.append(description)
    if policy.trigger and not is_redundant(policy.trigger, title, summary, description):
        text.append(policy.trigger)
    if policy.exposure == "excluded":
        if policy.exclusion_reason:
            text.append("Not exposed by default: " + policy.exclusion_reason)
        if policy.remediation:
            text.append(policy.remediation)
    tail: list[str] = []
    if deprecated:
        tail.append("Deprecated.")
    if annotations.destructive:
        tail.append("Destructive: confirm with the user first.")
    if policy.scopes:
        label = "Scope" if len(policy.scopes) == 1 else "Scopes"
        tail.append(f"{label}: " + ", ".join(policy.scopes) + ".")
    essentials = " ".join(tail)
    body = "\n".join(text)
    room = contract.MAX_DESCRIPTION - (len(essentials) + 1 if essentials else 0)
    return "\n".join(p for p in (cut(body, room), essentials) if p)


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    window = text[: limit - 1]
    stop = max(window.rfind(". "), window.rfind("\n"))
    if stop > limit // 2:
        window = window[: stop + 1]
    return window.rstrip() + "…"
