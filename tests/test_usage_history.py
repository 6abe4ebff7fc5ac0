"""Usage history: the client against the emulator's usage-history route, faults included, and the forecast on it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from helpers import HEALTHY, LOW, SECRETS

from pulumi_cfbilling import (
    APIConnectionError,
    APIResponseError,
    BillingClient,
    ConfigurationError,
    DeadlineError,
    PermissionDeniedError,
    RateLimitError,
)
from pulumi_cfbilling.guardrails.runway import forecast, window
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)
MIDNIGHT = datetime(2026, 11, 25, tzinfo=timezone.utc)
DAY = timedelta(days=1)
STEADY = [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]  # ten days of $10


@pytest.fixture
def usage_emulator() -> Iterator[Emulator]:
    fixture = demo_fixture()
    fixture["accounts"][HEALTHY]["usage"] = {"daily_cents": STEADY, "today_cents": 480}
    fixture["accounts"][LOW]["usage"] = {"daily_cents": [250, 300]}
    with Emulator(fixture=fixture, now=lambda: NOW) as emu:
        yield emu


@pytest.fixture
def client(usage_emulator: Emulator) -> Iterator[BillingClient]:
    with BillingClient(api_token=DEMO_TOKEN, base_url=usage_emulator.base_url, timeout=2, max_retries=1) as made:
        yield made


def test_daily_buckets_in_the_range_with_explicit_bounds(client: BillingClient, usage_emulator: Emulator) -> None:
    start, end = window(NOW, 7)
    usage = client.get_usage_history(HEALTHY, start=start, end=end)
    assert usage.account_id == HEALTHY
    assert [b.start for b in usage.history] == [start + DAY * i for i in range(7)]
    assert all(b.end - b.start == DAY for b in usage.history)
    assert usage.total_usd == Decimal(70)
    (request,) = usage_emulator.requests_for(HEALTHY, route="usage-history")
    sent = dict(part.split("=") for part in request.query.split("&"))
    assert sent == {
        "value_grouping_window": "day",
        "start_time": str(int(start.timestamp() * 1000)),
        "end_time": str(int(end.timestamp() * 1000)),
    }


def test_todays_partial_bucket_and_hourly_buckets(client: BillingClient) -> None:
    today = client.get_usage_history(HEALTHY, start=MIDNIGHT, end=MIDNIGHT + DAY)
    assert [(b.start, b.aggregated_value) for b in today.history] == [(MIDNIGHT, 480.0)]
    hours = client.get_usage_history(HEALTHY, window="hour", start=MIDNIGHT - DAY, end=NOW)
    yesterday = [b for b in hours.history if b.start < MIDNIGHT]
    begun = [b for b in hours.history if b.start >= MIDNIGHT]
    assert len(yesterday) == 24
    assert abs(sum(b.spend_usd for b in yesterday) - Decimal(10)) < Decimal("1e-9")  # $10 in float 24ths
    assert len(begun) == 16  # 00:00 to 15:00 have begun by 15:30
    assert all(b.end - b.start == timedelta(hours=1) for b in hours.history)


def test_the_forecast_on_what_the_client_read(client: BillingClient) -> None:
    start, end = window(NOW, 7)
    for account, expected_days, burn in (
        (HEALTHY, Decimal("4.25"), Decimal(10)),
        (LOW, Decimal("1.13"), Decimal("2.75")),
    ):
        balance = client.get_credit_balance(account).balance_usd
        usage = client.get_usage_history(account, start=start, end=end)
        result = forecast(balance, usage, now=NOW)
        assert (result.burn_usd_per_day, result.runway_days) == (burn, expected_days)
    # LOW has two days of history: a young account is averaged over the days it has.
    assert forecast(Decimal(1), client.get_usage_history(LOW, start=start, end=end), now=NOW).days == 2


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"window": "week"}, "usage window 'week' is not valid"),
        ({"start": NOW.replace(tzinfo=None)}, "usage start must be a timezone-aware datetime"),
        ({"start": NOW, "end": NOW - DAY}, "usage start must be before its end"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    client: BillingClient, usage_emulator: Emulator, arguments: dict[str, Any], fragment: str
) -> None:
    call: dict[str, Any] = {"start": NOW - DAY, "end": NOW, **arguments}
    with pytest.raises(ConfigurationError, match=fragment):
        client.get_usage_history(HEALTHY, **call)
    with pytest.raises(ConfigurationError, match="no account id: pass account_id"):
        client.get_usage_history(start=NOW - DAY, end=NOW)
    assert usage_emulator.log == []


FAULTS: list[tuple[dict[str, Any], type[Exception], str, int]] = [
    ({"kind": "status", "status": 403, "code": 9109}, PermissionDeniedError, "code 9109", 1),
    ({"kind": "status", "status": 429, "retry_after": "86400"}, RateLimitError, "asks to wait 86400 s", 1),
    ({"kind": "wrong_types"}, APIResponseError, "history: Input should be a valid list", 1),
    ({"kind": "missing_keys"}, APIResponseError, "history: Field required", 1),
    ({"kind": "truncated"}, APIResponseError, "not valid JSON", 1),
    ({"kind": "result_null"}, APIResponseError, "result: null", 1),
    ({"kind": "drop"}, APIConnectionError, "closed the connection", 2),
    ({"kind": "redirect", "location": "https://elsewhere.example/"}, APIResponseError, "redirect to elsewhere", 1),
]


@pytest.mark.parametrize(("fault", "error", "fragment", "requests"), FAULTS, ids=[f[0]["kind"] for f in FAULTS])
def test_faults_on_the_usage_route(
    client: BillingClient,
    usage_emulator: Emulator,
    fault: dict[str, Any],
    error: type[Exception],
    fragment: str,
    requests: int,
) -> None:
    usage_emulator.set_faults(HEALTHY, [fault], route="usage-history")
    with pytest.raises(error) as caught:
        client.get_usage_history(HEALTHY, start=NOW - DAY, end=NOW)
    message = str(caught.value)
    assert message.startswith(f"reading the usage history of account {HEALTHY} failed")
    assert fragment in message
    assert "\n" not in message
    assert all(secret not in message for secret in SECRETS)
    assert len(usage_emulator.requests_for(HEALTHY, route="usage-history")) == requests
    if fault["kind"] == "status" and fault["status"] == 429:
        # Cloudflare's limit is per user, over every route: the day's pause holds the balance route too, which
        # fails at once, unsent, saying when to retry.
        sent = len(usage_emulator.log)
        with pytest.raises(DeadlineError, match="was not attempted: waiting for Cloudflare's rate limit"):
            client.get_credit_balance(HEALTHY)
        assert len(usage_emulator.log) == sent
        return
    # The balance route has faults of its own: it is unaffected.
    assert client.get_credit_balance(HEALTHY).balance == 4250.5


def test_a_transient_fault_on_the_usage_route_is_retried(client: BillingClient, usage_emulator: Emulator) -> None:
    usage_emulator.set_faults(HEALTHY, [{"kind": "status", "status": 503, "times": 1}], route="usage-history")
    assert len(client.get_usage_history(HEALTHY, start=NOW - 2 * DAY, end=NOW).history) == 2
    assert [r.status for r in usage_emulator.requests_for(HEALTHY, route="usage-history")] == [503, 200]


Fetch = Callable[[str], tuple[int, dict[str, Any]]]


@pytest.fixture
def raw(usage_emulator: Emulator) -> Fetch:
    def fetch(query: str) -> tuple[int, dict[str, Any]]:
        url = f"{usage_emulator.base_url}/accounts/{HEALTHY}/ai-gateway/billing/usage-history?{query}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as failed:
            return failed.code, json.loads(failed.read())

    return fetch


def test_the_emulator_checks_the_query_like_the_api(raw: Fetch) -> None:
    status, document = raw("start_time=0")
    assert status == 400
    assert document["errors"][0]["code"] == 10001
    assert raw("value_grouping_window=day&end_time=soon")[0] == 400
    status, document = raw("value_grouping_window=day")  # no bounds: the 30 days before now
    assert status == 200
    assert len(document["result"]["history"]) == len(STEADY) + 1  # and today's partial bucket


def test_fixtures_with_a_bad_usage_spec_are_refused() -> None:
    from pulumi_cfbilling.testing._fixtures import FixtureError

    fixture = demo_fixture()
    fixture["accounts"][HEALTHY]["usage"] = {"daily_cents": ["lots"]}
    with pytest.raises(FixtureError, match=r"accounts\.0123456789abcdef0123456789abcdef\.usage"):
        Emulator(fixture=fixture)
