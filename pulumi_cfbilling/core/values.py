"""One parser per kind of value a user writes, for every surface that takes text.

CLI flags, environment variables, the Action's inputs, Terraform's ``external`` query, Pulumi and policy config
and the plugin's arguments all read values through these functions, so ``yes`` is true everywhere and ``maybe``
is an error everywhere. Each takes the value as its source gave it (text, a number, a bool) and the ``label``
its user knows it by (``--require-auto-topup``, ``requireAutoTopup``, ``CFBILLING_TIMEOUT``), and returns the
value the code uses or raises a one-line :class:`ConfigurationError` that names the label and the fix. A value
that is not understood is an error, never a default: a guardrail that quietly turns off is the worst bug here.
Credentials are never echoed, as the message may reach a CI log.

:data:`KINDS` says, for the guardrails, how each kind of value is read, shown as plain JSON, typed in schemas and
named in CLI help; a guardrail names its kind, so a new guardrail of a known kind needs nothing here.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from .amounts import MAX_CENTS
from .errors import ConfigurationError
from .records import Record

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DAYS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_TIMEOUT",
    "KINDS",
    "MAX_DAYS",
    "MAX_RETRIES_LIMIT",
    "MAX_RUNWAY_DAYS",
    "MAX_TIMEOUT",
    "Limit",
    "Value",
    "ValueKind",
    "format_duration",
    "parse_duration",
    "read_account_id",
    "read_age",
    "read_base_url",
    "read_credential",
    "read_day_count",
    "read_days",
    "read_enforcement",
    "read_flag",
    "read_folder",
    "read_rate_limit",
    "read_retries",
    "read_seconds",
    "read_timeout",
    "read_usd",
    "read_window",
]

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
MAX_TIMEOUT = 600.0
MAX_RETRIES_LIMIT = 10
MAX_DAYS = 90
"""The longest usage window, in whole days (what the forecast and ``cfbilling usage --days`` accept)."""
MAX_RUNWAY_DAYS = Decimal(36_500)
"""100 years: the longest runway reported (a tiny burn would make it larger than any float) and the largest
``min_runway_days`` a guardrail takes."""
DEFAULT_DAYS = 7
"""The window the runway is forecast over unless a usage read names another: the last 7 whole UTC days."""

Value = str | float | int | None

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_ACCOUNT_ID = re.compile(r"[0-9a-f]{32}")
# Printable ASCII without spaces: anything else in a header value is a paste error or a header injection.
_CREDENTIAL = re.compile(r"[\x21-\x7e]+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# A guardrail amount has the models' bound: it is compared with balances and shown as a (finite) number.
_MAX_USD = MAX_CENTS // 100


def _number(value: Any) -> Decimal:
    """A number as users write it (``20``, ``" 12.5 "``, ``7.0``), or NaN when it is not one."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            pass
    return Decimal("NaN")


def read_flag(value: Any, label: str) -> bool:
    """``True``/``False``, or true/false, yes/no, on/off, 1/0 in any case, with blanks around; nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    raise ConfigurationError(f"{label} {value!r} is not true or false: use true/false, yes/no, on/off or 1/0")


def read_usd(value: Any, label: str) -> Decimal:
    """An amount in US dollars (``20``, ``"12.50"``, ``"$5"``), finite and within the models' bound."""
    amount = _number(value.strip().removeprefix("$") if isinstance(value, str) else value)
    if not amount.is_finite():
        raise ConfigurationError(f"{label} {value!r} is not an amount in US dollars; give a number such as 20 or 12.50")
    if abs(amount) > _MAX_USD:
        raise ConfigurationError(f"{label} {value!r} is out of range: give at most {_MAX_USD:,} US dollars either way")
    return amount


def read_days(value: Any, label: str) -> Decimal:
    """A number of days, 0 or more (``7``, ``"2.5"``), at most 100 years."""
    days = _number(value)
    if not days.is_finite() or not 0 <= days <= MAX_RUNWAY_DAYS:
        raise ConfigurationError(f"{label} {value!r} is not a number of days: give one from 0 to 36500, such as 7")
    return days


def read_day_count(value: Any, label: str) -> int:
    """Whole days from 1 to :data:`MAX_DAYS` (``7``, ``"14"``, ``7.0``: Pulumi and Terraform send numbers as floats)."""
    days = _number(value)
    if not days.is_finite() or days != days.to_integral_value() or not 1 <= days <= MAX_DAYS:
        raise ConfigurationError(f"{label} {value!r} is not a number of whole days: give one from 1 to {MAX_DAYS}")
    return int(days)


