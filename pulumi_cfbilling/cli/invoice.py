"""``cfbilling invoice``: the open billing period's invoice of accounts (amount due, paid, remaining, period).

Amounts are shown in dollars for an invoice in usd (raw amounts are taken as cents, Stripe's minor units) and as
sent, with the currency, otherwise. ``--format json`` prints ``getInvoicePreview``'s document per account.
"""

from __future__ import annotations

import argparse

from ..core.amounts import format_usd
from ..core.settings import INVOICE_TOKEN
from ..core.text import neutralize
from ..service.reader import Result
from ._render import heading
from ._routes import run

__all__ = ["invoice", "text"]


def text(result: Result) -> str:
    """An account's open invoice, as text."""
    from ..api.invoices import invoice_to_usd

    invoice = result.invoice
    assert invoice is not None
    start, end = invoice.period
    currency = neutralize(invoice.currency, 16)

    def amount(raw: int | float) -> str:
        usd = invoice_to_usd(raw, invoice.currency)
        return format_usd(usd) if usd is not None else f"{raw} {currency} (raw)"

    return "\n".join(
        [
            f"{heading(result)}: invoice {neutralize(invoice.id, 64)} ({neutralize(invoice.status, 32)}), "
            f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
            f"  due {amount(invoice.amount_due)}; paid {amount(invoice.amount_paid)}; "
            f"remaining {amount(invoice.amount_remaining)}; {len(invoice.invoice_lines)} line(s)",
        ]
    )


def invoice(args: argparse.Namespace) -> int:
    """Print each account's open invoice; unreadable accounts go to stderr and exit 3."""
    return run(args, INVOICE_TOKEN, text)
