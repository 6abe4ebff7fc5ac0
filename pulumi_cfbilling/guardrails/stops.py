"""What stops first: the credits at zero (HTTP 402), or a gateway's cost limit inside its window (HTTP 429). Pure.

What these routes allow, and no more (nothing here guesses):

- The credit balance and the account's spend per day (the runway) say when the credits run out at the recent rate.
- The gateways say which can spend credits and the cost rules that cap each, but no route gives spend per gateway.
  So a gateway's limit can be placed in time only when **one** gateway can spend credits: then the account's spend
  is that gateway's (at least: its limit also counts its own-key requests), and if the recent rate spends more than
  an unscoped rule's budget in its window, that gateway answers 429 within one window, wherever the window now is.
- With several gateways that can spend credits, which one reaches its limit first cannot be computed. What can be:
  when every one of them has an unscoped cost rule, their budgets bound the account's spend per day (the
  ``ceiling``), and so the earliest the credits can run out whatever the traffic does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from ..core.amounts import plain_value
from ..core.records import Record
from ..core.text import neutralize

if TYPE_CHECKING:  # the models load pydantic
    from ..api.gateways import Gateway, Gateways, SpendLimitRule
    from .runway import Runway

__all__ = ["STOP_FIELDS", "FirstStop", "StopField", "first_stop"]

Stop = Literal["credits", "spend-limit", "none"]


class StopField(Record):
    """One field of the first stop under every name: attribute, canonical key, JSON type, nullable, meaning."""

    attribute: str
    key: str
    type: str
    nullable: bool
    description: str


STOP_FIELDS: tuple[StopField, ...] = (
    StopField(
        "stop",
        "stop",
        "string",
        False,
        "What stops traffic first at the recent rate: credits (HTTP 402), spend-limit (a gateway's HTTP 429) "
        "or none (no spend, or nothing that stops).",
    ),
    StopField("gateway", "gateway", "string", True, "The gateway whose cost limit stops first; null otherwise."),
    StopField(
        "at",
        "at",
        "string",
        True,
        "When, ISO-8601 UTC: the credits' projected end, or the end of the gateway's current window at the latest.",
    ),
    StopField("reason", "reason", "string", False, "Why, and what these routes cannot tell, in words."),
    StopField(
        "ceiling_usd_per_day",
        "ceilingUsdPerDay",
        "number",
        True,
        "Most the gateways can spend per day under their unscoped cost rules; null when one has none.",
    ),
    StopField(
        "earliest_empty_at",
        "earliestEmptyAt",
        "string",
        True,
        "The earliest the credits can run out if every gateway spends its whole budget; null without a ceiling.",
    ),
)
"""The first stop's fields, in document order."""


@dataclass(frozen=True)
class FirstStop:
    """What stops first, when, and what could not be known."""

    stop: Stop
    gateway: str | None
    at: datetime | None
    reason: str
    ceiling_usd_per_day: Decimal | None
    earliest_empty_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """Plain values with the canonical camelCase names."""
        return {f.key: plain_value(getattr(self, f.attribute)) for f in STOP_FIELDS}


_DAY = Decimal(86400)


def _per_day(rule: SpendLimitRule) -> Decimal:
    # A fixed window can pass a whole budget at the end of one window and another at the start of the next; per day
    # that is still at most limit * day / window on average, which is what a bound over days needs.
    return rule.limit_usd * _DAY / Decimal(rule.window)


def _unscoped(gateway: Gateway) -> list[SpendLimitRule]:
    """The gateway's enabled cost rules that cap all its spend (a scoped one caps only some requests)."""
    return [rule for rule in gateway.cost_rules if not rule.scoped]


def _ceiling(gateways: Gateways) -> tuple[Decimal, str]:
    """The most the gateways that can spend credits can spend per day, or why it cannot be bounded."""
    total = Decimal(0)
    for gateway in gateways.unified:
        unscoped = _unscoped(gateway)
        if not unscoped:
            gap = gateway.spend_limit_gap or "its cost rules only cover some models, providers or metadata"
            return Decimal(0), f"gateway {neutralize(gateway.id, 64)} has no cap on all its spend ({gap})"
        total += min(_per_day(rule) for rule in unscoped)
    return total, ""


def first_stop(balance_usd: Decimal, runway: Runway, gateways: Gateways, now: datetime) -> FirstStop:
    """What stops first for an account, from its runway and gateways (see the module's docstring)."""
    unified = gateways.unified
    ceiling, unbounded = _ceiling(gateways)
    earliest = now + timedelta(days=float(max(balance_usd, Decimal(0)) / ceiling)) if ceiling else None
    bound = (ceiling if unified and not unbounded else None, earliest)
    credits_at = runway.projected_empty_at if runway.runway_days is not None else None
    if len(unified) == 1:
        gateway = unified[0]
        name = neutralize(gateway.id, 64)
        over = [r for r in _unscoped(gateway) if runway.burn_usd_per_day * Decimal(r.window) / _DAY >= r.limit_usd]
        if over:
            rule = min(over, key=lambda r: r.window)
            limit_at = now + timedelta(seconds=rule.window)
            if credits_at is None or limit_at < credits_at:
                return FirstStop(
                    "spend-limit",
                    gateway.id,
                    limit_at,
                    f"the only gateway that spends credits, {name}, spends "
                    f"${runway.burn_usd_per_day:.2f} a day, over its ${rule.limit_usd} per {rule.window} s budget: "
                    "it answers 429 within one window, before the credits run out",
                    *bound,
                )
        capped = "stays under its cost limits at this rate" if gateway.has_spend_limit else "has no cap"
        reason = f"the only gateway that spends credits, {name}, {capped}"
    elif not gateways.gateways:
        reason = "the account has no gateways"
    elif not unified:
        reason = "no gateway can spend credits (every one is byok_only)"
    else:
        reason = (
            f"{len(unified)} gateways spend credits and no route gives spend per gateway: which reaches its cost "
            "limit first cannot be computed"
        )
        reason += f"; {unbounded}" if unbounded else ""
    if credits_at is None:
        why = "nothing is spent" if runway.runway_days is None else "the credits outlast the forecast"
        return FirstStop("none", None, None, f"{why}; {reason}", *bound)
    return FirstStop("credits", None, credits_at, f"the credits run out first at the recent rate; {reason}", *bound)
