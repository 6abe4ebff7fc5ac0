"""What a user would write with Cloudflare's official SDK: read each account's balance, compare to a minimum.

Environment: CLOUDFLARE_API_TOKEN, CLOUDFLARE_BASE_URL; arguments: account ids. Exit 1 when one is low.
"""

import os
import sys

import cloudflare

client = cloudflare.Cloudflare(api_token=os.environ["CLOUDFLARE_API_TOKEN"], base_url=os.environ["CLOUDFLARE_BASE_URL"])
low = False
for account_id in sys.argv[1:]:
    balance = client.ai_gateway.billing.credit_balance(account_id=account_id)
    dollars = balance.balance / 100
    print(f"{account_id}: ${dollars:.2f}")
    low = low or dollars < 1
sys.exit(1 if low else 0)
