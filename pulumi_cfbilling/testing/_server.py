"""The emulator's HTTP plumbing: the threaded server, the request log entry, and the handler that sends answers.

Routing, auth and faults are :mod:`pulumi_cfbilling.testing.emulator`'s; this module turns an :class:`Answer`
into bytes on the wire, including the faults that need the socket itself (dropped, cut short, trickled).
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._answers import error

__all__ = ["IDLE_TIMEOUT", "MAX_REQUEST_BODY", "Handler", "LoggedRequest", "Server"]

IDLE_TIMEOUT = 15.0
"""Seconds a connection may wait between requests (or inside one) before the emulator closes it."""
MAX_REQUEST_BODY = 64 * 1024
"""The largest request body read; a larger one is not read, and the connection is closed after the answer."""


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
    route: str | None = None
    """``credit-balance``, ``usage-history`` or ``tokens-verify`` once routed."""
    query: str = ""
    auth: str | None = None
    status: int | None = None
    finished: float | None = None


class Server(ThreadingHTTPServer):
    """Threaded, with a backlog that takes a fleet's burst."""

    # Python's default backlog of 5 stalls unpaced clients for seconds at 32+ simultaneous connections.
    request_queue_size = 256
    daemon_threads = True
    block_on_close = False


class Handler(BaseHTTPRequestHandler):
    """Sends the emulator's answer for each request, whatever the method."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the body waits for a delayed ACK (~40 ms) on
    # every request of a kept-alive connection but the first. Cloudflare has no such stall; neither should we.
    disable_nagle_algorithm = True
    server_version = "cloudflare"
    sys_version = ""
    # A connection that sends nothing for this long is closed: half-open clients cannot pile up threads.
    timeout = IDLE_TIMEOUT

    def do_GET(self) -> None:
        self._handle()

    def __getattr__(self, name: str) -> Any:
        # Every other method (TRACE, CONNECT, PROPFIND, a lowercase get) gets Cloudflare's envelope and a 405,
        # never Python's HTML 501 page.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def parse_request(self) -> bool:
        """Read the request line and headers; a malformed one gets a 400 with a status line and the envelope."""
        ok = super().parse_request()
        if ok and self.request_version == "HTTP/0.9":  # a bare "GET /": Python would answer without a status line
            self.send_error(400, "Bad request syntax")
            return False
        return ok

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Cloudflare's envelope for the errors Python's server raises itself (bad request lines, long headers)."""
        self.request_version = "HTTP/1.1"  # always a status line, even for what looked like HTTP/0.9
        self.close_connection = True
        answer = error(code, 10000 + code, message or "Bad request")
        with contextlib.suppress(OSError):
            self.send_response(code)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer.body)

    def _read_body(self) -> None:
        """Read a request body, so it is never taken for the next request; one too large closes the connection."""
        length = (self.headers.get("Content-Length") or "0").strip()
        if self.headers.get("Transfer-Encoding") or not length.isdigit() or int(length) > MAX_REQUEST_BODY:
            self.close_connection = True  # not read, so the connection ends with this answer
        elif int(length):
            self.rfile.read(int(length))

    def _handle(self) -> None:
        emulator: Any = self.server.emulator  # type: ignore[attr-defined]
        self._read_body()
        path, _, query = self.path.partition("?")
        entry = LoggedRequest(time.time(), self.command, path, self.headers.get("User-Agent"), query=query)
        emulator._record(entry)
        if self.command != "GET":
            answer = error(405, 7001, "Method not allowed", headers=(("Allow", "GET"),))
        else:
            answer = emulator._answer(entry, self.headers)
        entry.status = None if answer.drop or answer.cut is not None else answer.status
        entry.finished = time.time()
        if answer.drop:
            self._drop()
            return
        try:
            self.send_response(answer.status)
            if answer.ray:
                self.send_header("CF-Ray", f"{secrets.token_hex(8)}-EMU")
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if answer.cut is not None:
                self.wfile.write(answer.body[: answer.cut])
                self.wfile.flush()
                self._drop()
            elif answer.trickle is not None:
                self._trickle(emulator, answer.body, answer.trickle)
            else:
                self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            # The client gave up (a timeout test); nothing left to tell it.
            self.close_connection = True

    def _trickle(self, emulator: Any, body: bytes, every: float) -> None:
        for i in range(len(body)):
            if emulator._stopping.wait(every):
                self._drop()
                return
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet by default: tests and the demo read the structured log instead.
        return
