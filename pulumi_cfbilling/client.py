"""The HTTP client for the credit-balance endpoint: the only module that imports ``requests``.

It moves bytes and nothing more: what a response means is decided by :mod:`pulumi_cfbilling.response`.
Retries come from urllib3's ``Retry``; redirects are never followed; bodies are read up to a limit;
credentials travel in an auth object so ``~/.netrc`` can never replace them, while proxies and CA bundles
from the environment keep working.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterator
from http.client import IncompleteRead, RemoteDisconnected
from socket import gaierror
from types import TracebackType
from typing import TYPE_CHECKING

import requests
import requests.adapters
import requests.auth
import urllib3.exceptions
from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from typing_extensions import Self
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

from ._version import __version__
from .config import (
    NO_CREDENTIALS,
    Credentials,
    Settings,
    Source,
    choose_account,
    resolve_settings,
    validate_account_id,
)
from .errors import APIConnectionError, APIError, APITimeoutError, ConfigurationError
from .models import CreditBalance, TokenVerification
from .pacer import Pacer
from .response import MAX_BODY_BYTES, parse_credit_balance_response, parse_response, parse_retry_after

__all__ = ["MAX_REQUESTS_PER_SECOND", "MAX_RETRY_AFTER", "BillingClient"]

MAX_RETRY_AFTER = 60.0
"""The longest ``Retry-After`` honoured by waiting; a longer one fails at once with ``RateLimitError``."""

MAX_REQUESTS_PER_SECOND = 150.0
"""Pace of new requests per client: under Cloudflare's 200 requests/s per IP, leaving room for retries."""

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"pulumi-cfbilling/{__version__}"
POOL_SIZE = 32

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

    def __init__(
        self,
        api_token: str | None = None,
        api_key: str | None = None,
        email: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        *,
        account_id: str | None = None,
    ) -> None:
        explicit = Source.arguments(
            {
                "api_token": api_token,
                "api_key": api_key,
                "email": email,
                "base_url": base_url,
                "timeout": timeout,
                "max_retries": max_retries,
                "account_id": account_id,
            }
        )
        self._settings = resolve_settings(explicit, Source.environment())
        self._session = _new_session(self._settings)
        self._pacer = Pacer(MAX_REQUESTS_PER_SECOND)

    @classmethod
    def from_settings(cls, settings: Settings) -> BillingClient:
        """A client for already resolved settings (Pulumi config, CLI flags, ...)."""
        if settings.credentials is None:
            raise ConfigurationError(NO_CREDENTIALS)
        client = cls.__new__(cls)
        client._settings = settings
        client._session = _new_session(settings)
        client._pacer = Pacer(MAX_REQUESTS_PER_SECOND)
        return client

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
            status, headers, body, account, attempts=attempts, max_retry_after=MAX_RETRY_AFTER
        )

    def verify_token(self, account_id: str | None = None) -> TokenVerification:
        """Verify the API token with ``GET /user/tokens/verify``.

        For a token owned by an account, pass its id: ``/accounts/{id}/tokens/verify``. Raises like
        :meth:`get_credit_balance`.
        """
        if account_id is None:
            url, action = f"{self._settings.base_url}/user/tokens/verify", "verifying the API token"
        else:
            account_id = validate_account_id(account_id, "account_id")
            url = f"{self._settings.base_url}/accounts/{account_id}/tokens/verify"
            action = f"verifying the API token as owned by account {account_id}"
        status, headers, body, attempts = self._get(url, action, account_id)
        return parse_response(
            status,
            headers,
            body,
            TokenVerification,
            action,
            account_id=account_id,
            attempts=attempts,
            max_retry_after=MAX_RETRY_AFTER,
        )

    def _account(self, account_id: str | None) -> str:
        return choose_account(
            self._settings,
            account_id,
            "account_id",
            "set CLOUDFLARE_ACCOUNT_ID (in Pulumi, cfbilling:accountId) to the 32-character id from "
            "dash.cloudflare.com/<account id>",
        )

    def _get(self, url: str, action: str, account_id: str | None) -> tuple[int, dict[str, str], bytes, int]:
        started = time.monotonic()
        failure: APIError | None = None
        self._pacer.wait()
        try:
            response = self._session.get(url, timeout=self._settings.timeout, allow_redirects=False, stream=True)
            try:
                # Read one byte past the limit: enough to know the body is too large, never the whole of it.
                body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
            finally:
                response.close()
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            failure = _connection_error(exc, action, account_id, self._settings)
        # Raised outside the except block so the exception has no __context__: the requests exception's
        # frames hold the request headers, credentials included.
        if failure is not None:
            logger.debug("GET %s failed: %s", url, failure)
            raise failure
        history = getattr(getattr(response.raw, "retries", None), "history", ())
        attempts = len(history) + 1
        logger.debug(
            "GET %s -> %d in %.0f ms (attempts: %d, CF-Ray: %s)",
            url,
            response.status_code,
            (time.monotonic() - started) * 1000,
            attempts,
            response.headers.get("CF-Ray", "-"),
        )
        return response.status_code, dict(response.headers), body, attempts

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


