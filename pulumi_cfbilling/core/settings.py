"""Settings: one table of what can be set, one table of where each surface takes it from, one resolution.

:data:`SETTINGS` is the one definition of a setting: its Python keyword (also the Terraform attribute and the
``external`` query key), environment variable, CLI flag, Pulumi config key, parser, default, whether it is secret
or part of a credential, and whether it changes how requests are sent (then it is part of the key a client and
its cached answers are shared by). Every surface derives its names from it: adding a setting is one row here
(``tests/test_made_up_setting.py`` proves every surface and the cache key follow).

:data:`SURFACES` says, for each surface (the client, the CLI, Terraform's external data source and its provider,
a Pulumi program, the dynamic resource, the plugin, the policy pack), its sources in order (first wins), how its
users spell settings and guardrails, and how they set a default account and credentials. :func:`settings_for`
resolves a surface's settings; :func:`choose_account` picks the account and words its absence;
:func:`no_credentials` words a missing credential. For credentials the first source holding a *complete*
credential wins, and within one source an API token wins over a global API key and email. Every value is read by
its parser (:mod:`.values`) before any request is made.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Literal

from .errors import ConfigurationError
from .records import EMPTY, Record
from .secrets import Credentials, Secret
from .values import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RATE_LIMIT,
    DEFAULT_TIMEOUT,
    Limit,
    Value,
    read_account_id,
    read_age,
    read_base_url,
    read_credential,
    read_folder,
    read_rate_limit,
    read_retries,
    read_seconds,
    read_timeout,
)

__all__ = [
    "CACHED_AGE_DESCRIPTION",
    "CACHED_AGE_KEY",
    "CHECK_TOKEN",
    "GATEWAYS_TOKEN",
    "GET_TOKEN",
    "GUARD_TOKEN",
    "INVOICE_TOKEN",
    "PACKAGE",
    "SETTINGS",
    "SURFACES",
    "TERRAFORM_SOURCE",
    "USAGE_TOKEN",
    "Credentials",
    "Setting",
    "Settings",
    "Source",
    "Surface",
    "camel",
    "choose_account",
    "flag",
    "no_credentials",
    "resolve_settings",
    "setting",
    "settings_for",
    "snake",
]

PACKAGE = "cfbilling"
"""The Pulumi package name: the config namespace and the first part of every token."""
TERRAFORM_SOURCE = "registry.terraform.io/pulumi-cfbilling/cfbilling"
"""The Terraform provider's source address (``source = "pulumi-cfbilling/cfbilling"`` in a configuration)."""
GET_TOKEN = f"{PACKAGE}:index:getCreditBalance"
CHECK_TOKEN = f"{PACKAGE}:index:checkCreditBalance"
USAGE_TOKEN = f"{PACKAGE}:index:getUsageHistory"
GATEWAYS_TOKEN = f"{PACKAGE}:index:getGateways"
INVOICE_TOKEN = f"{PACKAGE}:index:getInvoicePreview"
GUARD_TOKEN = f"{PACKAGE}:index:guard"

CACHED_AGE_KEY = "cachedAgeSeconds"
"""The output of every function and report entry that says how old its answer is (see ``max_age``)."""
CACHED_AGE_DESCRIPTION = (
    "Seconds the oldest answer behind this result had spent in the shared answer cache (maxAge above 0); null when "
    "everything was read live now."
)


def camel(python_name: str) -> str:
    """A Python name as Pulumi, policy config and JSON spell it: ``min_balance_usd`` -> ``minBalanceUsd``."""
    head, *rest = python_name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def snake(camel_name: str) -> str:
    """A camelCase key as Python and Terraform spell it: ``topupLastFailedAt`` -> ``topup_last_failed_at``."""
    return "".join("_" + c.lower() if c.isupper() else c for c in camel_name)


def flag(python_name: str) -> str:
    """A Python name as the CLI spells it: ``min_balance_usd`` -> ``--min-balance-usd``."""
    return "--" + python_name.replace("_", "-")


def _read_email(value: Any, label: str) -> str:
    address = read_credential(value, label)
    if "@" not in address:
        raise ConfigurationError(f"{label} is not an email address; set the account's email")
    return address


