"""What went wrong on the wire, in words from a fixed vocabulary: never ``str(exc)``, which may hold proxy URLs.

One attempt's transport failure is a :class:`Failure`; :func:`connection_error` turns the last one into the
``APITimeoutError`` or ``APIConnectionError`` the caller sees, with the advice that fits it.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from http.client import IncompleteRead, RemoteDisconnected
from socket import gaierror

import urllib3.exceptions

from . import _transport
from .config import Settings
from .errors import APIConnectionError, APIError, APITimeoutError

__all__ = ["Failure", "connection_error"]


class Failure(Exception):
    """A transport failure of one attempt, carrying what the final error message needs."""

    def __init__(self, error: BaseException, *, timed_out: bool, aborted: bool) -> None:
        super().__init__(type(error).__name__)
        self.error, self.timed_out, self.aborted = error, timed_out, aborted

    @property
    def retryable(self) -> bool:
        """False for an interruption, or a failure the next attempt cannot fix (a rejected certificate)."""
        if isinstance(self.error, _transport.Interrupted) or (self.aborted and not self.timed_out):
            return False
        chain = list(_causes(self.error))
        # A certificate the server cannot fix by the next attempt, or a URL requests cannot use, is final.
        return not any(isinstance(e, (ssl.SSLCertVerificationError, ValueError)) for e in chain)


def connection_error(
    failure: Failure, action: str, account_id: str | None, settings: Settings, attempts_made: int
) -> APIError:
    """Describe a transport failure from a fixed vocabulary: never ``str(exc)``, which may hold proxy URLs."""
    if isinstance(failure.error, _transport.Interrupted) or (failure.aborted and not failure.timed_out):
        return APIConnectionError(f"{action} was interrupted; nothing more was sent", account_id=account_id)
    chain = list(_causes(failure.error))
    attempts = f" on each of {attempts_made} attempts" if attempts_made > 1 else ""
    # urllib3's NewConnectionError subclasses ConnectTimeoutError for history's sake; it is not a timeout.
    timed_out = failure.timed_out or any(
        isinstance(e, (TimeoutError, urllib3.exceptions.TimeoutError))
        and not isinstance(e, urllib3.exceptions.NewConnectionError)
        for e in chain
    )
    if timed_out:
        what = f"no complete answer within the {settings.timeout:g} s timeout{attempts}"
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
