"""Opt-in retries (``--retry safe``): only for operations whose retry semantics
are ``safe``, on 429/502/503/504 and connection errors, with exponential
backoff and jitter that honours ``Retry-After``, bounded in attempts and time."""

from __future__ import annotations

import random
from dataclasses import dataclass

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # total tries, the first included
    max_seconds: float = 30.0  # total time budget for waiting between tries
    base: float = 0.5
    cap: float = 8.0

    def delay(
        self, attempt: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        backoff = min(self.cap, self.base * (2 ** (attempt - 1)))
        jittered = backoff * (0.5 + (rng or random).random() / 2)
        if retry_after is not None:
            return max(float(retry_after), jittered if retry_after == 0 else 0.0)
        return jittered


def retryable(retry_semantics: str) -> bool:
    return retry_semantics == "safe"
