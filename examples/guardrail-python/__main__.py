"""Guard a deployment on the AI Gateway credit balance of a Cloudflare account.

pulumi config set cfbilling:accountId 0123456789abcdef0123456789abcdef
pulumi config set --secret cfbilling:apiToken <token with AI Gateway Read>
pulumi up
"""

import pulumi

import pulumi_cfbilling as cfbilling

config = pulumi.Config()
account_id = pulumi.Config("cfbilling").require("accountId")

# A data function: read once per run (shared with the guard below), in preview and in up.
balance = cfbilling.get_credit_balance_output(account_id)

# The same numbers as a resource in the stack's state, refreshed on every preview and up.
snapshot = cfbilling.CreditBalanceSnapshot("credits", account_id=account_id)

# Stop the deployment (or just warn, with enforcement=advisory) when credits are not in order.
verdict = cfbilling.guard(
    account_id,
    min_balance_usd=config.get_float("minBalanceUsd") or 20,
    require_auto_topup=True,
    require_payment_method=True,
    max_topup_failure_age="24h",
    enforcement=config.get("enforcement") or "mandatory",
)

pulumi.export("balanceUsd", balance.balance_usd)
pulumi.export("autoTopupEnabled", balance.auto_topup_enabled)
pulumi.export("topupThresholdUsd", balance.topup_threshold_usd)
pulumi.export("hasDefaultPaymentMethod", balance.has_default_payment_method)
pulumi.export("snapshotBalance", snapshot.balance)
pulumi.export("creditGuard", verdict)
