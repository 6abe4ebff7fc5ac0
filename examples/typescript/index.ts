// Read and guard a Cloudflare account's AI Gateway credits through the cfbilling provider plugin.
//
//   pulumi package gen-sdk ../../schema.json --language nodejs --local --out sdk && npm install
//   pulumi config set cfbilling:accountId 0123456789abcdef0123456789abcdef
//   export CLOUDFLARE_API_TOKEN=<token with AI Gateway Read>   # or: pulumi config set --secret cfbilling:apiToken
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import * as cfbilling from "@pulumi-cfbilling/cfbilling";

const config = new pulumi.Config();
const account = new pulumi.Config("cfbilling").require("accountId");

const credits = cfbilling.getCreditBalanceOutput({ accountId: account });
const verdict = cfbilling.checkCreditBalanceOutput({
    accountId: account,
    minBalanceUsd: config.getNumber("minBalanceUsd") ?? 20,
    requireAutoTopup: true,
    requirePaymentMethod: true,
    maxTopupFailureAge: "24h",
});

// The hard stop: mandatory fails preview and up when a guardrail fails (or the balance cannot be read);
// advisory (`pulumi config set enforcement advisory`) warns and goes on. The same guard as Python's guard().
const guard = cfbilling.guardOutput({
    accountId: account,
    minBalanceUsd: config.getNumber("minBalanceUsd") ?? 20,
    requireAutoTopup: true,
    enforcement: config.get("enforcement") ?? "mandatory",
});
export const guardOk = guard.ok;

// The outputs every example exports (Python, YAML, TypeScript, Go, Terraform), under the same names.
export const accountId = credits.accountId;
export const balance = credits.balance;
export const balanceUsd = credits.balanceUsd;
export const hasDefaultPaymentMethod = credits.hasDefaultPaymentMethod;
export const autoTopupEnabled = credits.autoTopupEnabled;
export const topupAmountUsd = credits.topupAmountUsd;
export const topupThresholdUsd = credits.topupThresholdUsd;
export const topupLastFailedAt = credits.topupLastFailedAt;
export const creditsOk = verdict.ok;
export const violations = verdict.violations;
