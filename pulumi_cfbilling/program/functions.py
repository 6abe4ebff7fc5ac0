"""Pulumi data functions, in the shape of generated Pulumi SDKs.

``get_credit_balance`` / ``get_credit_balance_output`` read an account's AI Gateway credit balance and top-up
configuration; ``check_credit_balance`` / ``check_credit_balance_output`` evaluate the guardrails against it.
They call the Cloudflare API directly from the program's process (no plugin to install), in preview and in up,
and share one request per account per run. As in generated SDKs, credentials are not arguments: they come from
Pulumi config (``cfbilling:apiToken``, or pulumi-cloudflare's ``cloudflare:apiToken``) or the environment.

The results are derived from the models, not written out again: each is a dict of the canonical camelCase keys
(so a whole result exports as a stack output) whose snake_case attributes are the model's field names
(``result.balance_usd``, ``result.topup_config.disabled_reason``). Every value is a plain number, string, bool,
list or dict.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any, ClassVar

import pulumi
from pydantic.main import BaseModel

from ..api.models import DERIVED_FIELDS, CreditBalance, PaymentMethod, TopupConfig
from ..api.usage import BUCKET_KEYS, USAGE_KEYS, Window
from ..core.settings import CACHED_AGE_KEY, CHECK_TOKEN, GET_TOKEN, USAGE_TOKEN
from ..core.values import read_day_count, read_window
from ..guardrails.rules import Policy, Violation, guardrail_docs
from ..guardrails.runway import RUNWAY_FIELDS
from ..guardrails.stops import STOP_FIELDS
from ..service.reader import Ask
from .boundary import build_policy, document, for_pulumi, known_output, mock_arguments

__all__ = [
    "AwaitableCheckCreditBalanceResult",
    "AwaitableGetCreditBalanceResult",
    "AwaitableGetUsageHistoryResult",
    "CheckCreditBalanceResult",
    "FirstStopResult",
    "GetCreditBalanceResult",
    "GetUsageHistoryResult",
    "PaymentMethodResult",
    "RunwayResult",
    "TopupConfigResult",
    "UsageBucketResult",
    "ViolationResult",
    "check_credit_balance",
    "check_credit_balance_output",
    "get_credit_balance",
    "get_credit_balance_output",
    "get_usage_history",
    "get_usage_history_output",
]

InvokeOpts = pulumi.InvokeOptions | pulumi.InvokeOutputOptions | None


def _model_names(model: type[BaseModel]) -> dict[str, str]:
    """Attribute (snake_case) -> key (camelCase), from the model's own fields."""
    return {name: field.serialization_alias or name for name, field in model.model_fields.items()}


class _Result(dict):  # type: ignore[type-arg]
    """A result: the canonical document as a dict, read through the model's snake_case attribute names."""

    NAMES: ClassVar[Mapping[str, str]] = {}
    NESTED: ClassVar[Mapping[str, type[_Result]]] = {}

    def __init__(self, document: Mapping[str, Any]) -> None:
        nested = {key: None if document.get(key) is None else cls(document[key]) for key, cls in self.NESTED.items()}
        super().__init__({**document, **nested})

    def __getattr__(self, name: str) -> Any:
        key = self.NAMES.get(name)
        if key is None or key not in self:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return self[key]

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self.NAMES})


class PaymentMethodResult(_Result):
    """The card on file: ``brand``, ``last4``."""

    NAMES: ClassVar[Mapping[str, str]] = _model_names(PaymentMethod)


class TopupConfigResult(_Result):
    """Automatic top-up configuration, raw values as returned (amounts in US cents).

    Attributes: ``amount``, ``threshold``, ``disabled_reason``, ``error``, ``last_failed_at``.
    """

    NAMES: ClassVar[Mapping[str, str]] = _model_names(TopupConfig)


class GetCreditBalanceResult(_Result):
    """The credit balance of one account: every field of :class:`CreditBalance` and its derived values."""

    NAMES: ClassVar[Mapping[str, str]] = {
        **_model_names(CreditBalance),
        **{d.attribute: d.name for d in DERIVED_FIELDS},
        "cached_age_seconds": CACHED_AGE_KEY,
    }
    NESTED: ClassVar[Mapping[str, type[_Result]]] = {
        "paymentMethod": PaymentMethodResult,
        "topupConfig": TopupConfigResult,
    }


class AwaitableGetCreditBalanceResult(GetCreditBalanceResult):
    """The result of :func:`get_credit_balance`, usable directly or with ``await``."""

    def __await__(self) -> Generator[Any, None, GetCreditBalanceResult]:
        if False:  # pragma: no cover - makes this a generator, as in generated SDKs
            yield self
        # A plain (not awaitable) copy: Output.from_input would otherwise await it forever.
        return GetCreditBalanceResult(self)


class ViolationResult(_Result):
    """One broken guardrail: ``rule``, ``message``, ``observed``, ``expected``."""

    NAMES: ClassVar[Mapping[str, str]] = {name: name for name in Violation._fields}


class RunwayResult(_Result):
    """The runway: ``runway_days``, ``burn_usd_per_day``, ``projected_empty_at``, ``spend_usd``, the window."""

    NAMES: ClassVar[Mapping[str, str]] = {f.attribute: f.key for f in RUNWAY_FIELDS}


class FirstStopResult(_Result):
    """What stops first: ``stop``, ``gateway``, ``at``, ``reason``, ``ceiling_usd_per_day``, ``earliest_empty_at``."""

    NAMES: ClassVar[Mapping[str, str]] = {f.attribute: f.key for f in STOP_FIELDS}