class Setting(Record):
    """One setting, under every name a surface gives it, with its parser and what it affects."""

    name: str
    """The Python keyword, the Terraform attribute and the ``external`` query key: ``base_url``."""
    env: str
    """The environment variable: ``CLOUDFLARE_BASE_URL`` (Cloudflare's own names where they have one)."""
    read: Callable[[Any, str], Any]
    """The parser (:mod:`.values`): what users write to what the code uses, or a one-line error naming ``label``."""
    description: str
    type: Literal["string", "number", "integer"] = "string"
    """The schema type (Pulumi config, Terraform attribute)."""
    default: Any = None
    secret: bool = False
    """Never shown: a Pulumi secret, a sensitive Terraform attribute."""
    credential: bool = False
    """Part of a credential: never a CLI flag or an ``external`` query key, never given to the snapshot's reader."""
    transport: bool = False
    """Changes how requests are sent: part of the key clients and their cached answers are shared by."""
    cli: bool = True
    """Taken as a CLI flag (``--base-url``); the account is chosen by ``--account-id``, credentials never are."""
    cloudflare: str | None = None
    """pulumi-cloudflare's config key for the same value, read in Python programs (``cloudflare:apiToken``)."""

    @property
    def camel(self) -> str:
        """The Pulumi config and plugin key: ``baseUrl``."""
        return camel(self.name)

    @property
    def flag(self) -> str:
        """The CLI flag: ``--base-url``."""
        return flag(self.name)


SETTINGS: list[Setting] = [
    Setting("api_token", "CLOUDFLARE_API_TOKEN", read_credential,
            "Cloudflare API token with 'AI Gateway Read' (preferred credential).",
            secret=True, credential=True, transport=True, cli=False, cloudflare="apiToken"),
    Setting("api_key", "CLOUDFLARE_API_KEY", read_credential, "Cloudflare global API key (legacy); needs email.",
            secret=True, credential=True, transport=True, cli=False, cloudflare="apiKey"),
    Setting("email", "CLOUDFLARE_EMAIL", _read_email, "Email of the account owning the global API key.",
            credential=True, transport=True, cli=False, cloudflare="email"),
    Setting("account_id", "CLOUDFLARE_ACCOUNT_ID", read_account_id,
            "Default Cloudflare account id: 32 lowercase hex characters.", cli=False),
    Setting("base_url", "CLOUDFLARE_BASE_URL", read_base_url,
            f"API base URL: https, or http on a loopback host. Default {DEFAULT_BASE_URL}.",
            default=DEFAULT_BASE_URL, transport=True),
    Setting("timeout", "CFBILLING_TIMEOUT", read_timeout,
            f"Timeout per attempt in seconds. Default {DEFAULT_TIMEOUT:g}.",
            type="number", default=DEFAULT_TIMEOUT, transport=True),
    Setting("max_retries", "CFBILLING_MAX_RETRIES", read_retries,
            f"Retries after the first try. Default {DEFAULT_MAX_RETRIES}.",
            type="integer", default=DEFAULT_MAX_RETRIES, transport=True),
    Setting("rate_limit", "CFBILLING_RATE_LIMIT", read_rate_limit,
            "Requests sent per window and credential, as N/WINDOW, comma-separated (1200/5m, 40/2s); waits instead "
            f"of sending what would be refused. Default {DEFAULT_RATE_LIMIT}: a share of Cloudflare's 1,200 per 5 "
            "minutes per user and 200 per second per IP.",
            default=read_rate_limit(DEFAULT_RATE_LIMIT, "default"), transport=True),
    Setting("deadline", "CFBILLING_DEADLINE", read_seconds,
            "How long a run may wait for Cloudflare's rate limit or the request budget (30m, 2h); accounts that "
            "would wait longer are reported unread, with the time to retry. Default 30m.",
            default=1800.0),
    Setting("max_age", "CFBILLING_MAX_AGE", read_age,
            "Serve a read from the shared answer cache when it is younger than this (10m, 1h); 0 reads live. "
            "Default 0.",
            default=0.0),
    Setting("cache_dir", "CFBILLING_CACHE_DIR", read_folder,
            "Folder of the shared answer cache (max age above 0). Default: cfbilling under the user's cache folder "
            "(XDG_CACHE_HOME or ~/.cache)."),
]  # fmt: skip
"""The settings, in the order surfaces list them. The one place to add one (a test extends it)."""

