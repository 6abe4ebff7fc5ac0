"""The five guardrails, as pure functions shared by every surface, so a rule means the same everywhere.

``evaluate(balance, policy)`` returns a :class:`Verdict`; its ``to_dict()`` is the plain, serializable shape every
surface shows: ``{"ok": bool, "violations": [{"rule", "message", "observed", "expected"}]}``. Rule ids:
``min-balance``, ``auto-topup``, ``payment-method``, ``topup-failure``, ``topup-threshold``.
No I/O and no Pulumi import here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import ConfigurationError
from .models import MAX_CENTS, CreditBalance, format_usd, to_cents
from .text import neutralize

__all__ = [
    "PARAMETERS",
    "PARAMETER_SCHEMAS",
    "RULE_IDS",
    "Policy",
    "Verdict",
    "Violation",
    "evaluate",
    "format_duration",
    "parse_duration",
]

RULE_IDS = ("min-balance", "auto-topup", "payment-method", "topup-failure", "topup-threshold")

# Python keyword -> camelCase name used by Pulumi, policy config and JSON (DESIGN section 4).
PARAMETERS: Mapping[str, str] = {
    "min_balance_usd": "minBalanceUsd",
    "require_auto_topup": "requireAutoTopup",
    "require_payment_method": "requirePaymentMethod",
    "max_topup_failure_age": "maxTopupFailureAge",
    "min_topup_threshold_usd": "minTopupThresholdUsd",
}

# JSON Schema of each parameter under its camelCase name: shared by the Pulumi package schema and the policy config.
PARAMETER_SCHEMAS: Mapping[str, Mapping[str, Any]] = {
    "minBalanceUsd": {"type": "number", "description": "Violated when the balance in US dollars is below this."},
    "requireAutoTopup": {"type": "boolean", "description": "Violated when automatic top-up is off."},
    "requirePaymentMethod": {"type": "boolean", "description": "Violated when no default payment method is on file."},
    "maxTopupFailureAge": {
        "type": "string",
        "description": (
            "Violated when the last automatic top-up failed within this age (30m, 12h, 7d; units s, m, h, d, w), "
            "or failed at an unknown time."
        ),
    },
    "minTopupThresholdUsd": {
        "type": "number",
        "description": "Violated when the automatic top-up threshold in US dollars is unset or below this.",
    },
}

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | timedelta | int | float, label: str = "duration") -> timedelta:
    """Read ``30m``, ``12h``, ``7d``, ``1h30m`` (units s, m, h, d, w), a number of seconds, or a ``timedelta``."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower().replace(" ", "")
        parts = _DURATION_PART.findall(text)
        if "".join(n + u for n, u in parts) != text:
            seconds = math.nan
        else:
            seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    else:
        seconds = math.nan
    # At least a second: a smaller amount would round to an empty timedelta, which no failure can be within.
    if not (1 <= seconds <= 3650 * 86400):
        raise ConfigurationError(
            f"{label} {value!r} is not a valid duration: use an amount from 1s to 3650d with a unit, "
            "such as 30m, 12h or 7d"
        )
    return timedelta(seconds=seconds)


def format_duration(age: timedelta) -> str:
    """The shortest exact spelling of a duration in the units :func:`parse_duration` reads: ``12h``, ``90m``."""
    seconds = age.total_seconds()
    for unit in ("w", "d", "h", "m"):
        if seconds >= _UNIT_SECONDS[unit] and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{int(seconds // _UNIT_SECONDS[unit])}{unit}"
    return f"{seconds:g}s"


# A guardrail amount has the models' bound: it is compared with balances and shown as a (finite) number.
_MAX_USD = MAX_CENTS // 100


def _usd(value: Any, label: str) -> Decimal:
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip().lstrip("$"))
        except InvalidOperation:
            amount = Decimal("NaN")
    else:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ConfigurationError(f"{label} {value!r} is not an amount in US dollars; give a number such as 20 or 12.50")
    if abs(amount) > _MAX_USD:
        raise ConfigurationError(f"{label} {value!r} is out of range: give at most {_MAX_USD:,} US dollars either way")
    return amount


def _flag(value: Any, label: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise ConfigurationError(f"{label} {value!r} must be true or false")


@dataclass(frozen=True)
class Policy:
    """The guardrail parameters; ``None``/``False`` turn a rule off."""

    min_balance_usd: Decimal | None = None
    require_auto_topup: bool = False
    require_payment_method: bool = False
    max_topup_failure_age: timedelta | None = None
    min_topup_threshold_usd: Decimal | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, Any], labels: Callable[[str], str] | None = None) -> Policy:
        """Build a policy from loosely typed values (numbers, strings, bools), keyed by the Python names.

        ``labels`` names a parameter the way its source spells it (``--min-balance-usd``, ``minBalanceUsd``) in
        error messages. Unknown keys are rejected; ``None`` means "not set".
        """
        name = labels or (lambda key: key)
        unknown = set(values) - set(PARAMETERS)
        if unknown:
            raise ConfigurationError(
                f"unknown guardrail parameter {sorted(unknown)[0]!r}; known: {', '.join(sorted(PARAMETERS))}"
            )
        given = {k: v for k, v in values.items() if v is not None}
        age = given.get("max_topup_failure_age")
        return cls(
            min_balance_usd=_usd(given["min_balance_usd"], name("min_balance_usd"))
            if "min_balance_usd" in given
            else None,
            require_auto_topup=_flag(given.get("require_auto_topup", False), name("require_auto_topup")),
            require_payment_method=_flag(given.get("require_payment_method", False), name("require_payment_method")),
            max_topup_failure_age=None if age is None else parse_duration(age, name("max_topup_failure_age")),
            min_topup_threshold_usd=(
                _usd(given["min_topup_threshold_usd"], name("min_topup_threshold_usd"))
                if "min_topup_threshold_usd" in given
                else None
            ),
        )

    @property
    def is_empty(self) -> bool:
        """True when no rule is switched on."""
        return self == Policy()