class _CloudflareAuth(requests.auth.AuthBase):
    """Puts the credential on each request. An auth object also stops requests from consulting ~/.netrc."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(self._credentials.headers())
        return request

    def __repr__(self) -> str:
        return f"_CloudflareAuth({self._credentials!r})"


class _Retry(Retry):
    """urllib3's Retry, failing fast on a long Retry-After instead of sleeping through it.

    urllib3 would cap Retry-After at ``retry_after_max`` (six hours) and then sleep that long. Refusing to
    retry returns the 429 itself (``raise_on_status=False``), so the response parser can say when to come back.
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if response is not None:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise urllib3.exceptions.MaxRetryError(_pool, url or "", None)  # type: ignore[arg-type]
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        reason = f"HTTP {response.status}" if response is not None else type(error).__name__
        logger.info("retrying after %s (retry %d, %s left)", reason, len(new.history), new.total)
        return new

    def parse_retry_after(self, retry_after: str) -> float:
        # urllib3 raises on a malformed header; a garbled Retry-After should fall back to backoff instead.
        return parse_retry_after(retry_after) or 0.0


def _new_session(settings: Settings) -> requests.Session:
    session = requests.Session()
    if settings.credentials is not None:
        session.auth = _CloudflareAuth(settings.credentials)
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
    retry = _Retry(
        total=settings.max_retries,
        connect=settings.max_retries,
        read=settings.max_retries,
        status=settings.max_retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=0.5,
        backoff_jitter=0.5,
        backoff_max=10.0,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _connection_error(exc: BaseException, action: str, account_id: str | None, settings: Settings) -> APIError:
    """Describe a transport failure from a fixed vocabulary: never ``str(exc)``, which may hold proxy URLs."""
    chain = list(_causes(exc))
    retried = any(isinstance(e, urllib3.exceptions.MaxRetryError) for e in chain)
    attempts = f" on each of {settings.max_retries + 1} attempts" if retried and settings.max_retries else ""
    # urllib3's NewConnectionError subclasses ConnectTimeoutError for history's sake; it is not a timeout.
    timed_out = any(
        isinstance(e, (TimeoutError, urllib3.exceptions.TimeoutError))
        and not isinstance(e, urllib3.exceptions.NewConnectionError)
        for e in chain
    )
    if timed_out:
        what = f"no answer within the {settings.timeout:g} s timeout{attempts}"
        advice = "check the network or proxy, or raise the timeout (CFBILLING_TIMEOUT, --timeout)"
        cls: type[APIError] = APITimeoutError
    else:
        what = _reason(chain) + attempts
        advice = "check the network, HTTPS_PROXY/NO_PROXY and the base URL (CLOUDFLARE_BASE_URL)"
        cls = APIConnectionError
    return cls(
        f"{action} failed: could not get an answer from {settings.base_url}: {what}; {advice}",
        account_id=account_id,
    )


# Most specific first: a ProtocolError often wraps the RemoteDisconnected that says what really happened.
_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((urllib3.exceptions.ProxyError,), "the proxy (HTTPS_PROXY) could not be used"),
    ((gaierror, urllib3.exceptions.NameResolutionError), "the host name could not be resolved"),
    ((ConnectionRefusedError,), "the connection was refused"),
    ((RemoteDisconnected,), "the server closed the connection without answering"),
    ((ConnectionResetError,), "the connection was reset"),
    ((IncompleteRead, urllib3.exceptions.ProtocolError), "the connection dropped before the whole answer arrived"),
    ((ssl.SSLError, urllib3.exceptions.SSLError), "the TLS handshake failed"),
)


def _reason(chain: list[BaseException]) -> str:
    for error in chain:
        if isinstance(error, ssl.SSLCertVerificationError):
            return (
                f"the TLS certificate was rejected ({error.verify_message}); "
                "set REQUESTS_CA_BUNDLE if a proxy re-signs traffic"
            )
    for types, reason in _REASONS:
        if any(isinstance(error, types) for error in chain):
            return reason
    return f"the connection failed ({type(chain[0]).__name__})"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (``reason``, ``args``, ``__cause__``, ``__context__``), depth first."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        error = stack.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        inner = [getattr(error, "reason", None), error.__cause__, error.__context__, *error.args]
        stack.extend(reversed([e for e in inner if isinstance(e, BaseException)]))
