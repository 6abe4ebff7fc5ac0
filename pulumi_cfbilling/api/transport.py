"""One HTTP attempt under a deadline that covers all of it, and the registry that aborts attempts in flight.

``requests`` and urllib3 time out per socket read, so a server that sends a byte every two seconds never times
out. Here every connection an attempt uses is registered with it; a timer shuts its sockets down when the
attempt's deadline passes, and :func:`abort_all` (Ctrl-C) shuts down every attempt in flight and refuses new
ones. A blocked connect, TLS handshake, header or body read then fails at once, and the caller reports the
timeout or interruption it is. Nothing here reads a byte more than the caller asks for: a response that is not
wanted is closed, never drained.

An attempt that fails is a :class:`Failure`; :func:`connection_error` describes the last one from a fixed
vocabulary (never ``str(exc)``, which may hold proxy URLs) as the ``APITimeoutError`` or ``APIConnectionError``
the caller sees, with the advice that fits it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from http.client import IncompleteRead, RemoteDisconnected
from socket import gaierror
from types import TracebackType
from typing import Any

import urllib3.exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..core.errors import APIConnectionError, APIError, APITimeoutError
from ..core.settings import Settings

__all__ = [
    "CA_BUNDLE_VARIABLES",
    "POOL_CLASSES",
    "Attempt",
    "Failure",
    "Interrupted",
    "abort_all",
    "ca_bundle",
    "connection_error",
    "interrupted",
    "proxy_variable",
    "reset_interruption",
    "wait",
]

_current = threading.local()
_lock = threading.Lock()
_in_flight: set[Attempt] = set()
_interrupted = threading.Event()


class Interrupted(Exception):
    """The process is being interrupted (Ctrl-C): no request may start, and those in flight are abandoned."""


def interrupted() -> bool:
    """Whether :func:`abort_all` ran: every new attempt is refused."""
    return _interrupted.is_set()


def wait(seconds: float) -> None:
    """Sleep between attempts, waking at once when the process is interrupted."""
    if _interrupted.wait(seconds):
        raise Interrupted


def abort_all() -> None:
    """Abandon every attempt in flight (their sockets are shut down) and refuse new ones."""
    _interrupted.set()
    with _lock:
        attempts = list(_in_flight)
    for attempt in attempts:
        attempt.abort(timed_out=False)


def reset_interruption() -> None:
    """Allow attempts again (tests, and programs that recover from an interruption)."""
    _interrupted.clear()


class Attempt:
    """One request-response exchange that must finish within ``timeout`` seconds, whatever the server does.

    Use as a context manager around the request and the body read; connections the pool hands out on this
    thread meanwhile are registered, and shut down when the deadline passes or :func:`abort_all` runs.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.timed_out = False
        self.aborted = False
        self._connections: list[Any] = []
        self._guard = threading.Lock()
        self._timer = threading.Timer(timeout, self.abort)
        self._timer.daemon = True

    def remaining(self) -> float:
        """Seconds left before the deadline (never below a millisecond: sockets need a positive timeout)."""
        return max(0.001, self.deadline - time.monotonic())

    def register(self, connection: Any) -> None:
        """Track a connection used by this attempt; one registered after an abort is shut down at once."""
        with self._guard:
            self._connections.append(connection)
            aborted = self.aborted
        if aborted:
            _shut(connection)

    def abort(self, *, timed_out: bool = True) -> None:
        """Shut down this attempt's sockets, so any read or write in progress fails now."""
        with self._guard:
            if self.aborted:
                return
            self.aborted = True
            self.timed_out = timed_out
            connections = list(self._connections)
        for connection in connections:
            _shut(connection)

    def __enter__(self) -> Attempt:
        if _interrupted.is_set():
            raise Interrupted
        with _lock:
            _in_flight.add(self)
        _current.attempt = self
        self._timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()
        _current.attempt = None
        with _lock:
            _in_flight.discard(self)


def _shut(connection: Any) -> None:
    # The raw socket too: during a TLS handshake or a proxy tunnel `sock` is not set yet.
    for sock in (getattr(connection, "_cfbilling_raw_sock", None), getattr(connection, "sock", None)):
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed, or never connected
                sock.shutdown(socket.SHUT_RDWR)


class _Tracked:
    """Connection mixin: remember the raw socket as soon as it exists."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self._cfbilling_raw_sock = sock
        attempt: Attempt | None = getattr(_current, "attempt", None)
        if attempt is not None and attempt.aborted:
            _shut(self)
        return sock


class _HTTPConnection(_Tracked, HTTPConnection):
    pass


class _HTTPSConnection(_Tracked, HTTPSConnection):
    pass


class _PoolMixin:
    """Pool mixin: every connection handed out on a thread inside an :class:`Attempt` is registered with it."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)  # type: ignore[misc]
        attempt: Attempt | None = getattr(_current, "attempt", None)
        if attempt is not None:
            attempt.register(connection)
        return connection


