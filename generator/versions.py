"""The package version: the spec's ``info.version`` as a PEP 440 version.

A version PEP 440 accepts is used in its normal form (``v1.0.76`` -> ``1.0.76``).
Any other is mapped, always the same way: its leading numbers separated by
``.``, ``-`` or ``_`` are the release (none: ``0.0.0``), and the rest, lowercased
letters and digits joined by dots, is the local label (``2023-10-16`` ->
``2023.10.16``, ``1.0.0-SNAPSHOT`` -> ``1.0.0+snapshot``). ``--package-version``
sets it instead.
"""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

_RELEASE = re.compile(r"\s*[vV]?(\d+(?:[._-]\d+)*)(.*)", re.DOTALL)


def is_pep440(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def package_version(spec_version: str) -> tuple[str, str | None]:
    """(the package version, a note saying what was done, or None when the spec's
    version needed nothing but its normal form)."""
    text = str(spec_version).strip()
    try:
        normal = str(Version(text))
    except InvalidVersion:
        pass
    else:
        if normal == re.sub(r"^[vV]", "", text):
            return normal, None
        return normal, f"the package version is {normal}, the PEP 440 form of {spec_version!r}"
    m = _RELEASE.fullmatch(text)
    release, rest = (".".join(re.split(r"[._-]", m.group(1))), m.group(2)) if m else ("0.0.0", text)
    label = ".".join(re.findall(r"[a-z0-9]+", rest.lower()))
    mapped = str(Version(release + (f"+{label}" if label else "")))
    return mapped, (
        f"{spec_version!r} is not a PEP 440 version: the package version is {mapped} "
        "(--package-version sets another)"
    )
