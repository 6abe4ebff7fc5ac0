"""Ladders: a guardrail with several rungs (``--min-runway-days 14,7,3``), for ``cfbilling watch``.

A falling balance or runway crosses the rungs one by one; ``watch`` tells people once per rung crossed downwards,
and once when the account is back above them all. A ladder is judged by the guardrail's own rule function, one
rung at a time (the rung a check with that one value would fail), so a rung and a check with the same value can
never disagree. Every numeric guardrail is a minimum, so the rungs are kept highest first: the order in which a
falling value crosses them. A yes/no guardrail is a ladder of one rung.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigurationError
from ..core.settings import SURFACES
from .checks import Facts, Violation
from .rules import GUARDRAILS, Guardrail, Policy, no_guardrail

if TYPE_CHECKING:  # the models load pydantic: not needed to read a ladder
    from ..api.models import CreditBalance
    from .runway import Runway

__all__ = ["MAX_RUNGS", "Ladder", "Standing", "first_rungs", "read_ladders"]

MAX_RUNGS = 10


@dataclass(frozen=True)
class Standing:
    """Where an account stands on one ladder: how many rungs it is below (0: none), and the deepest violation."""

    depth: int
    violation: Violation | None


@dataclass(frozen=True)
class Ladder:
    """One guardrail and its rungs, most lenient first (for a minimum: the highest value first)."""

    guardrail: Guardrail
    rungs: tuple[Any, ...]

    def standing(self, balance: CreditBalance, now: datetime, facts: Facts | Runway | None) -> Standing:
        """How many rungs ``balance`` (and the ``facts``: runway, gateways, invoice) is below, rule by rule."""
        known = facts if isinstance(facts, Facts) else Facts(runway=facts)
        depth, deepest = 0, None
        for rung in self.rungs:
            violation = self.guardrail.check(balance, rung, now, known)
            if violation is None:
                break  # a minimum: passing a rung passes every lower one
            depth, deepest = depth + 1, violation
        return Standing(depth, deepest)

    def plain_rungs(self) -> list[Any]:
        """The rungs as plain JSON values (for the state file and reports)."""
        return [self.guardrail.plain(rung) for rung in self.rungs]


def _read_ladder(guardrail: Guardrail, value: Any, label: str) -> Ladder | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not guardrail.takes_ladder:
        single = guardrail.read(value, label)
        return Ladder(guardrail, (single,)) if single not in (None, False) else None
    parts = [part.strip() for part in str(value).split(",")] if isinstance(value, str) else [value]
    if any(not part for part in parts) or len(parts) > MAX_RUNGS:
        raise ConfigurationError(
            f"{label} {value!r} is not a ladder: give up to {MAX_RUNGS} values separated by commas, such as 14,7,3"
        )
    for part in parts:
        if len(part) > 1 and part.startswith("0") and part[1].isdigit():
            # "1,000" would read as two rungs, 1 and 0: a thousands separator must never pass for a ladder.
            raise ConfigurationError(
                f"{label} {value!r}: {part!r} looks like a group of a thousands separator; write numbers without "
                "separators (1000), rungs separated by commas (100,20)"
            )
    rungs = [guardrail.read(part, label) for part in parts]
    if len(set(rungs)) < len(rungs):
        raise ConfigurationError(f"{label} {value!r} names a rung twice: give each value once, such as 14,7,3")
    return Ladder(guardrail, tuple(sorted(rungs, reverse=True)))


def read_ladders(values: Mapping[str, Any], surface: str) -> tuple[Ladder, ...]:
    """The ladders a surface was given (by guardrail name), each rung read by the one parser of its kind.

    At least one guardrail must be on, as for a check: a watch that judges nothing would never speak.
    """
    label = SURFACES[surface].label_of
    unknown = sorted(set(values) - {g.name for g in GUARDRAILS})
    if unknown:
        raise TypeError(f"no guardrail {unknown[0]!r}")  # a programming error: surfaces pass table names
    ladders = [_read_ladder(g, values.get(g.name), label(g.name)) for g in GUARDRAILS]
    found = tuple(ladder for ladder in ladders if ladder is not None)
    if not found:
        raise ConfigurationError(no_guardrail(surface))
    return found


def first_rungs(ladders: Sequence[Ladder]) -> Policy:
    """The policy of every ladder's most lenient rung: what a read for the ladders must judge (and read for)."""
    return Policy(**{ladder.guardrail.name: ladder.rungs[0] for ladder in ladders})