@dataclass(frozen=True)
class Violation:
    """One broken guardrail: which rule, a human message, and what was observed against what was expected."""

    rule: str
    message: str
    observed: Any
    expected: Any

    def to_dict(self) -> dict[str, Any]:
        """Plain values only, so the violation serializes anywhere (JSON, Pulumi outputs)."""
        return {"rule": self.rule, "message": self.message, "observed": self.observed, "expected": self.expected}


@dataclass(frozen=True)
class Verdict:
    """The result of evaluating a policy against one balance."""

    violations: tuple[Violation, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when no guardrail is violated."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """``{"ok": bool, "violations": [...]}`` with plain values only."""
        return {"ok": self.ok, "violations": [v.to_dict() for v in self.violations]}


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


def _min_balance(balance: CreditBalance, policy: Policy, now: datetime) -> Violation | None:
    minimum = policy.min_balance_usd
    if minimum is None or balance.balance_usd >= minimum:
        return None
    return Violation(
        "min-balance",
        f"balance {_money(balance.balance_usd, minimum)} is below the minimum of "
        f"{_money(minimum, balance.balance_usd)}",
        float(balance.balance_usd),
        float(minimum),
    )


def _auto_topup(balance: CreditBalance, policy: Policy, now: datetime) -> Violation | None:
    if not policy.require_auto_topup or balance.auto_topup_enabled:
        return None
    config = balance.topup_config
    # Messages are read by people (terminals, CI logs, Pulumi): the server's text is neutralised.
    reason = neutralize(config.disabled_reason) if config.disabled_reason else "amount or threshold not set"
    return Violation("auto-topup", f"automatic top-up is off ({reason})", False, True)


def _payment_method(balance: CreditBalance, policy: Policy, now: datetime) -> Violation | None:
    if not policy.require_payment_method or balance.has_default_payment_method:
        return None
    return Violation("payment-method", "no default payment method is on file", False, True)


def _topup_failure(balance: CreditBalance, policy: Policy, now: datetime) -> Violation | None:
    age = policy.max_topup_failure_age
    if age is None:
        return None
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


def _topup_threshold(balance: CreditBalance, policy: Policy, now: datetime) -> Violation | None:
    minimum = policy.min_topup_threshold_usd
    threshold = balance.topup_threshold_usd
    if minimum is None or (threshold is not None and threshold >= minimum):
        return None
    shown = "not set" if threshold is None else _money(threshold, minimum)
    return Violation(
        "topup-threshold",
        f"automatic top-up threshold is {shown}, below the minimum of "
        f"{_money(minimum, minimum if threshold is None else threshold)}",
        _number(threshold),
        float(minimum),
    )


_RULES = (_min_balance, _auto_topup, _payment_method, _topup_failure, _topup_threshold)


def evaluate(balance: CreditBalance, policy: Policy, *, now: datetime | None = None) -> Verdict:
    """Check ``balance`` against every rule ``policy`` switches on; violations come in rule-id order."""
    moment = now or datetime.now(timezone.utc)
    found = (rule(balance, policy, moment) for rule in _RULES)
    return Verdict(tuple(v for v in found if v is not None))
