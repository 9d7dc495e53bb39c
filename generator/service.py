"""What a spec says of the API as a whole: the digest that names it, the base URL
the server calls and the authentication scheme it sends."""

from __future__ import annotations

import hashlib
import json

from generator.ir import JSON


def digest(spec: JSON) -> str:
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def base_url(spec: JSON) -> str:
    servers = spec.get("servers") or []
    if not servers or not isinstance(servers[0], dict):
        return ""
    url = str(servers[0].get("url", ""))
    for name, var in (servers[0].get("variables") or {}).items():
        url = url.replace("{" + name + "}", str((var or {}).get("default", "")))
    return url.rstrip("/")


def auth_scheme(spec: JSON) -> JSON:
    """The security scheme the server sends: the global requirement's first
    scheme, else the one operations require most often, else the first declared.
    OAuth2 keeps its client-credentials token URL and scopes."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    chosen: str | None = None
    for requirement in spec.get("security") or []:
        for name in requirement or {}:
            if name in schemes:
                chosen = chosen or name
    if chosen is None:
        counts: dict[str, int] = {}
        for item in (spec.get("paths") or {}).values():
            for op in (item or {}).values() if isinstance(item, dict) else []:
                if isinstance(op, dict):
                    for requirement in op.get("security") or []:
                        for name in requirement or {}:
                            if name in schemes:
                                counts[name] = counts.get(name, 0) + 1
                                break  # alternatives: count the first one offered
        if counts:
            chosen = max(counts, key=lambda n: (counts[n], -list(schemes).index(n)))
    if chosen is None and schemes and (spec.get("security") is None):
        chosen = next(iter(schemes))
    if chosen is None:
        return {}
    scheme = schemes[chosen]
    out = {k: v for k, v in scheme.items() if k in ("type", "scheme", "in", "name")}
    flows = scheme.get("flows") if isinstance(scheme.get("flows"), dict) else {}
    client = (
        flows.get("clientCredentials") if isinstance(flows.get("clientCredentials"), dict) else None
    )
    if client:
        out["tokenUrl"] = str(client.get("tokenUrl", ""))
        out["scopes"] = sorted(str(s) for s in (client.get("scopes") or {}))
    out["id"] = chosen
    return out
