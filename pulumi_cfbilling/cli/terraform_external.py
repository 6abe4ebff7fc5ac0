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

from ..core.amounts import plain_value
from ..core.errors import ConfigurationError
from ..core.settings import GET_TOKEN, SETTINGS, settings_for
from ..guardrails.rules import GUARDRAILS, read_policy
from ..service.documents import function_document
from ..service.reader import Ask, Service

__all__ = ["flatten", "query_keys", "terraform_external"]


def _setting_keys() -> tuple[str, ...]:
    """The settings a query may hold: the table's, but never a credential (those come from the environment)."""
    return tuple(row.name for row in SETTINGS if not row.credential)


def query_keys() -> tuple[str, ...]:
    """Every key the query may hold: the settings, then the guardrails under their Python (snake_case) names."""
    return (*_setting_keys(), *(g.name for g in GUARDRAILS))


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


_RUNWAY_KEYS = {
    "runway_days": "runwayDays",
    "burn_usd_per_day": "burnUsdPerDay",
    "projected_empty_at": "projectedEmptyAt",
}


def terraform_external(args: argparse.Namespace) -> int:
    """Read the query, read and judge the account, print the flat result; guardrail failures still exit 0."""
    query = _query()
    policy = read_policy({g.name: query.get(g.name) for g in GUARDRAILS}, "terraform")
    settings = settings_for("terraform", {key: query.get(key) for key in _setting_keys()})
    with Service(settings) as service:
        # The query's account_id, else CLOUDFLARE_ACCOUNT_ID; one message when there is neither.
        result = service.read(query.get("account_id"), Ask(policy)).unwrap()
    assert result.verdict is not None  # a check: judged
    # The function's document, so it says how old a cached answer is (cached_age_seconds, "" when read live).
    document = flatten(function_document(GET_TOKEN, result))
    # Always present, "" when not read or null (as every nullable field): a Terraform config can name them.
    runway_fields = plain_value(result.runway.to_dict()) if result.runway else {}
    document.update({key: _text(runway_fields.get(camel)) for key, camel in _RUNWAY_KEYS.items()})
    violations = result.verdict.violations
    document.update(
        {
            "ok": _text(result.verdict.ok),
            "violation_count": str(len(violations)),
            "violated_rules": ",".join(v.rule for v in violations),
            "violations": "; ".join(f"{v.message} [{v.rule}]" for v in violations),
        }
    )
    print(json.dumps(document, sort_keys=True))
    return 0
