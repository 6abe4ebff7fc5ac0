"""Settings: where each surface takes them from (one table), how they resolve, and which account a call reads.

:data:`SURFACES` is the one definition of source order: for each surface (the client, the CLI, Terraform's
external data source and its provider, a Pulumi program, the dynamic resource, the plugin, the policy pack), its
sources, first wins, the names its users give the settings, and how they set a default account.
:func:`settings_for` builds the sources from that table and resolves them; :func:`choose_account` is the one
place that picks the account and words its absence. For credentials the first source holding a *complete*
credential wins, and within one source an API token wins over a global API key and email. Every value is
validated before any request is made (:mod:`._validate`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._validate import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Value,
    validate_account_id,
    validate_base_url,
    validate_credential,
    validate_retries,
    validate_timeout,
)
from .errors import ConfigurationError
from .secrets import Credentials, Secret

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
    "SURFACES",
    "TERRAFORM_SOURCE",
    "USAGE_TOKEN",
    "Credentials",
    "Settings",
    "Source",
    "Surface",
    "choose_account",
    "resolve_settings",
    "settings_for",
    "validate_account_id",
    "validate_base_url",
]

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
        timeout = validate_timeout(found[0], found[1])
    if found := _first(sources, "max_retries", origins):
        max_retries = validate_retries(found[0], found[1])
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
            return Credentials("token", Secret(validate_credential(token, source.label("api_token"))))
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
        secret = Secret(validate_credential(key, source.label("api_key")))
        address = validate_credential(email, source.label("email"))
        if "@" not in address:
            raise ConfigurationError(f"{source.label('email')} is not an email address; set the account's email")
        return Credentials("key", secret, address)
    return None


# -- The surfaces: where each takes its settings from, first wins ---------------------------------------------

PACKAGE = "cfbilling"
TERRAFORM_SOURCE = "registry.terraform.io/pulumi-cfbilling/cfbilling"
"""The Terraform provider's source address (``source = "pulumi-cfbilling/cfbilling"`` in a configuration)."""
"""The Pulumi package name: the config namespace and the first part of every token."""
GET_TOKEN = f"{PACKAGE}:index:getCreditBalance"
CHECK_TOKEN = f"{PACKAGE}:index:checkCreditBalance"
USAGE_TOKEN = f"{PACKAGE}:index:getUsageHistory"

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

SourceKind = Literal["given", "cfbilling config", "cloudflare config", "environment"]


@dataclass(frozen=True)
class Surface:
    """One way in (the CLI, a Pulumi program, the plugin, ...): its sources in order and its users' names."""

    name: str
    order: tuple[SourceKind, ...]
    """Sources, first wins: ``given`` is what the surface itself was handed (flags, arguments, a query)."""
    labels: Mapping[str, str]
    """How this surface's users spell the settings it is given, for error messages."""
    account: str
    """How a call names the account it reads (``--account-id``, ``accountId``)."""
    default_account: str
    """How a user of this surface sets a default account: the second half of the one no-account message."""


_PROGRAM_ORDER: tuple[SourceKind, ...] = ("cfbilling config", "cloudflare config", "environment")
_IN_PULUMI = "run `pulumi config set cfbilling:accountId <id>`, or set CLOUDFLARE_ACCOUNT_ID"

SURFACES: Mapping[str, Surface] = {
    s.name: s
    for s in (
        Surface("client", ("given", "environment"), {k: f"{k} argument" for k in SETTINGS}, "account_id",
                "set CLOUDFLARE_ACCOUNT_ID (in Pulumi, cfbilling:accountId)"),
        Surface("cli", ("given", "environment"), {"base_url": "--base-url", "timeout": "--timeout"},
                "--account-id", "use --accounts-file FILE, or set CLOUDFLARE_ACCOUNT_ID"),
        Surface("terraform", ("given", "environment"), {k: f"query key {k}" for k in SETTINGS}, "account_id in "
                "the query", "set CLOUDFLARE_ACCOUNT_ID where terraform runs"),
        Surface("program", _PROGRAM_ORDER, {}, "account_id", _IN_PULUMI),
        Surface("resource", _PROGRAM_ORDER, {}, "account_id", _IN_PULUMI),
        Surface("plugin", ("given", "environment"), {k: f"{PACKAGE}:{v}" for k, v in CFBILLING_KEYS.items()},
                "accountId", "set the provider's accountId (cfbilling:accountId), or CLOUDFLARE_ACCOUNT_ID"),
        Surface("policy", ("given", "environment"), {"timeout": "timeoutSeconds"}, "accountIds in the policy "
                "config", "list the accounts to check in accountIds"),
        Surface("terraform-provider", ("given", "environment"), {k: f"provider attribute {k}" for k in SETTINGS},
                "account_id", "set account_id in the provider block, or CLOUDFLARE_ACCOUNT_ID where terraform runs"),
    )
}
"""Every surface and its source order: the one place to change where a surface looks for its settings."""


def settings_for(
    surface: str,
    given: Mapping[str, Value] | None = None,
    *,
    config: Callable[[str], Any] | None = None,
    environ: Mapping[str, str] | None = None,
    require_credentials: bool = True,
) -> Settings:
    """Resolve the settings of ``surface`` from its sources, in the order :data:`SURFACES` gives.

    :param given: what the surface was handed itself (flags, keyword arguments, a query), by setting name.
    :param config: reads a full Pulumi config key (``cfbilling:apiToken``), for the Pulumi surfaces.
    :param environ: the environment (default ``os.environ``).
    """
    entry = SURFACES[surface]
    values = {k: v for k, v in (given or {}).items() if v is not None}
    if set(values) - set(SETTINGS):
        raise TypeError(f"unknown settings for {surface}: {sorted(set(values) - set(SETTINGS))}")
    sources = []
    for kind in entry.order:
        if kind == "given":
            sources.append(Source(entry.name, values, entry.labels))
        elif kind == "environment":
            sources.append(Source.environment(environ))
        else:
            namespace = kind.split()[0]
            sources.append(_pulumi_source(namespace, config or (lambda key: None)))
    return resolve_settings(*sources, require_credentials=require_credentials)


def choose_account(settings: Settings, account_id: Value, surface: str) -> str:
    """``account_id`` validated, else the surface's configured account; the one message when there is neither."""
    entry = SURFACES[surface]
    if account_id is not None:
        return validate_account_id(account_id, entry.account)
    if settings.account_id is None:
        raise ConfigurationError(
            f"no account id: pass {entry.account}, or {entry.default_account} (the 32 hex characters in "
            "dash.cloudflare.com/<account id>)"
        )
    return settings.account_id


def _pulumi_source(namespace: str, read: Callable[[str], Any]) -> Source:
    keys = CFBILLING_KEYS if namespace == PACKAGE else CLOUDFLARE_KEYS
    labels = {setting: f"Pulumi config {namespace}:{key}" for setting, key in keys.items()}
    values = {setting: read(f"{namespace}:{key}") for setting, key in keys.items()}
    return Source(f"Pulumi config {namespace}", values, labels)
