"""The route functions as Pulumi data functions: ``get_gateways`` and ``get_invoice_preview`` (+ ``_output``).

One per row of :data:`service.functions.ROUTE_FUNCTIONS`, in the shape of generated Pulumi SDKs, read through the
same boundary as the balance (one request per route and account per run, mocks asked under ``set_mocks``). Each
result is the function's document as a dict of camelCase keys, read through snake_case attributes
(``result.first_stop``, ``gateway.has_spend_limit``).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from typing import Any, ClassVar

import pulumi

from ..api.gateways import GATEWAY_FIELDS, RULE_FIELDS
from ..api.invoices import INVOICE_FIELDS
from ..core.settings import CACHED_AGE_KEY, GATEWAYS_TOKEN, INVOICE_TOKEN, snake
from ..service.functions import route_function
from .boundary import document, known_output
from .functions import FirstStopResult, InvokeOpts, RunwayResult, _Result

__all__ = [
    "AwaitableGetGatewaysResult",
    "AwaitableGetInvoicePreviewResult",
    "GatewayResult",
    "GetGatewaysResult",
    "GetInvoicePreviewResult",
    "SpendLimitRuleResult",
    "get_gateways",
    "get_gateways_output",
    "get_invoice_preview",
    "get_invoice_preview_output",
]


def _snake(keys: Iterable[str]) -> dict[str, str]:
    """CamelCase keys by their snake_case attribute names."""
    return {snake(key): key for key in keys}


class SpendLimitRuleResult(_Result):
    """One spend-limit rule: ``limit_usd``, ``window_seconds``, ``technique``, ``scoped``, ``counts``, ..."""

    NAMES: ClassVar[Mapping[str, str]] = _snake(RULE_FIELDS)


class GatewayResult(_Result):
    """One gateway: ``id``, ``bills_unified``, ``has_spend_limit``, ``spend_limit_gap``, ``rules``, ..."""

    NAMES: ClassVar[Mapping[str, str]] = _snake([*GATEWAY_FIELDS, "rules"])

    def __init__(self, document: Mapping[str, Any]) -> None:
        super().__init__({**document, "rules": [SpendLimitRuleResult(rule) for rule in document["rules"]]})


class GetGatewaysResult(_Result):
    """Every gateway of an account: ``gateways``, ``uncapped`` (ids), ``first_stop``, ``runway``."""

    NAMES: ClassVar[Mapping[str, str]] = {
        **_snake(["accountId", "gateways", "uncapped", "firstStop", "runway"]),
        "cached_age_seconds": CACHED_AGE_KEY,
    }
    NESTED: ClassVar[Mapping[str, type[_Result]]] = {"firstStop": FirstStopResult, "runway": RunwayResult}

    def __init__(self, document: Mapping[str, Any]) -> None:
        super().__init__({**document, "gateways": [GatewayResult(g) for g in document["gateways"]]})


class AwaitableGetGatewaysResult(GetGatewaysResult):
    """The result of :func:`get_gateways`, usable directly or with ``await``."""

    def __await__(self) -> Generator[Any, None, GetGatewaysResult]:
        if False:  # pragma: no cover - makes this a generator, as in generated SDKs
            yield self
        return GetGatewaysResult(self)


class GetInvoicePreviewResult(_Result):
    """The open period's invoice: ``amount_due`` (raw), ``amount_due_usd``, ``period_start``, ``status``, ..."""

    NAMES: ClassVar[Mapping[str, str]] = {**_snake(INVOICE_FIELDS), "cached_age_seconds": CACHED_AGE_KEY}


class AwaitableGetInvoicePreviewResult(GetInvoicePreviewResult):
    """The result of :func:`get_invoice_preview`, usable directly or with ``await``."""

    def __await__(self) -> Generator[Any, None, GetInvoicePreviewResult]:
        if False:  # pragma: no cover - makes this a generator, as in generated SDKs
            yield self
        return GetInvoicePreviewResult(self)


def _read(token: str, account_id: str | None) -> dict[str, Any]:
    function = route_function(token)
    assert function is not None  # the tokens below are rows of the table
    return document(token, account_id, function.ask, {})


def get_gateways(account_id: str | None = None, opts: InvokeOpts = None) -> AwaitableGetGatewaysResult:
    """Read every AI gateway of an account: its spend limits, those with no cap, and what stops first.

    :param account_id: the Cloudflare account; default ``cfbilling:accountId`` or ``CLOUDFLARE_ACCOUNT_ID``.
    :raises CfBillingError: (also a ``pulumi.RunError``) when the gateways cannot be read.

    Example::

        gateways = pulumi_cfbilling.get_gateways()
        pulumi.export("uncapped", gateways.uncapped)
    """
    return AwaitableGetGatewaysResult(_read(GATEWAYS_TOKEN, account_id))


def get_gateways_output(
    account_id: pulumi.Input[str] | None = None, opts: InvokeOpts = None
) -> pulumi.Output[GetGatewaysResult]:
    """:func:`get_gateways` as an Output; unknown while the account or a ``depends_on`` resource is."""
    return known_output(account_id, opts, lambda account: GetGatewaysResult(_read(GATEWAYS_TOKEN, account)))


def get_invoice_preview(account_id: str | None = None, opts: InvokeOpts = None) -> AwaitableGetInvoicePreviewResult:
    """Read the open billing period's invoice of an account (amounts raw, assumed US cents, and in dollars).

    Example::

        invoice = pulumi_cfbilling.get_invoice_preview()
        pulumi.export("amountDueUsd", invoice.amount_due_usd)
    """
    return AwaitableGetInvoicePreviewResult(_read(INVOICE_TOKEN, account_id))


def get_invoice_preview_output(
    account_id: pulumi.Input[str] | None = None, opts: InvokeOpts = None
) -> pulumi.Output[GetInvoicePreviewResult]:
    """:func:`get_invoice_preview` as an Output; unknown while the account or a ``depends_on`` resource is."""
    return known_output(account_id, opts, lambda account: GetInvoicePreviewResult(_read(INVOICE_TOKEN, account)))
