"""Typed model of the usage-history endpoint: spend per time bucket, and the one assumption about its unit.

``GET /accounts/{id}/ai-gateway/billing/usage-history`` answers ``{"history": [{"id", "aggregated_value",
"start_time", "end_time"}]}`` with times in unix milliseconds. Cloudflare does not say what unit
``aggregated_value`` is in. The meter debits the prepaid balance, whose unit is US cents, so
:data:`USAGE_UNIT` says cents and :func:`usage_to_usd` is the one line to change if that proves wrong. Raw
values are kept as sent; numbers are as strict as the balance's (no strings, bools, NaN or infinity).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic.fields import Field
from pydantic.functional_validators import field_validator

from ..core.errors import ConfigurationError
from ..core.values import read_window
from .models import Cents, Number, _Model, cents_to_usd, plain_value, unix_time_to_datetime

__all__ = [
    "BUCKET_KEYS",
    "USAGE_KEYS",
    "USAGE_UNIT",
    "UsageBucket",
    "UsageHistory",
    "Window",
    "usage_document",
    "usage_query",
    "usage_to_usd",
]

Window = Literal["day", "hour"]
"""The bucket size the API groups spend by (its ``value_grouping_window``)."""

USAGE_UNIT = "US cents"
"""The unit assumed for ``aggregated_value`` (Cloudflare does not document it): that of the balance it debits."""


def usage_to_usd(value: int | float) -> Decimal:
    """A bucket's raw ``aggregated_value`` as exact US dollars, under the :data:`USAGE_UNIT` assumption."""
    return cents_to_usd(value)


class UsageBucket(_Model):
    """The spend of one time bucket, raw as sent, with its times and dollars derived."""

    id: str = Field(description="The bucket's id, as sent.")
    aggregated_value: Cents = Field(description=f"Spend in the bucket, raw as sent (assumed {USAGE_UNIT}).")
    start_time: Number = Field(description="Start of the bucket, unix milliseconds, as sent.")
    end_time: Number = Field(description="End of the bucket, unix milliseconds, as sent.")

    @field_validator("start_time", "end_time")
    @classmethod
    def _time_fits(cls, value: int | float) -> int | float:
        unix_time_to_datetime(value)
        return value

    @property
    def start(self) -> datetime:
        """Start of the bucket (aware, UTC)."""
        return unix_time_to_datetime(self.start_time)

    @property
    def end(self) -> datetime:
        """End of the bucket (aware, UTC)."""
        return unix_time_to_datetime(self.end_time)

    @property
    def spend_usd(self) -> Decimal:
        """Spend in the bucket in US dollars, exact."""
        return usage_to_usd(self.aggregated_value)


class UsageHistory(_Model):
    """Spend per bucket for one account over a time range, buckets in the order sent."""

    account_id: str | None = Field(default=None, description="The Cloudflare account read.")
    history: list[UsageBucket] = Field(description="The buckets, as sent.")

    @property
    def total_usd(self) -> Decimal:
        """Spend over every bucket in US dollars, exact (refunds, as negative values, included)."""
        return sum((bucket.spend_usd for bucket in self.history), Decimal(0))


def usage_query(window: str, start: datetime, end: datetime) -> str:
    """The query string of a usage-history read, with explicit millisecond bounds (the API's default is unknown).

    ``start`` and ``end`` must be timezone-aware, ``start`` before ``end``; ``window`` is ``day`` or ``hour``.
    """
    read_window(window)
    for name, moment in (("start", start), ("end", end)):
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise ConfigurationError(f"usage {name} must be a timezone-aware datetime, such as one in UTC")
    if not start < end:
        raise ConfigurationError("usage start must be before its end")
    bounds = (int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    return f"value_grouping_window={window}&start_time={bounds[0]}&end_time={bounds[1]}"


BUCKET_KEYS: Mapping[str, str] = {
    "id": "id",
    "start": "start",
    "end": "end",
    "aggregated_value": "aggregatedValue",
    "spend_usd": "spendUsd",
}
"""A bucket in documents: attribute -> canonical key (the Python results read them by attribute)."""
USAGE_KEYS: Mapping[str, str] = {
    "account_id": "accountId",
    "window": "window",
    "start": "start",
    "end": "end",
    "total_usd": "totalUsd",
    "buckets": "buckets",
}
"""A usage read in documents: attribute -> canonical key."""


def usage_document(history: UsageHistory, window: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The canonical camelCase document of a usage read, as every surface shows it.

    The range asked for, the total, and each bucket raw and in dollars; plain values only (numbers, ISO-8601 UTC).
    """
    buckets = [
        {key: plain_value(getattr(bucket, name)) for name, key in BUCKET_KEYS.items()} for bucket in history.history
    ]
    values: dict[str, Any] = {"account_id": history.account_id, "window": window, "start": start, "end": end}
    values |= {"total_usd": history.total_usd, "buckets": buckets}
    return {key: plain_value(values[name]) for name, key in USAGE_KEYS.items()}
