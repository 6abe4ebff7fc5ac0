"""The HTTP client of the billing routes, and its ``requests`` session: the only ``requests`` user.

It moves bytes and nothing more: what a response means is decided by :mod:`.response`.
It owns its retry loop: each attempt (connect, status line, headers, body) is bounded by the timeout as a
whole (:mod:`pulumi_cfbilling.api.transport`); 429, the transient 5xx and connection failures are retried with
exponential backoff and jitter, or after a ``Retry-After`` of at most 60 s; a response that will be retried is
closed, never drained. Redirects are never followed (nor parsed: a garbled ``Location`` is the parser's to
report); bodies are read up to a limit; credentials travel in an auth object so ``~/.netrc`` can never
replace them, while proxies and CA bundles from the environment (``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``)
keep working.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import requests
import requests.adapters
import requests.auth
import urllib3.exceptions
from pydantic.main import BaseModel

from ..core.errors import APIConnectionError, APIResponseError, ConfigurationError, DeadlineError
from ..core.secrets import Credentials
from ..core.settings import Settings, choose_account, no_credentials, settings_for
from ..core.values import format_duration, read_account_id
from ..core.version import __version__
from . import transport
from .budget import Budget, WaitTooLong, budget_for
from .models import CreditBalance
from .response import (
    MAX_BODY_BYTES,
    Names,
    parse_credit_balance_response,
    parse_response,
    parse_retry_after,
    utc_after,
)
from .transport import Failure, connection_error

if TYPE_CHECKING:  # these models are built when their read is asked for: a plain check never pays for them
    from .gateways import Gateways
    from .invoices import InvoiceHistory, InvoicePreview
    from .tokens import TokenVerification
    from .usage import UsageHistory, Window

__all__ = [
    "POOL_SIZE",
    "RETRY_STATUSES",
    "USER_AGENT",
    "BillingClient",
    "new_session",
]

_M = TypeVar("_M", bound=BaseModel)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
"""Rate limiting and the transient 5xx, Cloudflare's own 520-524 included; nothing else is retried."""
BACKOFF_BASE = 0.5
BACKOFF_MAX = 10.0
BACKOFF_JITTER = 0.5

logger = logging.getLogger("pulumi_cfbilling")


