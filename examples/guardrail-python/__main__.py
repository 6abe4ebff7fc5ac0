"""Guard a deployment on the AI Gateway credit balance of a Cloudflare account.

pulumi config set cfbilling:accountId 0123456789abcdef0123456789abcdef
export CLOUDFLARE_API_TOKEN=<token with AI Gateway Read>   # the snapshot resource reads it from the environment
pulumi up
"""

import pulumi

import pulumi_cfbilling as cfbilling

config = pulumi.Config()
account_id = pulumi.Config("cfbilling").require("accountId")
# Read with an explicit default: `get_float(...) or 20` would turn a configured 0 into 20.
min_balance_usd = config.get_float("minBalanceUsd")
if min_balance_usd is None:
    min_balance_usd = 20.0
min_runway_days = config.get_float("minRunwayDays")
if min_runway_days is None:
    min_runway_days = 3.0

# A data function: read once per run (shared with the guard below), in preview and in up.
balance = cfbilling.get_credit_balance_output(account_id)

# The same numbers as a resource in the stack's state, refreshed on every preview and up.
snapshot = cfbilling.CreditBalanceSnapshot("credits", account_id=account_id)

# Stop the deployment (or just warn, with enforcement=advisory) when credits are not in order.
verdict = cfbilling.guard(
    account_id,
    min_balance_usd=min_balance_usd,
    require_auto_topup=True,
    require_payment_method=True,
    max_topup_failure_age="24h",
    min_runway_days=min_runway_days,  # days left at the last 7 days' rate of spend (reads the usage history)
    enforcement=config.get("enforcement") or "mandatory",
)

# The outputs every example exports (Python, YAML, TypeScript, Go, Terraform), under the same names.
pulumi.export("accountId", balance.account_id)
pulumi.export("balance", balance.balance)
pulumi.export("balanceUsd", balance.balance_usd)
pulumi.export("hasDefaultPaymentMethod", balance.has_default_payment_method)
pulumi.export("autoTopupEnabled", balance.auto_topup_enabled)
pulumi.export("topupAmountUsd", balance.topup_amount_usd)
pulumi.export("topupThresholdUsd", balance.topup_threshold_usd)
pulumi.export("topupLastFailedAt", balance.topup_last_failed_at)
pulumi.export("creditsOk", verdict.apply(lambda v: v["ok"]))
pulumi.export("runwayDays", verdict.apply(lambda v: v["runway"]["runwayDays"] if v["runway"] else None))

# Every gateway's spend limits, and what stops first: the credits (402) or a gateway's cost limit (429).
gateways = cfbilling.get_gateways_output(account_id)
pulumi.export("uncappedGateways", gateways.uncapped)
pulumi.export("firstStop", gateways.first_stop.apply(lambda stop: stop.stop if stop else None))

pulumi.export("snapshotBalance", snapshot.balance)
pulumi.export("creditGuard", verdict)
