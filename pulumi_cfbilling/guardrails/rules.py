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
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigurationError
from ..core.records import Record
from ..core.settings import SURFACES, camel, flag
from ..core.values import DEFAULT_DAYS, KINDS, ValueKind, format_duration, parse_duration
from . import checks
from .checks import Facts, Violation

if TYPE_CHECKING:  # the models load pydantic: validating a guardrail value does not need them
    from ..api.models import CreditBalance
    from ..api.usage import UsageHistory
    from .runway import Runway

__all__ = [
    "GATEWAYS_ROUTE",
    "GUARDRAILS",
    "INVOICE_ROUTE",
    "LADDER_KINDS",
    "ROUTES",
    "USAGE_ROUTE",
    "Facts",
    "Guardrail",
    "Policy",
    "Verdict",
    "Violation",
    "evaluate",
    "format_duration",
    "guardrail",
    "guardrail_docs",
    "judge",
    "no_guardrail",
    "parse_duration",
    "read_policy",
]

LADDER_KINDS = frozenset({"usd", "days"})
"""The kinds of value a guardrail may have several rungs of (``cfbilling watch``): the numeric ones, all minimums."""

Check = Callable[["CreditBalance", Any, datetime, Facts], "Violation | None"]

USAGE_ROUTE = "usage-history"
GATEWAYS_ROUTE = "gateways"
INVOICE_ROUTE = "invoice-preview"
ROUTES = (USAGE_ROUTE, GATEWAYS_ROUTE, INVOICE_ROUTE)
"""The routes a guardrail may need besides the balance (the runway's usage history, the gateways, the invoice)."""


class Verdict(Record):
    """The result of evaluating a policy against one balance."""

    violations: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no guardrail is violated."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """``{"ok": bool, "violations": [...]}`` with plain values only."""
        return {"ok": self.ok, "violations": [v.to_dict() for v in self.violations]}


class Guardrail(Record):
    """One guardrail, under every name a surface gives it, with the rule that checks it."""

    name: str
    """The Python keyword and Terraform key: ``min_balance_usd``."""
    rule: str
    """The rule id in violations: ``min-balance``."""
    kind: str
    """How the value is read: a key of :data:`_values.KINDS` (``usd``, ``flag``, ``duration``, ``days``)."""
    description: str
    """What violates it, for help texts and schemas."""
    check: Check
    needs: frozenset[str] = frozenset()
    """The routes the rule judges besides the balance (:data:`ROUTES`), read only when it is on."""
    maximum: bool = False
    """Whether the value is a ceiling (the invoice due) rather than a floor; a ceiling takes one rung in watch."""

    @property
    def needs_usage(self) -> bool:
        """Whether the rule judges the runway, so the usage history must be read when it is on."""
        return USAGE_ROUTE in self.needs

    @property
    def camel(self) -> str:
        """The Pulumi, policy and JSON name: ``minBalanceUsd``."""
        return camel(self.name)

    @property
    def flag(self) -> str:
        """The CLI flag: ``--min-balance-usd``."""
        return flag(self.name)

    @property
    def takes_ladder(self) -> bool:
        """Whether ``cfbilling watch`` takes several rungs of it (:mod:`.ladders`): the numeric ones, all minimums."""
        return self.kind in LADDER_KINDS and not self.maximum

    @property
    def value_kind(self) -> ValueKind:
        """How values of this guardrail are read, shown and typed."""
        return KINDS[self.kind]

    @property
    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of its value, shared by ``schema.json``, the policy config and the check report."""
        return {"type": self.value_kind.json_type, "description": self.description}

    def read(self, value: Any, label: str) -> Any:
        """The value as the rule takes it (``Decimal``, ``bool`` or ``timedelta``); a one-line error if invalid."""
        return self.value_kind.read(value, label)

    def plain(self, value: Any) -> Any:
        """The value as plain JSON (a number, a bool, ``12h``), or the kind's "off" value when the rule is off."""
        if value is None or value is False:
            return self.value_kind.off
        return self.value_kind.plain(value)


