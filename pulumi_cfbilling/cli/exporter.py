"""``cfbilling exporter``: serve the accounts' metrics on ``/metrics`` for a Prometheus scrape.

The accounts are read in the background, once at start and then every ``--max-age`` (5 minutes unless given);
a scrape answers from the latest read and never causes one, so any number of scrapes a second costs Cloudflare
nothing more. Each refresh is a new run of the service (its own reads, its own deadline) under the process's one
request budget. A failed read shows as ``cfbilling_up 0`` for its account; the others stay.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

from ..core.errors import CfBillingError, ConfigurationError
from ..service.accounts import AccountRef
from ..service.metrics import render
from ..service.reader import Ask, Service
from . import _common as common
from ._report import error_lines

__all__ = ["DEFAULT_INTERVAL", "DEFAULT_PORT", "exporter"]

DEFAULT_INTERVAL = 300.0
"""Seconds between reads when ``--max-age`` is not given: 2 requests per account every 5 minutes."""
DEFAULT_PORT = 9841
_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Latest:
    """The latest rendering, swapped whole: a scrape reads it, the refresher replaces it."""

    def __init__(self, text: bytes) -> None:
        self.text = text


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _read(args: argparse.Namespace, refs: list[AccountRef], workers: int) -> bytes:
    # A new service per refresh: its cache holds one run's reads, so the next refresh reads afresh.
    with Service(common.settings(args)) as service:
        results = service.read_all(refs, Ask(runway=True), concurrency=workers)
    for line in error_lines(results):
        print(line, file=sys.stderr, flush=True)
    return render(results)


def exporter(args: argparse.Namespace) -> int:
    """Read once, serve ``/metrics``, refresh every interval, until interrupted (SIGTERM or Ctrl-C)."""
    if not 0 <= args.port <= 65535:
        raise ConfigurationError(f"--port {args.port} is not a TCP port: give 1 to 65535, or 0 to pick a free one")
    settings = common.settings(args)
    interval = settings.max_age or DEFAULT_INTERVAL
    if interval < 60:
        raise ConfigurationError(
            f"{settings.label('max_age')} must be at least 1m for the exporter: each read costs two requests per "
            "account against Cloudflare's 1,200 per 5 minutes"
        )
    refs = common.accounts(args, settings)
    workers = common.concurrency(args)
    latest = _Latest(_read(args, refs, workers))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the http.server protocol's name
            if self.path.split("?", 1)[0] != "/metrics":
                self.send_error(404, "only /metrics is served")
                return
            body = latest.text
            self.send_response(200)
            self.send_header("Content-Type", _CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *values: object) -> None:  # the base class's names
            pass  # a scrape a second would flood the log

    try:
        server = ThreadingHTTPServer((args.host, args.port), Handler)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot serve on {args.host}:{args.port} ({exc.strerror or type(exc).__name__}); pick another --port"
        ) from None
    server.daemon_threads = True
    stopping = threading.Event()

    def refresh() -> None:
        while not stopping.wait(interval):
            try:
                latest.text = _read(args, refs, workers)
            except CfBillingError as exc:  # the last good metrics stay served; the next refresh tries again
                print(f"cfbilling: error: {exc}", file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, _stop)
    refresher = threading.Thread(target=refresh, name="cfbilling-refresh", daemon=True)
    try:
        host, port = str(server.server_address[0]), server.server_address[1]
        print(f"cfbilling exporter serving http://{host}:{port}/metrics: {len(refs)} account(s), read every "
              f"{interval:g} s (--max-age); Ctrl+C to stop", flush=True)  # fmt: skip
        refresher.start()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        stopping.set()
        server.server_close()
    return common.EXIT_OK
