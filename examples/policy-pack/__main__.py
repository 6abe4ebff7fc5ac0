"""A CrossGuard policy pack enforcing the AI Gateway credit guardrails on every stack it is applied to, and an
enabled cost rule on every pulumi-cloudflare AI gateway the plan creates or updates that can spend credits.

export CLOUDFLARE_API_TOKEN=<token with AI Gateway Read>
pulumi preview --policy-pack . --policy-pack-config policy-config.json
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from pulumi_cfbilling.policy import credit_balance_policy, gateway_spend_limit_policy

PolicyPack(
    name="cfbilling-credits",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[credit_balance_policy(), gateway_spend_limit_policy()],
)
