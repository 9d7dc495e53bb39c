"""black, made affordable: a content-addressed cache and a process pool.

black formats 40-100 KB/s here, so formatting dominates generation. Each file
is formatted once per (black version, mode, source) and the answer cached on
disk; files not in the cache are formatted in parallel. The output is exactly
what ``black.format_str`` gives.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

from generator import cache

LINE_LENGTH = 100


def _mode():  # type: ignore[no-untyped-def]
    import black

    return black.Mode(line_length=LINE_LENGTH, target_versions={black.TargetVersion.PY311})


def _key(source: str) -> str:
    import black

    return cache.key(f"black={black.__version__};line={LINE_LENGTH};py311", source)


def format_one(source: str) -> str:
    import black

    try:
        return black.format_str(source, mode=_mode())
    except black.InvalidInput as exc:  # a template bug, not the user's
        raise ValueError(f"generated code does not parse: {exc}") from None


def _format_named(item: tuple[str, str]) -> tuple[str, str]:
    name, source = item
    try:
        return name, format_one(source)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def format_many(sources: dict[str, str], workers: int | None = None) -> dict[str, str]:
    """Format every source; returns {name: formatted} in the same order."""
    done: dict[str, str] = {}
    todo: dict[str, str] = {}
    keys: dict[str, str] = {}
    for name, source in sources.items():
        keys[name] = _key(source)
        cached = cache.get("black", keys[name])
        if cached is not None:
            done[name] = cached
        else:
            todo[name] = source
    if todo:
        workers = workers or min(len(todo), os.cpu_count() or 1)
        total = sum(len(s) for s in todo.values())
        if workers > 1 and total > 60_000:
            # big files first so the pool stays busy
            items = sorted(todo.items(), key=lambda kv: -len(kv[1]))
            with ProcessPoolExecutor(max_workers=workers) as pool:
                results = dict(pool.map(_format_named, items, chunksize=4))
        else:
            results = dict(_format_named(item) for item in todo.items())
        for name, text in results.items():
            done[name] = text
            cache.put("black", keys[name], text)
    return {name: done[name] for name in sources}
