"""The run's circuit breaker: stop calling AWS once it is plainly unreachable.

Shared by every thread of a run. A failure to *connect* (refused, DNS, connect
timeout) is retried like any network fault, but once connecting has failed for
``window`` seconds with no call succeeding in between, the breaker opens: every
later call fails at once with the same error, so a run against a dead endpoint
ends in seconds whatever the number of functions. Failures no retry can fix
(no credentials, a TLS mismatch, an endpoint that is not Lambda) open it at
once. Throttling and 5xx never touch it: they are answers, and keep their
retries. Pure: the clock is injected.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable

from reconciler.errors import AwsEnvironmentError

# Long enough to ride out a blip (a restarting proxy), short enough that 5,000
# functions against a dead endpoint end well inside 30 s.
DEFAULT_WINDOW = 5.0


class CircuitBreaker:
    def __init__(
        self, window: float = DEFAULT_WINDOW, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._failing_since: float | None = None
        self._error: AwsEnvironmentError | None = None

    @property
    def error(self) -> AwsEnvironmentError | None:
        """Why the breaker is open, or None while AWS is usable."""
        return self._error

    def check(self) -> None:
        """Raise the breaker's error (a copy: threads raise it concurrently)."""
        error = self._error
        if error is not None:
            raise copy.copy(error)

    def succeeded(self) -> None:
        with self._lock:
            self._failing_since = None

    def connect_failed(self, error: AwsEnvironmentError, retry_in: float = 0.0) -> bool:
        """Record a failure to connect; True when the breaker is (now) open:
        connecting has failed for ``window`` seconds, or would have by the time
        a retry ``retry_in`` seconds away could run."""
        with self._lock:
            now = self._clock()
            if self._failing_since is None:
                self._failing_since = now
            if self._error is None and now + retry_in - self._failing_since >= self.window:
                self._error = error
            return self._error is not None

    def trip(self, error: AwsEnvironmentError) -> None:
        """Open at once (a failure that no retry can fix); the first reason wins."""
        with self._lock:
            if self._error is None:
                self._error = error
