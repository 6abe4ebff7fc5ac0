"""The ``requests`` session a client sends with: credentials on each request, connections an attempt can abort.

With :mod:`pulumi_cfbilling.client`, the only module that imports ``requests``. The credential travels in an auth
object, so ``~/.netrc`` can never replace it; proxies and CA bundles from the environment keep working.
"""

from __future__ import annotations

from typing import Any

import requests
import requests.adapters
import requests.auth

from . import _transport
from ._version import __version__
from .config import Settings
from .secrets import Credentials

__all__ = ["POOL_SIZE", "USER_AGENT", "new_session"]

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
        self.poolmanager.pool_classes_by_scheme = _transport.POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _transport.POOL_CLASSES
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
