"""Validation of each setting's value, before any request is made: one-line errors that name the fix.

Every message names the setting the way its user wrote it (``label``: ``CLOUDFLARE_BASE_URL``, ``--timeout``,
``cfbilling:accountId``), and never echoes a credential.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

from .errors import ConfigurationError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "MAX_RETRIES_LIMIT",
    "MAX_TIMEOUT",
    "Value",
    "validate_account_id",
    "validate_base_url",
    "validate_credential",
    "validate_retries",
    "validate_timeout",
    "validate_window",
]

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
MAX_TIMEOUT = 600.0
MAX_RETRIES_LIMIT = 10

Value = str | float | int | None

_ACCOUNT_ID = re.compile(r"[0-9a-f]{32}")
# Printable ASCII without spaces: anything else in a header value is a paste error or a header injection.
_CREDENTIAL = re.compile(r"[\x21-\x7e]+")


def validate_credential(value: Value, label: str) -> str:
    """The credential if it can travel in a header; it is never echoed, as the message may reach a CI log."""
    # Never echo the value: the message may end up in a CI log.
    if not isinstance(value, str):
        raise ConfigurationError(f"{label} must be a string; check how it is set")
    if value.lower().startswith("bearer "):
        raise ConfigurationError(f"{label} starts with a 'Bearer ' prefix: set the token alone, without it")
    if _CREDENTIAL.fullmatch(value) is None:
        bad = next(i for i, c in enumerate(value) if not ("\x21" <= c <= "\x7e"))
        raise ConfigurationError(
            f"{label} contains a space, line break, control or non-ASCII character at position {bad}; "
            "copy the credential again without surrounding whitespace"
        )
    return value


def validate_account_id(value: Value, label: str = "account id") -> str:
    """Return ``value`` if it is a Cloudflare account id (32 lowercase hex characters), else raise."""
    if isinstance(value, str) and _ACCOUNT_ID.fullmatch(value):
        return value
    shown = repr(value) if not isinstance(value, str) or len(value) <= 40 else repr(value[:40] + "...")
    raise ConfigurationError(
        f"{label} {shown} is not a Cloudflare account id: expected 32 lowercase hex characters, as shown in "
        "the dashboard URL (dash.cloudflare.com/<account id>)"
    )


def validate_base_url(value: Value, label: str = "base URL") -> str:
    """Return the base URL without a trailing slash if it is https (or http on a loopback host), else raise."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{label} must be a URL string such as {DEFAULT_BASE_URL}")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - parsing the port is what validates it
    except ValueError:
        raise ConfigurationError(f"{label} is not a valid URL; use {DEFAULT_BASE_URL}") from None
    if parts.username is not None or parts.password is not None:
        # Do not echo it: the userinfo part is a credential.
        raise ConfigurationError(f"{label} must not contain a user name or password; pass credentials separately")
    shown = value if len(value) <= 80 else value[:80] + "..."
    if not host or parts.query or parts.fragment or any(c.isspace() or ord(c) < 32 for c in value):
        raise ConfigurationError(
            f"{label} {shown!r} is not a usable base URL: expected a URL such as {DEFAULT_BASE_URL}"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            f"{label} {shown!r} uses plain http: credentials would travel unencrypted; use https "
            "(http is allowed only for loopback hosts such as 127.0.0.1, e.g. the local emulator)"
        )
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(f"{label} {shown!r} must start with https://, e.g. {DEFAULT_BASE_URL}")
    return value.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only http URLs get here, so the common https case does not pay for the import

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_timeout(value: Value, label: str) -> float:
    """Seconds per attempt: more than 0, at most ``MAX_TIMEOUT``."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not (0 < seconds <= MAX_TIMEOUT):
        raise ConfigurationError(
            f"{label} {value!r} is not a valid timeout: give seconds per attempt, more than 0 and at most "
            f"{MAX_TIMEOUT:g} (default {DEFAULT_TIMEOUT:g})"
        )
    return seconds


def validate_retries(value: Value, label: str) -> int:
    """Retries after the first try: a whole number from 0 to ``MAX_RETRIES_LIMIT``."""
    retries: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        retries = value
    elif (isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}", value.strip())) or (
        isinstance(value, float) and value.is_integer()
    ):
        retries = int(value)
    if retries is None or not 0 <= retries <= MAX_RETRIES_LIMIT:
        raise ConfigurationError(
            f"{label} {value!r} is not a valid retry count: give a whole number from 0 to {MAX_RETRIES_LIMIT} "
            f"(retries after the first try; default {DEFAULT_MAX_RETRIES})"
        )
    return retries


def validate_window(value: Value) -> str:
    """Return ``value`` if it is a usage bucket size the API knows (``day`` or ``hour``), else raise."""
    if value not in ("day", "hour"):
        raise ConfigurationError(f"usage window {value!r} is not valid: use 'day' or 'hour'")
    return str(value)