class _HTTPPool(_PoolMixin, HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(_PoolMixin, HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOL_CLASSES: dict[str, type[HTTPConnectionPool]] = {"http": _HTTPPool, "https": _HTTPSPool}
"""For ``PoolManager.pool_classes_by_scheme``: pools whose connections can be aborted."""


# -- Where the environment sends a request: its CA bundle and its proxy ---------------------------------------

# requests itself reads REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE; OpenSSL's SSL_CERT_FILE comes between them.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")


def ca_bundle(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """The CA bundle a request trusts, as ``(variable, path)``; ``None`` for the system's default."""
    env = os.environ if environ is None else environ
    return next(((name, env[name]) for name in CA_BUNDLE_VARIABLES if env.get(name)), None)


def proxy_variable(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The environment variable whose proxy a request to ``url`` goes through (``HTTP_PROXY`` for http), if any.

    ``NO_PROXY`` is left to requests: this names what a failure through a proxy came from.
    """
    env = os.environ if environ is None else environ
    scheme = url.split(":", 1)[0].lower()
    names = (f"{scheme.upper()}_PROXY", f"{scheme}_proxy", "ALL_PROXY", "all_proxy")
    return next((name for name in names if env.get(name)), None)


# -- What went wrong, in words from a fixed vocabulary ----------------------------------------------------------


class Failure(Exception):
    """A transport failure of one attempt, carrying what the final error message needs."""

    def __init__(self, error: BaseException, *, timed_out: bool, aborted: bool) -> None:
        super().__init__(type(error).__name__)
        self.error, self.timed_out, self.aborted = error, timed_out, aborted

    @property
    def retryable(self) -> bool:
        """False for an interruption, or a failure the next attempt cannot fix (a rejected certificate)."""
        if isinstance(self.error, Interrupted) or (self.aborted and not self.timed_out):
            return False
        chain = list(_causes(self.error))
        # A certificate the server cannot fix by the next attempt, or a URL requests cannot use, is final.
        return not any(isinstance(e, (ssl.SSLCertVerificationError, ValueError)) for e in chain)


def connection_error(
    failure: Failure, action: str, account_id: str | None, settings: Settings, attempts_made: int
) -> APIError:
    """Describe a transport failure from a fixed vocabulary: never ``str(exc)``, which may hold proxy URLs."""
    if isinstance(failure.error, Interrupted) or (failure.aborted and not failure.timed_out):
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
        advice = f"check the network or proxy, or raise the timeout ({settings.label('timeout')})"
        cls: type[APIError] = APITimeoutError
    else:
        proxy = proxy_variable(settings.base_url)
        what = _reason(chain, proxy) + attempts
        via = f"the proxy in {proxy} (and NO_PROXY)" if proxy else "HTTPS_PROXY/NO_PROXY"
        advice = f"check the network, {via} and the base URL ({settings.label('base_url')})"
        cls = APIConnectionError
    return cls(
        f"{action} failed: could not get an answer from {settings.base_url}: {what}; {advice}",
        account_id=account_id,
    )


# Most specific first: a ProtocolError often wraps the RemoteDisconnected that says what really happened.
_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((gaierror, urllib3.exceptions.NameResolutionError), "the host name could not be resolved"),
    ((ConnectionRefusedError,), "the connection was refused"),
    ((RemoteDisconnected,), "the server closed the connection without answering"),
    ((ConnectionResetError,), "the connection was reset"),
    ((IncompleteRead, urllib3.exceptions.ProtocolError), "the connection dropped before the whole answer arrived"),
    ((ssl.SSLError, urllib3.exceptions.SSLError), "the TLS handshake failed"),
)


def _reason(chain: list[BaseException], proxy: str | None) -> str:
    for error in chain:
        if isinstance(error, ssl.SSLCertVerificationError):
            bundle = ca_bundle()
            trusted = (
                f"the CA bundle in {bundle[0]} does not vouch for it"
                if bundle
                else "the system's CA store does not vouch for it; set REQUESTS_CA_BUNDLE if a proxy re-signs traffic"
            )
            return f"the TLS certificate was rejected ({error.verify_message}): {trusted}"
    if any(isinstance(error, urllib3.exceptions.ProxyError) for error in chain):
        return f"the proxy ({proxy or 'HTTPS_PROXY'}) could not be used"
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
