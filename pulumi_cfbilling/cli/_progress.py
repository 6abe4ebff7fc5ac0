"""Progress of a long fleet run on stderr: a bar on a terminal, a line per tenth in GitHub Actions, else nothing.

A fleet of thousands of accounts under Cloudflare's rate limit takes minutes; silence for that long looks like a
hang. On an interactive terminal a ``tqdm`` bar (loaded only once a run has lasted a few seconds, so a single
``check`` starts as fast as without it) shows how many accounts are read, the estimate, and any wait for the
request budget or a rate limit. In GitHub Actions (``GITHUB_ACTIONS=true``) a plain line per tenth of the fleet
and one per wait go to the log. Anywhere else (another CI, a pipe, ``--quiet``) nothing is shown: stdout stays
the report.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

from ..api.budget import Wait

__all__ = ["SHOW_AFTER", "Progress", "progress"]

SHOW_AFTER = 2.0
"""Seconds a run lasts before the terminal's bar appears: a quick run never draws one."""


class Progress:
    """Receives the run's events (an account read, a wait begun or over) and shows them its way."""

    def __init__(self, total: int, mode: str) -> None:
        self.total, self.mode = total, mode
        self._done = 0
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._bar: Any = None
        self._tenth = 0
        self._waiting: Wait | None = None

    def read(self, done: int, total: int) -> None:
        """``done`` of ``total`` accounts are read (called by the pool after each)."""
        with self._lock:
            self._done = done
            if self.mode == "actions":
                tenth = done * 10 // max(total, 1)
                if tenth > self._tenth and done < total:
                    self._tenth = tenth
                    self._line(f"{done}/{total} accounts read ({tenth * 10}%), {self._estimate()}")
            elif self.mode == "terminal":
                self._draw()

    def wait(self, wait: Wait | None) -> None:
        """The budget makes the run wait (``wait``), or lets it go on again (``None``)."""
        with self._lock:
            starting = wait is not None and self._waiting is None
            self._waiting = wait
            if self.mode == "actions" and starting and wait is not None:
                self._line(f"waiting {wait.seconds:.0f} s for {wait.reason}")
            elif self.mode == "terminal":
                self._draw()

    def close(self) -> None:
        """Erase the bar, so nothing printed after it shares its line."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def _estimate(self) -> str:
        elapsed = time.monotonic() - self._started
        if not self._done:
            return "estimating"
        left = elapsed / self._done * (self.total - self._done)
        return f"about {left / 60:.0f} min left" if left >= 90 else f"about {left:.0f} s left"

    def _line(self, text: str) -> None:
        print(f"cfbilling: {text}", file=sys.stderr, flush=True)

    def _draw(self) -> None:
        if self._bar is None:
            if time.monotonic() - self._started < SHOW_AFTER:
                return
            import shutil  # only a run that lasts pays for these

            from tqdm import tqdm

            # A terminal that reports no size (a fresh pty, some CI consoles) gets 80x24: tqdm would read 0 rows
            # as -1 and draw nothing at all.
            size = shutil.get_terminal_size((80, 24))
            self._bar = tqdm(
                total=self.total, unit="account", file=sys.stderr, leave=False, ncols=size.columns, nrows=size.lines
            )
        self._bar.n = self._done
        waiting = self._waiting
        self._bar.set_postfix_str(f"waiting {waiting.seconds:.0f} s for {waiting.reason}" if waiting else "")


def progress(total: int, *, quiet: bool) -> Progress | None:
    """The display fit for where this runs, or ``None`` for a single account, ``--quiet`` or a plain pipe."""
    if quiet or total < 2:
        return None
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return Progress(total, "actions")
    if sys.stderr.isatty() and not os.environ.get("CI"):
        return Progress(total, "terminal")
    return None
