"""A hostile HTTP server on loopback, on raw sockets, so nothing of our own HTTP stack hides a fault.

Each connection runs a *script*: a function that gets the accepted socket (after the request head was read)
and writes whatever it wants, as slowly as it wants. The server counts connections and bytes sent, and notes
when each connection arrived, so tests can prove what the client did (retries, no draining, nothing started
after Ctrl-C).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Connection",
    "HostileServer",
    "endless_chunks",
    "envelope",
    "head",
    "healthy_result",
    "json_answer",
    "serving",
]

Script = Callable[["Connection"], None]


@dataclass
class Connection:
    """One accepted connection: write through it so the server can count and stop."""

    sock: socket.socket
    server: HostileServer
    request: bytes = b""

    def send(self, data: bytes) -> None:
        """Write all of ``data``, counted."""
        self.sock.sendall(data)
        with self.server.lock:
            self.server.bytes_sent += len(data)

    def trickle(self, data: bytes, every: float) -> None:
        """One byte every ``every`` seconds, until the data ends or the client goes away."""
        for i in range(len(data)):
            if self.server.stopping.wait(every):
                return
            self.send(data[i : i + 1])

    def hold(self, seconds: float) -> None:
        """Keep the connection open, silent, for ``seconds`` (or until the server stops)."""
        self.server.stopping.wait(seconds)


@dataclass
class HostileServer:
    """``with HostileServer(script) as server:`` then point a client at ``server.base_url``."""

    script: Script
    connections: int = 0
    bytes_sent: int = 0
    arrivals: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        """The base URL to give a client."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/client/v4"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self.lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.arrivals.append(time.monotonic())
                self._open.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        connection = Connection(sock, self)
        try:
            sock.settimeout(10)
            while b"\r\n\r\n" not in connection.request:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                connection.request += chunk
            sock.settimeout(None)
            self.script(connection)
        except OSError:
            pass  # the client went away: that is often the point
        finally:
            with contextlib.suppress(OSError):
                sock.close()


def head(status: int, *headers: str, reason: str = "X") -> bytes:
    """A status line and headers, ended by the blank line."""
    lines = [f"HTTP/1.1 {status} {reason}", *headers, "", ""]
    return "\r\n".join(lines).encode()


def json_answer(status: int, document: Any, *headers: str) -> bytes:
    """A JSON response with its Content-Length."""
    body = json.dumps(document).encode()
    return head(status, "Content-Type: application/json", f"Content-Length: {len(body)}", *headers) + body


def healthy_result(**changes: Any) -> dict[str, Any]:
    """A result in Cloudflare's schema, with ``changes`` applied."""
    result: dict[str, Any] = {
        "balance": 4250.5,
        "has_default_payment_method": True,
        "payment_method": {"brand": "visa", "last4": "4242"},
        "topup_config": {
            "amount": 2000,
            "threshold": 1000,
            "disabledReason": None,
            "error": None,
            "lastFailedAt": None,
        },
        "first_topup_success": True,
    }
    result.update(changes)
    return result


def envelope(result: Any) -> dict[str, Any]:
    """Cloudflare's success envelope around ``result``."""
    return {"success": True, "errors": [], "messages": [], "result": result}


def endless_chunks(connection: Connection, status: int, *headers: str) -> None:
    """A chunked body that never ends, written as fast as the client reads it."""
    connection.send(head(status, "Content-Type: text/html", "Transfer-Encoding: chunked", *headers))
    chunk = b"x" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    while not connection.server.stopping.is_set():
        connection.send(framed)


@contextlib.contextmanager
def serving(script: Script) -> Iterator[HostileServer]:
    """A hostile server running ``script`` for the duration of a ``with`` block."""
    with HostileServer(script) as server:
        yield server
