"""The floor of our own stack: requests.get plus the same three pydantic models parsing the result, nothing else."""

import os
import sys

import requests
from pydantic import BaseModel


class PaymentMethod(BaseModel):
    brand: str | None = None
    last4: str | None = None


class TopupConfig(BaseModel):
    amount: float | None = None
    threshold: float | None = None


class Result(BaseModel):
    balance: float
    has_default_payment_method: bool
    payment_method: PaymentMethod | None = None
    topup_config: TopupConfig


account_id = sys.argv[1]
url = f"{os.environ['CLOUDFLARE_BASE_URL']}/accounts/{account_id}/ai-gateway/billing/credit-balance"
response = requests.get(url, headers={"Authorization": f"Bearer {os.environ['CLOUDFLARE_API_TOKEN']}"}, timeout=30)
result = Result.model_validate(response.json()["result"])
print(f"{account_id}: ${result.balance / 100:.2f}")
sys.exit(1 if result.balance < 100 else 0)
