"""Fault injection for the fidelity proxy: random faults, one-shot rules, rate limiting.

The proxy asks a FaultInjector, once per request, whether that request gets a fault and
which; everything else about the request is the proxy's business.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeAlias

from tests.support.proxy_http import Reply, Request, error_reply


@dataclass(frozen=True)
class Garbled:
    """Process the request, then send this reply instead of the real one."""

    reply: Reply


# What to do with a request (a Reply to send instead, Garbled, "drop", "lost_reply" or
# None to process it normally) and the fault's label for the request log (None: no fault).
Verdict: TypeAlias = tuple[Reply | Garbled | str | None, str | None]


@dataclass(frozen=True)
class FaultPlan:
    """Probabilities (0..1, one roll per request) of each injected fault.

    The shapes follow the API reference's common errors: TooManyRequestsException (429,
    optional retryAfterSeconds and Reason; quotas in the developer guide, "Lambda quotas":
    15 control-plane requests per second) and ServiceException (5xx).

    throttle: 429 TooManyRequestsException; unavailable: 503 ServiceException; drop: close
    the connection without forwarding; lost_reply: forward, then close without replying.
    `ops` restricts faults to those operation names; by default every Lambda operation.
    """

    throttle: float = 0.0
    unavailable: float = 0.0
    drop: float = 0.0
    lost_reply: float = 0.0
    retry_after: float | None = None
    ops: Collection[str] | None = None

    def __post_init__(self) -> None:
        odds = (self.throttle, self.unavailable, self.drop, self.lost_reply)
        if any(p < 0 for p in odds) or sum(odds) > 1:
            raise ValueError("fault probabilities must be >= 0 and sum to at most 1")

    def applies(self, op: str, is_lambda: bool) -> bool:
        return is_lambda if self.ops is None else op in self.ops


@dataclass
class Rule:
    """A fail_next/drop_next order: the next `remaining` calls of `op` get this fault."""

    op: str
    function: str | None
    remaining: int
    kind: str  # "error", "garble", "drop" or "lost_reply"
    reply: Reply | None = None


class TokenBucket:
    """Starts full; refills at `rate` tokens a second up to `burst`."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.capacity, self.tokens = rate, burst, burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class FaultInjector:
    """Decides which injected fault, if any, each request gets.

    Not locked itself: the proxy calls it under its own lock, which also guards the log of
    accepted calls that has to agree with these verdicts.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rules: list[Rule] = []
        self.bucket: TokenBucket | None = None

    def pick(self, req: Request, limited: bool, plan: FaultPlan) -> Verdict:
        """Rules first, then the rate limit (when `limited`), then a roll against `plan`."""
        for rule in self.rules:
            if rule.op == req.op and rule.function in (None, req.function):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
                if rule.kind == "garble" and rule.reply is not None:
                    return Garbled(rule.reply), "garble"
                return (rule.reply, "fail_next") if rule.kind == "error" else (rule.kind, rule.kind)
        if limited and self.bucket is not None and not self.bucket.take():
            extra = {"Reason": "CallerRateLimitExceeded"}
            return error_reply(429, "TooManyRequestsException", "Rate exceeded", extra), (
                "rate_limit"
            )
        return self._roll(req, plan)

    def _roll(self, req: Request, plan: FaultPlan) -> Verdict:
        if not plan.applies(req.op, req.is_lambda):
            return None, None
        roll = self.rng.random()
        if roll < plan.throttle:
            extra: dict[str, Any] = {"Reason": "CallerRateLimitExceeded"}
            if plan.retry_after is not None:
                extra["retryAfterSeconds"] = f"{plan.retry_after:g}"
            return error_reply(429, "TooManyRequestsException", "Rate exceeded", extra), "throttle"
        roll -= plan.throttle
        if roll < plan.unavailable:
            reply = error_reply(503, "ServiceException", "Service unavailable")
            return reply, "unavailable"
        roll -= plan.unavailable
        if roll < plan.drop:
            return "drop", "drop"
        if roll - plan.drop < plan.lost_reply:
            return "lost_reply", "lost_reply"
        return None, None
