"""``cfbilling usage``: spend per day (or hour) over the last whole UTC days, a sparkline, and the runway.

For each account: a header line (the window, the spend, the rate per day, a sparkline of daily spend and the
runway at that rate), then one row per bucket. ``--format json`` prints the versioned document with the buckets
as sent (raw ``aggregatedValue``) and in dollars. Unreadable accounts go to stderr, one line each, and exit 3.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Any

from ..accounts import AccountRef
from ..client import BillingClient
from ..errors import CfBillingError, ConfigurationError
from ..fleet import for_each
from ..models import CreditBalance, format_usd
from ..runway import MAX_DAYS, Runway, forecast, window
from ..text import neutralize
from ..usage import UsageHistory, usage_document
from . import _common as common
from ._render import render_json, runway_text, sparkline
from ._report import error_document

__all__ = ["usage"]


def _read(client: BillingClient, ref: AccountRef, args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    start, end = window(now, args.days)
    balance = client.get_credit_balance(ref.account_id)
    history = client.get_usage_history(ref.account_id, window=args.window, start=start, end=end)
    # The runway always comes from daily buckets: an hourly read is for looking, the forecast is per day.
    daily = history if args.window == "day" else client.get_usage_history(ref.account_id, start=start, end=end)
    runway = forecast(balance.balance_usd, daily, now=now, days=args.days)
    return {"ref": ref, "balance": balance, "history": history, "runway": runway, "start": start, "end": end}


def _text(read: dict[str, Any], days: int, window_name: str) -> str:
    ref: AccountRef = read["ref"]
    balance: CreditBalance = read["balance"]
    history: UsageHistory = read["history"]
    runway: Runway = read["runway"]
    name = f"{ref.account_id}" + (f" ({neutralize(ref.label)})" if ref.label else "")
    bars = sparkline(list(runway.daily_spend_usd))  # per day whatever the window: the runway read days
    lines = [
        f"{name}: {format_usd(history.total_usd)} over the last {days} day{'s' if days > 1 else ''} {bars}",
        f"  balance {format_usd(balance.balance_usd)}; runway {runway_text(runway)}",
        f"  {window_name.upper():<20} SPEND",
    ]
    shape = "%Y-%m-%d" if window_name == "day" else "%Y-%m-%d %H:%M"
    lines += [f"  {bucket.start.strftime(shape):<20} {format_usd(bucket.spend_usd)}" for bucket in history.history]
    return "\n".join(lines)


def _document(read: dict[str, Any], window_name: str) -> dict[str, Any]:
    ref: AccountRef = read["ref"]
    document = usage_document(read["history"], window_name, read["start"], read["end"])
    return {**document, "label": ref.label, "balanceUsd": float(read["balance"].balance_usd),
            "runway": read["runway"].to_dict()}


def usage(args: argparse.Namespace) -> int:
    """Print each account's spend and runway; unreadable accounts are reported on stderr and exit 3."""
    if not 1 <= args.days <= MAX_DAYS:
        raise ConfigurationError(f"--days {args.days} must be from 1 to {MAX_DAYS}")
    settings = common.settings(args)
    refs = common.accounts(args, settings)
    now = datetime.now(timezone.utc)
    with BillingClient.from_settings(settings) as client:

        def attempt(ref: AccountRef) -> dict[str, Any] | CfBillingError:
            try:
                return _read(client, ref, args, now)
            except CfBillingError as caught:
                return caught

        # Concurrently, as `balance` and `check` read a fleet: one pool, one pacer, results in input order.
        outcomes = for_each(refs, attempt, concurrency=common.concurrency(args), progress=common.progress(len(refs)))
    reads = [outcome for outcome in outcomes if not isinstance(outcome, CfBillingError)]
    failed = [(ref, o) for ref, o in zip(refs, outcomes, strict=True) if isinstance(o, CfBillingError)]
    if args.format == "json":
        errors = [{"accountId": r.account_id, "label": r.label, "error": error_document(e)} for r, e in failed]
        print(render_json([_document(read, args.window) for read in reads], errors=errors))
    elif reads:
        print("\n\n".join(_text(read, args.days, args.window) for read in reads))
    for _, problem in failed:
        print(f"cfbilling: error: {problem}", file=sys.stderr)
    return common.EXIT_API_ERROR if failed else common.EXIT_OK
