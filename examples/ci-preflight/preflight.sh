#!/usr/bin/env bash
# Plain-shell preflight for any CI: refuse to deploy when AI Gateway credits are not in order, e.g.
#   examples/ci-preflight/preflight.sh pulumi up --yes --stack prod
# Needs CLOUDFLARE_API_TOKEN in the environment. Exit codes of `cfbilling check`:
#   0 all pass, 1 a guardrail failed, 2 usage or configuration error, 3 an account could not be read.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]   (the deployment to run when the credits are in order)" >&2
  exit 2
fi

cfbilling check \
  --accounts-file "${ACCOUNTS_FILE:-$here/accounts.txt}" \
  --min-balance-usd "${MIN_BALANCE_USD:-20}" \
  --require-auto-topup \
  --require-payment-method \
  --max-topup-failure-age 24h \
  --min-runway-days "${MIN_RUNWAY_DAYS:-7}"
status=$?

case $status in
  0) echo "AI Gateway credits OK: running $1" ;;
  1) echo "AI Gateway credits are low or misconfigured: not deploying" >&2; exit 1 ;;
  2) echo "cfbilling is misconfigured: run 'cfbilling doctor'" >&2; exit 2 ;;
  *) echo "AI Gateway credits could not be read: not deploying blind" >&2; exit "$status" ;;
esac

exec "$@"
