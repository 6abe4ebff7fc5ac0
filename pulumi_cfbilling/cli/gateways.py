"""``cfbilling gateways``: every AI gateway of accounts, what it can bill, its spend limits, and what stops first.

For each account: a line per gateway (Unified Billing or its own keys only, then its enabled cost rules or why it
has none), the gateways with no cap, and what stops first at the recent rate of spend (the credits, HTTP 402, or a
gateway's cost limit, HTTP 429), with what these routes cannot tell. ``--format json`` prints ``getGateways``'
document per account.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from ..core.amounts import format_usd
from ..core.settings import GATEWAYS_TOKEN
from ..core.text import neutralize
from ..core.values import format_duration
from ..service.reader import Result
from ._render import heading, runway_text
from ._routes import run

__all__ = ["gateways", "text"]


def _rules(result: Result) -> list[str]:
    assert result.gateways is not None
    lines = []
    for gateway in result.gateways.gateways:
        kind = "Unified Billing" if gateway.bills_unified else "own keys only (byok_only)"
        if gateway.cost_rules:
            caps = ", ".join(
                f"{format_usd(rule.limit_usd)} per {format_duration(timedelta(seconds=rule.window))}"
                + (" (scoped)" if rule.scoped else "")
                for rule in gateway.cost_rules
            )
        else:
            caps = f"NO CAP: {gateway.spend_limit_gap}" if gateway.bills_unified else gateway.spend_limit_gap
        lines.append(f"  {neutralize(gateway.id, 64):<24} {kind:<28} {caps}")
    return lines


def text(result: Result) -> str:
    """An account's gateways, its runway and what stops first, as text."""
    assert result.gateways is not None
    gateways = result.gateways
    count = len(gateways.gateways)
    lines = [f"{heading(result)}: {count} gateway{'s' if count != 1 else ''}", *_rules(result)]
    if gateways.uncapped:
        shown = ", ".join(neutralize(g.id, 64) for g in gateways.uncapped)
        lines.append(f"  uncapped (can spend credits with no enabled cost rule): {shown}")
    if result.runway is not None:
        lines.append(f"  runway {runway_text(result.runway)}")
    if result.first_stop is not None:
        stop = result.first_stop
        when = f" at {stop.at:%Y-%m-%d %H:%M} UTC" if stop.at else ""
        lines.append(f"  first stop: {stop.stop}{when}: {stop.reason}")
    elif result.runway_error is not None:
        lines.append(f"  first stop: unknown (the runway could not be read: {result.runway_error})")
    return "\n".join(lines)


def gateways(args: argparse.Namespace) -> int:
    """Print each account's gateways and what stops first; unreadable accounts go to stderr and exit 3."""
    return run(args, GATEWAYS_TOKEN, text)
