"""Typed model of the gateways route: each gateway's spend limits and whether it can bill through Unified Billing.

``GET /accounts/{id}/ai-gateway/gateways`` answers a page of gateways at a time (``page``, ``per_page`` and
``result_info``); :meth:`BillingClient.get_gateways` follows the pages up to :data:`MAX_GATEWAY_PAGES`. Fields and
their meaning come from Cloudflare's official SDK (``cloudflare`` 5.9.0, ``AIGatewayListResponse``); only what the
billing picture needs is modelled, the rest of a gateway (logging, DLP, guardrails, OTel) is ignored.

Units: the SDK types ``spend_limits.rules[].limit`` as a bare number and ``window`` as an integer. Cloudflare's
spend-limits page says a rule is "a budget (in dollars)" over a time window, so :data:`LIMIT_UNIT` is US dollars;
the window's unit is not documented anywhere we can read, and :data:`WINDOW_UNIT` takes it as seconds, the unit of
the same object's ``rate_limiting_interval``. Each assumption is one constant, used by every derived value.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic.fields import Field
from pydantic.functional_validators import field_validator

from ..core.amounts import MAX_CENTS
from .models import Number, _Model
from .response import info_number

__all__ = [
    "GATEWAYS_PER_PAGE",
    "GATEWAY_FIELDS",
    "LIMIT_UNIT",
    "MAX_GATEWAY_PAGES",
    "RULE_FIELDS",
    "WINDOW_UNIT",
    "Gateway",
    "GatewayPage",
    "Gateways",
    "RuleFilter",
    "SpendLimitRule",
    "SpendLimits",
    "gateway_document",
    "rule_document",
]

LIMIT_UNIT = "US dollars"
"""The unit of a spend-limit rule's ``limit`` (Cloudflare's docs: "a budget (in dollars)")."""
WINDOW_UNIT = "seconds"
"""The unit assumed for a rule's ``window`` (not documented; that of ``rate_limiting_interval``)."""
GATEWAYS_PER_PAGE = 50
"""Gateways asked for per page."""
MAX_GATEWAY_PAGES = 40
"""Pages followed at most (2,000 gateways): a server that never stops paging is an error, not an endless read."""


def _limit(value: int | float) -> int | float:
    # Number has already refused strings, bools, NaN and infinity.
    if not 0 <= value <= MAX_CENTS / 100:
        raise ValueError("must be 0 or more and at most 10^11 dollars")
    return value


class RuleFilter(_Model):
    """A rule's ``model`` or ``provider`` filter: only requests to these values count against it."""

    mode: str = Field(description="filter (the only mode the API documents for models and providers).")
    values: list[str] = Field(default_factory=list, description="The models or providers the rule counts.")


class SpendLimitRule(_Model):
    """One spend-limit rule: at most ``limit`` dollars of cost per ``window``, for the requests it matches."""

    id: str | None = Field(default=None, description="The rule's id, as sent.")
    enabled: bool | None = Field(default=None, description="Whether the rule is on; null when Cloudflare did not say.")
    limit: Number = Field(description=f"The budget per window, as sent ({LIMIT_UNIT}).")
    limit_type: str = Field(alias="limitType", description="What the limit counts: cost (the only documented type).")
    window: int = Field(description=f"The window the budget is counted over, as sent (assumed {WINDOW_UNIT}).")
    technique: str | None = Field(default=None, description="fixed or sliding window; null when not sent.")
    model: RuleFilter | None = Field(default=None, description="Only these models count, when set.")
    provider: RuleFilter | None = Field(default=None, description="Only these providers count, when set.")
    metadata: dict[str, Any] | None = Field(default=None, description="Custom-metadata scoping, as sent.")

    @field_validator("limit")
    @classmethod
    def _limit_fits(cls, value: int | float) -> int | float:
        return _limit(value)

    @field_validator("window")
    @classmethod
    def _window(cls, value: int) -> int:
        if not 0 < value <= 10 * 366 * 86400:
            raise ValueError("must be a positive number of seconds, at most ten years")
        return value

    @property
    def limit_usd(self) -> Decimal:
        """The budget per window in US dollars, exact."""
        return Decimal(repr(self.limit))

    @property
    def counts(self) -> bool:
        """Whether this rule is an enabled cost limit: switched on explicitly (an unstated ``enabled`` is not proof)."""
        return self.enabled is True and self.limit_type == "cost"

    @property
    def scoped(self) -> bool:
        """Whether only some requests count (a model, provider or metadata scope): then it caps only those."""
        return self.model is not None or self.provider is not None or bool(self.metadata)


class SpendLimits(_Model):
    """A gateway's spend limits: a switch and the rules under it."""

    enabled: bool | None = Field(default=None, description="Whether spend limits are on; null when not sent.")
    rules: list[SpendLimitRule] | None = Field(default=None, description="The rules, as sent.")


