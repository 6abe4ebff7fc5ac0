"""One HTTP request per account per run: repeated and concurrent reads share a single fetch.

A Pulumi program may read the same account from a data function, a guard and an output at once; each would
otherwise send its own request. Reads are keyed by route (the balance, or the usage history and its range),
account and the settings' transport key (a keyed digest of the credential, never the credential itself, and
every setting that changes how requests are sent), and the first reader's result, or its error, is shared by
every later one. A cache lives as long as its owner says: one per command, program run, plugin or provider.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..api.client import BillingClient
from ..core.settings import Settings

if TYPE_CHECKING:  # models load when a read returns one
    from pydantic.main import BaseModel

    from ..api.gateways import Gateways
    from ..api.invoices import InvoicePreview
    from ..api.models import CreditBalance
    from ..api.usage import UsageHistory, Window

__all__ = ["BalanceCache"]

_M = TypeVar("_M", bound="BaseModel")


class BalanceCache:
    """Shares fetches by (the settings' transport key, route, account, arguments) and clients by the transport key.

    The transport key (:meth:`Settings.transport_key`) holds a keyed digest of the credential and every setting
    that changes how requests are sent, so two tokens, base URLs or timeouts never share a client or an answer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[tuple[str, ...], Future[Any]] = {}
        self._clients: dict[tuple[Any, ...], BillingClient] = {}
        self._ages: dict[tuple[Any, ...], float] = {}

    def get(self, settings: Settings, account_id: str) -> CreditBalance:
        """The balance of ``account_id``: fetched once, then shared (errors included) for the rest of the run."""

        def read(client: BillingClient) -> CreditBalance:
            return client.get_credit_balance(account_id)

        from ..api.models import CreditBalance

        return self._shared(settings, ("credit-balance", account_id), read, CreditBalance)

    def get_usage(
        self, settings: Settings, account_id: str, start: datetime, end: datetime, window: Window = "day"
    ) -> UsageHistory:
        """The usage history of ``account_id`` from ``start`` to ``end`` by ``window``, shared like the balance."""
        key = ("usage-history", account_id, window, start.isoformat(), end.isoformat())

        def read(client: BillingClient) -> UsageHistory:
            return client.get_usage_history(account_id, window=window, start=start, end=end)

        from ..api.usage import UsageHistory

        return self._shared(settings, key, read, UsageHistory)

    def get_gateways(self, settings: Settings, account_id: str) -> Gateways:
        """Every gateway of ``account_id``, every page read, shared like the balance."""
        from ..api.gateways import Gateways

        return self._shared(settings, ("gateways", account_id), lambda c: c.get_gateways(account_id), Gateways)

    def get_invoice_preview(self, settings: Settings, account_id: str) -> InvoicePreview:
        """The open period's invoice of ``account_id``, shared like the balance."""
        from ..api.invoices import InvoicePreview

        key = ("invoice-preview", account_id)
        return self._shared(settings, key, lambda c: c.get_invoice_preview(account_id), InvoicePreview)

    def age(self, settings: Settings, *what: str) -> float | None:
        """How old the answer to ``what`` is when it came from the shared answer cache; ``None`` when read live."""
        return self._ages.get((*settings.transport_key(), *what))

    def _shared(
        self, settings: Settings, what: tuple[str, ...], fetch: Callable[[BillingClient], _M], model: type[_M]
    ) -> _M:
        """One fetch per (route, account, arguments) and credential; later and concurrent readers share it.

        With a max age above 0 the fetch goes through the shared answer cache first (:mod:`.answers`).
        """
        transport = settings.transport_key()
        key = (*transport, *what)
        with self._lock:
            future = self._results.get(key)
            owner = future is None
            if future is None:
                future = self._results[key] = Future()
        if owner:  # this caller owns the fetch; the others wait on its future
            try:
                client = self._client(settings, transport)
                if settings.max_age > 0:
                    from .answers import AnswerCache, default_folder

                    folder = Path(settings.cache_dir) if settings.cache_dir else default_folder()
                    answer, age = AnswerCache(folder).fetch(settings, what, model, lambda: fetch(client))
                    if age is not None:
                        self._ages[key] = age
                else:
                    answer = fetch(client)
                future.set_result(answer)
            except BaseException as exc:  # every failure, a client that cannot be built included, reaches the waiters
                future.set_exception(exc)
        result: _M = future.result()
        return result

    def client(self, settings: Settings) -> BillingClient:
        """The shared client of these settings (for reads no answer is kept of, such as a token check)."""
        return self._client(settings, settings.transport_key())

    def _client(self, settings: Settings, transport: tuple[Any, ...]) -> BillingClient:
        with self._lock:
            client = self._clients.get(transport)
            if client is None:
                client = self._clients[transport] = BillingClient.from_settings(settings)
        return client

    def clear(self) -> None:
        """Forget every result and close every client (between runs, and in tests)."""
        with self._lock:
            clients = list(self._clients.values())
            self._results.clear()
            self._clients.clear()
            self._ages.clear()
        for client in clients:
            client.close()
