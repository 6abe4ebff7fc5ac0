# Read an account's AI Gateway credits with `cfbilling terraform-external` and refuse to apply when the
# guardrails fail. Credentials come from the environment (CLOUDFLARE_API_TOKEN), never from the query.
#
#   pip install pulumi-cfbilling
#   export CLOUDFLARE_API_TOKEN=<token with AI Gateway Read>
#   terraform init && terraform plan -var account_id=0123456789abcdef0123456789abcdef

terraform {
  required_providers {
    external = {
      source  = "hashicorp/external"
      version = ">= 2.3"
    }
  }
}

variable "account_id" {
  type        = string
  description = "Cloudflare account id (32 hex characters)."
}

data "external" "ai_gateway_credits" {
  program = ["cfbilling", "terraform-external"]

  # Every value is a string in Terraform's external protocol.
  query = {
    account_id             = var.account_id
    min_balance_usd        = "20"
    require_auto_topup     = "true"
    require_payment_method = "true"
    max_topup_failure_age  = "24h"
    min_runway_days        = "3"
  }
}

# Anything that needs AI Gateway credits can depend on this resource.
resource "terraform_data" "ai_gateway_ready" {
  input = data.external.ai_gateway_credits.result.balance_usd

  lifecycle {
    precondition {
      condition     = data.external.ai_gateway_credits.result.ok == "true"
      error_message = "AI Gateway credits are not in order: ${data.external.ai_gateway_credits.result.violations}"
    }
  }
}

# The outputs every example exports (Python, YAML, TypeScript, Go, Terraform), under the same names, typed
# back from the protocol's strings (an empty string is null).
locals {
  credits = data.external.ai_gateway_credits.result
}

output "accountId" {
  value = local.credits.account_id
}

output "balance" {
  value = tonumber(local.credits.balance)
}

output "balanceUsd" {
  value = tonumber(local.credits.balance_usd)
}

output "hasDefaultPaymentMethod" {
  value = local.credits.has_default_payment_method == "true"
}

output "autoTopupEnabled" {
  value = local.credits.auto_topup_enabled == "true"
}

output "topupAmountUsd" {
  value = local.credits.topup_amount_usd == "" ? null : tonumber(local.credits.topup_amount_usd)
}

output "topupThresholdUsd" {
  value = local.credits.topup_threshold_usd == "" ? null : tonumber(local.credits.topup_threshold_usd)
}

output "topupLastFailedAt" {
  value = local.credits.topup_last_failed_at == "" ? null : local.credits.topup_last_failed_at
}

output "creditsOk" {
  value = local.credits.ok == "true"
}

output "runwayDays" {
  value = local.credits.runway_days == "" ? null : tonumber(local.credits.runway_days)
}
