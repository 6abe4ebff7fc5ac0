"""The rule functions behind the guardrails, and the :class:`Violation` they report. Pure: no I/O, no Pulumi.

Each takes the balance, the guardrail's value (as :data:`_values.KINDS` reads it), the time of the check and the
:class:`Facts` (the runway, the gateways and the invoice preview, each read only for the guardrails that need it),
and returns a :class:`Violation` or ``None``. A rule whose fact was not read fails loudly, never open. Messages are
read by people (terminals, CI logs, Pulumi): the server's text in them is neutralised.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..core.amounts import format_usd, to_cents
from ..core.errors import CannotJudgeError
from ..core.records import Record
from ..core.text import neutralize
from ..core.values import format_duration

if TYPE_CHECKING:  # the models load pydantic: not needed to import the rules
    from ..api.gateways import Gateways
    from ..api.invoices import InvoicePreview
    from ..api.models import CreditBalance
    from .runway import Runway

__all__ = [
    "Facts",
    "Violation",
    "auto_topup",
    "invoice_due",
    "min_balance",
    "min_runway",
    "payment_method",
    "spend_limit",
    "spend_limit_with_auto_topup",
    "topup_failure",
    "topup_threshold",
]


class Facts(Record):
    """What was read besides the balance, for the rules that judge it; ``None`` when not read."""

    runway: Runway | None = None
    gateways: Gateways | None = None
    invoice: InvoicePreview | None = None


class Violation(Record):
    """One broken guardrail: which rule, a human message, and what was observed against what was expected."""

    rule: str
    message: str
    observed: Any
    expected: Any

    def to_dict(self) -> dict[str, Any]:
        """Plain values only, so the violation serializes anywhere (JSON, Pulumi outputs)."""
        return {"rule": self.rule, "message": self.message, "observed": self.observed, "expected": self.expected}


def _money(amount: Decimal, against: Decimal) -> str:
    """``amount`` to the cent as the tables show it, or exact where rounding would hide why a rule failed.

    Exact (sign first) when the cents of ``amount`` equal those of ``against``, the limit it is compared with:
    $19.995 against $20.00.
    """
    if to_cents(amount) != to_cents(against) or amount == to_cents(amount):
        return format_usd(amount)
    return f"-${-amount}" if amount < 0 else f"${amount}"


def _number(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)


def min_balance(balance: CreditBalance, minimum: Decimal, now: datetime, facts: Facts) -> Violation | None:
    """The balance is below ``minimum`` dollars."""
    if balance.balance_usd >= minimum:
        return None
    return Violation(
        "min-balance",
        f"balance {_money(balance.balance_usd, minimum)} is below the minimum of "
        f"{_money(minimum, balance.balance_usd)}",
        float(balance.balance_usd),
        float(minimum),
    )


def auto_topup(balance: CreditBalance, required: bool, now: datetime, facts: Facts) -> Violation | None:
    """Automatic top-up is off."""
    if balance.auto_topup_enabled:
        return None
    config = balance.topup_config
    # Messages are read by people (terminals, CI logs, Pulumi): the server's text is neutralised.
    reason = neutralize(config.disabled_reason) if config.disabled_reason else "amount or threshold not set"
    return Violation("auto-topup", f"automatic top-up is off ({reason})", False, True)


def payment_method(balance: CreditBalance, required: bool, now: datetime, facts: Facts) -> Violation | None:
    """No default payment method is on file."""
    if balance.has_default_payment_method:
        return None
    return Violation("payment-method", "no default payment method is on file", False, True)


def topup_failure(balance: CreditBalance, age: timedelta, now: datetime, facts: Facts) -> Violation | None:
    """The last automatic top-up failed within ``age`` (or at an unknown time)."""
    when, error = balance.topup_last_failed_at, balance.topup_config.error
    expected = f"no failed automatic top-up within {format_duration(age)}"
    why = f": {neutralize(error)}" if error else ""
    if when is None:
        if not error:
            return None
        return Violation("topup-failure", f"the last automatic top-up failed at an unknown time{why}", error, expected)
    if now - when > age:
        return None
    return Violation(
        "topup-failure",
        f"the last automatic top-up failed at {when:%Y-%m-%d %H:%M} UTC, within {format_duration(age)}{why}",
        when.isoformat().replace("+00:00", "Z"),
        expected,
    )


def topup_threshold(balance: CreditBalance, minimum: Decimal, now: datetime, facts: Facts) -> Violation | None:
    """The automatic top-up threshold is unset or below ``minimum`` dollars."""
    threshold = balance.topup_threshold_usd
    if threshold is not None and threshold >= minimum:
        return None
    shown = "not set" if threshold is None else _money(threshold, minimum)
    return Violation(
        "topup-threshold",
        f"automatic top-up threshold is {shown}, below the minimum of "
        f"{_money(minimum, minimum if threshold is None else threshold)}",
        _number(threshold),
        float(minimum),
    )


def min_runway(balance: CreditBalance, minimum: Decimal, now: datetime, facts: Facts) -> Violation | None:
    """The credits run out in fewer than ``minimum`` days at the recent rate of spend (no spend passes)."""
    runway = facts.runway
    if runway is None:  # a surface that switched the rule on without reading the usage: fail loudly, never open
        raise TypeError("min_runway_days needs the runway: read the usage history before evaluating")
    days = runway.runway_days
    if days is None or days >= minimum:
        return None
    window = "the last day" if runway.days == 1 else f"the last {runway.days} days"
    return Violation(
        "min-runway",
        f"credits run out in {days} days at {format_usd(runway.burn_usd_per_day)} a day ({window}), below the "
        f"minimum of {format(minimum.normalize(), 'f')} days",
        float(days),
        float(minimum),
    )


def _gateways(facts: Facts, name: str) -> Gateways:
    if facts.gateways is None:  # switched on without reading the gateways: fail loudly, never open
        raise TypeError(f"{name} needs the gateways: read them before evaluating")
    return facts.gateways


def _names(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(neutralize(i, 64) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def spend_limit(balance: CreditBalance, required: bool, now: datetime, facts: Facts) -> Violation | None:
    """A gateway that can spend credits (not ``byok_only``) has no enabled cost rule."""
    uncapped = _gateways(facts, "require_spend_limit").uncapped
    if not uncapped:
        return None
    why = "; ".join(f"{neutralize(g.id, 64)}: {g.spend_limit_gap}" for g in uncapped[:5])
    more = f"; and {len(uncapped) - 5} more" if len(uncapped) > 5 else ""
    count = len(uncapped)
    return Violation(
        "spend-limit",
        f"{count} gateway{'s' if count != 1 else ''} can spend credits with no enabled cost limit ({why}{more})",
        [g.id for g in uncapped],
        "an enabled cost rule on every gateway that can bill through Unified Billing",
    )


def spend_limit_with_auto_topup(
    balance: CreditBalance, required: bool, now: datetime, facts: Facts
) -> Violation | None:
    """Automatic top-up is on and no gateway has an enabled cost rule: nothing bounds the spend."""
    gateways = _gateways(facts, "require_spend_limit_with_auto_topup")
    if not balance.auto_topup_enabled or any(g.has_spend_limit for g in gateways.unified):
        return None
    unified = [g.id for g in gateways.unified]
    where = f"gateways {_names(unified)}" if unified else "no gateway can spend credits today"
    return Violation(
        "spend-limit-with-auto-topup",
        f"automatic top-up is on and no gateway has an enabled cost limit ({where}): nothing bounds the spend",
        False,
        True,
    )


def invoice_due(balance: CreditBalance, maximum: Decimal, now: datetime, facts: Facts) -> Violation | None:
    """The open period's amount due is above ``maximum`` dollars."""
    invoice = facts.invoice
    if invoice is None:  # switched on without reading the invoice preview: fail loudly, never open
        raise TypeError("max_invoice_due_usd needs the invoice preview: read it before evaluating")
    due = invoice.amount_due_usd
    if due is None:
        currency = neutralize(invoice.currency, 16)
        raise CannotJudgeError(
            f"the invoice preview of account {balance.account_id} is in {currency!r}, not usd: max-invoice-due-usd "
            "judges US dollars; switch it off for this account, or report the currency"
        )
    if due <= maximum:
        return None
    return Violation(
        "invoice-due",
        f"the open period's invoice is {_money(due, maximum)} due, above the maximum of {_money(maximum, due)}",
        float(due),
        float(maximum),
    )
