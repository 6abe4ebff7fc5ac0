// Read and guard a Cloudflare account's AI Gateway credits through the cfbilling provider plugin.
//
//	pulumi package gen-sdk ../../schema.json --language go --out sdk && cp sdk.go.mod sdk/go/go.mod
//	pulumi config set cfbilling:accountId 0123456789abcdef0123456789abcdef
//	export CLOUDFLARE_API_TOKEN=<token with AI Gateway Read>   # or: pulumi config set --secret cfbilling:apiToken
//	pulumi up
package main

import (
	"github.com/pulumi-cfbilling/pulumi-cfbilling/sdk/go/cfbilling"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		account := pulumi.String(config.Require(ctx, "cfbilling:accountId"))
		minBalance, err := config.TryFloat64(ctx, "minBalanceUsd")
		if err != nil {
			minBalance = 20
		}
		credits := cfbilling.GetCreditBalanceOutput(ctx, cfbilling.GetCreditBalanceOutputArgs{AccountId: account})
		verdict := cfbilling.CheckCreditBalanceOutput(ctx, cfbilling.CheckCreditBalanceOutputArgs{
			AccountId:            account,
			MinBalanceUsd:        pulumi.Float64(minBalance),
			RequireAutoTopup:     pulumi.Bool(true),
			RequirePaymentMethod: pulumi.Bool(true),
			MaxTopupFailureAge:   pulumi.String("24h"),
		})
		// The hard stop: mandatory fails preview and up when a guardrail fails (or the balance cannot be read);
		// advisory (`pulumi config set enforcement advisory`) warns and goes on. The same guard as Python's guard().
		enforcement := config.Get(ctx, "enforcement")
		if enforcement == "" {
			enforcement = "mandatory"
		}
		guard := cfbilling.GuardOutput(ctx, cfbilling.GuardOutputArgs{
			AccountId:        account,
			MinBalanceUsd:    pulumi.Float64(minBalance),
			RequireAutoTopup: pulumi.Bool(true),
			Enforcement:      pulumi.String(enforcement),
		})
		ctx.Export("guardOk", guard.Ok())

		// The outputs every example exports (Python, YAML, TypeScript, Go, Terraform), under the same names.
		ctx.Export("accountId", credits.AccountId())
		ctx.Export("balance", credits.Balance())
		ctx.Export("balanceUsd", credits.BalanceUsd())
		ctx.Export("hasDefaultPaymentMethod", credits.HasDefaultPaymentMethod())
		ctx.Export("autoTopupEnabled", credits.AutoTopupEnabled())
		ctx.Export("topupAmountUsd", credits.TopupAmountUsd())
		ctx.Export("topupThresholdUsd", credits.TopupThresholdUsd())
		ctx.Export("topupLastFailedAt", credits.TopupLastFailedAt())
		ctx.Export("creditsOk", verdict.Ok())
		ctx.Export("violations", verdict.Violations())
		return nil
	})
}
