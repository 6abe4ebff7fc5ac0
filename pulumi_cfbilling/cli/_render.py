"""Render balances for people (aligned text, dollars to the cent) and for machines (a versioned JSON document)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..api.models import CreditBalance
from ..core.amounts import format_usd, plain_value
from ..core.settings import GET_TOKEN
from ..core.text import neutralize
from ..service.documents import DOCUMENT_VERSION, error_document, function_document
from ..service.reader import Result

if TYPE_CHECKING:  # the forecast module loads only where a runway was read
    from ..guardrails.runway import Runway

__all__ = [
    "age_text",
    "balance_entry",
    "error_entries",
    "heading",
    "render_balance_text",
    "render_json",
    "runway_text",
    "sparkline",
]


def _payment_method(balance: CreditBalance) -> str:
    method = balance.payment_method
    if method is None:
        card = "none on file"
    else:
        brand = neutralize(method.brand) if method.brand else "card"
        card = f"{brand} ending {neutralize(method.last4)}" if method.last4 else brand
    default = "a default payment method is on file" if balance.has_default_payment_method else "no default"
    return f"{card} ({default})"


def _auto_topup(balance: CreditBalance) -> str:
    config = balance.topup_config
    if balance.auto_topup_enabled:
        return (
            f"on: adds {format_usd(balance.topup_amount_usd)} when the balance falls below "
            f"{format_usd(balance.topup_threshold_usd)}"
        )
    reason = neutralize(config.disabled_reason) if config.disabled_reason else "amount or threshold not set"
    return f"off ({reason})"


def _last_failure(balance: CreditBalance) -> str:
    when = balance.topup_last_failed_at
    error = balance.topup_config.error
    if when is None and error is None:
        return "none"
    shown = when.strftime("%Y-%m-%d %H:%M UTC") if when else "time unknown"
    return f"{shown}: {neutralize(error)}" if error else shown


def runway_text(runway: Runway) -> str:
    """``13.96 days at $3.04 a day (the last 7 days), until about 2026-12-09 14:20 UTC``, or why there is none."""
    days = "the last day" if runway.days == 1 else f"the last {runway.days} days"
    burn = f"{format_usd(runway.burn_usd_per_day)} a day ({days})"
    if runway.runway_days is None:
        return f"no spend to run out on: {burn}"
    if runway.runway_days == 0:
        return f"0 days: the credits are used up and AI Gateway calls may fail with 402; spending {burn}"
    until = runway.projected_empty_at
    shown = f", until about {until:%Y-%m-%d %H:%M} UTC" if until else ""
    return f"{runway.runway_days} days at {burn}{shown}"


_BARS = "▁▂▃▄▅▆▇█"
_ASCII_BARS = "_.-:=+*#"


def sparkline(values: Sequence[Decimal], *, ascii_only: bool | None = None) -> str:
    """One bar per value, scaled to the largest; zero and refunds (below zero) are the lowest bar.

    Block characters where the output can show them, ASCII (``_.-:=+*#``) where it cannot
    (``PYTHONIOENCODING=ascii``, a C locale); ``ascii_only`` decides instead of stdout's encoding.
    """
    if ascii_only is None:
        ascii_only = not _can_show(_BARS)
    bars = _ASCII_BARS if ascii_only else _BARS
    top = max((v for v in values if v > 0), default=Decimal(0))
    if top == 0:
        return bars[0] * len(values)
    return "".join(bars[0] if v <= 0 else bars[min(7, int(v / top * 7))] for v in values)


def _can_show(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def age_text(seconds: float) -> str:
    """``42 s``, ``3 min``, ``2.0 h``: how old a cached answer is, for people."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def heading(result: Result) -> str:
    """The account as a heading: its id, and its label (neutralised) when it has one."""
    return result.ref.account_id + (f" ({neutralize(result.ref.label)})" if result.ref.label else "")


def render_balance_text(result: Result) -> str:
    """A block of aligned lines describing one account's balance and top-up configuration (and its runway)."""
    balance, runway = result.balance, result.runway
    if balance is None:
        raise ValueError("render_balance_text needs a result with a balance")
    rows = [
        ("Account", heading(result)),
        ("Balance", f"{format_usd(balance.balance_usd)} ({balance.balance!r} cents)"),
        ("Payment method", _payment_method(balance)),
        ("Auto top-up", _auto_topup(balance)),
        ("Top-up failure", _last_failure(balance)),
        *([("Runway", runway_text(runway))] if runway else []),
        *([("Runway", f"cannot read: {result.runway_error}")] if result.runway_error else []),
    ]
    if result.cached_age is not None:
        rows.append(("Read", f"from the shared cache, {age_text(result.cached_age)} old (--max-age)"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def balance_entry(result: Result) -> dict[str, Any]:
    """One account of ``balance --format json``: its label, the balance document (and its runway, when read).

    The document is ``getCreditBalance``'s, so it says how old a cached answer is (``cachedAgeSeconds``).
    """
    runway = {"runway": plain_value(result.runway.to_dict())} if result.runway else {}
    if result.runway_error is not None:
        runway = {"runway": None, "runwayError": error_document(result.runway_error)}
    return {"label": result.ref.label, **function_document(GET_TOKEN, result), **runway}


def error_entries(results: Sequence[Result]) -> list[dict[str, Any]]:
    """The ``errors`` of a command's JSON document: each unreadable account with its label and error."""
    return [
        {"accountId": r.ref.account_id, "label": r.ref.label, "error": error_document(r.error)}
        for r in results
        if r.error is not None
    ]


def render_json(accounts: Sequence[dict[str, Any]], **extra: Any) -> str:
    """The versioned JSON document the CLI prints: ``{"version": 1, ..., "accounts": [...]}``."""
    # allow_nan=False: JSON has no Infinity or NaN; every document went through plain_value, which nulls them.
    return json.dumps({"version": DOCUMENT_VERSION, **extra, "accounts": list(accounts)}, indent=2, allow_nan=False)
