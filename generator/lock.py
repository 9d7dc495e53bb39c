"""The pinned upstream spec: ``specs/artie-openapi.lock.json``.

The spec is upstream's file, so the project never commits it; it commits a lock
(version, URL, sha256 of upstream's bytes) and fetches the bytes at build time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import GeneratorError
from generator.load import parse_spec, read_source
from generator.output import write_file_atomic

URL_TEMPLATE = (
    "https://github.com/artie-labs/artie-api-spec/releases/download/{version}/openapi.yaml"
)
SOURCE_ENV = "ARTIE_SPEC_SOURCE"


@dataclass(frozen=True)
class Lock:
    version: str
    url: str
    sha256: str

    @classmethod
    def read(cls, path: Path) -> Lock:
        def malformed(what: str) -> GeneratorError:
            return GeneratorError(
                f"lock file {path} {what}; a lock holds version, url and sha256, e.g. "
                '{"version": "v1.0.76", "url": "https://.../openapi.yaml", "sha256": "<64 hex digits>"}'
                " (`make spec-update VERSION=...` writes one)"
            )

        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise GeneratorError(f"lock file not found: {path}") from None
        except UnicodeDecodeError:
            raise malformed("is not UTF-8 text") from None
        except OSError as exc:
            raise GeneratorError(f"cannot read lock file {path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"at line {exc.lineno}, column {exc.colno}"
            raise malformed(f"is not JSON ({exc.msg} {where})") from None
        if not isinstance(data, dict):
            raise malformed(f"must be a JSON object, not {type(data).__name__}")
        for key in ("version", "url", "sha256"):
            if key not in data:
                raise malformed(f'has no "{key}"')
            if not isinstance(data[key], str) or not data[key]:
                raise malformed(f'"{key}" must be a string, not {json.dumps(data[key])}')
        if not re.fullmatch(r"[0-9a-fA-F]{64}", data["sha256"]):
            raise malformed(f'"sha256" must be 64 hex digits, not {json.dumps(data["sha256"])}')
        return cls(version=data["version"], url=data["url"], sha256=data["sha256"].lower())

    def write(self, path: Path) -> None:
        body = {"version": self.version, "url": self.url, "sha256": self.sha256}
        write_file_atomic(path, json.dumps(body, indent=2) + "\n")


def _read(chosen: str, given: str | None, pinned: str) -> bytes:
    """``read_source``, with its error saying where the source came from and, when
    the pinned URL cannot be reached, how to build from a local copy instead."""
    try:
        return read_source(chosen)
    except GeneratorError as exc:
        if given is None and chosen != pinned:
            raise GeneratorError(f"{exc.message} (that source is ${SOURCE_ENV})") from None
        if chosen == pinned and exc.message.startswith("could not download"):
            raise GeneratorError(
                f"{exc.message}. Without access to it, point the build at a local copy of "
                f"the release: {SOURCE_ENV}=path/to/openapi.yaml make generate (or make spec)"
            ) from None
        raise


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(lock_path: Path, out: Path, source: str | None = None) -> tuple[str, str]:
    """Fetch the pinned spec, check its sha256, write it as normalised JSON.

    Returns (source used, version). On any failure ``out`` is left as it was.
    """
    lock = Lock.read(lock_path)
    chosen = source or os.environ.get(SOURCE_ENV) or lock.url
    raw = _read(chosen, source, lock.url)
    digest = sha256(raw)
    if digest != lock.sha256:
        raise GeneratorError(
            f"sha256 mismatch for {chosen}: got {digest}, the lock pins {lock.sha256} "
            f"({lock.version}); {out} was not changed. "
            "Use `make spec-update VERSION=...` to pin a different release."
        )
    doc = parse_spec(raw, chosen)
    write_file_atomic(out, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return chosen, lock.version


def pin(lock_path: Path, version: str, source: str | None = None) -> Lock:
    """Re-pin the lock to ``version``, hashing upstream's bytes."""
    url = URL_TEMPLATE.format(version=version)
    raw = _read(source or os.environ.get(SOURCE_ENV) or url, source, url)
    doc = parse_spec(raw, source or url)
    found = str((doc.get("info") or {}).get("version", ""))
    if found and found != version:
        raise GeneratorError(
            f"the spec says it is {found}, not {version}; the lock was not changed"
        )
    lock = Lock(version=version, url=url, sha256=sha256(raw))
    lock.write(lock_path)
    return lock
