"""The results of the three functions, as plain camelCase documents, for every surface that serves them.

The Pulumi provider plugin (``cfbilling:index:*``) and the Terraform provider (``cfbilling_*`` data sources)
answer the same three questions with the same documents, read through one :class:`cache.BalanceCache` so a
run makes one request per account and route. Their shapes are those of the package schema's function outputs.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .cache import BalanceCache
from .config import Settings
from .rules import Policy, judge
from .runway import whole_days
from .runway import window as days_before
from .usage import UsageHistory, usage_document

__all__ = ["balance_result", "check_result", "usage_result"]


def balance_result(cache: BalanceCache, settings: Settings, account: str) -> dict[str, Any]:
    """``getCreditBalance``: the canonical document of the account's balance."""
    return cache.get(settings, account).to_document()


def check_result(cache: BalanceCache, settings: Settings, account: str, policy: Policy) -> dict[str, Any]:
    """``checkCreditBalance``: ``accountId``, ``ok``, ``violations`` and the ``runway`` (when a rule read it)."""
    balance = cache.get(settings, account)

    def usage(start: datetime, end: datetime) -> UsageHistory:  # read only when a rule judges the runway
        return cache.get_usage(settings, account, start, end)

    verdict, runway = judge(balance, policy, usage)
    return {"accountId": balance.account_id, **verdict.to_dict(), "runway": runway.to_dict() if runway else None}


def usage_result(
    cache: BalanceCache, settings: Settings, account: str, days: Any = 7, window: Any = "day"
) -> dict[str, Any]:
    """``getUsageHistory``: the spend of the last ``days`` whole UTC days by ``window`` (``7.0`` is 7 days)."""
    start, end = days_before(datetime.now(timezone.utc), whole_days(days))
    return usage_document(cache.get_usage(settings, account, start, end, window), window, start, end)
