"""A local stand-in for Cloudflare's credit-balance and usage-history endpoints, on loopback, for demos and tests.

It uses nothing of the client or config layers on purpose: it serves hand-written JSON (validated against
Cloudflare's own result schema at load), so a modelling bug in the client cannot hide by being mirrored here. It
checks auth the way Cloudflare does, answers every method with Cloudflare's envelope and headers, keeps a log of
every request, and can inject every fault seen in the field, per account, in order::

    with Emulator(accounts={ACCOUNT: {"result": {...}}}) as emu:
        emu.set_faults(ACCOUNT, [{"kind": "status", "status": 503, "times": 2}])
        ...  # point a client at emu.base_url with emu.token

Fixtures: see :mod:`pulumi_cfbilling.testing._fixtures` (every field, and how each is checked). Fault kinds
(each takes ``times``: how many requests it answers, default every request):

=================  ===========================================================================================
``stall``          wait ``seconds`` (default 30) before answering normally
``status``         ``status`` with Cloudflare's error body for it (``code``, ``message`` override); a 429 always
                   has ``Retry-After`` (``retry_after``, default 1); 5xx without a ``code``, or ``html: true``,
                   get an HTML error page, as Cloudflare's edge and proxies send
``success_false``  HTTP 200 with ``success: false`` and an error (``code``, ``message``)
``result_null``    HTTP 200 with ``result: null``
``wrong_types``    the result with ``patch`` merged in (default ``{"balance": "lots"}``)
``missing_keys``   the result without ``keys`` (dotted paths, default ``["balance"]``)
``truncated``      the healthy body cut in half
``empty_body``     HTTP 200 with no body
``raw``            ``status``, ``body`` (text) and ``headers`` exactly as given
``redirect``       HTTP ``status`` (default 302) to ``location``
``oversized``      HTTP 200 with a JSON body of ``bytes`` (default 2 MiB)
``drop``           close the connection without answering
``drop_mid_body``  send the headers and half the healthy body, then close the connection
``trickle``        send the healthy body one byte every ``every`` seconds (default 1) after the headers
``no_ray``         the healthy answer without a ``CF-Ray`` header, as a proxy in between sends it
=================  ===========================================================================================

Auth as Cloudflare checks it: no credential is 400/9106; a token not shaped like one (40 of ``A-Z a-z 0-9 _ -``)
400/6003 with the sub-error 6111; an unknown or inactive token 403/10000; a global key or email of the wrong
shape 400/6003 with 6103/6102; an unknown key and email 403/9103; an account the credential cannot see
403/9109; a malformed account id 404/7003. ``tls=True`` serves HTTPS with a certificate made at start (by the
``openssl`` command), signed by a CA whose file is :attr:`Emulator.ca_file`.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from . import _tls
from ._answers import Answer, error, faulty, json_answer, success
from ._billing import gateways_answer, history_result, paged_success, preview_result
from ._fixtures import ACCOUNT_ID, check_account, check_fault, demo_fixture, load_fixture
from ._ratelimit import CLOUDFLARE_RATE_LIMIT, SlidingLimit
from ._server import Handler, LoggedRequest, Server
from ._usage import usage_result, utc_now

__all__ = ["DEMO_EMAIL", "DEMO_KEY", "DEMO_TOKEN", "Emulator", "LoggedRequest", "demo_fixture"]

DEMO_TOKEN = "cfbilling-demo-token-0123456789abcdefghi"  # noqa: S105 - a public fake, shaped like a real token
DEMO_EMAIL = "demo@example.com"
DEMO_KEY = "0123456789abcdef0123456789abcdef01234"  # a public fake global key (37 hex), like DEMO_TOKEN

_PREFIX = "/client/v4"
_BILLING = re.compile(
    r"/accounts/([^/]*)/ai-gateway/(?:billing/)?(credit-balance|usage-history|invoice-preview|invoice-history|gateways)"
)
# The fault queue of each route, and what a wrong_types or missing_keys fault changes on it by default.
_ROUTES: Mapping[str, tuple[str, dict[str, Any]]] = {
    "credit-balance": ("faults", {}),
    "usage-history": ("usage_faults", {"patch": {"history": "lots"}, "keys": ["history"]}),
    "gateways": ("gateways_faults", {"patch": {"byok_only": "lots"}, "keys": ["0.id"]}),
    "invoice-preview": ("invoice_preview_faults", {"patch": {"amount_due": "lots"}, "keys": ["amount_due"]}),
    "invoice-history": ("invoice_history_faults", {"patch": {"invoices": "lots"}, "keys": ["pagination"]}),
}
# Which routes sit under billing/ (the gateways list is beside it).
_UNDER_BILLING = frozenset({"credit-balance", "usage-history", "invoice-preview", "invoice-history"})
_VERIFY = re.compile(r"(?:/user|/accounts/([^/]*))/tokens/verify")
_BEARER = re.compile(r"Bearer ([A-Za-z0-9._~+/=-]+)")
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{40}")
_KEY_SHAPE = re.compile(r"[0-9a-f]{37}")
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+")


class Emulator:
    """The endpoint on ``http://127.0.0.1:<port>/client/v4`` (``https`` with ``tls=True``); ``port=0`` picks one.

    ``fixture`` is a dict or a JSON file with ``tokens``, ``keys`` and ``accounts`` (see ``demo_fixture.json``);
    ``accounts`` adds or replaces accounts. Without tokens in either, the demo token and key are accepted for
    every account. Fixtures are validated here, whole, with a one-line :class:`FixtureError` naming the place.
    """

    def __init__(
        self,
        accounts: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        fixture: Mapping[str, Any] | str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        tls: bool = False,
        now: Callable[[], datetime] = utc_now,
        rate_limit: str | None = CLOUDFLARE_RATE_LIMIT,
    ) -> None:
        data = load_fixture(fixture)
        self.now = now  # the clock usage series are relative to
        self._lock = threading.Lock()
        self.tokens: dict[str, dict[str, Any]] = data.get("tokens") or {DEMO_TOKEN: {"accounts": "*"}}
        self.keys: list[dict[str, str]] = data.get("keys") or [{"email": DEMO_EMAIL, "key": DEMO_KEY}]
        self.accounts: dict[str, dict[str, Any]] = data.get("accounts", {})
        for account_id, spec in (accounts or {}).items():
            self.set_account(account_id, spec)
        self.latency = latency
        self.rate_limit = SlidingLimit(rate_limit) if rate_limit else None
        """Cloudflare's per-user limit by default (``None``: unlimited); ``rate_limit.refused`` counts the 429s."""
        self.log: list[LoggedRequest] = []
        self._stopping = threading.Event()
        self._host = host
        self._server = Server((host, port), Handler)
        self._server.emulator = self  # type: ignore[attr-defined]
        self.ca_file: Path | None = None
        self._tls_dir: Any = None
        if tls:
            self._tls_dir, self.ca_file, context = _tls.server_context(host)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def token(self) -> str:
        """The first configured API token (the demo token unless a fixture says otherwise)."""
        return next(iter(self.tokens))

    @property
    def port(self) -> int:
        """The TCP port the emulator listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The base URL to give a client: ``http://127.0.0.1:<port>/client/v4`` (``https`` under TLS)."""
        scheme = "https" if self.ca_file else "http"
        return f"{scheme}://{self._host}:{self.port}{_PREFIX}"

    def set_account(self, account_id: str, spec: Mapping[str, Any]) -> None:
        """Add or replace an account: ``{"result": {...}, "label": str, "faults": [...], "latency": s}``."""
        checked = check_account(copy.deepcopy(dict(spec)), "set_account", f"accounts.{account_id}")
        with self._lock:
            self.accounts[account_id] = checked

    def set_burn(self, account_id: str, cents_per_minute: float) -> None:
        """Make the account's balance fall by ``cents_per_minute`` from now on (0 stops it where it is)."""
        with self._lock:
            account = self.accounts[account_id]
            account["result"]["balance"] = self._burned(account)
            account["burn_cents_per_minute"] = cents_per_minute
            account["burn_since"] = time.monotonic()

    @staticmethod
    def _burned(account: Mapping[str, Any]) -> float:
        """The balance now: the fixture's, less the burn since it started, to the hundredth of a cent."""
        burn = float(account.get("burn_cents_per_minute") or 0)
        elapsed = time.monotonic() - float(account.get("burn_since", time.monotonic()))
        return round(float(account["result"]["balance"]) - burn * elapsed / 60, 2)

    def set_faults(self, account_id: str, faults: Iterable[Mapping[str, Any]], route: str = "credit-balance") -> None:
        """Replace the fault queue of the account's ``route``.

        Routes: ``credit-balance``, ``usage-history``, ``gateways``, ``invoice-preview``, ``invoice-history``. Each
        fault answers ``times`` requests (default: all).
        """
        key = _ROUTES[route][0]
        queue = [dict(f) for f in faults]
        for i, fault in enumerate(queue):
            check_fault(fault, "set_faults", f"accounts.{account_id}.{key}[{i}]")
        with self._lock:
            self.accounts[account_id][key] = queue

    def requests_for(self, account_id: str, route: str | None = None) -> list[LoggedRequest]:
        """The logged requests for one account (on one ``route`` if given), oldest first."""
        with self._lock:
            return [r for r in self.log if r.account_id == account_id and route in (None, r.route)]

    def clear_log(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self.log.clear()

    def start(self) -> Emulator:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="cfbilling-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; stalled and trickling requests are woken up and dropped."""
        self._stopping.set()
        # Only a background loop is shut down: a foreground serve_forever has already returned to reach here,
        # and shutdown() would wait forever for a loop that was interrupted before it started.
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()
        if self._tls_dir is not None:
            self._tls_dir.cleanup()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self._server.serve_forever()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- request handling (called from handler threads) ---------------------------------------------------

    def _next_fault(self, account_id: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            faults = self.accounts[account_id][key]
            while faults:
                fault: dict[str, Any] = faults[0]
                times = fault.get("times")
                if times is None:
                    return fault
                if times > 0:
                    fault["times"] = times - 1
                    return fault
                faults.pop(0)
            return None

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.log.append(entry)

    def _authenticate(self, headers: Any) -> tuple[str | None, Answer | None, dict[str, Any] | None]:
        """Return (auth kind, error answer or None, the credential's grant or None)."""
        authorization = headers.get("Authorization")
        email, key = headers.get("X-Auth-Email"), headers.get("X-Auth-Key")
        if authorization is not None:
            match = _BEARER.fullmatch(authorization)
            grant = self.tokens.get(match.group(1)) if match else None
            if grant is None and (match is None or not _TOKEN_SHAPE.fullmatch(match.group(1))):
                return "token", _malformed(6111, "Authorization"), None
            if grant is None or grant.get("status", "active") != "active":
                return "token", error(403, 10000, "Authentication error"), None
            return "token", None, grant
        if email is None and key is None:
            return None, error(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers"), None
        if email is None or not _EMAIL_SHAPE.fullmatch(email):
            return "key", _malformed(6102, "X-Auth-Email"), None
        if key is None or not _KEY_SHAPE.fullmatch(key):
            return "key", _malformed(6103, "X-Auth-Key"), None
        if not any(k["email"] == email and k["key"] == key for k in self.keys):
            return "key", error(403, 9103, "Unknown X-Auth-Key or X-Auth-Email"), None
        return "key", None, {"accounts": "*"}

    def _answer(self, entry: LoggedRequest, headers: Any) -> Answer:
        """Route, authenticate and apply faults, noting the account and auth kind in ``entry`` as they are known."""
        path = entry.path
        route = path[len(_PREFIX) :] if path.startswith(_PREFIX + "/") else ""
        verify = _VERIFY.fullmatch(route)
        if verify is not None:
            entry.route = "tokens-verify"
            return self._verify(entry, headers, verify.group(1))
        match = _BILLING.fullmatch(route)
        if match is None or (match.group(2) in _UNDER_BILLING) != ("/billing/" in route):
            return error(404, 7000, "No route for that URI")
        account_id, entry.route = match.groups()
        if not ACCOUNT_ID.fullmatch(account_id):
            return error(404, 7003, f"Could not route to {path}, perhaps your object identifier is invalid?")
        entry.account_id = account_id
        entry.auth, failure, grant = self._authenticate(headers)
        if failure is not None:
            return failure
        assert grant is not None
        wait = self.rate_limit.take(_credential(headers)) if self.rate_limit else None
        if wait is not None:
            limited = error(429, 971, "Please wait and consider throttling your request speed")
            return replace(limited, headers=(*limited.headers, ("Retry-After", str(wait))))
        owner = grant.get("owner", "user")
        visible = grant.get("accounts", "*") if owner == "user" else [owner]
        if account_id not in self.accounts or (visible != "*" and account_id not in visible):
            return error(403, 9109, "Unauthorized to access requested resource")
        account = self.accounts[account_id]
        delay = float(account.get("latency", self.latency))
        if delay:
            self._stopping.wait(delay)
        key, defaults = _ROUTES[entry.route]
        fault = self._next_fault(account_id, key)
        if fault is not None and fault["kind"] == "stall":
            self._stopping.wait(float(fault.get("seconds", 30)))
            fault = None
        result = account["result"]
        if account.get("burn_cents_per_minute"):
            result = {**result, "balance": self._burned(account)}
        info: Mapping[str, int] | None = None
        if entry.route == "usage-history":
            result, bad_query = usage_result(account.get("usage"), self.now(), entry.query, account_id)
            if bad_query is not None:
                return bad_query
        elif entry.route == "gateways":
            page = gateways_answer(account.get("gateways", []), entry.query)
            if isinstance(page, Answer):
                return page
            result, info = page
        elif entry.route == "invoice-preview":
            result = preview_result(account.get("invoice"), self.now())
        elif entry.route == "invoice-history":
            history = history_result(account.get("invoices", []), entry.query)
            if isinstance(history, Answer):
                return history
            result = history
        if fault:
            return faulty(result, {**defaults, **fault})
        return success(copy.deepcopy(result)) if info is None else paged_success(copy.deepcopy(result), info)

    def _verify(self, entry: LoggedRequest, headers: Any, owner: str | None) -> Answer:
        """``/user/tokens/verify`` and ``/accounts/{id}/tokens/verify``: a token's status, whatever it is."""
        if owner is not None:
            if not ACCOUNT_ID.fullmatch(owner):
                return error(404, 7003, f"Could not route to {entry.path}, perhaps your object identifier is invalid?")
            entry.account_id = owner
        authorization = headers.get("Authorization")
        if authorization is None:
            entry.auth = "key" if headers.get("X-Auth-Key") else None
            if entry.auth:
                return error(400, 6003, "Invalid request headers", (6111, "Invalid format for Authorization header"))
            return error(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
        entry.auth = "token"
        match = _BEARER.fullmatch(authorization)
        grant = self.tokens.get(match.group(1)) if match else None
        # A token answers only at the verify endpoint of its owner: the user, or the account that owns it.
        if grant is None or grant.get("owner", "user") != (owner or "user"):
            return error(401, 1000, "Invalid API Token")
        result = {"id": grant.get("id", "0" * 32), "status": grant.get("status", "active")}
        if grant.get("expires_on"):
            result["expires_on"] = grant["expires_on"]
        message = {"code": 10000, "message": f"This API Token is valid and {result['status']}"}
        return json_answer(200, {"success": True, "errors": [], "messages": [message], "result": result})


def _credential(headers: Any) -> str:
    """Whose allowance a request spends: the token, or the key's email (never logged)."""
    return str(headers.get("Authorization") or headers.get("X-Auth-Email") or "")


def _malformed(code: int, header: str) -> Answer:
    return error(400, 6003, "Invalid request headers", (code, f"Invalid format for {header} header"))
