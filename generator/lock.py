"""The pinned upstream spec: ``specs/artie-openapi.lock.json``.

The spec is upstream's file, so the project never commits it; it commits a lock
(version, URL, sha256 of upstream's bytes) and fetches the bytes at build time.
"""

from __future__ import annotations

import hashlib
import json
import os
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
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(version=data["version"], url=data["url"], sha256=data["sha256"].lower())
        except FileNotFoundError:
            raise GeneratorError(f"lock file not found: {path}") from None
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise GeneratorError(f"lock file {path} is malformed: {exc}") from None

    def write(self, path: Path) -> None:
        body = {"version": self.version, "url": self.url, "sha256": self.sha256}
        write_file_atomic(path, json.dumps(body, indent=2) + "\n")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(lock_path: Path, out: Path, source: str | None = None) -> tuple[str, str]:
    """Fetch the pinned spec, check its sha256, write it as normalised JSON.

    Returns (source used, version). On any failure ``out`` is left as it was.
    """
    lock = Lock.read(lock_path)
    chosen = source or os.environ.get(SOURCE_ENV) or lock.url
    raw = read_source(chosen)
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
    raw = read_source(source or os.environ.get(SOURCE_ENV) or url)
    doc = parse_spec(raw, source or url)
    found = str((doc.get("info") or {}).get("version", ""))
    if found and found != version:
        raise GeneratorError(
            f"the spec says it is {found}, not {version}; the lock was not changed"
        )
    lock = Lock(version=version, url=url, sha256=sha256(raw))
    lock.write(lock_path)
    return lock
