"""The JSON Schemas the emulator checks its gateway and invoice fixtures against, derived from the official SDK.

``python tests/sdk_types.py`` writes ``pulumi_cfbilling/testing/sdk_types.schema.json`` from Cloudflare's SDK
(``cloudflare``, a dev dependency); ``tests/test_billing_routes.py`` keeps the shipped file equal to it. The SDK's
pydantic schemas are flattened to the subset the emulator's validator reads: ``type``, ``nullable``,
``properties``, ``required``, ``items``, ``enum``, ``anyOf`` and ``additionalProperties``, every ``$ref`` inlined.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TARGET = Path(__file__).resolve().parents[1] / "pulumi_cfbilling" / "testing" / "sdk_types.schema.json"


def _flatten(node: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return _flatten(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    options = node.get("anyOf")
    if options is not None:
        kept = [o for o in options if o.get("type") != "null"]
        nullable = len(kept) < len(options)
        flat = _flatten(kept[0], defs) if len(kept) == 1 else {"anyOf": [_flatten(o, defs) for o in kept]}
        return {**flat, "nullable": True} if nullable else flat
    out: dict[str, Any] = {}
    kind = node.get("type")
    if kind is not None:
        out["type"] = kind
    if "const" in node:
        out["enum"] = [node["const"]]
    if "enum" in node:
        out["enum"] = list(node["enum"])
    if "properties" in node:
        out["properties"] = {name: _flatten(sub, defs) for name, sub in node["properties"].items()}
        out["required"] = sorted(node.get("required", []))
    if "items" in node:
        out["items"] = _flatten(node["items"], defs)
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = _flatten(node["additionalProperties"], defs)
    return out


def _schema(model: Any) -> dict[str, Any]:
    document = model.model_json_schema(by_alias=True, mode="serialization")
    return _flatten(document, document.get("$defs", {}))


def sdk_types() -> dict[str, Any]:
    """The flattened schemas of the SDK types the emulator serves, by the name its fixtures use."""
    from cloudflare.types.ai_gateway.ai_gateway_list_response import AIGatewayListResponse
    from cloudflare.types.ai_gateway.billing_invoice_history_response import Invoice
    from cloudflare.types.ai_gateway.billing_invoice_preview_response import BillingInvoicePreviewResponse

    return {
        "gateway": _schema(AIGatewayListResponse),
        "invoice": _schema(Invoice),
        "invoice_preview": _schema(BillingInvoicePreviewResponse),
    }


def text() -> str:
    """The shipped file's text."""
    return json.dumps(sdk_types(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    TARGET.write_text(text(), "utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
