"""``cfbilling balance``: show the balance and top-up configuration of one account or a fleet."""

from __future__ import annotations

import argparse
import sys

from ..client import BillingClient
from ..fleet import read_fleet
from . import _common as common
from ._render import balance_document, render_balance_text, render_json
from ._report import error_document

__all__ = ["balance"]


def balance(args: argparse.Namespace) -> int:
    """Print each account's balance; unreadable accounts are reported too, and make the exit code 3."""
    settings = common.settings(args)
    refs = common.accounts(args, settings)
    with BillingClient.from_settings(settings) as client:
        progress = common.progress(len(refs))
        outcomes = read_fleet(client, refs, runway=args.runway, concurrency=common.concurrency(args), progress=progress)
    failed = [o for o in outcomes if o.error is not None]
    read = [o for o in outcomes if o.balance is not None and o.error is None]
    if args.format == "json":
        errors = [
            {"accountId": o.ref.account_id, "label": o.ref.label, "error": error_document(o.error)}
            for o in failed
            if o.error is not None
        ]
        documents = [balance_document(o.balance, o.ref.label, o.runway) for o in read if o.balance]
        print(render_json(documents, errors=errors))
    elif read:
        print("\n\n".join(render_balance_text(o.balance, o.ref.label, o.runway) for o in read if o.balance))
    # One line per unreadable account on stderr, whatever the format: scripts see it without parsing stdout.
    for outcome in failed:
        print(f"cfbilling: error: {outcome.error}", file=sys.stderr)
    return common.EXIT_API_ERROR if failed else common.EXIT_OK
