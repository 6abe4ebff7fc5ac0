"""A CrossGuard stack validation policy that enforces the credit guardrails organization-wide.

CrossGuard never sees invoke results nor resources read with ``opts.id`` (pulumi/pulumi#3950), so the policy
reads the balances itself, for the accounts listed in its policy config, with credentials from the environment
of the policy run (``CLOUDFLARE_API_TOKEN``, ...). A balance that cannot be read is a violation: under a
mandatory enforcement level the deployment stops rather than going ahead blind.

Construct ``PolicyPack(...)`` only in the pack's ``__main__.py`` (it starts a server and blocks); this module
only builds the policy, so tests can call its ``validate`` directly. Needs the ``policy`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from .core.errors import CfBillingError
from .core.settings import settings_for
from .core.values import read_account_id
from .guardrails.rules import GUARDRAILS, read_policy
from .service.accounts import AccountRef
from .service.reader import Ask, Service

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "POLICY_NAME",
    "config_schema",
    "credit_balance_policy",
    "validate_credit_balance",
]

POLICY_NAME = "cfbilling-credit-balance"
DEFAULT_TIMEOUT_SECONDS = 10.0


def config_schema() -> PolicyConfigSchema:
    """The policy's config schema: the accounts, one key per guardrail (from the rules table), the timeout."""
    return PolicyConfigSchema(
        properties={
            "accountIds": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                "minItems": 1,
                "description": "Cloudflare accounts whose AI Gateway credits every deployment checks.",
            },
            **{g.camel: g.json_schema for g in GUARDRAILS},
            "timeoutSeconds": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 600,
                "description": f"Timeout per request (default {DEFAULT_TIMEOUT_SECONDS:g}).",
            },
        },
        required=["accountIds"],
    )


def validate_credit_balance(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Read every configured account and report each violated guardrail, and each unreadable balance."""
    config: Mapping[str, Any] = args.get_config()
    try:
        refs = [AccountRef(read_account_id(a, "policy config accountIds")) for a in config.get("accountIds") or []]
        if not refs:
            report_violation(f"{POLICY_NAME}: the policy config lists no accountIds, so no balance was checked", None)
            return
        policy = read_policy({g.name: config.get(g.camel) for g in GUARDRAILS}, "policy")
        timeout = config.get("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
        settings = settings_for("policy", {"timeout": timeout})
    except CfBillingError as error:
        report_violation(f"AI Gateway credits cannot be checked: {error}", None)
        return
    with Service(settings) as service:
        results = service.read_all(refs, Ask(policy))
    for result in results:
        account = result.ref.account_id
        if result.error is not None:
            report_violation(f"AI Gateway credits of account {account} cannot be read: {result.error}", None)
        for violation in result.verdict.violations if result.verdict else ():
            report_violation(f"AI Gateway credits of account {account}: {violation.message} [{violation.rule}]", None)


def credit_balance_policy(enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY) -> StackValidationPolicy:
    """The stack validation policy; add it to a ``PolicyPack`` in the pack's ``__main__.py``."""
    return StackValidationPolicy(
        name=POLICY_NAME,
        description=(
            "Cloudflare AI Gateway credits must be in order before a deployment: minimum balance, automatic "
            "top-up, payment method, no recent top-up failure, minimum top-up threshold."
        ),
        validate=validate_credit_balance,
        enforcement_level=enforcement_level,
        config_schema=config_schema(),
        remediation_steps=(
            "Top up the account's AI Gateway credits or fix its automatic top-up in the Cloudflare dashboard; run "
            "`cfbilling doctor` where the policy runs if the balance cannot be read."
        ),
    )
