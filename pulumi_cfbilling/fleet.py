"""Read many accounts at once: a bounded pool of threads over one client (one connection pool, one pacer).

Results come back in input order, and one account's failure never hides another's result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from . import _transport
from .accounts import AccountRef
from .client import BillingClient
from .errors import CfBillingError
from .models import CreditBalance
from .rules import Policy, Verdict, judge
from .runway import Runway
from .usage import UsageHistory

__all__ = ["DEFAULT_CONCURRENCY", "MAX_CONCURRENCY", "AccountOutcome", "for_each", "read_fleet"]

DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64


@dataclass(frozen=True)
class AccountOutcome:
    """What happened to one account: its balance, runway (when read) and verdict, or the error that stopped it."""

    ref: AccountRef
    balance: CreditBalance | None = None
    verdict: Verdict | None = None
    error: CfBillingError | None = None
    runway: Runway | None = None

    @property
    def status(self) -> Literal["pass", "fail", "error"]:
        """``error`` when unread, ``fail`` when a guardrail failed, else ``pass``."""
        if self.error is not None:
            return "error"
        return "fail" if self.verdict is not None and not self.verdict.ok else "pass"


def read_fleet(
    client: BillingClient,
    refs: Sequence[AccountRef],
    *,
    policy: Policy | None = None,
    runway: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[int, int], None] | None = None,
) -> list[AccountOutcome]:
    """Read every account (and evaluate ``policy``), ``concurrency`` at a time; outcomes in input order.

    The usage history is read too when a guardrail of ``policy`` judges the runway, or ``runway`` asks for it:
    an unreadable one is the account's error, as an unreadable balance is (the guardrail fails closed).
    """
    def read(ref: AccountRef) -> AccountOutcome:
        balance = None
        try:
            balance = client.get_credit_balance(ref.account_id)
            if policy is None and not runway:
                return AccountOutcome(ref, balance=balance)

            def usage(start: datetime, end: datetime) -> UsageHistory:
                return client.get_usage_history(ref.account_id, start=start, end=end)

            verdict, forecasted = judge(balance, policy or Policy(), usage, runway=runway)
        except CfBillingError as error:  # the balance, when read, is kept for the report
            return AccountOutcome(ref, balance=balance, error=error)
        return AccountOutcome(ref, balance=balance, verdict=verdict if policy else None, runway=forecasted)

    return for_each(refs, read, concurrency=concurrency, progress=progress)


_T = TypeVar("_T")


def for_each(
    refs: Sequence[AccountRef],
    read: Callable[[AccountRef], _T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[int, int], None] | None = None,
) -> list[_T]:
    """``read`` every account, ``concurrency`` at a time, results in input order; ``read`` must not raise.

    Ctrl-C (or any escape) abandons the reads in flight and starts no other, instead of waiting for every read
    and its retries as leaving a pool's ``with`` block would.
    """
    done = 0
    lock = threading.Lock()

    def tracked(ref: AccountRef) -> _T:
        nonlocal done
        outcome = read(ref)
        if progress is not None:
            with lock:
                done += 1
                progress(done, len(refs))
        return outcome

    if progress is not None:
        progress(0, len(refs))
    if len(refs) == 1:  # the common CI case: no pool to start (and import) for a single account
        return [tracked(refs[0])]
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(concurrency, len(refs)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cfbilling-fleet")
    try:
        outcomes = list(pool.map(tracked, refs))
    except BaseException:
        _transport.abort_all()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return outcomes
