"""``cfbilling usage``: spend per day (or hour) over the last whole UTC days, a sparkline, and the runway.

For each account: a header line (the window, the spend, the rate per day, a sparkline of daily spend and the
runway at that rate), then one row per bucket. ``--format json`` prints the versioned document with the buckets
as sent (raw ``aggregatedValue``) and in dollars. Unreadable accounts go to stderr, one line each, and exit 3.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.amounts import format_usd, plain_value
from ..core.values import read_day_count, read_window
from ..service.documents import usage_document
from ..service.reader import EXIT_API_ERROR, EXIT_OK, Ask, Result
from . import _common as common
from ._render import error_entries, heading, render_json, runway_text, sparkline
from ._report import error_lines

__all__ = ["usage"]


def _text(result: Result, days: int) -> str:
    # Read together, or the result is an error and not shown here.
    assert result.balance is not None
    assert result.usage is not None
    assert result.runway is not None
    history, runway = result.usage.history, result.runway
    bars = sparkline(list(runway.daily_spend_usd))  # per day whatever the window: the runway read days
    lines = [
        f"{heading(result)}: {format_usd(history.total_usd)} over the last {days} day{'s' if days > 1 else ''} {bars}",
        f"  balance {format_usd(result.balance.balance_usd)}; runway {runway_text(runway)}",
        f"  {result.usage.window.upper():<20} SPEND",
    ]
    shape = "%Y-%m-%d" if result.usage.window == "day" else "%Y-%m-%d %H:%M"
    lines += [f"  {bucket.start.strftime(shape):<20} {format_usd(bucket.spend_usd)}" for bucket in history.history]
    return "\n".join(lines)


def _document(result: Result) -> dict[str, Any]:
    assert result.balance is not None
    assert result.runway is not None
    extra = {"label": result.ref.label, "balanceUsd": result.balance.balance_usd, "runway": result.runway.to_dict()}
    return {**usage_document(result), **plain_value(extra)}


def usage(args: argparse.Namespace) -> int:
    """Print each account's spend and runway; unreadable accounts are reported on stderr and exit 3."""
    days = read_day_count(args.days, "--days")
    window = read_window(args.window, "--window")
    # The runway always comes from daily buckets over the same days: an hourly read is for looking.
    ask = Ask(runway=True, usage_days=days, usage_window="hour" if window == "hour" else "day")
    results = common.read(args, ask)
    reads = [result for result in results if result.error is None]
    failed = [result for result in results if result.error is not None]
    if args.format == "json":
        print(render_json([_document(result) for result in reads], errors=error_entries(failed)))
    elif reads:
        print("\n\n".join(_text(result, days) for result in reads))
    for line in error_lines(failed):
        print(line, file=sys.stderr)
    return EXIT_API_ERROR if failed else EXIT_OK
