"""Resolve credentials, account, base URL, timeout and retries from an ordered list of sources.

Order (first wins): explicit arguments, Pulumi config ``cfbilling:*``, Pulumi config ``cloudflare:*``, the
environment. For credentials the first source holding a *complete* credential wins, and within one source an
API token wins over a global API key and email. Every value is validated here, before any request is made, and
every error names the setting the way the user wrote it (``CLOUDFLARE_BASE_URL``, ``--account-id``, ...).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .secrets import Secret

__all__ = [
    "CFBILLING_KEYS",
    "CHECK_TOKEN",
    "CLOUDFLARE_KEYS",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ENVIRONMENT_VARIABLES",
    "GET_TOKEN",
    "NO_CREDENTIALS",
    "PACKAGE",
    "Credentials",
    "Settings",
    "Source",
    "choose_account",
    "pulumi_sources",
    "resolve_settings",
    "validate_account_id",
    "validate_base_url",
]

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
MAX_TIMEOUT = 600.0
MAX_RETRIES_LIMIT = 10

SETTINGS = ("api_token", "api_key", "email", "account_id", "base_url", "timeout", "max_retries")

ENVIRONMENT_VARIABLES: Mapping[str, str] = {
    "api_token": "CLOUDFLARE_API_TOKEN",
    "api_key": "CLOUDFLARE_API_KEY",
    "email": "CLOUDFLARE_EMAIL",
    "account_id": "CLOUDFLARE_ACCOUNT_ID",
    "base_url": "CLOUDFLARE_BASE_URL",
    "timeout": "CFBILLING_TIMEOUT",
    "max_retries": "CFBILLING_MAX_RETRIES",
}

_ACCOUNT_ID = re.compile(r"[0-9a-f]{32}")
# Printable ASCII without spaces: anything else in a header value is a paste error or a header injection.
_CREDENTIAL = re.compile(r"[\x21-\x7e]+")

Value = str | float | int | None


@dataclass(frozen=True)
class Source:
    """One place settings can come from, with the names its user knows them by (for error messages)."""

    name: str
    values: Mapping[str, Value]
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, key: str) -> str:
        """How the user spells ``key`` in this source, e.g. ``CLOUDFLARE_API_TOKEN``."""
        return self.labels.get(key, f"{key} ({self.name})")

    def get(self, key: str) -> Value:
        """The value of ``key``, treating an empty string as unset (as shells and CI secrets produce)."""
        value = self.values.get(key)
        return None if value == "" else value

    @classmethod
    def arguments(cls, values: Mapping[str, Value], labels: Mapping[str, str] | None = None) -> Source:
        """Explicit values passed by the caller: Python keywords, or CLI flags when ``labels`` names them."""
        unknown = set(values) - set(SETTINGS)
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        return cls("arguments", values, labels or {key: f"{key} argument" for key in values})

    @classmethod
    def environment(cls, environ: Mapping[str, str] | None = None) -> Source:
        """The process environment, under the names Cloudflare's own tools use."""
        env = os.environ if environ is None else environ
        values = {key: env.get(var) for key, var in ENVIRONMENT_VARIABLES.items()}
        return cls("environment", values, dict(ENVIRONMENT_VARIABLES))


@dataclass(frozen=True, repr=False)
class Credentials:
    """An API token, or a global API key with its account email. Shows neither."""

    kind: Literal["token", "key"]
    secret: Secret
    email: str | None = None

    def headers(self) -> dict[str, str]:
        """The request headers that carry this credential."""
        if self.kind == "token":
            return {"Authorization": f"Bearer {self.secret.reveal()}"}
        return {"X-Auth-Email": self.email or "", "X-Auth-Key": self.secret.reveal()}

    def __repr__(self) -> str:
        return f"Credentials(kind={self.kind!r})"


@dataclass(frozen=True)
class Settings:
    """Everything a client needs, validated, with the source each setting came from in ``origins``."""

    credentials: Credentials | None
    account_id: str | None
    base_url: str
    timeout: float
    max_retries: int
    origins: Mapping[str, str] = field(default_factory=dict)


def resolve_settings(*sources: Source, require_credentials: bool = True) -> Settings:
    """Resolve every setting from ``sources``, highest priority first.

    Raises :class:`ConfigurationError` for a missing credential (when ``require_credentials``) or any
    invalid value, naming the setting as the user wrote it and how to fix it.
    """
    origins: dict[str, str] = {}
    credentials = _resolve_credentials(sources, origins)
    if credentials is None and require_credentials:
        raise ConfigurationError(NO_CREDENTIALS)

    account_id = base_url = timeout = max_retries = None
    if found := _first(sources, "account_id", origins):
        account_id = validate_account_id(found[0], found[1])
    if found := _first(sources, "base_url", origins):
        base_url = validate_base_url(found[0], found[1])
    if found := _first(sources, "timeout", origins):
        timeout = _validate_timeout(found[0], found[1])
    if found := _first(sources, "max_retries", origins):
        max_retries = _validate_retries(found[0], found[1])
    return Settings(
        credentials=credentials,
        account_id=account_id,
        base_url=base_url or DEFAULT_BASE_URL,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        origins=origins,
    )


NO_CREDENTIALS = (
    "no Cloudflare credentials found: set CLOUDFLARE_API_TOKEN (a token with 'AI Gateway Read'), "
    "or CLOUDFLARE_API_KEY together with CLOUDFLARE_EMAIL; in a Pulumi program run "
    "`pulumi config set --secret cfbilling:apiToken <token>`"
)


def choose_account(settings: Settings, account_id: str | None, label: str, how_to_set: str) -> str:
    """``account_id`` validated (named ``label`` in errors), else the configured account.

    Without either, a ``ConfigurationError`` says ``how_to_set`` a default: each surface names its own way.
    """
    if account_id is not None:
        return validate_account_id(account_id, label)
    if settings.account_id is None:
        raise ConfigurationError(f"no account id: pass {label}, or {how_to_set}")
    return settings.account_id


def _first(sources: tuple[Source, ...], key: str, origins: dict[str, str]) -> tuple[Value, str] | None:
    for source in sources:
        value = source.get(key)
        if value is not None:
            origins[key] = source.label(key)
            return value, source.label(key)
    return None


def _resolve_credentials(sources: tuple[Source, ...], origins: dict[str, str]) -> Credentials | None:
    for source in sources:
        token, key, email = source.get("api_token"), source.get("api_key"), source.get("email")
        if token is not None:
            origins["api_token"] = source.label("api_token")
            return Credentials("token", Secret(_validate_credential(token, source.label("api_token"))))
        if key is None and email is None:
            continue
        if key is None or email is None:
            have, missing = ("api_key", "email") if email is None else ("email", "api_key")
            raise ConfigurationError(
                f"{source.label(have)} is set but {source.label(missing)} is not: a global API key needs its "
                f"account email; set {source.label(missing)}, or use an API token "
                f"({source.label('api_token')}) instead"
            )
        origins["api_key"], origins["email"] = source.label("api_key"), source.label("email")
        secret = Secret(_validate_credential(key, source.label("api_key")))
        address = _validate_credential(email, source.label("email"))
        if "@" not in address:
            raise ConfigurationError(f"{source.label('email')} is not an email address; set the account's email")
        return Credentials("key", secret, address)
    return None


def _validate_credential(value: Value, label: str) -> str:
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


def _validate_timeout(value: Value, label: str) -> float:
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


def _validate_retries(value: Value, label: str) -> int:
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


# -- Pulumi config as sources: cfbilling:* first, then pulumi-cloudflare's own keys ---------------------------

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
