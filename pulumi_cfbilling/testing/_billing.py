"""The emulator's gateways and invoice routes: what an account's fixture says, paged as Cloudflare pages it.

An account's fixture may hold::

    "gateways": [{...}, ...],          # AIGatewayListResponse objects (the official SDK's type), in order
    "invoice": {...},                  # the invoice preview (BillingInvoicePreviewResponse)
    "invoices": [{...}, ...]           # past invoices (BillingInvoiceHistoryResponse.invoices)

Each is checked at load against the JSON Schema derived from the SDK's types (``sdk_types.schema.json``, kept equal
to the SDK by a test). Without them an account has no gateways, a zero draft invoice for the current UTC month and
no past invoices. ``GET .../gateways`` honours ``page`` and ``per_page`` (default 20, at most 50, as the dashboard
lists them) and answers ``result_info`` with ``page``, ``per_page``, ``count``, ``total_count`` and
``total_pages``; ``GET .../invoice-history`` honours ``page`` (10 a page) and answers ``pagination``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from ._answers import Answer, error, json_answer

__all__ = ["SCHEMAS", "gateways_answer", "history_result", "preview_result", "sdk_schema"]

SCHEMAS = {"gateways": "gateway", "invoice": "invoice_preview", "invoices": "invoice"}
"""Fixture key -> the SDK type (in ``sdk_types.schema.json``) each of its values is checked against."""
_HISTORY_PER_PAGE = 10


def sdk_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one SDK type (``gateway``, ``invoice_preview``, ``invoice``), as shipped."""
    text = resources.files(__package__ or "pulumi_cfbilling.testing").joinpath("sdk_types.schema.json")
    schemas: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return dict(schemas[name])


def _number(params: Mapping[str, list[str]], name: str, default: int, most: int) -> int | None:
    raw = (params.get(name) or [""])[-1]
    if raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        return None
    return int(raw)


def gateways_answer(gateways: list[dict[str, Any]], query: str) -> tuple[list[dict[str, Any]], dict[str, int]] | Answer:
    """One page of gateways and its ``result_info``, or the 400 a bad ``page`` or ``per_page`` gets."""
    params = parse_qs(query, keep_blank_values=True)
    page, per_page = _number(params, "page", 1, 10**6), _number(params, "per_page", 20, 50)
    if page is None or per_page is None:
        return error(400, 10001, "page must be 1 or more and per_page from 1 to 50")
    items = gateways[(page - 1) * per_page : page * per_page]
    pages = max(1, -(-len(gateways) // per_page))
    info = {"page": page, "per_page": per_page, "count": len(items), "total_count": len(gateways), "total_pages": pages}
    return items, info


def preview_result(spec: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The invoice preview of the fixture, or a zero draft for the current UTC month."""
    if spec is not None:
        return dict(spec)
    start = now.astimezone(timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return {
        "id": "in_emulator_preview",
        "amount_due": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "currency": "usd",
        "invoice_lines": [],
        "period_start": int(start.timestamp()),
        "period_end": int(end.timestamp()),
        "status": "draft",
    }


def history_result(invoices: list[dict[str, Any]], query: str) -> dict[str, Any] | Answer:
    """One page of past invoices with its ``pagination``, or the 400 a bad ``page`` or ``type`` gets."""
    params = parse_qs(query, keep_blank_values=True)
    kind = (params.get("type") or ["all"])[-1]
    page = _number(params, "page", 1, 10**6)
    if kind not in ("auto", "all", "manual") or page is None:
        return error(400, 10001, "type must be one of: auto, all, manual; page must be 1 or more")
    chosen = [i for i in invoices if kind == "all" or i.get("invoice_origin", "auto") == kind]
    items = chosen[(page - 1) * _HISTORY_PER_PAGE : page * _HISTORY_PER_PAGE]
    more = page * _HISTORY_PER_PAGE < len(chosen)
    pagination = {"has_more": more, "page": page, "per_page": _HISTORY_PER_PAGE, "total_count": len(chosen)}
    return {"invoices": items, "pagination": pagination}


def paged_success(items: list[dict[str, Any]], info: Mapping[str, int]) -> Answer:
    """A list result with its ``result_info``, in Cloudflare's envelope."""
    return json_answer(200, {"success": True, "errors": [], "messages": [], "result": items, "result_info": info})
