"""Space requests out so a fleet never exceeds a rate, however many threads share the client."""

from __future__ import annotations

import threading
import time

__all__ = ["Pacer"]


class Pacer:
    """Grants at most ``rate`` starts per second across threads: each caller waits for its own time slot."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        """Block until this caller may start a request."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            time.sleep(start - now)
