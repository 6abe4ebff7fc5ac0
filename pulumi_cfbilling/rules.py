"""The guardrails: one table, from which every surface takes its parameters, and the pure rules behind it.

:data:`GUARDRAILS` is the one definition of a guardrail: its Python keyword, its rule id, how its value is read,
its description and its rule function. The CLI flags (``--min-balance-usd``), the Pulumi and policy config keys
(``minBalanceUsd``), ``schema.json``, ``check_report.schema.json``, the Terraform keys and the keywords of the
Python functions are all derived from it: adding a guardrail is one row here and its rule function.

``evaluate(balance, policy)`` returns a :class:`Verdict`; its ``to_dict()`` is the plain shape every surface
shows: ``{"ok": bool, "violations": [{"rule", "message", "observed", "expected"}]}``. No I/O, no Pulumi here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal

from ._values import format_duration, parse_duration, read_flag, read_usd
from .errors import ConfigurationError
from .models import CreditBalance, format_usd, to_cents
from .text import neutralize

__all__ = [
    "GUARDRAILS",
    "Guardrail",
    "Policy",
    "Verdict",
    "Violation",
    "evaluate",
    "format_duration",
    "guardrail",
    "guardrail_docs",
    "parse_duration",
]

Kind = Literal["usd", "flag", "duration"]
_JSON_TYPES: Mapping[str, str] = {"usd": "number", "flag": "boolean", "duration": "string"}


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


@dataclass(frozen=True)
class Guardrail:
    """One guardrail, under every name a surface gives it, with the rule that checks it."""

    name: str
    """The Python keyword and Terraform key: ``min_balance_usd``."""
    rule: str
    """The rule id in violations: ``min-balance``."""
    kind: Kind
    """How the value is read: dollars, an on/off flag, or a duration (``12h``)."""
    description: str
    """What violates it, for help texts and schemas."""
    check: Callable[[CreditBalance, Any, datetime], Violation | None]

    @property
    def camel(self) -> str:
        """The Pulumi, policy and JSON name: ``minBalanceUsd``."""
        head, *rest = self.name.split("_")
        return head + "".join(part.capitalize() for part in rest)

    @property
    def flag(self) -> str:
        """The CLI flag: ``--min-balance-usd``."""
        return "--" + self.name.replace("_", "-")

    @property
    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of its value, shared by ``schema.json``, the policy config and the check report."""
        return {"type": _JSON_TYPES[self.kind], "description": self.description}

    def read(self, value: Any, label: str) -> Any:
        """The value as the rule takes it (``Decimal``, ``bool`` or ``timedelta``); a one-line error if invalid."""
        if self.kind == "usd":
            return read_usd(value, label)
        if self.kind == "flag":
            return read_flag(value, label)
        return parse_duration(value, label)

    def plain(self, value: Any) -> Any:
        """The value as plain JSON (a number, a bool, ``12h``), or ``None`` when the rule is off."""
        if value is None or value is False:
            return None if self.kind != "flag" else False
        if self.kind == "usd":
            return float(value)
        return format_duration(value) if self.kind == "duration" else bool(value)


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


def _min_balance(balance: CreditBalance, minimum: Decimal, now: datetime) -> Violation | None:
    if balance.balance_usd >= minimum:
        return None
    return Violation(
        "min-balance",
        f"balance {_money(balance.balance_usd, minimum)} is below the minimum of "
        f"{_money(minimum, balance.balance_usd)}",
        float(balance.balance_usd),
        float(minimum),
    )


def _auto_topup(balance: CreditBalance, required: bool, now: datetime) -> Violation | None:
    if balance.auto_topup_enabled:
        return None
    config = balance.topup_config
    # Messages are read by people (terminals, CI logs, Pulumi): the server's text is neutralised.
    reason = neutralize(config.disabled_reason) if config.disabled_reason else "amount or threshold not set"
    return Violation("auto-topup", f"automatic top-up is off ({reason})", False, True)


def _payment_method(balance: CreditBalance, required: bool, now: datetime) -> Violation | None:
    if balance.has_default_payment_method:
        return None
    return Violation("payment-method", "no default payment method is on file", False, True)


