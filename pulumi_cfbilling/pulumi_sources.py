"""Pulumi configuration as settings sources: ``cfbilling:*`` first, then pulumi-cloudflare's own keys.

Pure on purpose: each surface passes its own way to read a full config key (the program's runtime config, a
dynamic provider's ``ConfigureRequest``, the plugin's Configure variables), so the precedence is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .config import Source

__all__ = ["CFBILLING_KEYS", "CHECK_TOKEN", "CLOUDFLARE_KEYS", "GET_TOKEN", "PACKAGE", "pulumi_sources"]

PACKAGE = "cfbilling"
"""The Pulumi package name: the config namespace and the first part of every token."""
GET_TOKEN = f"{PACKAGE}:index:getCreditBalance"
CHECK_TOKEN = f"{PACKAGE}:index:checkCreditBalance"

CFBILLING_KEYS: Mapping[str, str] = {
    "api_token": "apiToken",
    "api_key": "apiKey",
    "email": "email",
    "account_id": "accountId",
    "base_url": "baseUrl",
    "timeout": "timeout",
    "max_retries": "maxRetries",
}
# pulumi-cloudflare's provider keys: its users configure nothing new.
CLOUDFLARE_KEYS: Mapping[str, str] = {"api_token": "apiToken", "api_key": "apiKey", "email": "email"}


def pulumi_sources(read: Callable[[str], Any]) -> tuple[Source, Source]:
    """The ``cfbilling`` and ``cloudflare`` config namespaces as sources; ``read`` takes a full key."""

    def source(namespace: str, keys: Mapping[str, str]) -> Source:
        labels = {setting: f"Pulumi config {namespace}:{key}" for setting, key in keys.items()}
        values = {setting: read(f"{namespace}:{key}") for setting, key in keys.items()}
        return Source(f"Pulumi config {namespace}", values, labels)

    return source("cfbilling", CFBILLING_KEYS), source("cloudflare", CLOUDFLARE_KEYS)