_CREDENTIAL_NAMES = ("api_token", "api_key", "email")


def setting(name: str) -> Setting:
    """The row of ``name``; a ``TypeError`` (a programming error) for a setting that does not exist."""
    for row in SETTINGS:
        if row.name == name:
            return row
    raise TypeError(f"unknown setting {name!r}; known: {', '.join(s.name for s in SETTINGS)}")


class Source(Record):
    """One place settings can come from, with the names its user knows them by (for error messages)."""

    name: str
    values: Mapping[str, Value]
    labels: Mapping[str, str] = EMPTY

    def label(self, key: str) -> str:
        """How the user spells ``key`` in this source, e.g. ``CLOUDFLARE_API_TOKEN``."""
        return self.labels.get(key, f"{key} ({self.name})")

    def get(self, key: str) -> Value:
        """The value of ``key``, treating an empty (or blank) string as unset, as shells and CI secrets produce."""
        value = self.values.get(key)
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def arguments(cls, values: Mapping[str, Value], labels: Mapping[str, str] | None = None) -> Source:
        """Explicit values passed by the caller: Python keywords, or CLI flags when ``labels`` names them."""
        known = {s.name for s in SETTINGS}
        if set(values) - known:
            raise TypeError(f"unknown settings: {sorted(set(values) - known)}")
        return cls("arguments", values, labels or {key: f"{key} argument" for key in values})

    @classmethod
    def environment(cls, environ: Mapping[str, str] | None = None) -> Source:
        """The process environment, under the names Cloudflare's own tools use."""
        env = os.environ if environ is None else environ
        return cls("environment", {s.name: env.get(s.env) for s in SETTINGS}, {s.name: s.env for s in SETTINGS})

    @classmethod
    def pulumi(cls, namespace: str, read: Callable[[str], Any]) -> Source:
        """Pulumi config: ``cfbilling:*`` (every setting), or pulumi-cloudflare's ``cloudflare:*`` (credentials)."""
        keys = {s.name: s.camel if namespace == PACKAGE else s.cloudflare for s in SETTINGS}
        found = {name: key for name, key in keys.items() if key is not None}
        values = {name: read(f"{namespace}:{key}") for name, key in found.items()}
        labels = {name: f"Pulumi config {namespace}:{key}" for name, key in found.items()}
        return cls(f"Pulumi config {namespace}", values, labels)


class Settings(Record):
    """Everything a client needs, read and validated, with the source each setting came from in ``origins``.

    ``values`` holds every setting of the table but the credentials (in ``credentials``, which shows none),
    defaults filled in; the attributes below read the ones the code uses by name.
    """

    credentials: Credentials | None
    values: Mapping[str, Any]
    origins: Mapping[str, str] = EMPTY
    surface: str = "client"

    @property
    def account_id(self) -> str | None:
        """The default account, or ``None``."""
        value: str | None = self.values.get("account_id")
        return value

    @property
    def base_url(self) -> str:
        """The API base URL, without a trailing slash."""
        return str(self.values["base_url"])

    @property
    def timeout(self) -> float:
        """Seconds per attempt, as a whole."""
        return float(self.values["timeout"])

    @property
    def max_retries(self) -> int:
        """Retries after the first try."""
        return int(self.values["max_retries"])

    @property
    def rate_limit(self) -> tuple[Limit, ...]:
        """The request budget's windows."""
        limits: tuple[Limit, ...] = self.values["rate_limit"]
        return limits

    @property
    def deadline(self) -> float:
        """Seconds a run may wait for the rate limit or the budget."""
        return float(self.values["deadline"])

    @property
    def max_age(self) -> float:
        """Seconds a cached answer may be old to be served; 0 reads live."""
        return float(self.values["max_age"])

    @property
    def cache_dir(self) -> str | None:
        """The shared answer cache's folder, when set."""
        value: str | None = self.values.get("cache_dir")
        return value

    def label(self, name: str) -> str:
        """Where ``name`` came from (``--base-url``), or where this surface's users would set it."""
        entry = SURFACES[self.surface]
        return self.origins.get(name) or entry.label(setting(name), entry.advise)

    def transport_key(self) -> tuple[Any, ...]:
        """What decides how requests are sent: the credential's keyed digest and every ``transport`` setting.

        Two reads share a client (and an answer) only when these are equal, so a setting added to the table with
        ``transport=True`` can never be served by a client built without it.
        """
        digest = self.credentials.digest() if self.credentials is not None else "-"
        return (digest, *(self.values.get(s.name) for s in SETTINGS if s.transport and not s.credential))


