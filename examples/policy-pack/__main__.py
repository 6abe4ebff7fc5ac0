"""A CrossGuard policy pack enforcing the AI Gateway credit guardrails on every stack it is applied to.

export CLOUDFLARE_API_TOKEN=<token with AI Gateway Read>
pulumi preview --policy-pack . --policy-pack-config policy-config.json
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from pulumi_cfbilling.policy import credit_balance_policy

PolicyPack(
    name="cfbilling-credits",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[credit_balance_policy()],
)
