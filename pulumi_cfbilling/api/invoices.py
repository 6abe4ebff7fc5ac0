"""Typed models of the invoice routes: the open period's preview and past invoices, and the one unit assumption.

``GET .../ai-gateway/billing/invoice-preview`` answers the open period (``amount_due``, ``amount_paid``,
``amount_remaining``, ``currency``, lines, ``period_start``, ``period_end``, ``status``);
``GET .../billing/invoice-history`` past invoices, a page at a time (``pagination.has_more``). Fields come from
Cloudflare's official SDK (``cloudflare`` 5.9.0, ``BillingInvoicePreviewResponse`` and
``BillingInvoiceHistoryResponse``), which types every amount as a bare number and says nothing of units. The
invoices are Stripe's (the gateway object carries Stripe usage events, and the statuses are Stripe's), and Stripe
counts money in minor units, so :data:`INVOICE_UNIT` says cents and :func:`invoice_to_usd` is the one line to change
if that proves wrong. Dollars are only derived for an invoice in ``usd``: another currency has no dollar value here,
and a guardrail in dollars refuses to judge it rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic.fields import Field
from pydantic.functional_validators import field_validator

from ..core.amounts import plain_value, unix_time_to_datetime
from .models import Cents, Number, _Model, cents_to_usd

__all__ = [
    "INVOICE_FIELDS",
    "INVOICE_UNIT",
    "MAX_INVOICE_PAGES",
    "Invoice",
    "InvoiceHistory",
    "InvoiceHistoryPage",
    "InvoiceLine",
    "InvoicePreview",
    "Pagination",
    "invoice_to_usd",
    "preview_document",
]

INVOICE_UNIT = "US cents (Stripe minor units)"
"""The unit assumed for invoice amounts (Cloudflare does not document it)."""
MAX_INVOICE_PAGES = 20
"""Pages of invoice history followed at most: a server that never stops paging is an error, not an endless read."""


def invoice_to_usd(amount: int | float, currency: str) -> Decimal | None:
    """An invoice amount as exact US dollars under :data:`INVOICE_UNIT`; ``None`` for another currency."""
    return cents_to_usd(amount) if currency.lower() == "usd" else None


class InvoiceLine(_Model):
    """One line of an invoice: what was bought, how much, and for which period."""

    amount: Cents = Field(description=f"The line's amount, as sent (assumed {INVOICE_UNIT}).")
    currency: str = Field(description="Three-letter currency code, as sent.")
    description: str | None = Field(default=None, description="What the line is for (free text from Cloudflare).")
    quantity: Number = Field(description="How many units, as sent.")


class InvoicePreview(_Model):
    """The open billing period's invoice, as it stands."""

    account_id: str | None = Field(default=None, description="The Cloudflare account read.")
    id: str = Field(description="The invoice's id.")
    amount_due: Cents = Field(description=f"Amount due for the period, as sent (assumed {INVOICE_UNIT}).")
    amount_paid: Cents = Field(description=f"Amount already paid, as sent (assumed {INVOICE_UNIT}).")
    amount_remaining: Cents = Field(description=f"Amount still to pay, as sent (assumed {INVOICE_UNIT}).")
    currency: str = Field(description="Three-letter currency code, as sent (usd).")
    status: str = Field(description="draft, open, paid, uncollectible or void.")
    period_start: Number = Field(description="Start of the period, unix time as sent.")
    period_end: Number = Field(description="End of the period, unix time as sent.")
    invoice_lines: list[InvoiceLine] = Field(description="The lines, as sent.")

    @field_validator("period_start", "period_end")
    @classmethod
    def _time_fits(cls, value: int | float) -> int | float:
        unix_time_to_datetime(value)
        return value

    @property
    def amount_due_usd(self) -> Decimal | None:
        """Amount due in US dollars, exact; ``None`` when the invoice is not in dollars."""
        return invoice_to_usd(self.amount_due, self.currency)

    @property
    def period(self) -> tuple[datetime, datetime]:
        """Start and end of the period (aware, UTC)."""
        return unix_time_to_datetime(self.period_start), unix_time_to_datetime(self.period_end)


class Invoice(_Model):
    """One past invoice."""

    id: str | None = Field(default=None, description="The invoice's id.")
    amount_due: Cents = Field(description=f"Amount due, as sent (assumed {INVOICE_UNIT}).")
    amount_paid: Cents = Field(description=f"Amount paid, as sent (assumed {INVOICE_UNIT}).")
    amount_remaining: Cents = Field(description=f"Amount still to pay, as sent (assumed {INVOICE_UNIT}).")
    currency: str = Field(description="Three-letter currency code, as sent.")
    status: str | None = Field(default=None, description="Stripe's status of the invoice.")
    created: Number | None = Field(default=None, description="When it was created, unix time as sent.")
    invoice_origin: str | None = Field(default=None, description="auto or manual (a top-up), as sent.")

    @field_validator("created")
    @classmethod
    def _time_fits(cls, value: int | float | None) -> int | float | None:
        if value is not None:
            unix_time_to_datetime(value)
        return value


class Pagination(_Model):
    """Where a page of invoice history sits."""

    has_more: bool
    page: Number
    per_page: Number
    total_count: Number


class InvoiceHistoryPage(_Model):
    """One page of the invoice-history route."""

    invoices: list[Invoice]
    pagination: Pagination


class InvoiceHistory(_Model):
    """Every past invoice of one account, in the order sent."""

    account_id: str | None = Field(default=None, description="The Cloudflare account read.")
    invoices: list[Invoice] = Field(description="The invoices, as sent.")


INVOICE_FIELDS: Mapping[str, tuple[str, bool, str]] = {
    "accountId": ("string", False, "The account read."),
    "id": ("string", False, "The invoice's id."),
    "status": ("string", False, "draft, open, paid, uncollectible or void."),
    "currency": ("string", False, "Three-letter currency code, as sent."),
    "amountDue": ("number", False, f"Amount due for the open period, as sent (assumed {INVOICE_UNIT})."),
    "amountPaid": ("number", False, f"Amount already paid, as sent (assumed {INVOICE_UNIT})."),
    "amountRemaining": ("number", False, f"Amount still to pay, as sent (assumed {INVOICE_UNIT})."),
    "amountDueUsd": ("number", True, "Amount due in US dollars; null when the invoice is not in usd."),
    "amountRemainingUsd": ("number", True, "Amount still to pay in US dollars; null when not in usd."),
    "periodStart": ("string", False, "Start of the period, ISO-8601 UTC."),
    "periodEnd": ("string", False, "End of the period, ISO-8601 UTC."),
    "lines": ("integer", False, "How many lines the invoice has."),
}
"""The invoice preview's keys in documents and schema.json: (type, nullable, meaning)."""


def preview_document(preview: InvoicePreview) -> dict[str, Any]:
    """The canonical camelCase document of an invoice preview, plain values only."""
    start, end = preview.period
    values: dict[str, Any] = {
        "accountId": preview.account_id,
        "id": preview.id,
        "status": preview.status,
        "currency": preview.currency,
        "amountDue": preview.amount_due,
        "amountPaid": preview.amount_paid,
        "amountRemaining": preview.amount_remaining,
        "amountDueUsd": preview.amount_due_usd,
        "amountRemainingUsd": invoice_to_usd(preview.amount_remaining, preview.currency),
        "periodStart": start,
        "periodEnd": end,
        "lines": len(preview.invoice_lines),
    }
    document: dict[str, Any] = {key: plain_value(values[key]) for key in INVOICE_FIELDS}
    return document
