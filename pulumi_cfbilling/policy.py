"""CrossGuard policies: the credit guardrails organization-wide, and the gateways a plan creates or updates.

``credit_balance_policy`` is a stack validation policy that enforces the credit guardrails.

CrossGuard never sees invoke results nor resources read with ``opts.id`` (pulumi/pulumi#3950), so the policy
reads the balances itself, with credentials from the environment of the policy run (``CLOUDFLARE_API_TOKEN``, ...):
by default the stack's own account, which it finds on the stack's cfbilling providers in the plan (the default
provider carries ``cfbilling:accountId``; CrossGuard shows a policy no stack config), or the ``accountIds`` of its
policy config. A balance that cannot be read is a violation: under a
mandatory enforcement level the deployment stops rather than going ahead blind.

``gateway_spend_limit_policy`` reads pulumi-cloudflare's ``cloudflare:index/aiGateway:AiGateway`` resources in
the plan (their inputs are in the plan, unlike invoke results): a gateway that can bill through Unified Billing
(``byokOnly`` off) with no enabled cost rule in ``spendLimits``, or that bills Workers AI through Unified Billing
(``workersAiBillingMode: unified``) with none, is a violation. Its inputs are judged by the same gateway model the
``require-spend-limit`` guardrail reads the API with, and the message carries the account's live runway.
Mandatory or advisory is CrossGuard's own ``enforcementLevel`` in the policy config.

Construct ``PolicyPack(...)`` only in the pack's ``__main__.py`` (it starts a server and blocks); this module
only builds the policy, so tests can call its ``validate`` directly. Needs the ``policy`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .core.errors import CfBillingError
from .core.settings import PACKAGE, settings_for
from .core.text import neutralize
from .core.values import read_account_id
from .guardrails.rules import GUARDRAILS, read_policy
from .service.accounts import AccountRef
from .service.reader import Ask, Service

__all__ = [
    "AI_GATEWAY_TYPE",
    "DEFAULT_TIMEOUT_SECONDS",
    "GATEWAY_POLICY_NAME",
    "POLICY_NAME",
    "PROVIDER_TYPE",
    "config_schema",
    "credit_balance_policy",
    "gateway_spend_limit_policy",
    "stack_accounts",
    "validate_credit_balance",
    "validate_gateway",
]

POLICY_NAME = "cfbilling-credit-balance"
GATEWAY_POLICY_NAME = "cfbilling-gateway-spend-limits"
AI_GATEWAY_TYPE = "cloudflare:index/aiGateway:AiGateway"
"""pulumi-cloudflare's AI gateway resource (v6), whose inputs the gateway policy reads in the plan."""
DEFAULT_TIMEOUT_SECONDS = 10.0


def config_schema() -> PolicyConfigSchema:
    """The policy's config schema: the accounts, one key per guardrail (from the rules table), the timeout."""
    return PolicyConfigSchema(
        properties={
            "accountIds": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                "description": "Cloudflare accounts whose AI Gateway credits every deployment checks; default: the "
                "stack's own (the accountId of its cfbilling providers).",
            },
            **{g.camel: g.json_schema for g in GUARDRAILS},
            "timeoutSeconds": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 600,
                "description": f"Timeout per request (default {DEFAULT_TIMEOUT_SECONDS:g}).",
            },
        },
    )


PROVIDER_TYPE = f"pulumi:providers:{PACKAGE}"
"""The cfbilling provider in a plan: the explicit ones, and the default one the engine makes from stack config."""


def stack_accounts(args: StackValidationArgs) -> list[str]:
    """The accounts the stack's own cfbilling providers read (``cfbilling:accountId``, or an explicit provider's).

    CrossGuard hands a policy its own config and the plan's resources, never the stack's config: the provider
    resources are where the stack's account shows. A Python program that calls the data functions directly has
    none, so its pack lists ``accountIds``.
    """
    found: list[str] = []
    for resource in args.resources:
        if resource.resource_type == PROVIDER_TYPE:
            account = resource.props.get("accountId")
            if isinstance(account, str) and account not in found:
                found.append(account)
    return found


def validate_credit_balance(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Read the stack's own accounts (or the configured ones); report each violated guardrail and unread balance."""
    config: Mapping[str, Any] = args.get_config()
    try:
        listed = config.get("accountIds") or []
        where = "policy config accountIds" if listed else "the stack's cfbilling provider accountId"
        refs = [AccountRef(read_account_id(a, where)) for a in listed or stack_accounts(args)]
        if not refs:
            report_violation(
                f"{POLICY_NAME}: no account to check: the stack has no cfbilling provider with an accountId (set "
                "cfbilling:accountId) and the policy config lists no accountIds",
                None,
            )
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
            "Cloudflare AI Gateway credits must be in order before a deployment (the stack's own account, or the "
            f"configured ones): {', '.join(g.rule for g in GUARDRAILS)}."
        ),
        validate=validate_credit_balance,
        enforcement_level=enforcement_level,
        config_schema=config_schema(),
        remediation_steps=(
            "Top up the account's AI Gateway credits or fix its automatic top-up in the Cloudflare dashboard; run "
            "`cfbilling doctor` where the policy runs if the balance cannot be read."
        ),
    )


