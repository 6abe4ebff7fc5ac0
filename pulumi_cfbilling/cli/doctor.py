"""``cfbilling doctor``: say what is wrong, and what to do, before anybody has to ask.

It shows where each setting came from (never a secret), verifies the API token (``/user/tokens/verify``, then
``/accounts/{id}/tokens/verify`` for tokens owned by an account), and reads the account's balance. Exit codes:
0 everything works, 2 a configuration problem, 3 Cloudflare refused or could not be reached.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..api import transport
from ..api.tokens import TokenVerification
from ..core.amounts import format_usd
from ..core.errors import APIError, AuthenticationError, CfBillingError, ConfigurationError, PermissionDeniedError
from ..core.settings import SETTINGS, Settings
from ..core.text import neutralize
from ..core.values import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, read_account_id
from ..service.reader import EXIT_API_ERROR, EXIT_OK, EXIT_USAGE, Ask, Result, Service
from . import _common as common

__all__ = ["doctor"]

HOW_TO_GET_ACCESS = (
    "create an API token at dash.cloudflare.com/profile/api-tokens with 'AI Gateway Read' on the account"
)


@dataclass(frozen=True)
class Finding:
    """One line of the report: a verdict (ok, warn, FAIL), what was looked at, what was found, what to do."""

    verdict: str
    topic: str
    detail: str
    fix: str = ""


def doctor(args: argparse.Namespace) -> int:
    """Print the findings; the exit code is that of the worst one."""
    findings, code = _diagnose(args)
    print("cfbilling doctor")
    width = max(len(f.topic) for f in findings)
    for finding in findings:
        print(f"  {finding.verdict:<4}  {finding.topic:<{width}}  {neutralize(finding.detail, 400)}")
        if finding.fix:
            print(f"  {'':<4}  {'':<{width}}  fix: {finding.fix}")
    print({0: "Everything works.", 2: "Fix the configuration above.", 3: "Fix the access problem above."}[code])
    return code


def _diagnose(args: argparse.Namespace) -> tuple[list[Finding], int]:
    problems = _every_problem(args)
    if problems:  # every one at once: fixing them one run at a time is what doctor is here to spare
        return [Finding("FAIL", "configuration", str(problem)) for problem in problems], EXIT_USAGE
    settings = common.settings(args, require_credentials=False)
    if args.account_id:
        settings = _with_account(settings, args.account_id)
    findings = [*_settings_findings(settings), _network_finding(settings)]
    if settings.credentials is None:
        return findings, EXIT_USAGE
    with Service(settings) as service:
        token_findings, code = _token_findings(service, settings)
        findings.extend(token_findings)
        if code == EXIT_OK:
            route_findings, code = _route_findings(service, settings)
            findings.extend(route_findings)
    return findings, code


def _every_problem(args: argparse.Namespace) -> list[ConfigurationError]:
    """Each setting read alone, from its flag or its environment variable, and the credential as a whole."""
    problems = []
    for row in SETTINGS:
        flagged = getattr(args, row.name, None) if row.cli else None
        value, label = (flagged, row.flag) if flagged is not None else (os.environ.get(row.env), row.env)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            row.read(value, label)
        except ConfigurationError as error:
            problems.append(error)
    if args.account_id:
        try:
            read_account_id(args.account_id, "--account-id")
        except ConfigurationError as error:
            problems.append(error)
    if not problems:
        try:  # what only the whole shows: a global key without its email, or the reverse
            common.settings(args, require_credentials=False)
        except ConfigurationError as error:
            problems.append(error)
    return problems


def _network_finding(settings: Settings) -> Finding:
    """The proxy and the CA bundle requests to the base URL go through (a proxy's credentials never shown)."""
    proxy = transport.proxy_variable(settings.base_url)
    if proxy:
        parts = urlsplit(os.environ[proxy])
        where = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        route = f"through the proxy {where} ({proxy})"
    else:
        route = "direct (no proxy for this URL)"
    bundle = transport.ca_bundle()
    trust = f"CA bundle {bundle[1]} ({bundle[0]})" if bundle else "the system's CA store"
    return Finding("ok", "network", f"{route}; trusting {trust}")


def _with_account(settings: Settings, account_id: str) -> Settings:
    origins = {**settings.origins, "account_id": "--account-id"}
    values = {**settings.values, "account_id": read_account_id(account_id, "--account-id")}
    return settings._replace(values=values, origins=origins)


def _origin(settings: Settings, key: str) -> str:
    return f"from {settings.origins[key]}" if key in settings.origins else "(default)"


def _settings_findings(settings: Settings) -> list[Finding]:
    findings = []
    credentials = settings.credentials
    if credentials is None:
        findings.append(
            Finding(
                "FAIL",
                "credentials",
                "no API token or API key is configured",
                "export CLOUDFLARE_API_TOKEN=<token> (or CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL); "
                + HOW_TO_GET_ACCESS,
            )
        )
    elif credentials.kind == "token":
        findings.append(Finding("ok", "credentials", f"API token {_origin(settings, 'api_token')}"))
    else:
        findings.append(
            Finding(
                "warn",
                "credentials",
                f"global API key and email {_origin(settings, 'api_key')}",
                "prefer an API token scoped to 'AI Gateway Read': a global key can do anything on the account",
            )
        )
    if settings.account_id is None:
        findings.append(
            Finding("warn", "account", "not set", "export CLOUDFLARE_ACCOUNT_ID=<id>, or pass --account-id")
        )
    else:
        findings.append(Finding("ok", "account", f"{settings.account_id} {_origin(settings, 'account_id')}"))
    base = "ok" if settings.base_url == DEFAULT_BASE_URL else "warn"
    note = "" if base == "ok" else "not the public API: fine for the emulator or a proxy you trust"
    findings.append(Finding(base, "base URL", f"{settings.base_url} {_origin(settings, 'base_url')}", note))
    findings.append(
        Finding(
            "ok",
            "timeouts",
            f"{settings.timeout:g} s per attempt {_with_default(settings, 'timeout', f'{DEFAULT_TIMEOUT:g} s')}, "
            f"{settings.max_retries} retries {_with_default(settings, 'max_retries', str(DEFAULT_MAX_RETRIES))}",
        )
    )
    return findings


def _with_default(settings: Settings, key: str, default: str) -> str:
    """``(default)``, or where the value came from and what the default would have been."""
    origin = _origin(settings, key)
    return origin if origin == "(default)" else f"{origin} (default {default})"


def _token_findings(service: Service, settings: Settings) -> tuple[list[Finding], int]:
    if settings.credentials is None or settings.credentials.kind != "token":
        return [Finding("warn", "token", "not verified: only API tokens can be verified")], EXIT_OK
    try:
        return [_token_state(service.verify_token(), "user token")], EXIT_OK
    except AuthenticationError as error:
        user_error: APIError = error
    except APIError as error:
        return [Finding("FAIL", "token", str(error), "retry; if it persists, check the network")], EXIT_API_ERROR
    # Not a user token: it may be owned by the account (verified at the account's own endpoint).
    if settings.account_id is not None:
        try:
            verified = service.verify_token(settings.account_id)
        except APIError:
            pass
        else:
            return [_token_state(verified, f"account-owned token of {settings.account_id}")], EXIT_OK
    return [
        Finding("FAIL", "token", f"Cloudflare does not recognise this token ({_codes(user_error)})", HOW_TO_GET_ACCESS)
    ], EXIT_API_ERROR


def _token_state(verified: TokenVerification, kind: str) -> Finding:
    expires = f", expires {verified.expires_on}" if verified.expires_on else ""
    if verified.status == "active":
        return Finding("ok", "token", f"active {kind} {verified.id}{expires}")
    return Finding(
        "FAIL",
        "token",
        f"{kind} {verified.id} is {verified.status}{expires}",
        "create or re-enable a token; " + HOW_TO_GET_ACCESS,
    )


def _route_findings(service: Service, settings: Settings) -> tuple[list[Finding], int]:
    """The routes the checks read: the balance, the usage history, the gateways and the invoice preview."""
    if settings.account_id is None:
        return [Finding("warn", "balance", "not read: no account configured")], EXIT_OK
    result = service.read(settings.account_id, Ask(runway=True))
    balance, code = _balance_finding(result, settings)
    if code != EXIT_OK:
        return [balance], code
    if result.runway_error is not None:
        fix = (
            "give the token 'AI Gateway Read' on this account: --min-runway-days, --runway and `cfbilling usage` "
            "read this route"
        )
        return [balance, Finding("FAIL", "usage history", str(result.runway_error), fix)], EXIT_API_ERROR
    assert result.runway is not None  # read, or its error is set
    days = result.runway.runway_days
    shown = "no spend in the last 7 days" if days is None else f"runway {days} days"
    findings, code = [balance, Finding("ok", "usage history", shown)], EXIT_OK
    for finding in _billing_findings(service, settings.account_id):
        findings.append(finding)
        code = EXIT_API_ERROR if finding.verdict == "FAIL" else code
    return findings, code


def _billing_findings(service: Service, account_id: str) -> list[Finding]:
    """The other routes (the gateways, the invoice preview): what a guardrail or command would read there."""
    from ..guardrails.rules import GUARDRAILS
    from ..service.functions import ROUTE_FUNCTIONS

    findings = []
    for function in ROUTE_FUNCTIONS:
        result = service.read(account_id, Ask(routes=function.routes))
        if result.error is not None:
            readers = [g.flag for g in GUARDRAILS if g.needs & function.routes]
            fix = (
                f"give the token 'AI Gateway Read' on this account: {', '.join(readers)} and "
                f"`cfbilling {function.command}` read this route"
            )
            findings.append(Finding("FAIL", function.command, str(result.error), fix))
        elif result.gateways is not None:
            uncapped = len(result.gateways.uncapped)
            findings.append(Finding("ok", "gateways", f"{len(result.gateways.gateways)} read, {uncapped} with no cap"))
        elif result.invoice is not None:
            due = result.invoice.amount_due_usd
            shown = format_usd(due) if due is not None else f"{result.invoice.amount_due} {result.invoice.currency}"
            findings.append(Finding("ok", "invoice", f"{shown} due this period"))
    return findings


def _balance_finding(result: Result, settings: Settings) -> tuple[Finding, int]:
    try:
        balance = result.unwrap().balance
        assert balance is not None  # read, or the error was raised
    except PermissionDeniedError as error:
        fix = (
            f"add account {settings.account_id} to the token's Account Resources with 'AI Gateway Read'"
            if 9109 in error.codes
            else HOW_TO_GET_ACCESS
        )
        return Finding("FAIL", "balance", str(error), fix), EXIT_API_ERROR
    except CfBillingError as error:
        return Finding("FAIL", "balance", str(error)), EXIT_API_ERROR
    topup = "on" if balance.auto_topup_enabled else "off"
    return Finding("ok", "balance", f"{format_usd(balance.balance_usd)}, automatic top-up {topup}"), EXIT_OK


def _codes(error: APIError) -> str:
    codes = ", ".join(str(c) for c in error.codes)
    return f"HTTP {error.status_code}" + (f", code {codes}" if codes else "")
