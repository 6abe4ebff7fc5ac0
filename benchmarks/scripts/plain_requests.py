"""A plain requests script: no validation at all."""

import os
import sys

import requests

account_id = sys.argv[1]
url = f"{os.environ['CLOUDFLARE_BASE_URL']}/accounts/{account_id}/ai-gateway/billing/credit-balance"
response = requests.get(url, headers={"Authorization": f"Bearer {os.environ['CLOUDFLARE_API_TOKEN']}"}, timeout=30)
balance = response.json()["result"]["balance"]
print(f"{account_id}: ${balance / 100:.2f}")