class BillingClient:
    """Reads AI Gateway credit balances. Safe to share across threads; one connection pool per client.

    Every argument is optional and falls back to the environment (``CLOUDFLARE_API_TOKEN``, or
    ``CLOUDFLARE_API_KEY`` with ``CLOUDFLARE_EMAIL``; ``CLOUDFLARE_ACCOUNT_ID``; ``CLOUDFLARE_BASE_URL``;
    ``CFBILLING_TIMEOUT``; ``CFBILLING_MAX_RETRIES``), then to the defaults: the public API, a 30 s timeout
    per attempt and 3 retries after the first try. Invalid settings raise :class:`ConfigurationError` here,
    before any request.

    Example::

        with BillingClient(api_token="...") as client:
            balance = client.get_credit_balance("0123456789abcdef0123456789abcdef")
            print(balance.balance_usd)
    """

    def __init__(self, **settings: Any) -> None:
        # The keywords are the settings table's (core.settings.SETTINGS): a setting added there is a keyword here.
        self._settings = settings_for("client", settings)
        self._session = new_session(self._settings)
        self._start_budget()

    @classmethod
    def from_settings(cls, settings: Settings) -> BillingClient:
        """A client for already resolved settings (Pulumi config, CLI flags, ...).

        Messages name the settings the way the surface that resolved them does (``settings.surface``).
        """
        if settings.credentials is None:
            raise ConfigurationError(no_credentials(settings.surface))
        client = cls.__new__(cls)
        client._settings = settings
        client._session = new_session(settings)
        client._start_budget()
        return client

    def _start_budget(self) -> None:
        # One budget per credential and server for the whole process (another base URL is another server, with an
        # allowance of its own); the run's deadline counts from this client's start.
        digest = self._settings.credentials.digest() if self._settings.credentials else "-"
        self._budget = budget_for(f"{self._settings.base_url}\0{digest}", self._settings.rate_limit)
        self._deadline = time.monotonic() + self._settings.deadline

    @property
    def budget(self) -> Budget:
        """The request budget this client sends under (shared by every client of the same credential)."""
        return self._budget

    @property
    def settings(self) -> Settings:
        """The resolved settings (their ``repr`` never shows a credential)."""
        return self._settings

    def get_credit_balance(self, account_id: str | None = None) -> CreditBalance:
        """Read the credit balance of ``account_id`` (default: the configured account).

        Raises :class:`ConfigurationError` for a missing or malformed account id, and an :class:`APIError`
        subclass when Cloudflare cannot be reached or its answer is an error or cannot be trusted.
        """
        account = self._account(account_id)
        url = f"{self._settings.base_url}/accounts/{account}/ai-gateway/billing/credit-balance"
        status, headers, body, attempts = self._get(url, f"reading the credit balance of account {account}", account)
        return parse_credit_balance_response(
            status, headers, body, account, attempts=attempts, max_retry_after=self._time_left(), names=self._names()
        )

    def get_usage_history(
        self, account_id: str | None = None, *, window: Window = "day", start: datetime, end: datetime
    ) -> UsageHistory:
        """Read spend per ``window`` (``day`` or ``hour``) from ``start`` to ``end`` (aware datetimes).

        Raises like :meth:`get_credit_balance`, and :class:`ConfigurationError` for a bad window or range.
        """
        account = self._account(account_id)
        from .usage import UsageHistory, usage_query

        path = f"/accounts/{account}/ai-gateway/billing/usage-history?{usage_query(window, start, end)}"
        usage = self._read(path, f"reading the usage history of account {account}", account, UsageHistory)
        return usage.model_copy(update={"account_id": account})

    def get_gateways(self, account_id: str | None = None) -> Gateways:
        """Read every AI gateway of ``account_id`` (its spend limits, ``byok_only``), following the pages.

        Raises like :meth:`get_credit_balance`, and :class:`APIResponseError` when the pages do not end within
        :data:`~.gateways.MAX_GATEWAY_PAGES`.
        """
        account = self._account(account_id)
        from .gateways import GATEWAYS_PER_PAGE, MAX_GATEWAY_PAGES, GatewayPage, Gateways

        action = f"reading the gateways of account {account}"
        found: list[Any] = []
        for page in range(1, MAX_GATEWAY_PAGES + 1):
            path = f"/accounts/{account}/ai-gateway/gateways?page={page}&per_page={GATEWAYS_PER_PAGE}"
            answer = self._read(path, action, account, GatewayPage, paged=True)
            found.extend(answer.items)
            if not answer.items or not answer.more(page, GATEWAYS_PER_PAGE):
                return Gateways(account_id=account, gateways=found)
        raise _too_many_pages(action, account, MAX_GATEWAY_PAGES * GATEWAYS_PER_PAGE, "gateways")

    def get_invoice_preview(self, account_id: str | None = None) -> InvoicePreview:
        """Read the open billing period's invoice of ``account_id``. Raises like :meth:`get_credit_balance`."""
        account = self._account(account_id)
        from .invoices import InvoicePreview

        path = f"/accounts/{account}/ai-gateway/billing/invoice-preview"
        preview = self._read(path, f"reading the invoice preview of account {account}", account, InvoicePreview)
        return preview.model_copy(update={"account_id": account})

    def get_invoice_history(self, account_id: str | None = None) -> InvoiceHistory:
        """Read every past invoice of ``account_id`` (all types), following ``pagination.has_more``.

        The route documents no page parameter; the pages are asked for with ``page``, the name of the field that
        numbers them. Raises like :meth:`get_gateways`.
        """
        account = self._account(account_id)
        from .invoices import MAX_INVOICE_PAGES, InvoiceHistory, InvoiceHistoryPage

        action = f"reading the invoice history of account {account}"
        found: list[Any] = []
        for page in range(1, MAX_INVOICE_PAGES + 1):
            path = f"/accounts/{account}/ai-gateway/billing/invoice-history?type=all&page={page}"
            answer = self._read(path, action, account, InvoiceHistoryPage)
            found.extend(answer.invoices)
            if not answer.invoices or not answer.pagination.has_more:
                return InvoiceHistory(account_id=account, invoices=found)
        raise _too_many_pages(action, account, MAX_INVOICE_PAGES, "pages")

    def verify_token(self, account_id: str | None = None) -> TokenVerification:
        """Verify the API token with ``GET /user/tokens/verify``.

        For a token owned by an account, pass its id: ``/accounts/{id}/tokens/verify``. Raises like
        :meth:`get_credit_balance`.
        """
        from .tokens import TokenVerification  # only `cfbilling doctor` verifies: no other command builds the model

        if account_id is None:
            return self._read("/user/tokens/verify", "verifying the API token", None, TokenVerification)
        account_id = read_account_id(account_id, "account_id")
        action = f"verifying the API token as owned by account {account_id}"
        return self._read(f"/accounts/{account_id}/tokens/verify", action, account_id, TokenVerification)

    def _read(self, path: str, action: str, account: str | None, model: type[_M], *, paged: bool = False) -> _M:
        status, headers, body, attempts = self._get(f"{self._settings.base_url}{path}", action, account)
        return parse_response(
            status,
            headers,
            body,
            model,
            action,
            account_id=account,
            attempts=attempts,
            max_retry_after=self._time_left(),
            names=self._names(),
            paged=paged,
        )

    def _names(self) -> Names:
        label = self._settings.label
        return Names(label("api_token"), label("api_key"), label("email"), label("base_url"))

    def _account(self, account_id: str | None) -> str:
        return choose_account(self._settings, account_id, self._settings.surface)

    def _get(self, url: str, action: str, account_id: str | None) -> tuple[int, dict[str, str], bytes, int]:
        """GET ``url`` with retries; returns status, headers, body (up to the limit) and the number of attempts."""
        attempts = self._settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            self._acquire(action, account_id)
            started = time.monotonic()
            failure: Failure | None = None
            try:
                status, headers, body = self._attempt(url, retry=attempt < attempts)
            except Failure as caught:
                failure = caught
            finally:
                self._budget.release()  # the answer is in (or never will be): its place is held a window more
            if failure is not None:
                reason = f"{failure.error.__class__.__name__}: connection failure"
                if attempt < attempts and failure.retryable and self._back_off(attempt, reason, None):
                    continue
                error = connection_error(failure, action, account_id, self._settings, attempt)
                del failure  # it holds the transport exception, whose frames hold the request headers
                logger.debug("GET %s failed: %s", url, error)
                # Raised outside any except block: no __context__ chains it to the transport exception.
                raise error
            logger.debug(
                "GET %s -> %d in %.0f ms (attempt %d, CF-Ray: %s)",
                url,
                status,
                (time.monotonic() - started) * 1000,
                attempt,
                headers.get("CF-Ray", "-"),
            )
            retry_after = _retry_after(headers)
            # A rate limit pauses the whole run: a 429, or a 503 that names its wait. Other failures back off alone.
            shared = status == 429 or (status == 503 and retry_after is not None)
            if shared and body is not None and retry_after is not None:
                # Not retried (its wait outlasts the deadline, or no retry is left), the pause still stops the other
                # workers: their requests become DeadlineErrors without being sent, never a thousand more 429s.
                self._budget.pause(retry_after, f"Cloudflare's rate limit (HTTP {status}, {retry_after:.0f} s)")
            if body is None:  # a retryable status, closed unread
                if not self._back_off(attempt, f"HTTP {status}", retry_after, shared=shared):
                    raise APIConnectionError(f"{action} was interrupted; nothing more was sent", account_id=account_id)
                continue
            return status, headers, body, attempt
        raise AssertionError("unreachable: the last attempt always returns or raises")  # pragma: no cover

    def _attempt(self, url: str, *, retry: bool) -> tuple[int, dict[str, str], bytes | None]:
        """One exchange under one deadline. With ``retry``, a retryable answer comes back with no body."""
        timeout = self._settings.timeout
        try:
            with transport.Attempt(timeout) as attempt:
                try:
                    response = self._send(url, attempt)
                    try:
                        headers = dict(response.headers)
                        status = response.status_code
                        if retry and self._should_retry(status, headers) and not attempt.aborted:
                            return status, headers, None
                        # Read one byte past the limit: enough to know the body is too large, never all of it.
                        body: bytes = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
                    finally:
                        response.close()  # closes the connection: nothing is drained
                except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                    failure = Failure(exc, timed_out=attempt.timed_out, aborted=attempt.aborted)
                else:
                    if not attempt.aborted:
                        return status, headers, body
                    # Shut down mid-way, http.client may take the cut for the end of the headers or body:
                    # what arrived is not the answer.
                    failure = Failure(TimeoutError(), timed_out=attempt.timed_out, aborted=True)
        except transport.Interrupted:
            failure = Failure(transport.Interrupted(), timed_out=False, aborted=True)
        # Raised outside the except block so it has no __context__: the requests exception's frames hold the
        # request headers, credentials included.
        raise failure

    def _send(self, url: str, attempt: transport.Attempt) -> requests.Response:
        # Session.send would call resolve_redirects even with redirects off, and parse the Location header;
        # the adapter sends exactly one request. The environment's proxies and CA bundles still apply.
        request = self._session.prepare_request(requests.Request("GET", url))
        settings = self._session.merge_environment_settings(request.url, {}, True, None, None)
        bundle = transport.ca_bundle()
        verify = bundle[1] if bundle else settings.get("verify")
        adapter = self._session.get_adapter(url)
        remaining = attempt.remaining()
        return adapter.send(
            request,
            stream=True,
            timeout=(remaining, remaining),
            verify=True if verify is None else verify,
            cert=settings.get("cert"),
            proxies=settings.get("proxies"),
        )

    def _acquire(self, action: str, account_id: str | None) -> None:
        """Wait for the request budget (and any pause a 429 put on it); one that would outlast the run fails."""
        try:
            self._budget.acquire(self._deadline)
        except WaitTooLong as too_long:
            wait = too_long.wait
        except transport.Interrupted:
            wait = None
        else:
            return
        if wait is None:
            raise APIConnectionError(f"{action} was interrupted; nothing more was sent", account_id=account_id)
        label = self._settings.label("deadline")
        raise DeadlineError(
            f"{action} was not attempted: waiting for {wait.reason} would take {wait.seconds:.0f} s, past the run's "
            f"deadline ({label} {format_duration(timedelta(seconds=self._settings.deadline))}): retry after "
            f"{utc_after(wait.seconds)}",
            account_id=account_id,
            retry_at=utc_after(wait.seconds),
        )

    def _should_retry(self, status: int, headers: dict[str, str]) -> bool:
        if status not in RETRY_STATUSES:
            return False
        wait = _retry_after(headers)
        # A wait the run cannot afford fails at once: the parser's message says when to come back.
        return wait is None or wait <= self._time_left()

    def _time_left(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def _back_off(self, attempt: int, reason: str, retry_after: float | None, *, shared: bool = False) -> bool:
        """Wait before the next attempt; ``False`` when the process was interrupted meanwhile.

        A rate limit (429, or 503 with ``Retry-After``) pauses the credential's whole budget: every worker of the
        run waits with this one, and the next attempt starts when the budget lets it.
        """
        if retry_after is not None:
            wait = retry_after
        else:
            wait = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1)) + random.uniform(0, BACKOFF_JITTER)  # noqa: S311
        logger.info("retrying after %s in %.2f s (retry %d)", reason, wait, attempt)
        if shared:
            self._budget.pause(wait, f"Cloudflare's rate limit ({reason}, {wait:.0f} s)")
            return not transport.interrupted()
        try:
            transport.wait(wait)
        except transport.Interrupted:
            return False
        return True

    def close(self) -> None:
        """Close the connection pool."""
        self._session.close()

    def __enter__(self) -> BillingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        credentials = self._settings.credentials.kind if self._settings.credentials else None
        return (
            f"BillingClient(base_url={self._settings.base_url!r}, account_id={self._settings.account_id!r}, "
            f"credentials={credentials!r})"
        )


