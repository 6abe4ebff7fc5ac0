"""Runway: the pure forecast (window, burn, days left) as a table of cases and as properties, and its model."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pulumi_cfbilling import ConfigurationError
from pulumi_cfbilling.api.usage import USAGE_UNIT, UsageBucket, UsageHistory, usage_to_usd
from pulumi_cfbilling.guardrails.runway import MAX_RUNWAY_DAYS, Runway, forecast, window

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)
MIDNIGHT = datetime(2026, 11, 25, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def daily(*cents: float, last: datetime = MIDNIGHT) -> UsageHistory:
    """Daily buckets ending at ``last``: the last value is the day before ``last``."""
    first = last - DAY * len(cents)
    buckets = [
        {
            "id": f"b{i}",
            "aggregated_value": value,
            "start_time": ms(first + DAY * i),
            "end_time": ms(first + DAY * (i + 1)),
        }
        for i, value in enumerate(cents)
    ]
    return UsageHistory.model_validate({"history": buckets})


def runway_of(balance: str, usage: UsageHistory, **options: Any) -> Runway:
    return forecast(Decimal(balance), usage, now=NOW, **options)


CASES = [
    # (what, balance in dollars, usage, expected runway_days as text or None, expected burn)
    ("$70 at $10/day", "70", daily(*[1000] * 7), "7.00", "10"),
    ("$70 with three days of history at $10/day", "70", daily(1000, 1000, 1000), "7.00", "10"),
    ("$70 and no spend", "70", daily(), None, "0"),
    ("$70 with zero-spend buckets", "70", daily(0, 0, 0, 0, 0, 0, 0), None, "0"),
    ("-$5", "-5", daily(*[1000] * 7), "0", "10"),
    ("$0 and no spend", "0", daily(), "0", "0"),
    ("$1 at $3/day", "1", daily(*[300] * 7), "0.33", "3"),
    ("refunds are summed as they are", "70", daily(2000, -1000, 1000, 1000, 2000, 1000, 1000), "7.00", "10"),
    ("net refund: no burn", "70", daily(-500, 0, 0, 0, 0, 0, 0), None, "-0.7142857142857142857142857143"),
    ("a missing day counts as zero", "70", daily(1400, 1400, 1400, 0, 1400, 1400, 1400), "5.83", "12"),
]


@pytest.mark.parametrize(("what", "balance", "usage", "expected", "burn"), CASES, ids=[c[0] for c in CASES])
def test_runway_cases(what: str, balance: str, usage: UsageHistory, expected: str | None, burn: str) -> None:
    result = runway_of(balance, usage)
    assert result.runway_days == (None if expected is None else Decimal(expected))
    assert result.burn_usd_per_day.quantize(Decimal("1e-20")) == Decimal(burn).quantize(Decimal("1e-20"))
    if expected is None:
        assert result.projected_empty_at is None
    else:
        # To the hour, so the forecast is the same on every run within the hour (no change in every preview).
        exact = NOW + timedelta(days=float(Decimal(expected)))
        assert result.projected_empty_at == exact.replace(minute=0, second=0, microsecond=0)


def test_the_window_is_whole_utc_days_ending_at_the_last_midnight() -> None:
    assert window(NOW, 7) == (MIDNIGHT - 7 * DAY, MIDNIGHT)
    assert window(MIDNIGHT, 1) == (MIDNIGHT - DAY, MIDNIGHT)
    elsewhere = NOW.astimezone(timezone(timedelta(hours=-10)))  # still 25 Nov in UTC
    assert window(elsewhere, 7) == (MIDNIGHT - 7 * DAY, MIDNIGHT)
    for bad in (0, 91, 7.5, True, "7"):
        with pytest.raises(ConfigurationError, match="from 1 to 90"):
            window(NOW, bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        window(NOW.replace(tzinfo=None))


def test_todays_partial_bucket_and_buckets_before_the_window_never_count() -> None:
    today = daily(99_900, last=MIDNIGHT + DAY)  # starts at today's midnight
    old = daily(50_000, last=MIDNIGHT - 7 * DAY)  # the day before the window
    steady = daily(*[1000] * 7)
    usage = UsageHistory(history=[*old.history, *steady.history, *today.history])
    result = runway_of("70", usage)
    assert (result.spend_usd, result.days, result.runway_days) == (Decimal(70), 7, Decimal("7.00"))


def test_a_young_account_is_averaged_over_the_days_it_has_at_least_one() -> None:
    result = runway_of("70", daily(2000))  # one bucket, yesterday
    assert (result.days, result.burn_usd_per_day, result.runway_days) == (1, Decimal(20), Decimal("3.50"))
    assert runway_of("70", daily(1000, 1000, 1000), days=30).days == 3


def test_to_dict_is_plain_and_camel_case() -> None:
    document = runway_of("1", daily(*[300] * 7)).to_dict()
    assert document == {
        "runwayDays": 0.33,
        "burnUsdPerDay": 3.0,
        "projectedEmptyAt": "2026-11-25T23:00:00Z",
        "spendUsd": 21.0,
        "windowStart": "2026-11-18T00:00:00Z",
        "windowEnd": "2026-11-25T00:00:00Z",
        "windowDays": 7,
    }


def test_a_huge_runway_is_capped_at_100_years_with_no_date() -> None:
    for tiny in (1e-300, 5e-324):  # a runway of 10**300 days, and one beyond any float
        result = runway_of("100000000000", daily(*[tiny] * 7))
        assert result.runway_days == MAX_RUNWAY_DAYS == Decimal(36500)
        assert result.projected_empty_at is None
        assert result.to_dict()["runwayDays"] == 36500.0  # finite on every surface, never inf or null


def test_sparse_and_dense_answers_give_one_runway() -> None:
    """$7 spent yesterday: no other bucket, or six explicit zero buckets before it, is the same week."""
    sparse = runway_of("100", daily(700))
    dense = runway_of("100", daily(0, 0, 0, 0, 0, 0, 700))
    assert sparse.runway_days == dense.runway_days == Decimal("14.28")
    assert sparse.days == dense.days == 1  # averaged from the first day with spend
    assert sparse.daily_spend_usd == dense.daily_spend_usd


def test_the_usage_model_is_strict_and_knows_its_unit() -> None:
    assert USAGE_UNIT == "US cents"
    assert usage_to_usd(640.19) == Decimal("6.4019")
    bucket = daily(640.19).history[0]
    assert (bucket.spend_usd, bucket.start, bucket.end) == (Decimal("6.4019"), MIDNIGHT - DAY, MIDNIGHT)
    good = {"id": "x", "aggregated_value": 1, "start_time": 0, "end_time": 1}
    for field, bad in [("aggregated_value", "12"), ("aggregated_value", True), ("start_time", -1), ("end_time", 1e20)]:
        with pytest.raises(ValidationError, match=field):
            UsageBucket.model_validate({**good, field: bad})
    with pytest.raises(ValidationError, match="history"):
        UsageHistory.model_validate({})


amounts = st.decimals(min_value=-1000, max_value=10**6, allow_nan=False, allow_infinity=False, places=2)
spend = st.lists(st.integers(min_value=-10_000, max_value=10**7), min_size=0, max_size=7)


@given(balance=amounts, cents=spend)
def test_runway_is_never_negative(balance: Decimal, cents: list[int]) -> None:
    result = forecast(balance, daily(*cents), now=NOW)
    assert result.runway_days is None or result.runway_days >= 0


@given(low=amounts, high=amounts, cents=spend)
def test_runway_does_not_decrease_with_the_balance(low: Decimal, high: Decimal, cents: list[int]) -> None:
    low, high = sorted((low, high))
    usage = daily(*cents)
    first, second = forecast(low, usage, now=NOW).runway_days, forecast(high, usage, now=NOW).runway_days
    if first is not None and second is not None:
        assert first <= second
    elif first is None:  # no burn: no runway for any positive balance
        assert second is None


@given(balance=amounts, cents=spend, extra=st.integers(min_value=0, max_value=10**6))
def test_runway_does_not_increase_with_the_burn(balance: Decimal, cents: list[int], extra: int) -> None:
    base = cents or [0]
    more = [*base[:-1], base[-1] + extra]
    slower, faster = forecast(balance, daily(*base), now=NOW), forecast(balance, daily(*more), now=NOW)
    if slower.runway_days is not None and faster.runway_days is not None:
        assert faster.runway_days <= slower.runway_days
    elif slower.runway_days is not None:
        raise AssertionError("more spend cannot turn a runway into none")
