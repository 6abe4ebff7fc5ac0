"""Runway: how many days the credits last at the recent rate of spend. Pure: no I/O, ``now`` is injected.

Definitions (the README's "Runway" section says the same):

- The window is the ``days`` whole UTC days (default 7, 1 to 90) that end at the last UTC midnight at or before
  ``now``; a daily bucket counts when it starts inside it, so today's partial bucket never does. Days with no
  bucket count as zero spend. An account whose first bucket starts inside the window is averaged over the days
  it has (at least one). Refunds (negative values) are summed as they are.
- ``burn_usd_per_day`` is the window's spend divided by those days, exact.
- ``runway_days`` is 0 when the balance is at or below zero (this wins); ``None`` when the balance is positive
  and the burn is zero or negative; otherwise balance / burn, rounded down to 0.01 day.
  ``projected_empty_at`` is ``now`` plus the runway (``None`` with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import TYPE_CHECKING, Any, NamedTuple

from ..core.amounts import plain_value
from ..core.errors import ConfigurationError
from ..core.values import DEFAULT_DAYS, MAX_DAYS

if TYPE_CHECKING:  # the usage model loads pydantic: the forecast reads only its buckets
    from ..api.usage import UsageHistory

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "RUNWAY_FIELDS", "Runway", "RunwayField", "forecast", "window"]

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


class RunwayField(NamedTuple):
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
        "Days until the credits run out at the window's "
        "rate of spend, rounded down to 0.01; 0 when the balance is not positive; null when nothing is spent.",
    ),
    RunwayField("burn_usd_per_day", "burnUsdPerDay", "number", False, "Spend per day over the window, US dollars."),
    RunwayField(
        "projected_empty_at",
        "projectedEmptyAt",
        "string",
        True,
        "When the credits run out at that rate, ISO-8601 UTC; null with runwayDays.",
    ),
    RunwayField("spend_usd", "spendUsd", "number", False, "Spend in the window, US dollars."),
    RunwayField("window_start", "windowStart", "string", False, "Start of the window, ISO-8601 UTC."),
    RunwayField("window_end", "windowEnd", "string", False, "End of the window: the last UTC midnight, ISO-8601."),
    RunwayField("days", "windowDays", "integer", False, "Days the spend is averaged over (fewer for a young account)."),
)
"""The runway's fields, in document order: the one list the results, schemas and Terraform keys come from."""


@dataclass(frozen=True)
class Runway:
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
    # A young account: averaged from the UTC day of its first bucket, not over days before it existed.
    first = min((bucket.start for bucket in usage.history), default=None)
    averaged = days
    if first is not None and start < first < end:
        first_day = first.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        averaged = max(1, (end - first_day).days)
    with localcontext() as context:
        context.prec = 50  # exact enough for any balance and spend the models accept
        burn = spend / averaged
        if balance_usd <= 0:
            runway: Decimal | None = Decimal(0)
        elif burn <= 0:
            runway = None
        else:
            ratio = balance_usd / burn
            context.prec = max(50, ratio.adjusted() + 4)  # a tiny burn makes a huge runway: still exact
            runway = ratio.quantize(_HUNDREDTH, rounding=ROUND_FLOOR)
    empty_at = None
    if runway is not None:
        try:
            empty_at = now + timedelta(days=float(runway))
        except OverflowError:  # a runway past the year 9999: no date to show
            empty_at = None
    return Runway(start, end, averaged, spend, burn, runway, empty_at, tuple(daily))
