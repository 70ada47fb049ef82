"""A progress bar on stderr, only for a TTY, only for runs that take a while."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

_DELAY = 2.0  # seconds before showing anything: short runs stay quiet


class Progress:
    def __init__(
        self, label: str, total: int, *, enabled: bool, stream: TextIO | None = None
    ) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0 and self.stream.isatty()
        self.done = 0
        self._started = time.monotonic()
        self._shown = False
        self._lock = threading.Lock()

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            if not self.enabled or time.monotonic() - self._started < _DELAY:
                return
            width = 30
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            self.stream.flush()
            self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
