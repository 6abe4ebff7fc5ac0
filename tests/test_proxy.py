"""Proxies from the environment keep working (the auth object replaces only ~/.netrc, never trust_env)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from helpers import HEALTHY

from pulumi_cfbilling import BillingClient
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator


class _Forward(BaseHTTPRequestHandler):
    """A tiny forward proxy for absolute-URI GETs; remembers what it forwarded."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        target = urlsplit(self.path)
        type(self).seen.append(self.path)
        upstream = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=5)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        upstream.request("GET", target.path, headers=headers)
        response = upstream.getresponse()
        body = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        upstream.close()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def proxy() -> Iterator[str]:
    _Forward.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forward)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_proxy_from_the_environment_is_used(
    emulator: Emulator, proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = BillingClient(api_token=DEMO_TOKEN, base_url=emulator.base_url, timeout=5)
    assert client.get_credit_balance(HEALTHY).balance == 4250.5
    assert _Forward.seen == [f"{emulator.base_url}/accounts/{HEALTHY}/ai-gateway/billing/credit-balance"]
    assert emulator.log[0].auth == "token"  # the credential went through the proxy to the API


def test_no_proxy_bypasses_it(emulator: Emulator, proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = BillingClient(api_token=DEMO_TOKEN, base_url=emulator.base_url, timeout=5)
    assert client.get_credit_balance(HEALTHY).balance == 4250.5
    assert _Forward.seen == []
