"""Guardrail values as users write them (``20``, ``"12.50"``, ``"$5"``, ``true``, ``"12h"``), read strictly.

Every error is a one-line :class:`ConfigurationError` naming the value as its source spells it. :data:`KINDS` is
the table of value kinds: how each is read, shown as plain JSON, typed in schemas and named in CLI help; a
guardrail names its kind, so a new guardrail of a known kind needs nothing here.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ._amounts import MAX_CENTS
from .errors import ConfigurationError

__all__ = ["KINDS", "ValueKind", "format_duration", "parse_duration", "read_days", "read_flag", "read_usd"]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


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


# A guardrail amount has the models' bound: it is compared with balances and shown as a (finite) number.
_MAX_USD = MAX_CENTS // 100


def read_usd(value: Any, label: str) -> Decimal:
    """An amount in US dollars, finite and within the models' bound."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip().lstrip("$"))
        except InvalidOperation:
            amount = Decimal("NaN")
    else:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ConfigurationError(f"{label} {value!r} is not an amount in US dollars; give a number such as 20 or 12.50")
    if abs(amount) > _MAX_USD:
        raise ConfigurationError(f"{label} {value!r} is out of range: give at most {_MAX_USD:,} US dollars either way")
    return amount


def read_flag(value: Any, label: str) -> bool:
    """``True``/``False``, or the words true, false, yes, no, 1, 0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise ConfigurationError(f"{label} {value!r} must be true or false")


def read_days(value: Any, label: str) -> Decimal:
    """A number of days, 0 or more (``7``, ``"2.5"``), at most 100 years."""
    days = Decimal("NaN")
    if isinstance(value, Decimal):
        days = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        days = Decimal(repr(value))
    elif isinstance(value, str):
        with contextlib.suppress(InvalidOperation):
            days = Decimal(value.strip())
    if not days.is_finite() or not 0 <= days <= 36_500:
        raise ConfigurationError(f"{label} {value!r} is not a number of days: give one from 0 to 36500, such as 7")
    return days


@dataclass(frozen=True)
class ValueKind:
    """How the values of one kind of guardrail are read, shown and typed."""

    read: Callable[[Any, str], Any]
    """From what users write to what the rule takes (a one-line error if invalid)."""
    plain: Callable[[Any], Any]
    """From what the rule takes to plain JSON."""
    json_type: str
    """The JSON Schema type of a value users write."""
    metavar: str
    """What the CLI help calls the value (none for a flag, which takes no value)."""
    off: Any = None
    """The plain value when the guardrail is off."""


KINDS: Mapping[str, ValueKind] = {
    "usd": ValueKind(read_usd, float, "number", "USD"),
    "flag": ValueKind(read_flag, bool, "boolean", "", off=False),
    "duration": ValueKind(parse_duration, format_duration, "string", "AGE"),
    "days": ValueKind(read_days, float, "number", "DAYS"),
}
