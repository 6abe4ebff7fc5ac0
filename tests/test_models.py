"""Models: every field and derived value, nulls, missing and extra keys, strict types."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from pulumi_cfbilling import CreditBalance, cents_to_usd
from pulumi_cfbilling.api.models import unix_time_to_datetime
from pulumi_cfbilling.api.response import read_envelope


def result(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "balance": 640.19,
        "has_default_payment_method": True,
        "payment_method": {"brand": "visa", "last4": "4242"},
        "topup_config": {
            "amount": 2000,
            "threshold": 500,
            "disabledReason": None,
            "error": None,
            "lastFailedAt": None,
        },
        "first_topup_success": True,
    }
    base.update(overrides)
    return base


def test_every_raw_field_is_read() -> None:
    balance = CreditBalance.model_validate(result())
    assert balance.balance == 640.19
    assert balance.has_default_payment_method is True
    assert balance.payment_method is not None
    assert (balance.payment_method.brand, balance.payment_method.last4) == ("visa", "4242")
    assert balance.topup_config.amount == 2000
    assert balance.topup_config.threshold == 500
    assert balance.topup_config.disabled_reason is None
    assert balance.topup_config.error is None
    assert balance.topup_config.last_failed_at is None
    assert balance.first_topup_success is True


def test_raw_numbers_are_kept_exactly_as_sent() -> None:
    balance = CreditBalance.model_validate(result(balance=1000))
    assert type(balance.balance) is int
    assert balance.to_document()["balance"] == 1000


@pytest.mark.parametrize(
    ("cents", "usd"),
    [
        (640.19, Decimal("6.4019")),
        (1000, Decimal("10")),
        (0, Decimal("0")),
        (-42.5, Decimal("-0.425")),
        (0.1, Decimal("0.001")),
    ],
)
def test_balance_usd_is_exact(cents: float, usd: Decimal) -> None:
    assert CreditBalance.model_validate(result(balance=cents)).balance_usd == usd
    assert cents_to_usd(cents) == usd


def test_negative_balance_is_valid() -> None:
    balance = CreditBalance.model_validate(result(balance=-250))
    assert balance.balance_usd == Decimal("-2.5")


def test_topup_usd_values() -> None:
    balance = CreditBalance.model_validate(result())
    assert balance.topup_amount_usd == Decimal("20")
    assert balance.topup_threshold_usd == Decimal("5")


def test_auto_topup_enabled_needs_amount_threshold_and_no_disabled_reason() -> None:
    assert CreditBalance.model_validate(result()).auto_topup_enabled is True
    disabled = result(topup_config={"amount": 2000, "threshold": 500, "disabledReason": "card_expired"})
    assert CreditBalance.model_validate(disabled).auto_topup_enabled is False
    no_amount = result(topup_config={"amount": None, "threshold": 500})
    assert CreditBalance.model_validate(no_amount).auto_topup_enabled is False
    no_threshold = result(topup_config={"amount": 2000})
    assert CreditBalance.model_validate(no_threshold).auto_topup_enabled is False


def test_last_failed_at_in_milliseconds() -> None:
    balance = CreditBalance.model_validate(result(topup_config={"lastFailedAt": 1763900000000}))
    assert balance.topup_last_failed_at == datetime(2025, 11, 23, 12, 13, 20, tzinfo=timezone.utc)
    assert balance.topup_config.last_failed_at == 1763900000000


def test_last_failed_at_in_seconds_is_accepted() -> None:
    balance = CreditBalance.model_validate(result(topup_config={"lastFailedAt": 1763900000}))
    assert balance.topup_last_failed_at == datetime(2025, 11, 23, 12, 13, 20, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", [-1, 1e30])
def test_last_failed_at_that_is_no_date_is_rejected(value: float) -> None:
    with pytest.raises(ValidationError, match="lastFailedAt"):
        CreditBalance.model_validate(result(topup_config={"lastFailedAt": value}))
    with pytest.raises(ValueError, match=r"negative|fits"):
        unix_time_to_datetime(value)


def test_nulls_everywhere_they_are_allowed() -> None:
    balance = CreditBalance.model_validate(
        result(
            payment_method=None,
            topup_config={
                "amount": None,
                "threshold": None,
                "disabledReason": None,
                "error": None,
                "lastFailedAt": None,
            },
            first_topup_success=None,
        )
    )
    assert balance.payment_method is None
    assert balance.topup_amount_usd is None
    assert balance.topup_threshold_usd is None
    assert balance.topup_last_failed_at is None
    assert balance.first_topup_success is None
    assert balance.auto_topup_enabled is False


def test_every_topup_config_key_is_optional() -> None:
    balance = CreditBalance.model_validate(result(topup_config={}))
    assert balance.topup_config.amount is None
    assert balance.auto_topup_enabled is False


def test_first_topup_success_is_optional() -> None:
    data = result()
    del data["first_topup_success"]
    assert CreditBalance.model_validate(data).first_topup_success is None


def test_payment_method_keys_are_optional() -> None:
    balance = CreditBalance.model_validate(result(payment_method={}))
    assert balance.payment_method is not None
    assert balance.payment_method.brand is None


def test_unknown_fields_are_accepted_and_ignored() -> None:
    data = result(new_field={"x": 1}, topup_config={"amount": 1000, "futureKey": True})
    balance = CreditBalance.model_validate(data)
    assert balance.topup_config.amount == 1000
    assert "new_field" not in balance.to_document()


@pytest.mark.parametrize("missing", ["balance", "has_default_payment_method", "payment_method", "topup_config"])
def test_required_keys_are_required(missing: str) -> None:
    data = result()
    del data[missing]
    with pytest.raises(ValidationError, match=missing):
        CreditBalance.model_validate(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("balance", "lots"),
        ("balance", "12.5"),
        ("balance", True),
        ("balance", None),
        ("balance", float("nan")),
        ("balance", float("inf")),
        ("has_default_payment_method", 1),
        ("has_default_payment_method", "true"),
        ("payment_method", "visa"),
        ("topup_config", None),
        ("first_topup_success", "yes"),
    ],
)
def test_wrong_types_are_rejected_with_the_field_name(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        CreditBalance.model_validate(result(**{field: value}))
    assert caught.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize(
    ("key", "value"),
    [("amount", "2000"), ("threshold", False), ("disabledReason", 3), ("error", []), ("lastFailedAt", "yesterday")],
)
def test_wrong_topup_types_are_rejected_with_the_key_name(key: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        CreditBalance.model_validate(result(topup_config={key: value}))
    assert caught.value.errors()[0]["loc"] == ("topup_config", key)


def test_document_uses_canonical_camel_case_names_and_plain_values() -> None:
    document = (
        CreditBalance.model_validate(result(topup_config={"lastFailedAt": 1763900000000}))
        .model_copy(update={"account_id": "0123456789abcdef0123456789abcdef"})
        .to_document()
    )
    assert document == {
        "accountId": "0123456789abcdef0123456789abcdef",
        "balance": 640.19,
        "balanceUsd": 6.4019,
        "hasDefaultPaymentMethod": True,
        "paymentMethod": {"brand": "visa", "last4": "4242"},
        "topupConfig": {
            "amount": None,
            "threshold": None,
            "disabledReason": None,
            "error": None,
            "lastFailedAt": 1763900000000,
        },
        "firstTopupSuccess": True,
        "autoTopupEnabled": False,
        "topupAmountUsd": None,
        "topupThresholdUsd": None,
        "topupLastFailedAt": "2025-11-23T12:13:20Z",
    }
    assert type(document["balanceUsd"]) is float


def test_envelope_requires_success_and_result() -> None:
    envelope, problem = read_envelope({"success": True, "result": {}, "errors": [], "messages": []})
    assert envelope is not None
    assert (envelope.success, envelope.result, envelope.result_info, problem) == (True, {}, None, "")
    # success: false and result: null are well-formed envelopes: what they mean is the caller's to say
    assert read_envelope({"success": False, "result": None})[1] == ""
    for document, problem in [
        ({"result": {}}, "success: Field required"),
        ({"success": True}, "result: Field required"),
        ({"success": "true", "result": {}}, "success: must be true or false"),
        ({"success": 1, "result": {}}, "success: must be true or false"),
        ({"success": True, "result": "text"}, "result: must be an object, a list or null"),
        ({"success": True, "result": {}, "errors": {}}, "errors: must be a list"),
        ({"success": True, "result": {}, "messages": "x"}, "messages: must be a list"),
        ({"success": True, "result": {}, "result_info": []}, "result_info: must be an object or null"),
        ([1, 2], "the document: must be an object"),
        ({}, "success: Field required; result: Field required"),
    ]:
        assert read_envelope(document) == (None, problem), document
