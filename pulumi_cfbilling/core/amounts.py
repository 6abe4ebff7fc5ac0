"""Amounts and times as plain values: dollars from cents, the cent, dollar text, unix times, JSON values.

No pydantic here, so the rules and the forecast load without the models (Terraform starts the provider three
times per plan, and validating a guardrail needs only the rules). :mod:`models` re-exports every name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from .secrets import redact
from .text import valid_unicode

__all__ = ["MAX_CENTS", "cents_to_usd", "format_usd", "plain_value", "to_cents", "unix_time_to_datetime"]

MAX_CENTS = 10**13
"""The largest amount accepted, in cents either way ($100 billion): beyond it a number cannot be a balance, and
Pulumi's 64-bit floats (and JSON readers) would lose it or turn it into infinity."""

# Timestamps below this are read as seconds, above it as milliseconds: 1e11 s is the year 5138, while 1e11 ms
# is March 1973, long before the API existed. Sibling endpoints use milliseconds.
_SECONDS_CUTOFF = 1e11


def cents_to_usd(cents: int | float) -> Decimal:
    """Convert a raw amount in US cents to exact dollars: ``640.19`` gives ``Decimal('6.4019')``.

    ``repr`` is the shortest string that round-trips the float, so no binary noise reaches the result.
    This is the one place that encodes the unit of ``balance``, ``amount`` and ``threshold``.
    """
    return Decimal(repr(cents)) / 100


def to_cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to the cent, whatever its size (the default 28-digit context would refuse 1e26)."""
    with localcontext() as context:
        context.prec = max(28, amount.adjusted() + 4)
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_usd(amount: Decimal | None) -> str:
    """Dollars to the cent, sign first: ``Decimal('42.505')`` gives ``$42.51``, ``Decimal('-0.425')`` ``-$0.43``."""
    if amount is None:
        return "not set"
    cents = to_cents(amount)
    # Sign first, and kept when rounding reaches zero: -0.004 is "-$0.00" (never "$-0.00"); zero is "$0.00".
    return f"-${abs(cents):,.2f}" if amount < 0 else f"${abs(cents):,.2f}"


def unix_time_to_datetime(value: int | float) -> datetime:
    """Read a unix time in milliseconds (or in seconds when below 1e11) as an aware UTC ``datetime``.

    Raises ``ValueError`` for a negative time or one past the year 9999.
    """
    if value < 0:
        raise ValueError("must not be negative")
    try:
        # Inside the try: 10**400 / 1000 overflows a float before fromtimestamp is reached.
        seconds = value if value < _SECONDS_CUTOFF else value / 1000
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError("is not a unix time that fits a date") from None


def plain_value(value: object) -> Any:
    """Any value as plain JSON, finite: the one conversion every JSON document and protocol value goes through.

    Decimal dollars become JSON numbers (the shortest exact float), times ISO-8601 UTC with a Z, mappings and
    sequences are walked, and text is valid Unicode with no credential this process holds. A number beyond a
    float's range or NaN becomes null: JSON has no infinity, Terraform cannot hold one, and "inf" in one surface
    and a traceback in another is the disagreement this function exists to end.
    """
    if isinstance(value, str):
        return redact(valid_unicode(value))
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, Decimal):
        number = float(value) if value.is_finite() else math.nan
        return number if math.isfinite(number) else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {key: plain_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_value(item) for item in value]
    return value