def parse_duration(value: str | timedelta | int | float, label: str = "duration") -> timedelta:
    """Read ``30m``, ``12h``, ``7d``, ``1h30m`` (units s, m, h, d, w), a number of seconds, or a ``timedelta``."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower().replace(" ", "")
        parts = _DURATION_PART.findall(text)
        if "".join(n + u for n, u in parts) != text:
            seconds = math.nan
        else:
            seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    else:
        seconds = math.nan
    # At least a second: a smaller amount would round to an empty timedelta, which no failure can be within.
    if not (1 <= seconds <= 3650 * 86400):
        raise ConfigurationError(
            f"{label} {value!r} is not a valid duration: use an amount from 1s to 3650d with a unit, "
            "such as 30m, 12h or 7d"
        )
    return timedelta(seconds=seconds)


def format_duration(age: timedelta) -> str:
    """The shortest exact spelling of a duration in the units :func:`parse_duration` reads: ``12h``, ``90m``."""
    seconds = age.total_seconds()
    for unit in ("w", "d", "h", "m"):
        if seconds >= _UNIT_SECONDS[unit] and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{int(seconds // _UNIT_SECONDS[unit])}{unit}"
    return f"{seconds:g}s"


def read_timeout(value: Any, label: str) -> float:
    """Seconds per attempt: more than 0, at most :data:`MAX_TIMEOUT`."""
    seconds = _number(value)
    if not seconds.is_finite() or not 0 < seconds <= Decimal(repr(MAX_TIMEOUT)):
        raise ConfigurationError(
            f"{label} {value!r} is not a valid timeout: give seconds per attempt, more than 0 and at most "
            f"{MAX_TIMEOUT:g} (default {DEFAULT_TIMEOUT:g})"
        )
    return float(seconds)


def read_retries(value: Any, label: str) -> int:
    """Retries after the first try: a whole number from 0 to :data:`MAX_RETRIES_LIMIT`."""
    count = _number(value)
    if not count.is_finite() or count != count.to_integral_value() or not 0 <= count <= MAX_RETRIES_LIMIT:
        raise ConfigurationError(
            f"{label} {value!r} is not a valid retry count: give a whole number from 0 to {MAX_RETRIES_LIMIT} "
            f"(retries after the first try; default {DEFAULT_MAX_RETRIES})"
        )
    return int(count)


def read_window(value: Any, label: str = "usage window") -> str:
    """A usage bucket size the API knows: ``day`` or ``hour``."""
    word = value.strip().lower() if isinstance(value, str) else value
    if word not in ("day", "hour"):
        raise ConfigurationError(f"{label} {value!r} is not valid: use 'day' or 'hour'")
    return str(word)


def read_enforcement(value: Any, label: str = "enforcement") -> str:
    """How a guard acts on a failure: ``mandatory`` (stop the deployment) or ``advisory`` (warn and go on)."""
    if value not in ("mandatory", "advisory"):
        raise ConfigurationError(f"{label} {value!r} must be 'mandatory' or 'advisory'")
    return str(value)


def read_credential(value: Any, label: str) -> str:
    """The credential if it can travel in a header; it is never echoed, as the message may reach a CI log."""
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


def read_account_id(value: Any, label: str = "account id") -> str:
    """A Cloudflare account id: 32 lowercase hex characters."""
    if isinstance(value, str) and _ACCOUNT_ID.fullmatch(value):
        return value
    shown = repr(value) if not isinstance(value, str) or len(value) <= 40 else repr(value[:40] + "...")
    raise ConfigurationError(
        f"{label} {shown} is not a Cloudflare account id: expected 32 lowercase hex characters, as shown in "
        "the dashboard URL (dash.cloudflare.com/<account id>)"
    )


def read_base_url(value: Any, label: str = "base URL") -> str:
    """The base URL without a trailing slash if it is https (or http on a loopback host)."""
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


class Limit(Record):
    """At most ``requests`` requests in any ``seconds``: one sliding window of a request budget."""

    requests: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.requests} per {format_duration(timedelta(seconds=self.seconds))}"


DEFAULT_RATE_LIMIT = "1000/5m,150/1s"
"""A share of Cloudflare's allowance: 1,000 of its 1,200 requests per 5 minutes per user (the dashboard and other
tools spend the same budget), and 150 of its 200 per second per IP."""


def read_rate_limit(value: Any, label: str) -> tuple[Limit, ...]:
    """Request limits as ``N/WINDOW``, comma-separated: ``1200/5m``, ``40/2s``, ``1000/5m,150/1s``."""
    if isinstance(value, tuple) and all(isinstance(limit, Limit) for limit in value):
        return value
    limits = []
    for part in value.split(",") if isinstance(value, str) and value.strip() else [None]:
        count, _, window = (part or "").strip().partition("/")
        try:
            seconds = parse_duration(window, label).total_seconds() if window else math.nan
        except ConfigurationError:
            seconds = math.nan
        if not count.isdigit() or not 1 <= int(count) <= 1_000_000 or math.isnan(seconds):
            raise ConfigurationError(
                f"{label} {value!r} is not a request limit: give N/WINDOW, such as 1200/5m or 40/2s (several "
                f"separated by commas; default {DEFAULT_RATE_LIMIT})"
            )
        limits.append(Limit(int(count), seconds))
    return tuple(limits)


def read_age(value: Any, label: str) -> float:
    """An age in seconds: ``0`` (none: read live), or a duration such as ``10m``, ``1h``."""
    if value in (0, "0") or (isinstance(value, str) and value.strip() == "0"):
        return 0.0
    return parse_duration(value, label).total_seconds()


def read_seconds(value: Any, label: str) -> float:
    """A duration of at least a second (``30m``, ``1h``), as seconds."""
    return parse_duration(value, label).total_seconds()


def read_folder(value: Any, label: str) -> str:
    """A folder path, ``~`` expanded; it is made when first used."""
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise ConfigurationError(f"{label} must be a folder path")
    return os.path.expanduser(value.strip())


class ValueKind(Record):
    """How the values of one kind of guardrail are read, shown and typed."""

    read: Callable[[Any, str], Any]
    """From what users write to what the rule takes (a one-line error if invalid)."""
    plain: Callable[[Any], Any]
    """From what the rule takes to plain JSON."""
    json_type: str
    """The JSON Schema type of a value users write."""
    metavar: str
    """What the CLI help calls the value (``BOOL`` for a flag, whose value is optional)."""
    off: Any = None
    """The plain value when the guardrail is off."""


KINDS: Mapping[str, ValueKind] = {
    "usd": ValueKind(read_usd, float, "number", "USD"),
    "flag": ValueKind(read_flag, bool, "boolean", "BOOL", off=False),
    "duration": ValueKind(parse_duration, format_duration, "string", "AGE"),
    "days": ValueKind(read_days, float, "number", "DAYS"),
}