def resolve_settings(*sources: Source, require_credentials: bool = True, surface: str = "client") -> Settings:
    """Resolve every setting from ``sources``, highest priority first.

    Raises :class:`ConfigurationError` for a missing credential (when ``require_credentials``) or any
    invalid value, naming the setting as the user wrote it and how to fix it.
    """
    origins: dict[str, str] = {}
    credentials = _resolve_credentials(sources, origins)
    values: dict[str, Any] = {}
    for row in SETTINGS:
        if row.credential:
            continue
        values[row.name] = row.default
        for source in sources:
            value = source.get(row.name)
            if value is not None:
                origins[row.name] = source.label(row.name)
                values[row.name] = row.read(value, source.label(row.name))
                break
    # After the values: a bad value given beside a missing credential is the problem the user is looking at.
    if credentials is None and require_credentials:
        raise ConfigurationError(no_credentials(surface))
    return Settings(credentials=credentials, values=values, origins=origins, surface=surface)


def _resolve_credentials(sources: tuple[Source, ...], origins: dict[str, str]) -> Credentials | None:
    for source in sources:
        token, key, email = (source.get(name) for name in _CREDENTIAL_NAMES)
        if token is not None:
            origins["api_token"] = source.label("api_token")
            return Credentials("token", Secret(setting("api_token").read(token, source.label("api_token"))))
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
        secret = Secret(setting("api_key").read(key, source.label("api_key")))
        return Credentials("key", secret, setting("email").read(email, source.label("email")))
    return None


# -- The surfaces: where each takes its settings from, first wins, and how its users spell things ----------------

SourceKind = Literal["given", "cfbilling config", "cloudflare config", "environment"]
Spelling = Literal["argument", "python", "flag", "query", "pulumi", "attribute", "policy", "environment"]


class Surface(Record):
    """One way in (the CLI, a Pulumi program, the plugin, ...): its sources in order and its users' names."""

    name: str
    order: tuple[SourceKind, ...]
    """Sources, first wins: ``given`` is what the surface itself was handed (flags, arguments, a query)."""
    spelling: Spelling
    """How this surface's users spell what they give it: ``--base-url``, ``baseUrl``, ``base_url``."""
    account: str
    """How a call names the account it reads (``--account-id``, ``accountId``)."""
    default_account: str
    """How a user of this surface sets a default account: the second half of the one no-account message."""
    credentials: str
    """How a user of this surface gives credentials: the advice of every missing or rejected credential."""
    overrides: Mapping[str, str] = EMPTY
    """Labels that do not follow the spelling (the policy config's ``timeoutSeconds``)."""
    advise: Spelling = "environment"
    """How advice names a setting this surface's user has not set: where they would set it."""

    def label(self, row: Setting, spelling: Spelling | None = None) -> str:
        """How this surface's users name ``row`` (in its ``spelling``, or another one)."""
        spelling = spelling or self.spelling
        if row.name in self.overrides:
            return self.overrides[row.name]
        if spelling == "environment" or (spelling == "flag" and not row.cli):
            return row.env  # the CLI takes credentials and the default account from the environment only
        return {
            "argument": f"{row.name} argument",
            "python": f"{PACKAGE}:{row.camel}",
            "flag": row.flag,
            "query": f"query key {row.name}",
            "pulumi": f"{PACKAGE}:{row.camel}",
            "attribute": f"provider attribute {row.name}",
            "policy": row.camel,
        }[spelling]

    def name_of(self, python_name: str) -> str:
        """A guardrail or argument as this surface's users write it: ``--min-balance-usd``, ``minBalanceUsd``."""
        if self.spelling == "flag":
            return flag(python_name)
        if self.spelling in ("pulumi", "policy"):
            return camel(python_name)
        return python_name

    def label_of(self, python_name: str) -> str:
        """A guardrail or argument as a message about its value names it: ``query key min_balance_usd``."""
        return f"query key {python_name}" if self.spelling == "query" else self.name_of(python_name)


