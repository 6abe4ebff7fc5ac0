"""``cfbilling terraform-external``: Terraform's ``external`` data source protocol.

Terraform writes a JSON object of strings on stdin (``account_id`` and optional guardrail keys, snake_case) and
expects a flat JSON object of strings on stdout. A failed guardrail is data, not an error: the command exits 0
with ``ok = "false"`` so a Terraform ``check`` or ``precondition`` can show the message. Configuration and API
errors go to stderr (one line) with exit code 2 or 3, which Terraform reports as the data source's error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..client import BillingClient
from ..config import Source, resolve_settings, validate_account_id
from ..errors import ConfigurationError
from ..rules import GUARDRAILS, Policy, evaluate

__all__ = ["flatten", "query_keys", "terraform_external"]

SETTING_KEYS = ("account_id", "base_url", "timeout")


def query_keys() -> tuple[str, ...]:
    """Every key the query may hold: the settings, then the guardrails under their Python (snake_case) names."""
    return (*SETTING_KEYS, *(g.name for g in GUARDRAILS))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flatten(document: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested camelCase document -> flat snake_case keys with string values (``topup_config_amount``)."""
    flat: dict[str, str] = {}
    for key, value in document.items():
        name = prefix + "".join("_" + c.lower() if c.isupper() else c for c in key)
        if isinstance(value, dict):
            flat.update(flatten(value, name + "_"))
        elif value is None and key == "paymentMethod":
            flat.update({f"{name}_brand": "", f"{name}_last4": ""})
        else:
            flat[name] = _text(value)
    return flat


def _query() -> dict[str, str]:
    try:
        query = json.loads(sys.stdin.read() or "{}")
    except ValueError:
        raise ConfigurationError("stdin is not a JSON object: Terraform's external data source sends one") from None
    if not isinstance(query, dict):
        raise ConfigurationError('stdin must be a JSON object, such as {"account_id": "..."}')
    known = query_keys()
    unknown = sorted(set(query) - set(known))
    if unknown:
        raise ConfigurationError(f"unknown query key {unknown[0]!r}; known keys: {', '.join(known)}")
    return {key: _text(value) for key, value in query.items() if _text(value) != ""}


def terraform_external(args: argparse.Namespace) -> int:
    """Read the query, read the balance, print the flat result; guardrail failures still exit 0."""
    query = _query()
    keys = [g.name for g in GUARDRAILS]
    policy = Policy.from_values({k: query.get(k) for k in keys}, labels=lambda key: f"query key {key}")
    flags = Source.arguments(
        {"base_url": query.get("base_url"), "timeout": query.get("timeout"), "account_id": query.get("account_id")},
        labels={"base_url": "query key base_url", "timeout": "query key timeout", "account_id": "query key account_id"},
    )
    settings = resolve_settings(flags, Source.environment())
    if settings.account_id is None:
        raise ConfigurationError("no account: set account_id in the query, or CLOUDFLARE_ACCOUNT_ID")
    with BillingClient.from_settings(settings) as client:
        balance = client.get_credit_balance(validate_account_id(settings.account_id, "query key account_id"))
    verdict = evaluate(balance, policy)
    result = flatten(balance.to_document())
    result.update(
        {
            "ok": _text(verdict.ok),
            "violation_count": str(len(verdict.violations)),
            "violated_rules": ",".join(v.rule for v in verdict.violations),
            "violations": "; ".join(f"{v.message} [{v.rule}]" for v in verdict.violations),
        }
    )
    print(json.dumps(result, sort_keys=True))
    return 0
