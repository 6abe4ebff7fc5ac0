"""The five guardrails, table-driven: each rule, nulls, negative balances, parameters and durations."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from pulumi_cfbilling import ConfigurationError, CreditBalance
from pulumi_cfbilling.api.models import format_usd
from pulumi_cfbilling.api.usage import UsageHistory
from pulumi_cfbilling.guardrails.rules import GUARDRAILS, Policy, evaluate, format_duration, judge, parse_duration
from pulumi_cfbilling.guardrails.runway import forecast, window

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
HOUR_MS = 3600 * 1000


def balance(**overrides: Any) -> CreditBalance:
    topup = {"amount": 2000, "threshold": 1000, "disabledReason": None, "error": None, "lastFailedAt": None}
    topup.update(overrides.pop("topup", {}))
    result: dict[str, Any] = {
        "balance": 4250.5,
        "has_default_payment_method": True,
        "payment_method": {"brand": "visa", "last4": "4242"},
        "topup_config": topup,
    }
    result.update(overrides)
    return CreditBalance.model_validate(result)


def failed_hours_ago(hours: float) -> int:
    return int(NOW.timestamp() * 1000 - hours * HOUR_MS)


EVERYTHING = Policy(
    min_balance_usd=Decimal(20),
    require_auto_topup=True,
    require_payment_method=True,
    max_topup_failure_age=timedelta(hours=24),
    min_topup_threshold_usd=Decimal(5),
    min_runway_days=Decimal(3),
)
# Ten dollars a day for the last week: a healthy $42.505 lasts 4.25 days.
SPEND = UsageHistory.model_validate(
    {
        "history": [
            {"id": str(i), "aggregated_value": 1000, "start_time": start, "end_time": start + 86_400_000}
            for i in range(7)
            for start in [int((window(NOW)[0] + timedelta(days=i)).timestamp() * 1000)]
        ]
    }
)

CASES: list[tuple[str, CreditBalance, Policy, list[str]]] = [
    ("healthy passes everything", balance(), EVERYTHING, []),
    ("empty policy never fails", balance(balance=-500, has_default_payment_method=False), Policy(), []),
    ("low balance", balance(balance=1999), Policy(min_balance_usd=Decimal(20)), ["min-balance"]),
    ("balance exactly at the minimum passes", balance(balance=2000), Policy(min_balance_usd=Decimal(20)), []),
    ("negative balance", balance(balance=-42.5), Policy(min_balance_usd=Decimal(0)), ["min-balance"]),
    ("fractional cents count", balance(balance=1999.99), Policy(min_balance_usd=Decimal(20)), ["min-balance"]),
    (
        "auto top-up disabled",
        balance(topup={"disabledReason": "card_expired"}),
        Policy(require_auto_topup=True),
        ["auto-topup"],
    ),
    ("auto top-up without amount", balance(topup={"amount": None}), Policy(require_auto_topup=True), ["auto-topup"]),
    ("auto top-up keys missing", balance(topup_config={}), Policy(require_auto_topup=True), ["auto-topup"]),
    (
        "no payment method",
        balance(has_default_payment_method=False, payment_method=None),
        Policy(require_payment_method=True),
        ["payment-method"],
    ),
    (
        "recent failure",
        balance(topup={"lastFailedAt": failed_hours_ago(2), "error": "declined"}),
        Policy(max_topup_failure_age=timedelta(hours=24)),
        ["topup-failure"],
    ),
    (
        "old failure passes",
        balance(topup={"lastFailedAt": failed_hours_ago(48), "error": "declined"}),
        Policy(max_topup_failure_age=timedelta(hours=24)),
        [],
    ),
    (
        "failure time in seconds",
        balance(topup={"lastFailedAt": failed_hours_ago(1) // 1000}),
        Policy(max_topup_failure_age=timedelta(hours=2)),
        ["topup-failure"],
    ),
    (
        "error with unknown time",
        balance(topup={"error": "declined"}),
        Policy(max_topup_failure_age=timedelta(hours=1)),
        ["topup-failure"],
    ),
    ("no failure at all", balance(), Policy(max_topup_failure_age=timedelta(days=7)), []),
    (
        "threshold below minimum",
        balance(topup={"threshold": 400}),
        Policy(min_topup_threshold_usd=Decimal(5)),
        ["topup-threshold"],
    ),
    (
        "threshold unset",
        balance(topup={"threshold": None}),
        Policy(min_topup_threshold_usd=Decimal(5)),
        ["topup-threshold"],
    ),
    ("threshold at minimum passes", balance(topup={"threshold": 500}), Policy(min_topup_threshold_usd=Decimal(5)), []),
    (
        "everything wrong, in rule order",
        balance(
            balance=-1,
            has_default_payment_method=False,
            payment_method=None,
            topup={"amount": None, "threshold": None, "error": "x"},
        ),
        EVERYTHING,
        [g.rule for g, _ in EVERYTHING.items()],  # the balance's rules; those of other routes: test_billing_routes
    ),
]


@pytest.mark.parametrize(("name", "credit", "policy", "rules"), CASES, ids=[c[0] for c in CASES])
def test_rules(name: str, credit: CreditBalance, policy: Policy, rules: list[str]) -> None:
    verdict = evaluate(credit, policy, now=NOW, runway=forecast(credit.balance_usd, SPEND, now=NOW))
    assert [v.rule for v in verdict.violations] == rules
    assert verdict.ok is (not rules)
    document = verdict.to_dict()
    assert json.loads(json.dumps(document)) == document  # plain values only
    for violation in document["violations"]:
        assert set(violation) == {"rule", "message", "observed", "expected"}
        assert violation["message"]


def test_min_balance_violation_values_and_message() -> None:
    (violation,) = evaluate(balance(balance=312.75), Policy(min_balance_usd=Decimal(20)), now=NOW).violations
    assert violation.message == "balance $3.13 is below the minimum of $20.00"
    assert (violation.observed, violation.expected) == (3.1275, 20.0)


def test_money_stays_exact_where_rounding_would_hide_why_the_rule_failed() -> None:
    (violation,) = evaluate(balance(balance=1999.5), Policy(min_balance_usd=Decimal(20)), now=NOW).violations
    assert violation.message == "balance $19.995 is below the minimum of $20.00"
    (violation,) = evaluate(balance(balance=-0.4), Policy(min_balance_usd=Decimal(0)), now=NOW).violations
    assert violation.message == "balance -$0.004 is below the minimum of $0.00"


def test_topup_failure_violation_names_time_and_error() -> None:
    credit = balance(topup={"lastFailedAt": failed_hours_ago(2), "error": "Your card was declined."})
    (violation,) = evaluate(credit, Policy(max_topup_failure_age=timedelta(hours=12)), now=NOW).violations
    assert (
        violation.message
        == "the last automatic top-up failed at 2026-11-24 10:00 UTC, within 12h: Your card was declined."
    )
    assert violation.observed == "2026-11-24T10:00:00Z"
    assert violation.expected == "no failed automatic top-up within 12h"


def test_threshold_violation_observed_is_null_when_unset() -> None:
    (violation,) = evaluate(
        balance(topup={"threshold": None}), Policy(min_topup_threshold_usd=Decimal(5)), now=NOW
    ).violations
    assert (violation.observed, violation.expected) == (None, 5.0)
    assert "not set" in violation.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("1h30m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("90s", timedelta(seconds=90)),
        (" 12H ", timedelta(hours=12)),
        (3600, timedelta(hours=1)),
        (timedelta(hours=3), timedelta(hours=3)),
    ],
)
def test_parse_duration(text: Any, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "12", "h", "-1h", "0m", "12 hours", "1y", "12h!", True, None, 0, timedelta(0)])
def test_bad_durations(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="not a valid duration"):
        parse_duration(bad, "--max-topup-failure-age")


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(hours=12), "12h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(days=14), "2w"),
        (timedelta(seconds=5), "5s"),
    ],
)
def test_format_duration(age: timedelta, text: str) -> None:
    assert format_duration(age) == text


def test_policy_from_loose_values() -> None:
    policy = Policy.from_values(
        {
            "min_balance_usd": "20",
            "require_auto_topup": "true",
            "require_payment_method": False,
            "max_topup_failure_age": "7d",
            "min_topup_threshold_usd": 5.5,
        }
    )
    assert policy == Policy(
        min_balance_usd=Decimal(20),
        require_auto_topup=True,
        max_topup_failure_age=timedelta(days=7),
        min_topup_threshold_usd=Decimal("5.5"),
    )


def test_policy_float_is_read_exactly() -> None:
    assert Policy.from_values({"min_balance_usd": 0.1}).min_balance_usd == Decimal("0.1")


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"min_balance_usd": "lots"}, "minBalanceUsd 'lots' is not an amount"),
        ({"min_balance_usd": float("nan")}, "not an amount"),
        ({"require_auto_topup": "maybe"}, "requireAutoTopup 'maybe' is not true or false"),
        ({"max_topup_failure_age": "soon"}, "maxTopupFailureAge 'soon' is not a valid duration"),
        ({"min_balance": 5}, "unknown guardrail parameter 'min_balance'"),
    ],
)
def test_policy_errors_name_the_parameter(values: dict[str, Any], fragment: str) -> None:
    camel = {g.name: g.camel for g in GUARDRAILS}

    with pytest.raises(ConfigurationError, match=fragment):
        Policy.from_values(values, labels=lambda key: camel[key])


def test_empty_policy() -> None:
    assert Policy.from_values({}).is_empty
    assert not Policy.from_values({"require_auto_topup": True}).is_empty


def test_huge_amounts_are_formatted_not_refused() -> None:
    """Found by fuzzing: quantizing 1e26 dollars to the cent overflows decimal's default 28-digit context."""
    assert format_usd(Decimal("-1e26")) == "-$100,000,000,000,000,000,000,000,000.00"


