"""Client-side rate limiting and retry timing. Pure: clock and sleep are injected.

AWS Lambda's control plane shares one quota of 15 requests/second per account
and region across ListAliases, GetAlias, UpdateAlias, PublishVersion, ...;
GetFunction has its own 100/s and GetPolicy its own 15/s. One bucket per quota
keeps the whole run (all worker threads) under it instead of provoking 429s
and backing off.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class TokenBucket:
    """Thread-safe token bucket: ``rate`` tokens/second, bursts up to ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def acquire(self) -> float:
        """Take one token, sleeping until one is free. Returns seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return waited
                delay = (1.0 - self._tokens) / self.rate
            self._sleep(delay)
            waited += delay

    def penalise(self, seconds: float) -> None:
        """After a 429, drain the bucket so every thread slows down, not just one."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, -seconds * self.rate + 1.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff, bounded in attempts and total time."""

    max_attempts: int = 10
    base_delay: float = 0.1
    max_delay: float = 8.0
    max_total: float = 120.0
    # Waiting for LastUpdateStatus to settle (409 update in progress).
    settle_timeout: float = 120.0
    settle_poll: float = 1.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^attempt)]."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return rng.uniform(ceiling / 2, ceiling)


# GetPolicy's own quota (developer guide, "Lambda quotas"): per account and region.
GET_POLICY_RPS = 15.0


class RateLimits:
    """The buckets of one run, keyed by region (one set of credentials per run).

    ``max_rps`` is the run's share of a 15/s quota; GetPolicy's bucket takes it
    too, never above that quota's own 15/s.
    """

    def __init__(
        self,
        max_rps: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_rps = max_rps
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, region: str, quota: str) -> TokenBucket:
        key = (region, quota)
        with self._lock:
            if key not in self._buckets:
                # GetFunction (100/s) is never called; GetPolicy has its own 15/s.
                rate = min(self.max_rps, GET_POLICY_RPS) if quota == "get_policy" else self.max_rps
                self._buckets[key] = TokenBucket(rate, clock=self._clock, sleep=self._sleep)
            return self._buckets[key]