def _too_many_pages(action: str, account: str, bound: int, what: str) -> APIResponseError:
    # Reading part of a list as the whole would pass a guardrail on the gateways never read: an error instead.
    return APIResponseError(
        f"{action} failed: Cloudflare's answer has more than {bound} {what}, more than this tool follows; report "
        "it if the account really has that many",
        account_id=account,
    )


def _retry_after(headers: dict[str, str]) -> float | None:
    return parse_retry_after(next((v for k, v in headers.items() if k.lower() == "retry-after"), None))


# -- The session: credentials on each request, connections an attempt can abort -----------------------------------

USER_AGENT = f"pulumi-cfbilling/{__version__}"
POOL_SIZE = 32


class _CloudflareAuth(requests.auth.AuthBase):
    """Puts the credential on each request. An auth object also stops requests from consulting ~/.netrc."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(self._credentials.headers())
        return request

    def __repr__(self) -> str:
        return f"_CloudflareAuth({self._credentials!r})"


class _Adapter(requests.adapters.HTTPAdapter):
    """requests' adapter on pools whose connections an attempt can abort (proxied ones included)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = transport.POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = transport.POOL_CLASSES
        return manager


def new_session(settings: Settings) -> requests.Session:
    """A session for one client: its credential, our headers, no retries or redirects of its own."""
    session = requests.Session()
    if settings.credentials is not None:
        session.auth = _CloudflareAuth(settings.credentials)
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
    # Retries are ours (Client._get): urllib3's would drain a 503's body before retrying.
    adapter = _Adapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
