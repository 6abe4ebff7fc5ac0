"""Pulumi data functions, in the shape of generated Pulumi SDKs.

``get_credit_balance`` / ``get_credit_balance_output`` read an account's AI Gateway credit balance and top-up
configuration; ``check_credit_balance`` / ``check_credit_balance_output`` evaluate the guardrails against it.
They call the Cloudflare API directly from the program's process (no plugin to install), in preview and in up,
and share one request per account per run. As in generated SDKs, credentials are not arguments: they come from
Pulumi config (``cfbilling:apiToken``, or pulumi-cloudflare's ``cloudflare:apiToken``) or the environment.
Every value is a plain number, string, bool, list or dict, so it can be exported as a stack output.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pulumi

from ._pulumi import build_policy, fetch_balance, known_output
from .models import CreditBalance
from .rules import Policy, evaluate

__all__ = [
    "AwaitableCheckCreditBalanceResult",
    "AwaitableGetCreditBalanceResult",
    "CheckCreditBalanceResult",
    "GetCreditBalanceResult",
    "PaymentMethodResult",
    "TopupConfigResult",
    "ViolationResult",
    "check_credit_balance",
    "check_credit_balance_output",
    "get_credit_balance",
    "get_credit_balance_output",
]

InvokeOpts = pulumi.InvokeOptions | pulumi.InvokeOutputOptions | None


@pulumi.output_type
class PaymentMethodResult(dict):  # type: ignore[type-arg]
    """The card on file. A dict subclass, as in generated SDKs, so it exports as a plain object."""

    def _translate_property(self, prop: str) -> str:
        # Keys stay the canonical camelCase names, so the object exports as the documented JSON shape.
        return prop

    def __init__(self, *, brand: str | None = None, last4: str | None = None) -> None:
        pulumi.set(self, "brand", brand)
        pulumi.set(self, "last4", last4)

    @property
    @pulumi.getter
    def brand(self) -> str | None:
        """Card brand, such as visa."""
        return pulumi.get(self, "brand")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def last4(self) -> str | None:
        """Last four digits of the card number."""
        return pulumi.get(self, "last4")  # type: ignore[no-any-return]


@pulumi.output_type
class TopupConfigResult(dict):  # type: ignore[type-arg]
    """Automatic top-up configuration, raw values as returned (amounts in US cents)."""

    def _translate_property(self, prop: str) -> str:
        # Keys stay the canonical camelCase names, so the object exports as the documented JSON shape.
        return prop

    def __init__(
        self,
        *,
        amount: float | None = None,
        threshold: float | None = None,
        disabled_reason: str | None = None,
        error: str | None = None,
        last_failed_at: float | None = None,
    ) -> None:
        pulumi.set(self, "amount", amount)
        pulumi.set(self, "threshold", threshold)
        pulumi.set(self, "disabled_reason", disabled_reason)
        pulumi.set(self, "error", error)
        pulumi.set(self, "last_failed_at", last_failed_at)

    @property
    @pulumi.getter
    def amount(self) -> float | None:
        """Amount of each automatic top-up, in US cents."""
        return pulumi.get(self, "amount")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def threshold(self) -> float | None:
        """Balance in US cents below which an automatic top-up is bought."""
        return pulumi.get(self, "threshold")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="disabledReason")
    def disabled_reason(self) -> str | None:
        """Why automatic top-up is disabled, if it is."""
        return pulumi.get(self, "disabled_reason")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def error(self) -> str | None:
        """Why the last automatic top-up failed."""
        return pulumi.get(self, "error")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="lastFailedAt")
    def last_failed_at(self) -> float | None:
        """Unix time in milliseconds of the last failed automatic top-up, as returned."""
        return pulumi.get(self, "last_failed_at")  # type: ignore[no-any-return]


@pulumi.output_type
class GetCreditBalanceResult(dict):  # type: ignore[type-arg]
    """The credit balance of one account, with its payment method and automatic top-up configuration.

    A dict subclass, so the whole result exports as a stack output with the canonical camelCase keys.
    """

    def _translate_property(self, prop: str) -> str:
        return prop

    def __init__(
        self,
        *,
        account_id: str,
        balance: float,
        balance_usd: float,
        has_default_payment_method: bool,
        payment_method: PaymentMethodResult | None,
        topup_config: TopupConfigResult,
        first_topup_success: bool | None,
        auto_topup_enabled: bool,
        topup_amount_usd: float | None,
        topup_threshold_usd: float | None,
        topup_last_failed_at: str | None,
    ) -> None:
        pulumi.set(self, "account_id", account_id)
        pulumi.set(self, "balance", balance)
        pulumi.set(self, "balance_usd", balance_usd)
        pulumi.set(self, "has_default_payment_method", has_default_payment_method)
        pulumi.set(self, "payment_method", payment_method)
        pulumi.set(self, "topup_config", topup_config)
        pulumi.set(self, "first_topup_success", first_topup_success)
        pulumi.set(self, "auto_topup_enabled", auto_topup_enabled)
        pulumi.set(self, "topup_amount_usd", topup_amount_usd)
        pulumi.set(self, "topup_threshold_usd", topup_threshold_usd)
        pulumi.set(self, "topup_last_failed_at", topup_last_failed_at)

    @property
    @pulumi.getter(name="accountId")
    def account_id(self) -> str:
        """The Cloudflare account read."""
        return pulumi.get(self, "account_id")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def balance(self) -> float:
        """Credit balance in US cents, exactly as returned; may be fractional or negative."""
        return pulumi.get(self, "balance")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="balanceUsd")
    def balance_usd(self) -> float:
        """Credit balance in US dollars (640.19 cents is 6.4019)."""
        return pulumi.get(self, "balance_usd")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="hasDefaultPaymentMethod")
    def has_default_payment_method(self) -> bool:
        """Whether a default payment method is on file."""
        return pulumi.get(self, "has_default_payment_method")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="paymentMethod")
    def payment_method(self) -> PaymentMethodResult | None:
        """The card on file, or None."""
        return pulumi.get(self, "payment_method")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="topupConfig")
    def topup_config(self) -> TopupConfigResult:
        """Automatic top-up configuration, raw values as returned."""
        return pulumi.get(self, "topup_config")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="firstTopupSuccess")
    def first_topup_success(self) -> bool | None:
        """Whether the first manual top-up succeeded; None when Cloudflare did not say."""
        return pulumi.get(self, "first_topup_success")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="autoTopupEnabled")
    def auto_topup_enabled(self) -> bool:
        """Whether automatic top-up is on: amount and threshold set, and no disabledReason."""
        return pulumi.get(self, "auto_topup_enabled")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="topupAmountUsd")
    def topup_amount_usd(self) -> float | None:
        """Amount of each automatic top-up in US dollars, or None."""
        return pulumi.get(self, "topup_amount_usd")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="topupThresholdUsd")
    def topup_threshold_usd(self) -> float | None:
        """Balance in US dollars below which an automatic top-up is bought, or None."""
        return pulumi.get(self, "topup_threshold_usd")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="topupLastFailedAt")
    def topup_last_failed_at(self) -> str | None:
        """Time of the last failed automatic top-up, ISO-8601 UTC, or None."""
        return pulumi.get(self, "topup_last_failed_at")  # type: ignore[no-any-return]


class AwaitableGetCreditBalanceResult(GetCreditBalanceResult):
    """The result of :func:`get_credit_balance`, usable directly or with ``await``."""

    def __await__(self) -> Generator[Any, None, GetCreditBalanceResult]:
        if False:  # pragma: no cover - makes this a generator, as in generated SDKs
            yield self
        # A plain (not awaitable) copy: Output.from_input would otherwise await it forever.
        plain = GetCreditBalanceResult.__new__(GetCreditBalanceResult)
        plain.update(self)
        plain.__dict__.update(self.__dict__)
        return plain


@pulumi.output_type
class ViolationResult(dict):  # type: ignore[type-arg]
    """One broken guardrail: rule id, message, and the observed and expected values."""

    def _translate_property(self, prop: str) -> str:
        # Keys stay the canonical camelCase names, so the object exports as the documented JSON shape.
        return prop

    def __init__(self, *, rule: str, message: str, observed: Any, expected: Any) -> None:
        pulumi.set(self, "rule", rule)
        pulumi.set(self, "message", message)
        pulumi.set(self, "observed", observed)
        pulumi.set(self, "expected", expected)

    @property
    @pulumi.getter
    def rule(self) -> str:
        """Rule id: min-balance, auto-topup, payment-method, topup-failure or topup-threshold."""
        return pulumi.get(self, "rule")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def message(self) -> str:
        """What is wrong, in words."""
        return pulumi.get(self, "message")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def observed(self) -> Any:
        """The value found (dollars, a bool, a time or a text)."""
        return pulumi.get(self, "observed")

    @property
    @pulumi.getter
    def expected(self) -> Any:
        """The value the guardrail asks for."""
        return pulumi.get(self, "expected")


@pulumi.output_type
class CheckCreditBalanceResult(dict):  # type: ignore[type-arg]
    """The guardrail verdict for one account.

    A dict subclass, so the whole result exports as a stack output with the canonical camelCase keys.
    """

    def _translate_property(self, prop: str) -> str:
        return prop

    def __init__(self, *, account_id: str, ok: bool, violations: list[ViolationResult]) -> None:
        pulumi.set(self, "account_id", account_id)
        pulumi.set(self, "ok", ok)
        pulumi.set(self, "violations", violations)

    @property
    @pulumi.getter(name="accountId")
    def account_id(self) -> str:
        """The Cloudflare account checked."""
        return pulumi.get(self, "account_id")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def ok(self) -> bool:
        """True when every guardrail passes."""
        return pulumi.get(self, "ok")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def violations(self) -> list[ViolationResult]:
        """Every broken guardrail, in rule order."""
        return pulumi.get(self, "violations")  # type: ignore[no-any-return]


class AwaitableCheckCreditBalanceResult(CheckCreditBalanceResult):
    """The result of :func:`check_credit_balance`, usable directly or with ``await``."""

    def __await__(self) -> Generator[Any, None, CheckCreditBalanceResult]:
        if False:  # pragma: no cover - makes this a generator, as in generated SDKs
            yield self
        # A plain (not awaitable) copy: Output.from_input would otherwise await it forever.
        plain = CheckCreditBalanceResult.__new__(CheckCreditBalanceResult)
        plain.update(self)
        plain.__dict__.update(self.__dict__)
        return plain


def _balance_fields(balance: CreditBalance) -> dict[str, Any]:
    """Constructor arguments of the result classes, from the canonical document (one list of names)."""
    document = balance.to_document()
    payment, topup = document["paymentMethod"], document["topupConfig"]
    return dict(
        account_id=document["accountId"],
        balance=document["balance"],
        balance_usd=document["balanceUsd"],
        has_default_payment_method=document["hasDefaultPaymentMethod"],
        payment_method=None if payment is None else PaymentMethodResult(**payment),
        topup_config=TopupConfigResult(
            amount=topup["amount"],
            threshold=topup["threshold"],
            disabled_reason=topup["disabledReason"],
            error=topup["error"],
            last_failed_at=topup["lastFailedAt"],
        ),
        first_topup_success=document["firstTopupSuccess"],
        auto_topup_enabled=document["autoTopupEnabled"],
        topup_amount_usd=document["topupAmountUsd"],
        topup_threshold_usd=document["topupThresholdUsd"],
        topup_last_failed_at=document["topupLastFailedAt"],
    )


def get_credit_balance(account_id: str | None = None, opts: InvokeOpts = None) -> AwaitableGetCreditBalanceResult:
    """Read the AI Gateway credit balance and top-up configuration of an account.

    :param account_id: the Cloudflare account (32 hex characters); default ``cfbilling:accountId`` or
        ``CLOUDFLARE_ACCOUNT_ID``.
    :param opts: accepted for the shape of generated SDKs; the call is direct HTTP, so provider options do not apply.
    :raises CfBillingError: (also a ``pulumi.RunError``) when the balance cannot be read; Pulumi shows its
        one-line message.

    Example::

        balance = pulumi_cfbilling.get_credit_balance("0123456789abcdef0123456789abcdef")
        pulumi.export("balanceUsd", balance.balance_usd)
    """
    return AwaitableGetCreditBalanceResult(**_balance_fields(fetch_balance(account_id)))


def get_credit_balance_output(
    account_id: pulumi.Input[str] | None = None, opts: InvokeOpts = None
) -> pulumi.Output[GetCreditBalanceResult]:
    """Read the AI Gateway credit balance and top-up configuration of an account, as an Output.

    :param account_id: the account (an Input); default ``cfbilling:accountId`` or ``CLOUDFLARE_ACCOUNT_ID``.
    :param opts: ``InvokeOutputOptions(depends_on=[...])`` delays the read until those resources exist.
    :returns: an Output of :class:`GetCreditBalanceResult`; unknown during preview while ``account_id`` or a
        ``depends_on`` resource is unknown, and no request is made then.

    Example::

        balance = pulumi_cfbilling.get_credit_balance_output(account.id)
        pulumi.export("balanceUsd", balance.balance_usd)
        pulumi.export("autoTopupEnabled", balance.auto_topup_enabled)
    """
    return known_output(
        account_id, opts, lambda account: GetCreditBalanceResult(**_balance_fields(fetch_balance(account)))
    )


def _check_fields(balance: CreditBalance, policy: Policy) -> dict[str, Any]:
    verdict = evaluate(balance, policy).to_dict()
    return {
        "account_id": balance.account_id or "",
        "ok": verdict["ok"],
        "violations": [ViolationResult(**v) for v in verdict["violations"]],
    }


def check_credit_balance(
    account_id: str | None = None,
    min_balance_usd: float | Decimal | None = None,
    require_auto_topup: bool | None = None,
    require_payment_method: bool | None = None,
    max_topup_failure_age: str | timedelta | None = None,
    min_topup_threshold_usd: float | Decimal | None = None,
    opts: InvokeOpts = None,
) -> AwaitableCheckCreditBalanceResult:
    """Evaluate the guardrails against an account's credit balance; never fails because of a violation.

    :param min_balance_usd: violated when the balance in dollars is below this.
    :param require_auto_topup: violated when automatic top-up is off.
    :param require_payment_method: violated when no default payment method is on file.
    :param max_topup_failure_age: violated when the last automatic top-up failed within this age (``12h``,
        ``7d`` or a ``timedelta``), or failed at an unknown time.
    :param min_topup_threshold_usd: violated when the top-up threshold in dollars is unset or below this.
    :returns: ``ok`` and ``violations`` (rule, message, observed, expected). Use :func:`pulumi_cfbilling.guard`
        to stop a deployment instead.
    """
    policy = build_policy(
        min_balance_usd=min_balance_usd,
        require_auto_topup=require_auto_topup,
        require_payment_method=require_payment_method,
        max_topup_failure_age=max_topup_failure_age,
        min_topup_threshold_usd=min_topup_threshold_usd,
    )
    return AwaitableCheckCreditBalanceResult(**_check_fields(fetch_balance(account_id), policy))


def check_credit_balance_output(
    account_id: pulumi.Input[str] | None = None,
    min_balance_usd: float | Decimal | None = None,
    require_auto_topup: bool | None = None,
    require_payment_method: bool | None = None,
    max_topup_failure_age: str | timedelta | None = None,
    min_topup_threshold_usd: float | Decimal | None = None,
    opts: InvokeOpts = None,
) -> pulumi.Output[CheckCreditBalanceResult]:
    """Evaluate the guardrails against an account's credit balance, as an Output.

    Parameters as :func:`check_credit_balance`; ``account_id`` may be an Input, and ``opts`` may carry
    ``depends_on``. Unknown during preview while the account or a dependency is unknown.
    """
    policy = build_policy(
        min_balance_usd=min_balance_usd,
        require_auto_topup=require_auto_topup,
        require_payment_method=require_payment_method,
        max_topup_failure_age=max_topup_failure_age,
        min_topup_threshold_usd=min_topup_threshold_usd,
    )
    return known_output(
        account_id, opts, lambda account: CheckCreditBalanceResult(**_check_fields(fetch_balance(account), policy))
    )
