"""The Pulumi program ``cfbilling demo`` runs under the mock runtime: read one account, guard it, export.

Config: ``demo:accountId`` and ``demo:enforcement`` (``mandatory`` or ``advisory``); credentials and the
emulator's base URL come from ``cfbilling:*`` like in any program.
"""

import pulumi

import pulumi_cfbilling as cfbilling

config = pulumi.Config("demo")
account_id = config.require("accountId")

balance = cfbilling.get_credit_balance_output(account_id)
verdict = cfbilling.guard(
    account_id,
    min_balance_usd=20,
    require_auto_topup=True,
    require_payment_method=True,
    max_topup_failure_age="24h",
    min_runway_days=3,
    enforcement=config.get("enforcement") or "mandatory",
)

pulumi.export("balanceUsd", balance.balance_usd)
pulumi.export("autoTopupEnabled", balance.auto_topup_enabled)
pulumi.export("topupThresholdUsd", balance.topup_threshold_usd)
pulumi.export("hasDefaultPaymentMethod", balance.has_default_payment_method)
pulumi.export("creditGuard", verdict)
pulumi.export("runwayDays", verdict.apply(lambda v: (v.get("runway") or {}).get("runwayDays")))