# pulumi-cloudflare's inputs (camelCase) -> the API's names, which the gateway model reads.
_GATEWAY_INPUTS = {"byokOnly": "byok_only", "workersAiBillingMode": "workers_ai_billing_mode"}
_RULE_INPUTS = ("id", "enabled", "limit", "limitType", "window", "technique", "model", "provider", "metadata")


def _api_shape(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """A planned gateway's inputs in the API's shape: one model judges both (``Gateway``).

    What does not have the shape is passed on as it is, for the model to refuse: never dropped, never a pass.
    """
    shaped: dict[str, Any] = {"id": str(props.get("aiGatewayId") or props.get("id") or name)}
    shaped |= {api: props[key] for key, api in _GATEWAY_INPUTS.items() if props.get(key) is not None}
    limits = props.get("spendLimits")
    if isinstance(limits, Mapping):
        rules = limits.get("rules")
        # The engine hands lists over as any sequence (a tuple, its own list type), never as text.
        if isinstance(rules, Sequence) and not isinstance(rules, (str, bytes)):
            rules = [_rule(rule) for rule in rules]
        shaped["spend_limits"] = {"enabled": limits.get("enabled"), "rules": rules}
    elif limits is not None:
        shaped["spend_limits"] = limits
    return shaped


def _rule(rule: Any) -> Any:
    if not isinstance(rule, Mapping):
        return rule
    shaped = {key: rule[key] for key in _RULE_INPUTS if rule.get(key) is not None}
    window = shaped.get("window")
    # Pulumi's numbers are 64-bit floats: the window a program wrote as 86400 arrives as 86400.0.
    if isinstance(window, float) and window.is_integer():
        shaped["window"] = int(window)
    return shaped


def _runway_note(account: Any, timeout: Any) -> str:
    """The account's live runway, for the message: how long until the credits run out at the recent rate."""
    if not isinstance(account, str):
        return "the account's runway is unknown (accountId is not known yet)"
    try:
        settings = settings_for("policy", {"timeout": timeout})
        with Service(settings) as service:
            result = service.read(account, Ask(runway=True))
    except CfBillingError as error:
        return f"the account's runway cannot be read: {error}"
    if result.error is not None or result.runway is None:
        return f"the account's runway cannot be read: {result.error or result.runway_error}"
    days = result.runway.runway_days
    left = "no spend in the last days" if days is None else f"{days} days of credits left at the recent rate"
    return f"account {account}: {left}"


def validate_gateway(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Report a planned AI gateway that can spend credits (or bill Workers AI through them) with no cost cap."""
    if args.resource_type != AI_GATEWAY_TYPE:
        return
    from .api.gateways import Gateway  # the model the guardrail reads the API with

    props = args.props
    shaped = _api_shape(args.name, props)
    try:
        gateway = Gateway.model_validate(shaped)
    except ValueError as error:  # pydantic's ValidationError: an input the rule cannot read is never a pass
        first = str(error).splitlines()[1:2] or [""]
        report_violation(
            f"AI gateway {neutralize(args.name, 64)} cannot be judged: its spendLimits, byokOnly or "
            f"workersAiBillingMode input is not readable ({neutralize(first[0], 200)}); give them literal values",
            args.urn,
        )
        return
    if gateway.has_spend_limit:
        return
    reasons = []
    if gateway.bills_unified:
        off = "byokOnly is off" if gateway.byok_only is False else "byokOnly is not set"
        reasons.append(f"it can bill through Unified Billing ({off})")
    if gateway.workers_ai_billing_mode == "unified":
        reasons.append("it bills Workers AI through Unified Billing (workersAiBillingMode: unified)")
    if not reasons:
        return
    config: Mapping[str, Any] = args.get_config()
    note = _runway_note(props.get("accountId"), config.get("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS))
    report_violation(
        f"AI gateway {neutralize(gateway.id, 64)} has no enabled cost rule ({gateway.spend_limit_gap}) and "
        f"{' and '.join(reasons)}: nothing caps what it spends; {note} [spend-limit]",
        args.urn,
    )


def gateway_spend_limit_policy(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """The resource validation policy over pulumi-cloudflare's AI gateways; add it to the pack's ``PolicyPack``."""
    return ResourceValidationPolicy(
        name=GATEWAY_POLICY_NAME,
        description=(
            "A Cloudflare AI gateway that can spend AI Gateway credits (byokOnly off, or Workers AI billed through "
            "Unified Billing) must have an enabled cost rule in its spendLimits."
        ),
        validate=validate_gateway,
        enforcement_level=enforcement_level,
        config_schema=PolicyConfigSchema(
            properties={
                "timeoutSeconds": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 600,
                    "description": f"Timeout per request of the runway read (default {DEFAULT_TIMEOUT_SECONDS:g}).",
                }
            }
        ),
        remediation_steps=(
            "Add spendLimits with enabled: true and a rule {limitType: cost, limit, window, enabled: true} to the "
            "gateway, or set byokOnly: true if it must only use your own provider keys."
        ),
    )
