"""The route functions: reads of one route, for one account, shown the same way on every surface.

:data:`ROUTE_FUNCTIONS` is the one table of them: ``getGateways`` (every gateway's spend limits, and what stops
first) and ``getInvoicePreview`` (the open period's invoice). Each takes only ``accountId``; the Python data
functions, the plugin, ``schema.json``, the Terraform data sources and the CLI commands all come from its rows, so
adding a route function is a row here, its document and its schema. No model is loaded until a document is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core.amounts import plain_value
from ..core.records import Record
from ..core.settings import GATEWAYS_TOKEN, INVOICE_TOKEN
from ..guardrails.rules import GATEWAYS_ROUTE, INVOICE_ROUTE

if TYPE_CHECKING:  # the Terraform provider reads this table to describe its schema, which needs no reader
    from .reader import Ask, Result

__all__ = ["ROUTE_FUNCTIONS", "RouteFunction", "gateways_document", "invoice_document", "route_function"]


def gateways_document(result: Result) -> dict[str, Any]:
    """``getGateways``: every gateway (its limits, what it can bill), those with no cap, and what stops first."""
    from ..api.gateways import gateway_document

    if result.gateways is None:
        raise ValueError("gateways_document needs a result with the gateways")
    gateways = result.gateways
    document = {
        "accountId": result.ref.account_id,
        "gateways": [gateway_document(gateway) for gateway in gateways.gateways],
        "uncapped": [gateway.id for gateway in gateways.uncapped],
        "firstStop": result.first_stop.to_dict() if result.first_stop else None,
        "runway": result.runway.to_dict() if result.runway else None,
    }
    plain: dict[str, Any] = plain_value(document)
    return plain


def invoice_document(result: Result) -> dict[str, Any]:
    """``getInvoicePreview``: the open period's invoice, raw amounts and dollars."""
    from ..api.invoices import preview_document

    if result.invoice is None:
        raise ValueError("invoice_document needs a result with the invoice preview")
    return {**preview_document(result.invoice), "accountId": result.ref.account_id}


class RouteFunction(Record):
    """One route function under every name a surface gives it."""

    token: str
    """The package function: ``cfbilling:index:getGateways``."""
    python: str
    """The Python data function: ``get_gateways`` (and ``get_gateways_output``)."""
    terraform: str
    """The Terraform data source: ``cfbilling_gateways``."""
    command: str
    """The CLI command: ``cfbilling gateways``."""
    routes: frozenset[str]
    """The routes read besides the balance."""
    runway: bool
    """Whether the runway is read too (to say what stops first); a runway that cannot be read is left null."""
    description: str
    document: Callable[[Result], dict[str, Any]]

    @property
    def ask(self) -> Ask:
        """What the service is asked for each account."""
        from .reader import Ask

        return Ask(runway=self.runway, routes=self.routes)


ROUTE_FUNCTIONS: tuple[RouteFunction, ...] = (
    RouteFunction(
        GATEWAYS_TOKEN,
        "get_gateways",
        "cfbilling_gateways",
        "gateways",
        frozenset({GATEWAYS_ROUTE}),
        True,
        "Read every AI gateway of an account: what it can bill through Unified Billing, its spend limits, the "
        "gateways with no cap, and what stops first (the credits, or a gateway's cost limit).",
        gateways_document,
    ),
    RouteFunction(
        INVOICE_TOKEN,
        "get_invoice_preview",
        "cfbilling_invoice_preview",
        "invoice",
        frozenset({INVOICE_ROUTE}),
        False,
        "Read the open billing period's invoice of an account: amount due, paid and remaining, and the period.",
        invoice_document,
    ),
)
"""The route functions, in schema order."""


def route_function(token: str) -> RouteFunction | None:
    """The route function of this token, or ``None``."""
    return next((function for function in ROUTE_FUNCTIONS if function.token == token), None)
