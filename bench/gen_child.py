"""Run the generator CLI exactly as ``python -m generator`` does, and record
where the time went.

``pipeline.build`` is wrapped (nothing else changes) so the per-stage timings
it already measures reach the benchmark, with the moments the process got to
Python, began and ended the build, and finished writing or comparing. They are
written as JSON to the file named by ``BENCH_TIMINGS_OUT``; all moments are
``time.time()`` so the parent can put them beside its own spawn/exit clock.

    BENCH_TIMINGS_OUT=t.json python bench/gen_child.py generate --spec S --out O
"""

from __future__ import annotations

import time

ENTERED = time.time()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402


def main() -> int:
    from generator import cli, pipeline

    record: dict[str, Any] = {"entered": ENTERED}
    original = pipeline.build

    def build(*args: Any, **kwargs: Any) -> Any:
        record["build_start"] = time.time()
        result = original(*args, **kwargs)
        record["build_end"] = time.time()
        record["stages"] = dict(result.timings)
        record["files"] = len(result.files)
        record["bytes"] = sum(len(text.encode()) for text in result.files.values())
        record["tools"] = len(result.api.tools)
        record["excluded"] = len(result.api.excluded)
        if result.files:  # what the generated server lists by default
            from generator.lint import compact_reason, model_facing_size, tools_list_size

            record["tools_list_bytes"] = tools_list_size(result.api)
            record["model_facing_bytes"] = model_facing_size(result.api)
            record["default_mode"] = compact_reason(result.api) or "full list"
        return result

    pipeline.build = build  # type: ignore[assignment]
    try:
        rc = cli.main(sys.argv[1:])
    finally:
        pipeline.build = original  # type: ignore[assignment]
    record["main_end"] = time.time()
    record["rc"] = rc
    target = os.environ.get("BENCH_TIMINGS_OUT")
    if target:
        with open(target, "w", encoding="utf-8") as f:
            json.dump(record, f)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