_ENV_CREDENTIALS = (
    "set CLOUDFLARE_API_TOKEN (a token with 'AI Gateway Read'), or CLOUDFLARE_API_KEY together with CLOUDFLARE_EMAIL"
)
_PROGRAM_ORDER: tuple[SourceKind, ...] = ("cfbilling config", "cloudflare config", "environment")
_IN_PULUMI = "run `pulumi config set cfbilling:accountId <id>`, or set CLOUDFLARE_ACCOUNT_ID"
_PROGRAM_CREDENTIALS = (
    "run `pulumi config set --secret cfbilling:apiToken <token>` (a token with 'AI Gateway Read'), or set "
    "CLOUDFLARE_API_TOKEN where `pulumi` runs (or CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL)"
)

SURFACES: Mapping[str, Surface] = {
    s.name: s
    for s in (
        Surface("client", ("given", "environment"), "argument", "account_id",
                "set CLOUDFLARE_ACCOUNT_ID (in Pulumi, cfbilling:accountId)",
                f"pass api_token, or {_ENV_CREDENTIALS}"),
        Surface("cli", ("given", "environment"), "flag", "--account-id",
                "use --accounts-file FILE, or set CLOUDFLARE_ACCOUNT_ID", _ENV_CREDENTIALS),
        Surface("terraform", ("given", "environment"), "query", "account_id in the query",
                "set CLOUDFLARE_ACCOUNT_ID where terraform runs", f"{_ENV_CREDENTIALS} where terraform runs"),
        Surface("program", _PROGRAM_ORDER, "python", "account_id", _IN_PULUMI, _PROGRAM_CREDENTIALS, advise="python"),
        Surface("resource", _PROGRAM_ORDER, "python", "account_id", _IN_PULUMI,
                "set CLOUDFLARE_API_TOKEN (a token with 'AI Gateway Read') where `pulumi` runs: the snapshot reads "
                "credentials from the environment only, since what a dynamic provider is given lands in the state"),
        Surface("plugin", ("given", "environment"), "pulumi", "accountId",
                "set the provider's accountId (cfbilling:accountId), or CLOUDFLARE_ACCOUNT_ID",
                "run `pulumi config set --secret cfbilling:apiToken <token>` (a token with 'AI Gateway Read'), or "
                "set CLOUDFLARE_API_TOKEN where `pulumi` runs", advise="pulumi"),
        Surface("policy", ("given", "environment"), "policy", "accountIds in the policy config",
                "list the accounts to check in accountIds", f"{_ENV_CREDENTIALS} where the policy pack runs",
                overrides={"timeout": "timeoutSeconds"}),
        Surface("terraform-provider", ("given", "environment"), "attribute", "account_id",
                "set account_id in the provider block, or CLOUDFLARE_ACCOUNT_ID where terraform runs",
                "set api_token in the provider block (a token with 'AI Gateway Read'), or CLOUDFLARE_API_TOKEN "
                "where terraform runs (or api_key with email, CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL)",
                advise="attribute"),
    )
}  # fmt: skip
"""Every surface and its source order: the one place to change where a surface looks for its settings."""


def no_credentials(surface: str) -> str:
    """The one message for a missing credential, worded for ``surface``."""
    return f"no Cloudflare credentials found: {SURFACES[surface].credentials}"


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
    known = {s.name for s in SETTINGS}
    if set(values) - known:
        raise TypeError(f"unknown settings for {surface}: {sorted(set(values) - known)}")
    sources = []
    for kind in entry.order:
        if kind == "given":
            sources.append(Source(entry.name, values, {s.name: entry.label(s) for s in SETTINGS}))
        elif kind == "environment":
            sources.append(Source.environment(environ))
        else:
            sources.append(Source.pulumi(kind.split()[0], config or (lambda key: None)))
    return resolve_settings(*sources, require_credentials=require_credentials, surface=surface)


def choose_account(settings: Settings, account_id: Value, surface: str) -> str:
    """``account_id`` validated, else the surface's configured account; the one message when there is neither."""
    entry = SURFACES[surface]
    if account_id is not None:
        return read_account_id(account_id, entry.account)
    if settings.account_id is None:
        raise ConfigurationError(
            f"no account id: pass {entry.account}, or {entry.default_account} (the 32 hex characters in "
            "dash.cloudflare.com/<account id>)"
        )
    return settings.account_id
