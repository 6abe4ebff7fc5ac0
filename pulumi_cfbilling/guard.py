"""``guard()``: stop a Pulumi deployment when an account's AI Gateway credits are not in order.

Mandatory (the default) fails preview and up with one readable message that lists every violation, and also
fails when the balance cannot be read: a guard that cannot see is closed, not open. Advisory logs each
violation (or the read failure) with ``pulumi.log.warn`` and lets the program go on. Either way the verdict comes
back as an Output of a plain dict, ready for ``pulumi.export``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pulumi

from ._pulumi import as_run_error, build_policy, fetch_balance, for_pulumi, known_output
from .errors import CfBillingError, ConfigurationError, GuardrailError
from .rules import Policy, evaluate

__all__ = ["guard"]


def guard(
    account_id: pulumi.Input[str] | None = None,
    *,
    min_balance_usd: float | Decimal | str | None = None,
    require_auto_topup: bool = False,
    require_payment_method: bool = False,
    max_topup_failure_age: str | timedelta | None = None,
    min_topup_threshold_usd: float | Decimal | str | None = None,
    enforcement: str = "mandatory",
) -> pulumi.Output[dict[str, Any]]:
    """Check an account's credits against guardrails and stop the deployment when one fails.

    :param account_id: the account (an Input); default ``cfbilling:accountId`` or ``CLOUDFLARE_ACCOUNT_ID``.
    :param min_balance_usd: minimum balance in US dollars.
    :param require_auto_topup: automatic top-up must be on.
    :param require_payment_method: a default payment method must be on file.
    :param max_topup_failure_age: no automatic top-up may have failed within this age (``30m``, ``12h``, ``7d``).
    :param min_topup_threshold_usd: the automatic top-up threshold must be set and at least this many dollars.
    :param enforcement: ``"mandatory"`` fails the deployment (also when the balance cannot be read);
        ``"advisory"`` only warns.
    :returns: an Output of ``{"accountId", "ok", "enforcement", "violations": [{rule, message, observed,
        expected}], "error"}``, plain values only.

    Example::

        verdict = pulumi_cfbilling.guard(min_balance_usd=20, require_auto_topup=True)
        pulumi.export("creditGuard", verdict)
    """
    policy = build_policy(
        min_balance_usd=min_balance_usd,
        require_auto_topup=require_auto_topup,
        require_payment_method=require_payment_method,
        max_topup_failure_age=max_topup_failure_age,
        min_topup_threshold_usd=min_topup_threshold_usd,
    )

    def validated() -> Policy:
        if enforcement not in ("mandatory", "advisory"):
            raise ConfigurationError(f"enforcement {enforcement!r} must be 'mandatory' or 'advisory'")
        if policy.is_empty:
            raise ConfigurationError(
                "guard() needs at least one guardrail: min_balance_usd, require_auto_topup, "
                "require_payment_method, max_topup_failure_age or min_topup_threshold_usd"
            )
        return policy

    checked = for_pulumi(validated)
    return known_output(account_id, None, lambda account: _judge(account, checked, enforcement))


def _judge(account_id: str | None, policy: Policy, enforcement: str) -> dict[str, Any]:
    try:
        balance = fetch_balance(account_id)
    except CfBillingError as error:
        if enforcement == "mandatory":
            raise
        pulumi.log.warn(f"cfbilling guard (advisory): {error}")
        return {"accountId": account_id, "ok": False, "enforcement": enforcement, "violations": [], "error": str(error)}
    verdict = evaluate(balance, policy)
    account = balance.account_id or ""
    if not verdict.ok:
        if enforcement == "mandatory":
            raise as_run_error(GuardrailError(account, verdict))
        for violation in verdict.violations:
            pulumi.log.warn(f"cfbilling guard (advisory): account {account}: {violation.message} [{violation.rule}]")
    return {"accountId": account, "enforcement": enforcement, **verdict.to_dict(), "error": None}
