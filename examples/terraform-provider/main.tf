# Read an account's AI Gateway credits with the native provider (typed attributes), judge them with
# guardrails, and show the failure in a `check` block. Credentials come from the environment
# (CLOUDFLARE_API_TOKEN) or the provider block's sensitive api_token, never from a data source.
#
#   pip install 'pulumi-cfbilling[terraform]'
#   cfbilling terraform install-provider          # a filesystem mirror in ~/.terraform.d/plugins
#   export CLOUDFLARE_API_TOKEN=<token with AI Gateway Read>
#   terraform init && terraform plan -var account_id=0123456789abcdef0123456789abcdef

terraform {
  required_providers {
    cfbilling = {
      source  = "pulumi-cfbilling/cfbilling"
      version = ">= 0.1.0"
    }
  }
}

variable "account_id" {
  type        = string
  description = "Cloudflare account id (32 hex characters)."
}

variable "api_token" {
  type        = string
  description = "Cloudflare API token with AI Gateway Read; null: CLOUDFLARE_API_TOKEN."
  default     = null
  sensitive   = true
}

provider "cfbilling" {
  # Every setting falls back to its environment variable: CLOUDFLARE_API_TOKEN, CLOUDFLARE_BASE_URL, ...
  api_token  = var.api_token
  account_id = var.account_id
  timeout    = 10
}

data "cfbilling_credit_balance" "this" {}

data "cfbilling_credit_check" "this" {
  min_balance_usd        = 20
  require_auto_topup     = true
  require_payment_method = true
  max_topup_failure_age  = "24h"
  min_runway_days        = 3
}

data "cfbilling_usage_history" "this" {
  days = 7
}

# Every gateway: its spend limits, the ones with no cap, and what stops first (the credits or a gateway's limit).
data "cfbilling_gateways" "this" {}

# A failed guardrail is data: the check block shows every message, and the plan goes on (a warning).
# For a hard stop, put the same condition in a resource's lifecycle precondition.
check "ai_gateway_credits" {
  assert {
    condition = data.cfbilling_credit_check.this.ok
    error_message = join("; ", [
      for v in data.cfbilling_credit_check.this.violations : "${v.message} [${v.rule}]"
    ])
  }
}

locals {
  credits = data.cfbilling_credit_balance.this
}

# The outputs every example exports (Python, YAML, TypeScript, Go, Terraform), under the same names, typed.
output "accountId" {
  value = local.credits.account_id
}

output "balance" {
  value = local.credits.balance
}

output "balanceUsd" {
  value = local.credits.balance_usd
}

output "hasDefaultPaymentMethod" {
  value = local.credits.has_default_payment_method
}

output "autoTopupEnabled" {
  value = local.credits.auto_topup_enabled
}

output "topupAmountUsd" {
  value = local.credits.topup_amount_usd
}

output "topupThresholdUsd" {
  value = local.credits.topup_threshold_usd
}

output "topupLastFailedAt" {
  value = local.credits.topup_last_failed_at
}

output "creditsOk" {
  value = data.cfbilling_credit_check.this.ok
}

output "runwayDays" {
  value = data.cfbilling_credit_check.this.runway.runway_days
}

output "spendUsd" {
  value = data.cfbilling_usage_history.this.total_usd
}

output "uncappedGateways" {
  value = data.cfbilling_gateways.this.uncapped
}

output "firstStop" {
  value = data.cfbilling_gateways.this.first_stop.stop
}

# The whole balance, typed: nested objects for the payment method and the top-up configuration.
output "creditBalance" {
  value = local.credits
}