def _topup_failure(balance: CreditBalance, age: timedelta, now: datetime) -> Violation | None:
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


def _topup_threshold(balance: CreditBalance, minimum: Decimal, now: datetime) -> Violation | None:
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


GUARDRAILS: list[Guardrail] = [
    Guardrail("min_balance_usd", "min-balance", "usd", "Violated when the balance in US dollars is below this.",
              _min_balance),
    Guardrail("require_auto_topup", "auto-topup", "flag", "Violated when automatic top-up is off.", _auto_topup),
    Guardrail("require_payment_method", "payment-method", "flag",
              "Violated when no default payment method is on file.", _payment_method),
    Guardrail(
        "max_topup_failure_age",
        "topup-failure",
        "duration",
        "Violated when the last automatic top-up failed within this age (30m, 12h, 7d; units s, m, h, d, w), "
        "or failed at an unknown time.",
        _topup_failure,
    ),
    Guardrail("min_topup_threshold_usd", "topup-threshold", "usd",
              "Violated when the automatic top-up threshold in US dollars is unset or below this.", _topup_threshold),
]
"""The guardrails, in rule order. The one place to add one (tests extend it to prove everything follows)."""


def guardrail_docs(indent: str = "    ") -> str:
    """The guardrail keywords as ``:param:`` lines, for the docstrings of the functions that take them."""
    return "\n".join(f"{indent}:param {g.name}: {g.description}" for g in GUARDRAILS)


def guardrail(name: str) -> Guardrail:
    """The guardrail with this Python name; a one-line error listing the known ones otherwise."""
    for entry in GUARDRAILS:
        if entry.name == name:
            return entry
    known = ", ".join(g.name for g in GUARDRAILS)
    raise ConfigurationError(f"unknown guardrail parameter {name!r}; known: {known}")


class Policy:
    """The guardrail values that are switched on, by Python name; attributes read them (``policy.min_balance_usd``).

    ``Policy(min_balance_usd=Decimal(20))`` takes values as the rules take them; :meth:`from_values` reads them
    from what users write. ``None`` and ``False`` switch a rule off.
    """

    __slots__ = ("_values",)

    def __init__(self, **values: Any) -> None:
        for name in values:
            guardrail(name)
        self._values: dict[str, Any] = {k: v for k, v in values.items() if v is not None and v is not False}

    @classmethod
    def from_values(cls, values: Mapping[str, Any], labels: Callable[[str], str] | None = None) -> Policy:
        """Read loosely typed values (numbers, strings, bools) keyed by the Python names; unknown keys are refused.

        ``labels`` names a parameter the way its source spells it (``--min-balance-usd``, ``minBalanceUsd``) in
        error messages.
        """
        name = labels or (lambda key: key)
        read = {key: guardrail(key).read(value, name(key)) for key, value in values.items() if value is not None}
        return cls(**read)

    def get(self, name: str) -> Any:
        """The value of a guardrail, or ``None`` (``False`` for a flag) when it is off."""
        entry = guardrail(name)
        return self._values.get(name, False if entry.kind == "flag" else None)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.get(name)
        except ConfigurationError:
            raise AttributeError(name) from None

    def items(self) -> Iterable[tuple[Guardrail, Any]]:
        """The rules switched on, in rule order, with their values."""
        return [(g, self._values[g.name]) for g in GUARDRAILS if g.name in self._values]

    @property
    def is_empty(self) -> bool:
        """True when no rule is switched on."""
        return not self._values

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Policy) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items(), key=lambda item: item[0])))

    def __repr__(self) -> str:
        return f"Policy({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"


def evaluate(balance: CreditBalance, policy: Policy, *, now: datetime | None = None) -> Verdict:
    """Check ``balance`` against every rule ``policy`` switches on; violations come in rule order."""
    moment = now or datetime.now(timezone.utc)
    found = (entry.check(balance, value, moment) for entry, value in policy.items())
    return Verdict(tuple(v for v in found if v is not None))
