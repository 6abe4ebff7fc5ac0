"""The emulator's rate limit: Cloudflare's per-user allowance as a sliding window, per credential.

Cloudflare allows 1,200 requests per five minutes per user and answers the next one with 429, a ``Retry-After``
in seconds and its error envelope (code 971). The emulator does the same, with the limit configurable
(``Emulator(rate_limit="40/2s")``, ``cfbilling emulator --rate-limit 40/2s``), so tests and the demo can show a
client that never sends what would be refused. Its own small parser, on purpose: the doubles share no code with
what they test.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque

from ..core.errors import ConfigurationError

__all__ = ["CLOUDFLARE_RATE_LIMIT", "SlidingLimit"]

CLOUDFLARE_RATE_LIMIT = "1200/5m"
"""Cloudflare's: 1,200 requests per five minutes per user, over the dashboard, keys and tokens."""

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*([smh])\s*")
_UNITS = {"s": 1, "m": 60, "h": 3600}


class SlidingLimit:
    """At most ``count`` answered requests per ``seconds`` for each credential; the rest get a wait."""

    def __init__(self, spec: str) -> None:
        match = _SPEC.fullmatch(spec)
        if match is None or int(match.group(1)) < 1:
            raise ConfigurationError(f"rate limit {spec!r} is not N/WINDOW, such as 1200/5m or 40/2s")
        self.count = int(match.group(1))
        self.seconds = float(match.group(2)) * _UNITS[match.group(3)]
        self._lock = threading.Lock()
        self._answered: dict[str, deque[float]] = {}
        self.refused = 0
        """How many requests were answered 429 by this limit (tests and benchmarks count them)."""

    def take(self, credential: str) -> int | None:
        """Count a request of ``credential``; ``None`` when it may go on, else the seconds to wait (at least 1)."""
        with self._lock:
            now = time.monotonic()
            window = self._answered.setdefault(credential, deque())
            while window and window[0] <= now - self.seconds:
                window.popleft()
            if len(window) < self.count:
                window.append(now)
                return None
            self.refused += 1
            return max(1, math.ceil(window[0] + self.seconds - now))
