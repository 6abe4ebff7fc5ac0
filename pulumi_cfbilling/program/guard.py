"""``guard()``: stop a Pulumi deployment when an account's AI Gateway credits are not in order.

Mandatory (the default) fails preview and up with one readable message that lists every violation, and also
fails when the balance cannot be read: a guard that cannot see is closed, not open. Advisory logs each
violation (or the read failure) with ``pulumi.log.warn`` and lets the program go on. Either way the verdict comes
back as an Output of a plain dict, ready for ``pulumi.export``.
"""

from __future__ import annotations

from typing import Any

import pulumi

from ..core.errors import APIError, ConfigurationError, GuardrailError
from ..core.settings import CHECK_TOKEN
from ..core.values import read_enforcement
from ..guardrails.rules import Policy, Verdict, Violation, guardrail_docs
from ..service.reader import Ask
from .boundary import as_run_error, build_policy, document, for_pulumi, known_output, mock_arguments

__all__ = ["guard"]


def guard(
    account_id: pulumi.Input[str] | None = None,
    *,
    enforcement: str = "mandatory",
    **guardrails: Any,
) -> pulumi.Output[dict[str, Any]]:
    """Check an account's credits against guardrails and stop the deployment when one fails.

    :param account_id: the account (an Input); default ``cfbilling:accountId`` or ``CLOUDFLARE_ACCOUNT_ID``.
    :param guardrails: the guardrails by keyword (listed below), as in every surface.
    :param enforcement: ``"mandatory"`` fails the deployment (also when the balance cannot be read);
        ``"advisory"`` only warns.
    :returns: an Output of ``{"accountId", "ok", "enforcement", "violations": [{rule, message, observed,
        expected}], "error", "runway"}``, plain values only (``runway`` when ``min_runway_days`` read it).

    Example::

        verdict = pulumi_cfbilling.guard(min_balance_usd=20, require_auto_topup=True)
        pulumi.export("creditGuard", verdict)
    """
    policy = build_policy(**guardrails)

    def validated() -> Policy:
        read_enforcement(enforcement)
        return policy

    checked = for_pulumi(validated)
    arguments = mock_arguments(guardrails)
    return known_output(account_id, None, lambda account: _judge(account, checked, enforcement, arguments))


def _judge(account_id: str | None, policy: Policy, enforcement: str, arguments: dict[str, Any]) -> dict[str, Any]:
    try:
        checked = document(CHECK_TOKEN, account_id, Ask(policy), arguments)
    except APIError as error:  # a configuration error is the program's to fix, advisory or not: it raises
        if enforcement == "mandatory":
            raise
        pulumi.log.warn(f"cfbilling guard (advisory): {error}")
        return {
            "accountId": account_id,
            "ok": False,
            "enforcement": enforcement,
            "violations": [],
            "error": str(error),
            "runway": None,
        }
    verdict = for_pulumi(lambda: _verdict(checked))
    account = str(checked.get("accountId") or account_id or "")
    if not verdict.ok:
        if enforcement == "mandatory":
            raise as_run_error(GuardrailError(account, verdict))
        for violation in verdict.violations:
            pulumi.log.warn(f"cfbilling guard (advisory): account {account}: {violation.message} [{violation.rule}]")
    return {**checked, "enforcement": enforcement, "error": None}


def _verdict(checked: dict[str, Any]) -> Verdict:
    """The verdict a check document states (read, or a program's mocks' answer, which must have its shape)."""
    try:
        violations = tuple(Violation(**violation) for violation in checked["violations"])
        ok = checked["ok"]
    except (KeyError, TypeError):
        raise ConfigurationError(
            f"the answer to {CHECK_TOKEN} has no ok and violations: under mocks, return the function's document "
            "({'accountId', 'ok', 'violations': [{'rule', 'message', 'observed', 'expected'}], 'runway'})"
        ) from None
    if ok is not (not violations):
        raise ConfigurationError(f"the answer to {CHECK_TOKEN} says ok={ok!r} with {len(violations)} violations")
    return Verdict(violations)


guard.__doc__ = f"{guard.__doc__}\n    Guardrails:\n\n{guardrail_docs()}\n"