class Gateway(_Model):
    """One AI gateway, as far as billing goes: can it bill through Unified Billing, and what caps its spend."""

    id: str = Field(description="The gateway's id (its name in the account).")
    byok_only: bool | None = Field(
        default=None,
        description="True when only the customer's own provider keys are used: no fallback to Unified Billing.",
    )
    workers_ai_billing_mode: str | None = Field(
        default=None, description="How Workers AI calls are billed: postpaid or unified; null when not sent."
    )
    spend_limits: SpendLimits | None = Field(default=None, description="The gateway's spend limits, as sent.")
    rate_limiting_limit: int | None = Field(default=None, description="Requests allowed per interval, if set.")
    rate_limiting_interval: int | None = Field(default=None, description="The rate limit's interval in seconds.")

    @property
    def bills_unified(self) -> bool:
        """Whether the gateway can spend credits: anything but an explicit ``byok_only: true``."""
        return self.byok_only is not True

    @property
    def cost_rules(self) -> tuple[SpendLimitRule, ...]:
        """The enabled cost rules, when spend limits are switched on explicitly; none otherwise."""
        limits = self.spend_limits
        if limits is None or limits.enabled is not True:
            return ()
        return tuple(rule for rule in limits.rules or () if rule.counts)

    @property
    def has_spend_limit(self) -> bool:
        """Whether at least one enabled cost rule caps the gateway."""
        return bool(self.cost_rules)

    @property
    def spend_limit_gap(self) -> str:
        """Why the gateway has no enabled cost rule, in words (``""`` when it has one)."""
        limits = self.spend_limits
        if self.has_spend_limit:
            return ""
        if limits is None:
            return "no spend limits"
        if limits.enabled is not True:
            return "spend limits are off" if limits.enabled is False else "spend limits not stated as enabled"
        if not limits.rules:
            return "spend limits have no rules"
        return "no rule is an enabled cost limit"


class GatewayPage(_Model):
    """One page of the gateways route: its list ``result`` and its ``result_info``."""

    items: list[Gateway]
    result_info: dict[str, Any]

    def more(self, page: int, per_page: int) -> bool:
        """Whether another page follows this one (``page``, of ``per_page``).

        ``result_info`` says so when it has ``total_pages`` or ``total_count``; without either, a full page means
        there may be more, as Cloudflare's SDK reads it (it asks until a page comes back empty).
        """
        pages, total = info_number(self.result_info, "total_pages"), info_number(self.result_info, "total_count")
        if pages is not None:
            return pages > page
        if total is not None:
            return total > page * per_page
        return len(self.items) >= per_page


class Gateways(_Model):
    """Every gateway of one account, in the order sent."""

    account_id: str | None = Field(default=None, description="The Cloudflare account read.")
    gateways: list[Gateway] = Field(description="The gateways, as sent.")

    @property
    def unified(self) -> tuple[Gateway, ...]:
        """The gateways that can spend credits (not ``byok_only``)."""
        return tuple(g for g in self.gateways if g.bills_unified)

    @property
    def uncapped(self) -> tuple[Gateway, ...]:
        """The gateways that can spend credits with no enabled cost rule: no upper bound on their spend."""
        return tuple(g for g in self.unified if not g.has_spend_limit)


def rule_document(rule: SpendLimitRule) -> dict[str, Any]:
    """A rule as plain camelCase values, with its dollars and whether it counts."""
    return {
        "id": rule.id,
        "enabled": rule.enabled,
        "limit": rule.limit,
        "limitUsd": float(rule.limit_usd),
        "limitType": rule.limit_type,
        "windowSeconds": rule.window,
        "technique": rule.technique,
        "scoped": rule.scoped,
        "counts": rule.counts,
    }


def gateway_document(gateway: Gateway) -> dict[str, Any]:
    """A gateway as plain camelCase values: what it can bill, its limits, and what is missing."""
    limits = gateway.spend_limits
    return {
        "id": gateway.id,
        "byokOnly": gateway.byok_only,
        "billsUnified": gateway.bills_unified,
        "workersAiBillingMode": gateway.workers_ai_billing_mode,
        "spendLimitsEnabled": None if limits is None else limits.enabled,
        "rules": [rule_document(rule) for rule in (limits.rules if limits and limits.rules else [])],
        "hasSpendLimit": gateway.has_spend_limit,
        "spendLimitGap": gateway.spend_limit_gap or None,
    }


GATEWAY_FIELDS: Mapping[str, tuple[str, bool, str]] = {
    "id": ("string", False, "The gateway's id."),
    "byokOnly": ("boolean", True, "True when the gateway uses only the customer's own keys (no Unified Billing)."),
    "billsUnified": ("boolean", False, "Whether the gateway can spend credits (anything but byokOnly true)."),
    "workersAiBillingMode": ("string", True, "postpaid or unified, as sent; null when not sent."),
    "spendLimitsEnabled": ("boolean", True, "The spend-limits switch, as sent; null when not sent."),
    "hasSpendLimit": ("boolean", False, "Whether an enabled cost rule caps it (enabled must be sent as true)."),
    "spendLimitGap": ("string", True, "Why there is no enabled cost rule, in words; null when there is one."),
}
"""A gateway's scalar keys in documents and schema.json: (type, nullable, meaning); ``rules`` aside."""
RULE_FIELDS: Mapping[str, tuple[str, bool, str]] = {
    "id": ("string", True, "The rule's id, as sent."),
    "enabled": ("boolean", True, "Whether the rule is on, as sent; null when not sent."),
    "limit": ("number", False, f"The budget per window, as sent ({LIMIT_UNIT})."),
    "limitUsd": ("number", False, "The budget per window in US dollars."),
    "limitType": ("string", False, "What the limit counts: cost."),
    "windowSeconds": ("integer", False, f"The window, as sent (assumed {WINDOW_UNIT})."),
    "technique": ("string", True, "fixed or sliding; null when not sent."),
    "scoped": ("boolean", False, "True when only some models, providers or metadata count against it."),
    "counts": ("boolean", False, "True for an enabled cost rule: one the spend-limit guardrails accept."),
}
"""A rule's keys in documents and schema.json: (type, nullable, meaning)."""