def test_amounts_beyond_the_bound_are_refused_with_the_field_name() -> None:
    with pytest.raises(ValidationError, match=r"balance\n.*must be within \+/-10\^13 cents"):
        balance(balance=-1e28)
    (violation,) = evaluate(balance(balance=-1e13), Policy(min_balance_usd=Decimal(1)), now=NOW).violations
    assert violation.message.startswith("balance -$100,000,000,000.00 is below")


def test_guardrail_amounts_beyond_the_bound_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="out of range"):
        Policy.from_values({"min_balance_usd": "1e400"})


def test_min_runway_days() -> None:
    short = forecast(Decimal("42.505"), SPEND, now=NOW)
    (violation,) = evaluate(balance(), Policy(min_runway_days=Decimal(7)), now=NOW, runway=short).violations
    assert violation.to_dict() == {
        "rule": "min-runway",
        "message": "credits run out in 4.25 days at $10.00 a day (the last 7 days), below the minimum of 7 days",
        "observed": 4.25,
        "expected": 7.0,
    }
    assert evaluate(balance(), Policy(min_runway_days=Decimal("4.25")), now=NOW, runway=short).ok
    idle = forecast(Decimal("42.505"), UsageHistory(history=[]), now=NOW)
    assert evaluate(balance(), Policy(min_runway_days=Decimal(90)), now=NOW, runway=idle).ok  # no spend passes
    with pytest.raises(TypeError, match="read the usage history"):
        evaluate(balance(), Policy(min_runway_days=Decimal(7)), now=NOW)


def test_judge_reads_the_usage_only_when_needed() -> None:
    reads: list[tuple[datetime, datetime]] = []

    def usage(start: datetime, end: datetime) -> UsageHistory:
        reads.append((start, end))
        return SPEND

    verdict, runway = judge(balance(), Policy(min_balance_usd=Decimal(1)), usage, now=NOW)
    assert (verdict.ok, runway, reads) == (True, None, [])
    verdict, runway = judge(balance(), Policy(min_runway_days=Decimal(7)), usage, now=NOW)
    assert reads == [window(NOW)]
    assert runway is not None
    assert runway.runway_days == Decimal("4.25")
    assert [v.rule for v in verdict.violations] == ["min-runway"]
    _, asked = judge(balance(), Policy(), usage, now=NOW, runway=True)
    assert asked == runway


@pytest.mark.parametrize("bad", ["-1", "soon", "36501", True, "$5"])
def test_min_runway_days_values_are_read_strictly(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="is not a number of days"):
        Policy.from_values({"min_runway_days": bad})
    assert Policy.from_values({"min_runway_days": "2.5"}).min_runway_days == Decimal("2.5")
