"""One HTTP request per account per run: repeated and concurrent reads share a single fetch.

A Pulumi program may read the same account from a data function, a guard and an output at once; each would
otherwise send its own request. Reads are keyed by route (the balance, or the usage history and its range), base
URL, account and a digest of the credential (never the
credential itself), and the first reader's result, or its error, is shared by every later one. A cache lives as
long as its owner says: one per program run (the Pulumi surfaces), one per configured plugin.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any, TypeVar

from .client import BillingClient
from .config import Settings
from .models import CreditBalance
from .usage import UsageHistory, Window

__all__ = ["BalanceCache"]

_T = TypeVar("_T")


def _credential_digest(settings: Settings) -> str:
    credentials = settings.credentials
    if credentials is None:
        return "-"
    material = f"{credentials.kind}\0{credentials.email or ''}\0{credentials.secret.reveal()}"
    return hashlib.sha256(material.encode()).hexdigest()


class BalanceCache:
    """Shares fetches by (base URL, account, credential digest) and clients by their settings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[tuple[str, ...], Future[Any]] = {}
        self._clients: dict[tuple[str, str, float, int], BillingClient] = {}

    def get(self, settings: Settings, account_id: str) -> CreditBalance:
        """The balance of ``account_id``: fetched once, then shared (errors included) for the rest of the run."""
        def read(client: BillingClient) -> CreditBalance:
            return client.get_credit_balance(account_id)

        return self._shared(settings, ("credit-balance", account_id), read)

    def get_usage(
        self, settings: Settings, account_id: str, start: datetime, end: datetime, window: Window = "day"
    ) -> UsageHistory:
        """The usage history of ``account_id`` from ``start`` to ``end`` by ``window``, shared like the balance."""
        key = ("usage-history", account_id, window, start.isoformat(), end.isoformat())

        def read(client: BillingClient) -> UsageHistory:
            return client.get_usage_history(account_id, window=window, start=start, end=end)

        return self._shared(settings, key, read)

    def _shared(self, settings: Settings, what: tuple[str, ...], fetch: Callable[[BillingClient], _T]) -> _T:
        """One fetch per (route, account, arguments) and credential; later and concurrent readers share it."""
        digest = _credential_digest(settings)
        key = (settings.base_url, digest, *what)
        with self._lock:
            future = self._results.get(key)
            owner = future is None
            if future is None:
                future = self._results[key] = Future()
        if owner:  # this caller owns the fetch; the others wait on its future
            try:
                future.set_result(fetch(self._client(settings, digest)))
            except BaseException as exc:  # every failure, a client that cannot be built included, reaches the waiters
                future.set_exception(exc)
        result: _T = future.result()
        return result

    def _client(self, settings: Settings, digest: str) -> BillingClient:
        client_key = (settings.base_url, digest, settings.timeout, settings.max_retries)
        with self._lock:
            client = self._clients.get(client_key)
            if client is None:
                client = self._clients[client_key] = BillingClient.from_settings(settings)
        return client

    def clear(self) -> None:
        """Forget every result and close every client (between runs, and in tests)."""
        with self._lock:
            clients = list(self._clients.values())
            self._results.clear()
            self._clients.clear()
        for client in clients:
            client.close()
