"""``cfbilling balance``: show the balance and top-up configuration of one account or a fleet."""

from __future__ import annotations

import argparse
import sys

from ..core.values import read_flag
from ..service.reader import EXIT_API_ERROR, EXIT_OK, Ask
from . import _common as common
from ._render import balance_entry, error_entries, render_balance_text, render_json
from ._report import error_lines

__all__ = ["balance"]


def balance(args: argparse.Namespace) -> int:
    """Print each account's balance; unreadable accounts are reported too, and make the exit code 3."""
    ask = Ask(runway=read_flag(args.runway or "false", "--runway"))
    results = common.read(args, ask)
    failed = [r for r in results if r.error is not None]
    # A runway asked for and not read: the balance is shown with the runway's error beside it, and the exit is 3.
    half = [r for r in results if r.runway_error is not None]
    read = [r for r in results if r.balance is not None and r.error is None]
    if args.format == "json":
        print(render_json([balance_entry(r) for r in read], errors=error_entries(failed)))
    elif read:
        print("\n\n".join(render_balance_text(r) for r in read))
    # One line per unreadable account on stderr, whatever the format: scripts see it without parsing stdout.
    for line in error_lines(failed):
        print(line, file=sys.stderr)
    for result in half:
        print(f"cfbilling: error: {result.runway_error}", file=sys.stderr)
    return EXIT_API_ERROR if failed or half else EXIT_OK
