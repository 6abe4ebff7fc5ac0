"""Many accounts at once: a bounded pool of threads (the service's reads share one client, one pacer).

Results come back in input order; Ctrl-C abandons the reads in flight instead of waiting for each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from .accounts import AccountRef

__all__ = ["DEFAULT_CONCURRENCY", "MAX_CONCURRENCY", "for_each"]

DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64


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
        from ..api import transport  # loaded already by any read; not by a surface that only validates

        transport.abort_all()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return outcomes
