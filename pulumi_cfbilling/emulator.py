"""A local stand-in for Cloudflare's credit-balance endpoint, on loopback, for demos and tests.

It imports nothing from the rest of the package on purpose: it serves hand-written JSON, so a modelling bug
in the client cannot hide by being mirrored here. It checks auth the way Cloudflare does, answers with
Cloudflare's envelope and headers, keeps a log of every request, and can inject every fault seen in the field,
per account, in order::

    with Emulator(accounts={ACCOUNT: {"result": {...}}}) as emu:
        emu.set_faults(ACCOUNT, [{"kind": "status", "status": 503, "times": 2}])
        ...  # point a client at emu.base_url with emu.token

Fault kinds (each takes ``times``: how many requests it answers, default every request):

=================  ===========================================================================================
``stall``          wait ``seconds`` (default 30) before answering normally
``status``         ``status`` with Cloudflare's error body (``code``, ``message``); ``retry_after`` sets the
                   header; ``html: true`` sends an HTML page instead, as proxies do
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
=================  ===========================================================================================
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["DEMO_EMAIL", "DEMO_KEY", "DEMO_TOKEN", "Emulator", "LoggedRequest", "demo_fixture"]

DEMO_TOKEN = "cfbilling-demo-token"  # noqa: S105 - a public fake, accepted only by the emulator
DEMO_EMAIL = "demo@example.com"
DEMO_KEY = "cfbilling-demo-global-key"  # a public fake, like DEMO_TOKEN

_PREFIX = "/client/v4"
_BALANCE = re.compile(r"/accounts/([^/]*)/ai-gateway/billing/credit-balance")
_ACCOUNT_ID = re.compile(r"[0-9a-f]{32}")
_VERIFY = re.compile(r"(?:/user|/accounts/([^/]*))/tokens/verify")
_BEARER = re.compile(r"Bearer ([A-Za-z0-9._~+/=-]+)")


@dataclass
class LoggedRequest:
    """One request as the emulator saw it, logged on arrival and completed when answered.

    Credentials are never recorded, only which kind was sent. ``status`` and ``finished`` stay ``None``
    while the request is in flight (a stall) and ``status`` stays ``None`` for a dropped connection.
    """

    started: float
    method: str
    path: str
    user_agent: str | None
    account_id: str | None = None
    auth: str | None = None
    status: int | None = None
    finished: float | None = None


def demo_fixture() -> dict[str, Any]:
    """The sample accounts shipped with the package (``demo_fixture.json``), as a fresh dict."""
    text = resources.files(__package__ or "pulumi_cfbilling").joinpath("demo_fixture.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class Emulator:
    """The endpoint on ``http://127.0.0.1:<port>/client/v4``; ``port=0`` picks a free port.

    ``fixture`` is a dict or a JSON file with ``tokens``, ``keys`` and ``accounts`` (see ``demo_fixture.json``);
    ``accounts`` adds or replaces accounts (id -> ``{"result": {...}, "label": ..., "faults": [...]}``).
    Without tokens in either, the demo token and key are accepted for every account.
    """

    def __init__(
        self,
        accounts: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        fixture: Mapping[str, Any] | str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
    ) -> None:
        loaded: Mapping[str, Any] = (
            json.loads(Path(fixture).read_text("utf-8")) if isinstance(fixture, (str, Path)) else fixture or {}
        )
        self._lock = threading.Lock()
        data = copy.deepcopy(dict(loaded))
        self.tokens: dict[str, dict[str, Any]] = data.get("tokens") or {
            DEMO_TOKEN: {"accounts": "*", "status": "active"}
        }
        self.keys: list[dict[str, str]] = data.get("keys") or [{"email": DEMO_EMAIL, "key": DEMO_KEY}]
        self.accounts: dict[str, dict[str, Any]] = {}
        for account_id, spec in {**data.get("accounts", {}), **copy.deepcopy(dict(accounts or {}))}.items():
            self.set_account(account_id, spec)
        self.latency = latency
        self.log: list[LoggedRequest] = []
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.emulator = self  # type: ignore[attr-defined]
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
        """The base URL to give a client: ``http://127.0.0.1:<port>/client/v4``."""
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}{_PREFIX}"

    def set_account(self, account_id: str, spec: Mapping[str, Any]) -> None:
        """Add or replace an account: ``{"result": {...}, "label": str, "faults": [...], "latency": s}``."""
        entry = copy.deepcopy(dict(spec))
        entry["faults"] = [dict(f) for f in entry.get("faults", [])]
        with self._lock:
            self.accounts[account_id] = entry

    def set_faults(self, account_id: str, faults: Iterable[Mapping[str, Any]]) -> None:
        """Replace the account's fault queue; each fault answers ``times`` requests (default: all)."""
        with self._lock:
            self.accounts[account_id]["faults"] = [dict(f) for f in faults]

    def requests_for(self, account_id: str) -> list[LoggedRequest]:
        """The logged requests for one account, oldest first."""
        with self._lock:
            return [r for r in self.log if r.account_id == account_id]

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
        """Stop serving and release the port; stalled requests are woken up and dropped."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self._server.serve_forever()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- request handling (called from handler threads) ---------------------------------------------------

    def _next_fault(self, account_id: str) -> dict[str, Any] | None:
        with self._lock:
            faults = self.accounts[account_id]["faults"]
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

    def _authenticate(self, headers: Any) -> tuple[str | None, _Answer | None, dict[str, Any] | None]:
        """Return (auth kind, error answer or None, the token's grant or None for a global key)."""
        authorization = headers.get("Authorization")
        email, key = headers.get("X-Auth-Email"), headers.get("X-Auth-Key")
        if authorization is not None:
            match = _BEARER.fullmatch(authorization)
            if match is None:
                return (
                    "token",
                    _error(
                        400, 6003, "Invalid request headers", chain=(6111, "Invalid format for Authorization header")
                    ),
                    None,
                )
            grant = self.tokens.get(match.group(1))
            if grant is None or grant.get("status", "active") != "active":
                return "token", _error(403, 10000, "Authentication error"), None
            return "token", None, grant
        if email is None and key is None:
            return None, _error(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers"), None
        if email is None or key is None:
            which = (
                (6102, "Invalid format for X-Auth-Email header")
                if email is None
                else (6103, "Invalid format for X-Auth-Key header")
            )
            return "key", _error(400, 6003, "Invalid request headers", chain=which), None
        if not any(k.get("email") == email and k.get("key") == key for k in self.keys):
            return "key", _error(403, 10000, "Authentication error"), None
        return "key", None, {"accounts": "*"}

    def _answer(self, entry: LoggedRequest, headers: Any) -> _Answer:
        """Route, authenticate and apply faults, noting the account and auth kind in ``entry`` as they are known."""
        path = entry.path
        route = path[len(_PREFIX) :] if path.startswith(_PREFIX + "/") else ""
        verify = _VERIFY.fullmatch(route)
        if verify is not None:
            return self._verify(entry, headers, verify.group(1))
        match = _BALANCE.fullmatch(route)
        if match is None:
            return _error(404, 7000, "No route for that URI")
        account_id = match.group(1)
        if not _ACCOUNT_ID.fullmatch(account_id):
            return _error(404, 7003, f"Could not route to {path}, perhaps your object identifier is invalid?")
        entry.account_id = account_id
        entry.auth, failure, grant = self._authenticate(headers)
        if failure is not None:
            return failure
        assert grant is not None
        owner = grant.get("owner", "user")
        visible = grant.get("accounts", "*") if owner == "user" else [owner]
        if account_id not in self.accounts or (visible != "*" and account_id not in visible):
            return _error(403, 9109, "Unauthorized to access requested resource")
        account = self.accounts[account_id]
        delay = float(account.get("latency", self.latency))
        if delay:
            self._stopping.wait(delay)
        fault = self._next_fault(account_id)
        if fault is not None and fault["kind"] == "stall":
            self._stopping.wait(float(fault.get("seconds", 30)))
            fault = None
        return _faulty(account, fault) if fault else _success(_result(account))

    def _verify(self, entry: LoggedRequest, headers: Any, owner: str | None) -> _Answer:
        """``/user/tokens/verify`` and ``/accounts/{id}/tokens/verify``: a token's status, whatever it is."""
        if owner is not None:
            if not _ACCOUNT_ID.fullmatch(owner):
                return _error(404, 7003, f"Could not route to {entry.path}, perhaps your object identifier is invalid?")
            entry.account_id = owner
        authorization = headers.get("Authorization")
        if authorization is None:
            entry.auth = "key" if headers.get("X-Auth-Key") else None
            if entry.auth:
                return _error(
                    400, 6003, "Invalid request headers", chain=(6111, "Invalid format for Authorization header")
                )
            return _error(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
        entry.auth = "token"
        match = _BEARER.fullmatch(authorization)
        grant = self.tokens.get(match.group(1)) if match else None
        # A token answers only at the verify endpoint of its owner: the user, or the account that owns it.
        if grant is None or grant.get("owner", "user") != (owner or "user"):
            return _error(401, 1000, "Invalid API Token")
        result = {"id": grant.get("id", "0" * 32), "status": grant.get("status", "active")}
        if grant.get("expires_on"):
            result["expires_on"] = grant["expires_on"]
        message = {"code": 10000, "message": f"This API Token is valid and {result['status']}"}
        return _json(200, {"success": True, "errors": [], "messages": [message], "result": result})


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False


def _json(status: int, document: Any, headers: tuple[tuple[str, str], ...] = ()) -> _Answer:
    return _Answer(status, json.dumps(document).encode(), (("Content-Type", "application/json"), *headers))


def _error(
    status: int,
    code: int,
    message: str,
    chain: tuple[int, str] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> _Answer:
    error: dict[str, Any] = {"code": code, "message": message}
    if chain is not None:
        error["error_chain"] = [{"code": chain[0], "message": chain[1]}]
    return _json(status, {"success": False, "errors": [error], "messages": [], "result": None}, headers)


def _success(result: Any) -> _Answer:
    return _json(200, {"success": True, "errors": [], "messages": [], "result": result})


def _result(account: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = copy.deepcopy(dict(account.get("result", {})))
    ago = account.get("failed_topup_seconds_ago")
    if ago is not None:
        # Relative, so the demo's "recent top-up failure" stays recent whatever day it runs.
        result.setdefault("topup_config", {})["lastFailedAt"] = int((time.time() - float(ago)) * 1000)
    return result


_HTML = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"


def _faulty(account: Mapping[str, Any], fault: Mapping[str, Any]) -> _Answer:
    kind = fault["kind"]
    if kind == "status":
        status = int(fault.get("status", 500))
        headers = (("Retry-After", str(fault["retry_after"])),) if "retry_after" in fault else ()
        if fault.get("html"):
            return _Answer(status, _HTML, (("Content-Type", "text/html"), *headers))
        code = int(fault.get("code", {429: 971, 500: 10001, 401: 10000, 403: 10000, 404: 7003}.get(status, 1000)))
        return _error(status, code, str(fault.get("message", "Emulated failure")), headers=headers)
    if kind == "success_false":
        return _json(
            200,
            {
                "success": False,
                "errors": [
                    {"code": int(fault.get("code", 10001)), "message": str(fault.get("message", "Internal error"))}
                ],
                "messages": [],
                "result": None,
            },
        )
    if kind == "result_null":
        return _json(200, {"success": True, "errors": [], "messages": [], "result": None})
    if kind == "wrong_types":
        return _success({**_result(account), **dict(fault.get("patch", {"balance": "lots"}))})
    if kind == "missing_keys":
        result = _result(account)
        for path in fault.get("keys", ["balance"]):
            *parents, last = str(path).split(".")
            node = result
            for part in parents:
                node = node.get(part, {})
            node.pop(last, None)
        return _success(result)
    if kind == "truncated":
        body = _success(_result(account)).body
        return _Answer(200, body[: len(body) // 2], (("Content-Type", "application/json"),))
    if kind == "empty_body":
        return _Answer(200, b"", (("Content-Type", "application/json"),))
    if kind == "raw":
        return _Answer(
            int(fault.get("status", 200)),
            str(fault.get("body", "")).encode(),
            tuple(dict(fault.get("headers", {})).items()),
        )
    if kind == "redirect":
        return _Answer(int(fault.get("status", 302)), b"", (("Location", str(fault["location"])),))
    if kind == "oversized":
        size = int(fault.get("bytes", 2 * 1024 * 1024))
        return _Answer(200, b'{"padding": "' + b"x" * size + b'"}', (("Content-Type", "application/json"),))
    if kind == "drop":
        return _Answer(0, b"", drop=True)
    raise ValueError(f"unknown fault kind {kind!r}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the body waits for a delayed ACK (~40 ms) on
    # every request of a kept-alive connection but the first. Cloudflare has no such stall; neither should we.
    disable_nagle_algorithm = True
    server_version = "cloudflare"
    sys_version = ""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        emulator: Emulator = self.server.emulator  # type: ignore[attr-defined]
        entry = LoggedRequest(time.time(), self.command, self.path.split("?", 1)[0], self.headers.get("User-Agent"))
        emulator._record(entry)
        if self.command != "GET":
            answer = _error(405, 10405, "Method not allowed")
        else:
            answer = emulator._answer(entry, self.headers)
        entry.status = None if answer.drop else answer.status
        entry.finished = time.time()
        if answer.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(answer.status)
            self.send_header("CF-Ray", f"{secrets.token_hex(8)}-EMU")
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test); nothing left to tell it.
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet by default: tests and the demo read the structured log instead.
        return