class CheckCreditBalanceResult(_Result):
    """The guardrail verdict for one account: ``account_id``, ``ok``, ``violations``, ``runway`` (or ``None``)."""

    NAMES: ClassVar[Mapping[str, str]] = {
        "account_id": "accountId",
        "ok": "ok",
        "violations": "violations",
        "runway": "runway",
        "first_stop": "firstStop",
        "cached_age_seconds": CACHED_AGE_KEY,
    }
    NESTED: ClassVar[Mapping[str, type[_Result]]] = {"runway": RunwayResult, "firstStop": FirstStopResult}

    def __init__(self, document: Mapping[str, Any]) -> None:
        super().__init__({**document, "violations": [ViolationResult(v) for v in document["violations"]]})


class AwaitableCheckCreditBalanceResult(CheckCreditBalanceResult):
    """The result of :func:`check_credit_balance`, usable directly or with ``await``."""

    def __await__(self) -> Generator[Any, None, CheckCreditBalanceResult]:
        if False:  # pragma: no cover - makes this a generator, as in generated SDKs
            yield self
        return CheckCreditBalanceResult(self)


def _balance(account_id: str | None) -> dict[str, Any]:
    return document(GET_TOKEN, account_id, Ask(), {})


def _verdict(account_id: str | None, policy: Policy, guardrails: Mapping[str, Any]) -> dict[str, Any]:
    return document(CHECK_TOKEN, account_id, Ask(policy), mock_arguments(guardrails))


def _usage_ask(days: Any, window: Any) -> Ask:
    """``days`` and ``window`` read as on every surface, when the function is called (a ``RunError`` if bad)."""

    def ask() -> Ask:
        span = read_day_count(days, "days")
        return Ask(usage_days=span, usage_window="hour" if read_window(window, "window") == "hour" else "day")

    return for_pulumi(ask)


def _usage(account_id: str | None, ask: Ask) -> dict[str, Any]:
    return document(USAGE_TOKEN, account_id, ask, {"days": ask.usage_days, "window": ask.usage_window})


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
    return AwaitableGetCreditBalanceResult(_balance(account_id))


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
        pulumi.export("credits", balance)  # the whole result, camelCase keys
    """
    return known_output(account_id, opts, lambda account: GetCreditBalanceResult(_balance(account)))


def check_credit_balance(
    account_id: str | None = None, opts: InvokeOpts = None, **guardrails: Any
) -> AwaitableCheckCreditBalanceResult:
    """Evaluate the guardrails against an account's credit balance; never fails because of a violation.

    :param guardrails: the guardrails by keyword (listed below), as in every surface.
    :returns: ``ok`` and ``violations`` (rule, message, observed, expected). Use :func:`pulumi_cfbilling.guard`
        to stop a deployment instead.
    """
    policy = build_policy(**guardrails)
    return AwaitableCheckCreditBalanceResult(_verdict(account_id, policy, guardrails))


def check_credit_balance_output(
    account_id: pulumi.Input[str] | None = None, opts: InvokeOpts = None, **guardrails: Any
) -> pulumi.Output[CheckCreditBalanceResult]:
    """Evaluate the guardrails against an account's credit balance, as an Output.

    Parameters as :func:`check_credit_balance`; ``account_id`` may be an Input, and ``opts`` may carry
    ``depends_on``. Unknown during preview while the account or a dependency is unknown.
    """
    policy = build_policy(**guardrails)
    return known_output(
        account_id, opts, lambda account: CheckCreditBalanceResult(_verdict(account, policy, guardrails))
    )


for _function in (check_credit_balance, check_credit_balance_output):
    _function.__doc__ = f"{_function.__doc__}\n    Guardrails:\n\n{guardrail_docs()}\n"


class UsageBucketResult(_Result):
    """One bucket of spend: ``id``, ``start``, ``end``, ``aggregated_value`` (raw), ``spend_usd``."""

    NAMES: ClassVar[Mapping[str, str]] = BUCKET_KEYS


class GetUsageHistoryResult(_Result):
    """A usage read: ``account_id``, ``window``, ``start``, ``end``, ``total_usd`` and ``buckets``."""

    NAMES: ClassVar[Mapping[str, str]] = {**USAGE_KEYS, "cached_age_seconds": CACHED_AGE_KEY}

    def __init__(self, document: Mapping[str, Any]) -> None:
        super().__init__({**document, "buckets": [UsageBucketResult(b) for b in document["buckets"]]})


class AwaitableGetUsageHistoryResult(GetUsageHistoryResult):
    """The result of :func:`get_usage_history`, usable directly or with ``await``."""

    def __await__(self) -> Generator[Any, None, GetUsageHistoryResult]:
        if False:  # pragma: no cover - makes this a generator, as in generated SDKs
            yield self
        return GetUsageHistoryResult(self)


def get_usage_history(
    account_id: str | None = None, days: int = 7, window: Window = "day", opts: InvokeOpts = None
) -> AwaitableGetUsageHistoryResult:
    """Read an account's spend per ``window`` (``day`` or ``hour``) over the last ``days`` whole UTC days.

    :param days: 1 to 90 (default 7); the range ends at the last UTC midnight, so it is the same all day.
    :returns: ``total_usd`` and ``buckets`` (raw ``aggregated_value``, assumed US cents, and ``spend_usd``).
    """
    return AwaitableGetUsageHistoryResult(_usage(account_id, _usage_ask(days, window)))


def get_usage_history_output(
    account_id: pulumi.Input[str] | None = None, days: int = 7, window: Window = "day", opts: InvokeOpts = None
) -> pulumi.Output[GetUsageHistoryResult]:
    """:func:`get_usage_history` as an Output; unknown while the account or a ``depends_on`` resource is."""
    ask = _usage_ask(days, window)
    return known_output(account_id, opts, lambda account: GetUsageHistoryResult(_usage(account, ask)))