GUARDRAILS: list[Guardrail] = [
    Guardrail(
        "min_balance_usd",
        "min-balance",
        "usd",
        "Violated when the balance in US dollars is below this.",
        checks.min_balance,
    ),
    Guardrail("require_auto_topup", "auto-topup", "flag", "Violated when automatic top-up is off.", checks.auto_topup),
    Guardrail(
        "require_payment_method",
        "payment-method",
        "flag",
        "Violated when no default payment method is on file.",
        checks.payment_method,
    ),
    Guardrail(
        "max_topup_failure_age",
        "topup-failure",
        "duration",
        "Violated when the last automatic top-up failed within this age (30m, 12h, 7d; units s, m, h, d, w), "
        "or failed at an unknown time.",
        checks.topup_failure,
    ),
    Guardrail(
        "min_topup_threshold_usd",
        "topup-threshold",
        "usd",
        "Violated when the automatic top-up threshold in US dollars is unset or below this.",
        checks.topup_threshold,
    ),
    Guardrail(
        "min_runway_days",
        "min-runway",
        "days",
        "Violated when the credits run out in fewer days than this at the last 7 days' rate of spend "
        "(reads the usage history; an account with no spend passes).",
        checks.min_runway,
        needs=frozenset({USAGE_ROUTE}),
    ),
    Guardrail(
        "require_spend_limit",
        "spend-limit",
        "flag",
        "Violated when a gateway that can bill through Unified Billing (not byok_only) has no enabled cost rule "
        "in its spend limits (reads the gateways).",
        checks.spend_limit,
        needs=frozenset({GATEWAYS_ROUTE}),
    ),
    Guardrail(
        "require_spend_limit_with_auto_topup",
        "spend-limit-with-auto-topup",
        "flag",
        "Violated when automatic top-up is on and no gateway that can bill through Unified Billing has an enabled "
        "cost rule: nothing bounds the spend (reads the gateways).",
        checks.spend_limit_with_auto_topup,
        needs=frozenset({GATEWAYS_ROUTE}),
    ),
    Guardrail(
        "max_invoice_due_usd",
        "invoice-due",
        "usd",
        "Violated when the open billing period's amount due in US dollars is above this (reads the invoice "
        "preview; an invoice in another currency is an error).",
        checks.invoice_due,
        needs=frozenset({INVOICE_ROUTE}),
        maximum=True,
    ),
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
        return self._values.get(name, entry.value_kind.off)

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
    def needs_usage(self) -> bool:
        """True when a rule switched on judges the runway: the usage history must be read."""
        return USAGE_ROUTE in self.needs

    @property
    def needs(self) -> frozenset[str]:
        """Every route the rules switched on judge besides the balance."""
        return frozenset(route for entry, _ in self.items() for route in entry.needs)

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


def no_guardrail(surface: str) -> str:
    """The one message for a check given no guardrail, naming every guardrail as ``surface`` spells it."""
    entry = SURFACES[surface]
    names = ", ".join(entry.name_of(g.name) for g in GUARDRAILS)
    return f"no guardrail given: pass at least one of {names}"


def read_policy(values: Mapping[str, Any], surface: str, *, require: bool = True) -> Policy:
    """The guardrails a surface was given (by Python name), each read by the one parser of its kind.

    Values are named in messages as ``surface`` spells them (``--min-balance-usd``, ``minBalanceUsd``); an
    unknown name is refused. With ``require``, a check that switches no guardrail on is an error on every surface
    (a check that judges nothing would pass anything): :func:`no_guardrail` words it.
    """
    policy = Policy.from_values(values, labels=SURFACES[surface].label_of)
    if require and policy.is_empty:
        raise ConfigurationError(no_guardrail(surface))
    return policy


def evaluate(
    balance: CreditBalance,
    policy: Policy,
    *,
    now: datetime | None = None,
    runway: Runway | None = None,
    facts: Facts | None = None,
) -> Verdict:
    """Check ``balance`` (and the ``facts`` a rule needs) against every rule ``policy`` switches on.

    ``facts`` holds the runway, gateways and invoice read (``runway`` alone is a shorthand). Violations come in rule
    order.
    """
    moment = now or datetime.now(timezone.utc)
    known = facts or Facts(runway=runway)
    found = (entry.check(balance, value, moment, known) for entry, value in policy.items())
    return Verdict(tuple(v for v in found if v is not None))


def judge(
    balance: CreditBalance,
    policy: Policy,
    read_usage: Callable[[datetime, datetime], UsageHistory],
    *,
    now: datetime | None = None,
    runway: bool = False,
    days: int = DEFAULT_DAYS,
    facts: Facts | None = None,
) -> tuple[Verdict, Runway | None]:
    """:func:`evaluate`, reading the usage history (``read_usage(start, end)``) only when it is needed.

    It is needed when a rule switched on judges the runway, or when the caller asks for the ``runway``; the
    window is the ``days`` whole UTC days before ``now`` (:func:`runway.window`). ``facts`` holds the other reads
    (gateways, invoice) the caller made for the rules that need them. Returns the verdict and the runway (``None``
    when not read). :class:`service.reader.Service` is its one caller on every surface.
    """
    moment = now or datetime.now(timezone.utc)
    forecasted = None
    if runway or policy.needs_usage:
        from .runway import forecast, window  # the forecast loads when a runway is asked for, not on every check

        start, end = window(moment, days)
        forecasted = forecast(balance.balance_usd, read_usage(start, end), now=moment, days=days)
    known = (facts or Facts())._replace(runway=forecasted)
    return evaluate(balance, policy, now=moment, facts=known), forecasted
