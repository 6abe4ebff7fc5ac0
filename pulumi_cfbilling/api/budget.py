"""The request budget of a credential: sliding windows every worker shares, and one back-off for all of them.

Cloudflare allows 1,200 requests per five minutes per user, counted over the dashboard, keys and tokens together,
and 200 per second per IP. A :class:`Budget` holds the limits a run keeps to (``--rate-limit``, default a share of
Cloudflare's, :data:`DEFAULT_RATE_LIMIT`) as sliding windows: a request starts only when every window has room,
so a run never sends a request it knows will be refused. A request holds its place from the moment it is sent
until its answer is in, and for a whole window after that: Cloudflare counts it on arrival, somewhere in between,
so however the network delays one request and hurries the next, the server never sees more than the limit in any
window of its own. A 429 (or a 503 with ``Retry-After``) pauses the whole
budget until the time it names: every worker of the run waits, and no account starts meanwhile. A wait that would
end after the run's deadline is not waited: :class:`~pulumi_cfbilling.core.errors.DeadlineError` says when to retry.

One budget per server, credential (its keyed digest) and set of limits, for the whole process: the clients of one
run (two timeouts, two surfaces) still share the user's allowance. Each process keeps its own: two processes with
one token share Cloudflare's allowance, so each should be given its part (``--rate-limit 500/5m`` each).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from ..core.records import Record
from ..core.values import Limit
from . import transport

__all__ = ["Budget", "Wait", "budget_for", "forget_budgets"]


class Wait(Record):
    """Why a request cannot start yet: how long, and what it waits for (for people: the progress display)."""

    seconds: float
    reason: str


class Budget:
    """Sliding-window limits and a shared pause, for every thread that sends with one credential.

    Use :meth:`acquire` before a request and :meth:`release` once its answer is in (or it failed).
    """

    def __init__(self, limits: Sequence[Limit]) -> None:
        self.limits = tuple(limits)
        self._answered: list[deque[float]] = [deque() for _ in self.limits]  # when each answer came in, oldest first
        self._in_flight = 0
        self._changed = threading.Condition()
        self._paused_until = 0.0
        self._pause_reason = ""
        self.watchers: list[Callable[[Wait | None], None]] = []
        """Told of every wait (and ``None`` when sending resumes): the progress display shows them."""

    def pause(self, seconds: float, reason: str) -> None:
        """Stop every worker for ``seconds`` (a 429's ``Retry-After``): the run's one back-off."""
        with self._changed:
            until = time.monotonic() + seconds
            if until > self._paused_until:
                self._paused_until, self._pause_reason = until, reason

    def next_wait(self) -> Wait | None:
        """How long a request would wait now, and why; ``None`` when one may start."""
        with self._changed:
            return self._wait(time.monotonic())

    def acquire(self, deadline: float | None = None) -> None:
        """Wait until a request may start, then hold its place in every window until :meth:`release`.

        Raises :class:`WaitTooLong` when the wait would end after ``deadline`` (a ``time.monotonic()`` value), and
        ``transport.Interrupted`` when the process is interrupted meanwhile.
        """
        told = False
        while True:
            with self._changed:
                now = time.monotonic()
                wait = self._wait(now)
                if wait is None:
                    self._in_flight += 1
                    break
            if deadline is not None and now + wait.seconds > deadline:
                raise WaitTooLong(wait)
            for watcher in self.watchers:
                watcher(wait)
            told = True
            # Woken early by an answer; otherwise re-evaluated four times a second: a pause may have been extended,
            # and an interruption (Ctrl-C) must not wait out a five-minute window.
            with self._changed:
                self._changed.wait(min(wait.seconds, 0.25))
            if transport.interrupted():
                raise transport.Interrupted
        if told:
            for watcher in self.watchers:
                watcher(None)

    def release(self) -> None:
        """The request's answer is in (or it failed): its place is held for one more window from now."""
        with self._changed:
            now = time.monotonic()
            self._in_flight -= 1
            for answered in self._answered:
                answered.append(now)
            self._changed.notify_all()

    def _wait(self, now: float) -> Wait | None:
        longest: Wait | None = None
        if self._paused_until > now:
            longest = Wait(self._paused_until - now, self._pause_reason)
        for limit, answered in zip(self.limits, self._answered, strict=True):
            while answered and answered[0] <= now - limit.seconds:
                answered.popleft()
            if self._in_flight + len(answered) >= limit.requests:
                # The oldest answer frees its place a window after it came in; with every place in flight, the
                # first to come back frees one a whole window later at the soonest.
                seconds = answered[0] + limit.seconds - now if answered else limit.seconds
                if longest is None or seconds > longest.seconds:
                    longest = Wait(seconds, f"the request budget ({limit})")
        return longest


class WaitTooLong(Exception):
    """The budget's wait would end after the run's deadline; the client turns it into a ``DeadlineError``."""

    def __init__(self, wait: Wait) -> None:
        super().__init__(wait.reason)
        self.wait = wait


_budgets: dict[tuple[str, tuple[Limit, ...]], Budget] = {}
_registry_lock = threading.Lock()


def budget_for(credential: str, limits: Sequence[Limit]) -> Budget:
    """The process-wide budget of ``credential`` (a server and a keyed digest, never the secret) under ``limits``."""
    key = (credential, tuple(limits))
    with _registry_lock:
        found = _budgets.get(key)
        if found is None:
            found = _budgets[key] = Budget(limits)
        return found


def forget_budgets() -> None:
    """Forget every budget and pause of this process (tests, whose servers come and go on reused ports)."""
    with _registry_lock:
        _budgets.clear()
