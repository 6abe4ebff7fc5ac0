"""Runway: how many days the credits last at the recent rate of spend. Pure: no I/O, ``now`` is injected.

Definitions (the README's "Runway" section says the same):

- The window is the ``days`` whole UTC days (default 7, 1 to 90) that end at the last UTC midnight at or before
  ``now``; a daily bucket counts when it starts inside it, so today's partial bucket never does. Days with no
  bucket count as zero spend, and so does a bucket of zero: sparse and dense answers give one forecast. The spend
  is averaged from the UTC day of the first spend in the window (at least one day): an account that began (or
  woke up) inside the window is judged by the rate it spends at now, not diluted by the days before. Refunds
  (negative values) are summed as they are.
- ``burn_usd_per_day`` is the window's spend divided by those days, exact.
- ``runway_days`` is 0 when the balance is at or below zero (this wins); ``None`` when the balance is positive
  and the burn is zero or negative; otherwise balance / burn, rounded down to 0.01 day, and at most
  :data:`MAX_RUNWAY_DAYS` (100 years: a tiny burn would make it larger than any float; the cap keeps every number
  finite on every surface). ``projected_empty_at`` is ``now`` plus the runway, to the hour (so it is the same
  on every run within the hour), and ``None`` with it or at the cap.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import TYPE_CHECKING, Any

from ..core.amounts import plain_value
from ..core.errors import ConfigurationError
from ..core.records import Record
from ..core.values import DEFAULT_DAYS, MAX_DAYS, MAX_RUNWAY_DAYS

if TYPE_CHECKING:  # the usage model loads pydantic: the forecast reads only its buckets
    from ..api.usage import UsageHistory

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "MAX_RUNWAY_DAYS",
    "RUNWAY_FIELDS",
    "Runway",
    "RunwayField",
    "forecast",
    "window",
]

_HUNDREDTH = Decimal("0.01")


def window(now: datetime, days: int = DEFAULT_DAYS) -> tuple[datetime, datetime]:
    """The ``days`` whole UTC days ending at the last UTC midnight at or before ``now``: ``(start, end)``."""
    # Surfaces read what users write with values.read_day_count; this guards the forecast's own callers.
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ConfigurationError(f"{days!r} days is not a valid window: give a whole number from 1 to {MAX_DAYS}")
    if now.tzinfo is None:
        raise ConfigurationError("now must be timezone-aware (UTC)")
    moment = now.astimezone(timezone.utc)
    end = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return end - timedelta(days=days), end


class RunwayField(Record):
    """One field of a runway under every name: attribute, canonical key, JSON type, nullable, meaning."""

    attribute: str
    key: str
    type: str
    nullable: bool
    description: str


RUNWAY_FIELDS: tuple[RunwayField, ...] = (
    RunwayField(
        "runway_days",
        "runwayDays",
        "number",
        True,
        "Days until the credits run out at the window's rate of spend, rounded down to 0.01 and at most 36500 "
        "(100 years); 0 when the balance is not positive; null when nothing is spent.",
    ),
    RunwayField("burn_usd_per_day", "burnUsdPerDay", "number", False, "Spend per day over the window, US dollars."),
    RunwayField(
        "projected_empty_at",
        "projectedEmptyAt",
        "string",
        True,
        "When the credits run out at that rate, ISO-8601 UTC to the hour; null with runwayDays and at 36500 days.",
    ),
    RunwayField("spend_usd", "spendUsd", "number", False, "Spend in the window, US dollars."),
    RunwayField("window_start", "windowStart", "string", False, "Start of the window, ISO-8601 UTC."),
    RunwayField("window_end", "windowEnd", "string", False, "End of the window: the last UTC midnight, ISO-8601."),
    RunwayField("days", "windowDays", "integer", False, "Days the spend is averaged over (fewer for a young account)."),
)
"""The runway's fields, in document order: the one list the results, schemas and Terraform keys come from."""


class Runway(Record):
    """The forecast for one account: the window read, the rate of spend, and when the credits run out."""

    window_start: datetime
    window_end: datetime
    days: int
    """Days the burn is averaged over: the window's, or fewer for an account younger than it (at least one)."""
    spend_usd: Decimal
    burn_usd_per_day: Decimal
    runway_days: Decimal | None
    projected_empty_at: datetime | None
    daily_spend_usd: tuple[Decimal, ...] = ()
    """Spend per whole UTC day of the window, oldest first, zero for a day with no bucket (what charts plot)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain values with the canonical camelCase names (numbers, ISO-8601 UTC times, nulls)."""
        return {f.key: plain_value(getattr(self, f.attribute)) for f in RUNWAY_FIELDS}


def forecast(balance_usd: Decimal, usage: UsageHistory, *, now: datetime, days: int = DEFAULT_DAYS) -> Runway:
    """Forecast the runway of ``balance_usd`` from daily ``usage`` (see the module's definitions)."""
    start, end = window(now, days)
    counted = [bucket for bucket in usage.history if start <= bucket.start < end]
    spend = sum((bucket.spend_usd for bucket in counted), Decimal(0))
    daily = [Decimal(0)] * days
    for bucket in counted:
        daily[(bucket.start - start).days] += bucket.spend_usd
    # Averaged from the UTC day of the first spend in the window: the same whether the days before it came as
    # zero buckets or as no buckets at all (Cloudflare's answers are not documented to be either).
    first = next((day for day, spent in enumerate(daily) if spent != 0), None)
    averaged = days if first is None else max(1, days - first)
    with localcontext() as context:
        context.prec = 50  # exact enough for any balance and spend the models accept
        burn = spend / averaged
        if balance_usd <= 0:
            runway: Decimal | None = Decimal(0)
        elif burn <= 0:
            runway = None
        else:
            ratio = balance_usd / burn
            runway = MAX_RUNWAY_DAYS if ratio >= MAX_RUNWAY_DAYS else ratio.quantize(_HUNDREDTH, rounding=ROUND_FLOOR)
    empty_at = None
    if runway is not None and runway < MAX_RUNWAY_DAYS:
        # To the hour: a forecast that moved by a microsecond on every run would show a change in every preview.
        moment = now + timedelta(days=float(runway))
        empty_at = moment.replace(minute=0, second=0, microsecond=0)
    return Runway(start, end, averaged, spend, burn, runway, empty_at, tuple(daily))
