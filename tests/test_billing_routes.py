"""The rest of the billing picture: gateways' spend limits, the invoice preview and history, on every surface.

Against the emulator's demo accounts: production caps its one Unified Billing gateway ($100 a day) and keeps
another on its own keys, and has an open invoice of $12.40; staging's gateway has no spend limit; research has
auto top-up on and its gateway's spend limits switched off. The emulator's fixtures are checked against the
official SDK's types, and the SDK itself reads the same values from it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
import sdk_types
from helpers import (
    FAILING,
    HEALTHY,
    LOW,
    Collector,
    Plugin,
    assert_no_secret,
    env_for,
    plain,
    resolve,
    run_cli,
)
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.api.client import BillingClient
from pulumi_cfbilling.api.gateways import MAX_GATEWAY_PAGES, Gateway, Gateways
from pulumi_cfbilling.cli import main
from pulumi_cfbilling.core.errors import APIResponseError
from pulumi_cfbilling.core.settings import GATEWAYS_TOKEN, INVOICE_TOKEN
from pulumi_cfbilling.guardrails.runway import Runway
from pulumi_cfbilling.guardrails.stops import first_stop
from pulumi_cfbilling.policy import AI_GATEWAY_TYPE, validate_gateway
from pulumi_cfbilling.terraform._sources import route_sources
from pulumi_cfbilling.testing._fixtures import FixtureError, load_fixture
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

GUARDRAIL_FLAGS = ["--require-spend-limit", "--require-spend-limit-with-auto-topup", "--max-invoice-due-usd", "10"]


def gateway(gateway_id: str, **fields: Any) -> dict[str, Any]:
    """A gateway in the API's shape (the SDK's required fields, then ``fields``)."""
    return {
        "id": gateway_id,
        "cache_invalidate_on_update": False,
        "collect_logs": True,
        "created_at": "2026-01-01T00:00:00Z",
        "modified_at": "2026-01-01T00:00:00Z",
        **fields,
    }


def capped(limit: float = 100, window: int = 86400, **rule: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "rules": [{"limit": limit, "limitType": "cost", "window": window, "enabled": True, **rule}],
    }


def reader(client: BillingClient, route: str) -> Callable[[str], object]:
    """The client's read of one of the new routes, by the emulator's name for it."""
    reads: dict[str, Callable[[str], object]] = {
        "gateways": client.get_gateways,
        "invoice-preview": client.get_invoice_preview,
        "invoice-history": client.get_invoice_history,
    }
    return reads[route]


@pytest.fixture
def client(emulator: Emulator) -> Iterator[BillingClient]:
    with BillingClient(api_token=DEMO_TOKEN, base_url=emulator.base_url) as made:
        yield made


def test_the_shipped_sdk_schemas_are_the_sdks() -> None:
    assert sdk_types.TARGET.read_text("utf-8") == sdk_types.text()


def test_fixtures_are_checked_against_the_sdks_types() -> None:
    fixture = demo_fixture()
    fixture["accounts"][HEALTHY]["gateways"][0]["byok_only"] = "yes"
    with pytest.raises(FixtureError, match=r"gateways\[0\]\.byok_only must be a boolean"):
        load_fixture(fixture)
    fixture = demo_fixture()
    fixture["accounts"][HEALTHY]["gateways"][0]["spend_limits"]["rules"][0]["technique"] = "rolling"
    with pytest.raises(FixtureError, match=r"technique must be one of \"fixed\", \"sliding\""):
        load_fixture(fixture)
    fixture = demo_fixture()
    del fixture["accounts"][HEALTHY]["invoice"]["amount_due"]
    with pytest.raises(FixtureError, match=r"invoice\.amount_due is missing"):
        load_fixture(fixture)


def test_the_official_sdk_reads_the_same_values(emulator: Emulator, client: BillingClient) -> None:
    cloudflare = pytest.importorskip("cloudflare")
    sdk = cloudflare.Cloudflare(api_token=DEMO_TOKEN, base_url=emulator.base_url, max_retries=0)
    theirs = list(sdk.ai_gateway.list(account_id=HEALTHY))
    ours = client.get_gateways(HEALTHY)
    assert [g.id for g in theirs] == [g.id for g in ours.gateways] == ["prod-chat", "prod-byok"]
    assert theirs[0].spend_limits.rules[0].limit == ours.gateways[0].spend_limits.rules[0].limit == 100  # type: ignore[union-attr,index]
    assert [g.byok_only for g in theirs] == [g.byok_only for g in ours.gateways]
    preview = sdk.ai_gateway.billing.invoice_preview(account_id=HEALTHY)
    mine = client.get_invoice_preview(HEALTHY)
    assert (preview.amount_due, preview.currency, preview.status) == (mine.amount_due, mine.currency, mine.status)
    history = sdk.ai_gateway.billing.invoice_history(account_id=HEALTHY)
    assert [i.id for i in history.invoices] == [i.id for i in client.get_invoice_history(HEALTHY).invoices]


def test_gateways_are_read_page_by_page_with_a_bound(emulator: Emulator, client: BillingClient) -> None:
    many = [gateway(f"gw-{i:03}", spend_limits=capped()) for i in range(120)]
    emulator.set_account(HEALTHY, {**emulator.accounts[HEALTHY], "gateways": many, "faults": [], "usage_faults": []})
    read = client.get_gateways(HEALTHY)
    assert [g.id for g in read.gateways] == [g["id"] for g in many]
    pages = emulator.requests_for(HEALTHY, route="gateways")
    assert [r.query for r in pages] == [f"page={n}&per_page=50" for n in (1, 2, 3)]
    # A server that never stops paging: the same page, "more" forever.
    body = json.dumps({"success": True, "errors": [], "messages": [], "result": [gateway("loop")],
                       "result_info": {"page": 1, "per_page": 1, "total_pages": 10**6}})  # fmt: skip
    emulator.set_faults(HEALTHY, [{"kind": "raw", "status": 200, "body": body}], route="gateways")
    with pytest.raises(APIResponseError, match=r"more than 2000 gateways"):
        client.get_gateways(HEALTHY)
    assert len(emulator.requests_for(HEALTHY, route="gateways")) == 3 + MAX_GATEWAY_PAGES


def test_invoice_history_follows_has_more(emulator: Emulator, client: BillingClient) -> None:
    invoices = [
        {"id": f"in_{i}", "amount_due": 100 * i, "amount_paid": 100 * i, "amount_remaining": 0, "currency": "usd"}
        for i in range(23)
    ]
    emulator.set_account(HEALTHY, {**emulator.accounts[HEALTHY], "invoices": invoices, "faults": []})
    read = client.get_invoice_history(HEALTHY)
    assert [i.id for i in read.invoices] == [i["id"] for i in invoices]
    assert len(emulator.requests_for(HEALTHY, route="invoice-history")) == 3


@pytest.mark.parametrize("route", ["gateways", "invoice-preview", "invoice-history"])
@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ({"kind": "wrong_types"}, APIResponseError, "the result is malformed"),
        ({"kind": "missing_keys"}, APIResponseError, "the result is malformed"),
        ({"kind": "result_null"}, APIResponseError, "result: null"),
        ({"kind": "status", "status": 403, "code": 9109}, cfbilling.PermissionDeniedError, "code 9109"),
        ({"kind": "truncated"}, APIResponseError, "not valid JSON"),
        ({"kind": "oversized"}, APIResponseError, "larger than 1024 KiB"),
        ({"kind": "redirect", "location": "https://evil.example/steal"}, APIResponseError, "never followed"),
    ],
)
def test_faults_on_each_new_route(
    emulator: Emulator, client: BillingClient, route: str, fault: dict[str, Any], error: type[Exception], words: str
) -> None:
    emulator.set_faults(HEALTHY, [fault], route=route)
    read = reader(client, route)
    with pytest.raises(error, match=words) as caught:
        read(HEALTHY)
    assert HEALTHY in str(caught.value)
    assert "\n" not in str(caught.value)
    assert_no_secret(str(caught.value))


def test_a_transient_fault_on_the_gateways_route_is_retried(emulator: Emulator, client: BillingClient) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 503, "times": 1}], route="gateways")
    assert len(client.get_gateways(HEALTHY).gateways) == 2
    assert len(emulator.requests_for(HEALTHY, route="gateways")) == 2


def test_routes_are_read_only_when_a_guardrail_or_a_surface_needs_them(emulator: Emulator) -> None:
    env = env_for(emulator)
    assert run_cli("check", "--account-id", HEALTHY, "--min-balance-usd", "1", env=env).returncode == 0
    assert emulator.requests_for(HEALTHY, route="gateways") == []
    assert emulator.requests_for(HEALTHY, route="invoice-preview") == []
    assert run_cli("check", "--account-id", HEALTHY, "--require-spend-limit", env=env).returncode == 0
    assert len(emulator.requests_for(HEALTHY, route="gateways")) == 1
    assert emulator.requests_for(HEALTHY, route="invoice-preview") == []


def test_the_guardrails_through_the_cli(emulator: Emulator) -> None:
    result = run_cli("check", "--account-id", HEALTHY, "--account-id", LOW, "--account-id", FAILING,
                     *GUARDRAIL_FLAGS, "--format", "json", env=env_for(emulator))  # fmt: skip
    assert result.returncode == 1
    report = json.loads(result.stdout)
    rules = {a["accountId"]: [v["rule"] for v in a["violations"]] for a in report["accounts"]}
    assert rules == {
        HEALTHY: ["invoice-due"],
        LOW: ["spend-limit"],
        FAILING: ["spend-limit", "spend-limit-with-auto-topup"],
    }
    assert report["policy"]["maxInvoiceDueUsd"] == 10.0
    (low,) = [a for a in report["accounts"] if a["accountId"] == LOW]
    assert low["violations"][0]["observed"] == ["staging"]
    assert "staging: no spend limits" in low["violations"][0]["message"]


def test_unstated_switches_fail_closed_and_a_foreign_currency_is_an_error(emulator: Emulator) -> None:
    unstated = gateway("quiet", spend_limits={"rules": [{"limit": 5, "limitType": "cost", "window": 3600}]})
    euros = {**emulator.accounts[HEALTHY]["invoice"], "currency": "eur"}
    emulator.set_account(HEALTHY, {**emulator.accounts[HEALTHY], "gateways": [unstated], "invoice": euros})
    env = env_for(emulator)
    result = run_cli("check", "--account-id", HEALTHY, "--require-spend-limit", "--format", "json", env=env)
    (violation,) = json.loads(result.stdout)["accounts"][0]["violations"]
    assert "quiet: spend limits not stated as enabled" in violation["message"]
    result = run_cli("check", "--account-id", HEALTHY, "--max-invoice-due-usd", "5", env=env)
    assert result.returncode == 3
    assert "is in 'eur', not usd" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_check_with_every_new_guardrail_passes_a_well_kept_account(emulator: Emulator) -> None:
    result = run_cli("check", "--account-id", HEALTHY, "--require-spend-limit", "--require-spend-limit-with-auto-topup",
                     "--max-invoice-due-usd", "20", env=env_for(emulator))  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_cli_gateways_and_invoice(emulator: Emulator) -> None:
    env = env_for(emulator)
    text = run_cli("gateways", "--account-id", HEALTHY, "--account-id", LOW, env=env)
    assert text.returncode == 0
    assert "prod-chat                Unified Billing              $100.00 per 1d, $20.00 per 1h (scoped)" in text.stdout
    assert "staging                  Unified Billing              NO CAP: no spend limits" in text.stdout
    assert "first stop: credits at " in text.stdout
    document = json.loads(run_cli("gateways", "--account-id", LOW, "--format", "json", env=env).stdout)
    (account,) = document["accounts"]
    assert account["uncapped"] == ["staging"]
    assert account["firstStop"]["stop"] == "credits"
    assert account["runway"]["runwayDays"] == 2.91
    invoice = run_cli("invoice", "--account-id", HEALTHY, env=env)
    assert "due $12.40; paid $0.00; remaining $12.40; 1 line(s)" in invoice.stdout
    (preview,) = json.loads(run_cli("invoice", "--account-id", HEALTHY, "--format", "json", env=env).stdout)["accounts"]
    assert (preview["amountDue"], preview["amountDueUsd"], preview["currency"]) == (1240, 12.4, "usd")
    assert preview["periodStart"].endswith("Z")
    assert_no_secret(text.stdout, text.stderr, invoice.stdout)


def test_server_text_is_neutralised_in_the_gateways_table(emulator: Emulator) -> None:
    hostile = gateway("evil\x1b]0;pwned\x07\u202e\ud83d", byok_only=False)
    emulator.set_account(LOW, {**emulator.accounts[LOW], "gateways": [hostile]})
    result = run_cli("gateways", "--account-id", LOW, env=env_for(emulator))
    assert result.returncode == 0
    for control in ("\x1b", "\x07", "\u202e"):
        assert control not in result.stdout
    check = run_cli("check", "--account-id", LOW, "--require-spend-limit", env=env_for(emulator))
    assert "\x1b" not in check.stdout


# -- What stops first ------------------------------------------------------------------------------------------

NOW = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)


def runway(burn: str, days: str | None) -> Runway:
    return Runway(NOW, NOW, 7, Decimal(burn) * 7, Decimal(burn), None if days is None else Decimal(days),
                  None if days is None else datetime(2026, 12, 20, tzinfo=timezone.utc))  # fmt: skip


def gateways(*items: dict[str, Any]) -> Gateways:
    return Gateways(gateways=[Gateway.model_validate(item) for item in items])


def test_one_gateway_over_its_budget_stops_first() -> None:
    stop = first_stop(Decimal(100), runway("30", "15"), gateways(gateway("only", spend_limits=capped(20))), NOW)
    assert (stop.stop, stop.gateway) == ("spend-limit", "only")
    assert stop.at == datetime(2026, 12, 6, 12, tzinfo=timezone.utc)  # within one window, at the latest
    assert stop.ceiling_usd_per_day == 20


def test_one_gateway_under_its_budget_leaves_the_credits_first() -> None:
    stop = first_stop(Decimal(100), runway("3", "15"), gateways(gateway("only", spend_limits=capped(20))), NOW)
    assert (stop.stop, stop.gateway) == ("credits", None)
    assert stop.at == datetime(2026, 12, 20, tzinfo=timezone.utc)


def test_several_gateways_say_what_cannot_be_computed() -> None:
    found = gateways(gateway("a", spend_limits=capped(10)), gateway("b", spend_limits=capped(5, 3600)))
    stop = first_stop(Decimal(130), runway("30", "4"), found, NOW)
    assert stop.stop == "credits"
    assert "no route gives spend per gateway" in stop.reason
    assert stop.ceiling_usd_per_day == 130  # $10 a day + $5 an hour
    assert stop.earliest_empty_at == datetime(2026, 12, 6, 12, tzinfo=timezone.utc)
    uncapped = gateways(gateway("a", spend_limits=capped(10)), gateway("b"))
    stop = first_stop(Decimal(130), runway("30", "4"), uncapped, NOW)
    assert (stop.ceiling_usd_per_day, stop.earliest_empty_at) == (None, None)
    assert "gateway b has no cap on all its spend" in stop.reason


def test_a_scoped_rule_bounds_nothing_and_no_spend_stops_nothing() -> None:
    scoped = gateways(gateway("only", spend_limits=capped(1, model={"mode": "filter", "values": ["x"]})))
    stop = first_stop(Decimal(100), runway("30", "3"), scoped, NOW)
    assert (stop.stop, stop.ceiling_usd_per_day) == ("credits", None)
    idle = first_stop(Decimal(100), runway("0", None), gateways(gateway("only", byok_only=True)), NOW)
    assert idle.stop == "none"
    assert "every one is byok_only" in idle.reason
    bare = first_stop(Decimal(100), runway("3", "15"), gateways(), NOW)
    assert (bare.stop, bare.ceiling_usd_per_day) == ("credits", None)
    assert bare.reason.endswith("; the account has no gateways")  # not "every one is byok_only" of none at all


# -- The Pulumi surfaces ---------------------------------------------------------------------------------------


def test_python_data_functions(emulator: Emulator, mock_program: Collector) -> None:
    result = cfbilling.get_gateways(LOW)
    assert result.uncapped == ["staging"]
    assert result.gateways[0].has_spend_limit is False
    assert result.gateways[0].spend_limit_gap == "no spend limits"
    assert result.first_stop.stop == "credits"
    assert result.runway.runway_days == 2.91
    production = resolve(cfbilling.get_gateways_output(HEALTHY))
    assert production.gateways[0].rules[0].limit_usd == 100
    assert production.gateways[0].rules[1].scoped is True
    invoice = resolve(cfbilling.get_invoice_preview_output(HEALTHY))
    assert (invoice.amount_due, invoice.amount_due_usd, invoice.status) == (1240, 12.4, "draft")
    assert cfbilling.get_invoice_preview(HEALTHY) == invoice
    assert len(emulator.requests_for(HEALTHY, route="invoice-preview")) == 1  # shared per run
    assert cfbilling.check_credit_balance(LOW, require_spend_limit=True).violations[0].rule == "spend-limit"


def test_the_plugin_serves_the_route_functions(emulator: Emulator) -> None:
    plugin = Plugin()
    try:
        plugin.configure(emulator)
        found = plain(plugin.invoke(GATEWAYS_TOKEN, accountId=PropertyValue(FAILING)))
        invoice = plain(plugin.invoke(INVOICE_TOKEN, accountId=PropertyValue(HEALTHY)))
        checked = plain(plugin.invoke("cfbilling:index:checkCreditBalance", accountId=PropertyValue(FAILING),
                                      requireSpendLimitWithAutoTopup=PropertyValue(True)))  # fmt: skip
    finally:
        stdout, stderr = plugin.stop()
    assert found["uncapped"] == ["research-lab"]
    assert found["gateways"][0]["spendLimitsEnabled"] is False
    assert invoice["amountDueUsd"] == 12.4
    assert [v["rule"] for v in checked["violations"]] == ["spend-limit-with-auto-topup"]
    assert_no_secret(*plugin.seen, stdout, stderr)


def test_terraform_data_sources(emulator: Emulator) -> None:
    from test_tfprovider import configured, read

    provider = configured(emulator)
    sources = {source.type_name: source for source in route_sources()}
    state, errors = read(sources["cfbilling_gateways"](provider), {"account_id": LOW})
    assert errors == []
    assert state is not None
    assert state["uncapped"] == ["staging"]
    assert state["gateways"][0]["has_spend_limit"] is False
    assert state["first_stop"]["stop"] == "credits"
    state, errors = read(sources["cfbilling_invoice_preview"](provider), {"account_id": HEALTHY})
    assert state is not None
    assert (state["amount_due"], state["amount_due_usd"]) == (1240, 12.4)
    emulator.set_faults(HEALTHY, [{"kind": "wrong_types"}], route="gateways")
    state, errors = read(sources["cfbilling_gateways"](provider), {"account_id": HEALTHY})
    assert state is None
    assert "reading the gateways of account" in errors[0]


def test_terraform_external_takes_the_new_guardrails(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in env_for(emulator).items():
        monkeypatch.setenv(name, value)
    query = {"account_id": LOW, "require_spend_limit": "true", "max_invoice_due_usd": "100"}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(query)))
    assert main(["terraform-external"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert (output["ok"], output["violated_rules"]) == ("false", "spend-limit")


# -- The policy pack reads the plan ----------------------------------------------------------------------------


def planned(props: dict[str, Any], config: dict[str, Any] | None = None) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    urn = "urn:pulumi:dev::shop::cloudflare:index/aiGateway:AiGateway::chat"
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = ResourceValidationArgs(AI_GATEWAY_TYPE, props, urn, "chat", options, None, config or {})
    validate_gateway(args, lambda message, where=None: found.append((message, where)))
    return found


def test_the_policy_pack_checks_planned_gateways(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env_for(emulator).items():
        monkeypatch.setenv(name, value)
    base = {"accountId": LOW, "aiGatewayId": "chat", "cacheInvalidateOnUpdate": False, "collectLogs": True}
    ((message, urn),) = planned({**base, "byokOnly": False})
    assert urn is not None
    assert urn.endswith("::chat")
    assert message.startswith("AI gateway chat has no enabled cost rule (no spend limits) and it can bill through")
    assert "byokOnly is off" in message
    assert f"account {LOW}: 2.91 days of credits left at the recent rate" in message
    rule = {"limit": 50, "limitType": "cost", "window": 86400, "enabled": True}
    assert planned({**base, "spendLimits": {"enabled": True, "rules": [rule]}}) == []
    # As the engine hands them over: numbers are floats, lists may be any sequence.
    assert planned({**base, "spendLimits": {"enabled": True, "rules": ({**rule, "window": 86400.0},)}}) == []
    ((fractional, _),) = planned({**base, "spendLimits": {"enabled": True, "rules": [{**rule, "window": 0.5}]}})
    assert "cannot be judged" in fractional
    ((not_a_list, _),) = planned({**base, "spendLimits": {"enabled": True, "rules": "all of them"}})
    assert "cannot be judged" in not_a_list
    off = planned({**base, "spendLimits": {"enabled": False, "rules": [rule]}})
    assert "spend limits are off" in off[0][0]
    assert planned({**base, "byokOnly": True}) == []
    ((workers, _),) = planned({**base, "byokOnly": True, "workersAiBillingMode": "unified"})
    assert "workersAiBillingMode: unified" in workers
    ((unreadable, _),) = planned({**base, "spendLimits": {"enabled": "yes", "rules": []}})
    assert "cannot be judged" in unreadable
    assert_no_secret(message, off[0][0], workers, unreadable)


def test_the_policy_ignores_other_resources() -> None:
    found: list[str] = []
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = ResourceValidationArgs("cloudflare:index/zone:Zone", {}, "urn", "z", options, None, {})
    validate_gateway(args, lambda message, where=None: found.append(message))
    assert found == []


# -- Hostile answers on the new routes -------------------------------------------------------------------------


def _raw(result: Any, info: dict[str, Any] | None = None) -> dict[str, Any]:
    """A raw 200 answer with ``result`` (numbers written as given: ``10**400`` stays a huge integer)."""
    envelope = {"success": True, "errors": [], "messages": [], "result": result}
    if info is not None:
        envelope["result_info"] = info
    return {"kind": "raw", "status": 200, "body": json.dumps(envelope), "headers": {"Content-Type": "application/json"}}


@pytest.mark.parametrize(
    ("route", "result", "words"),
    [
        ("gateways", [gateway("g", spend_limits=capped(limit=10**400))], "spend_limits.rules.0.limit"),
        ("gateways", [gateway("g", spend_limits=capped(limit=-5))], "0 or more"),
        ("gateways", [gateway("g", spend_limits=capped(window=0))], "positive number of seconds"),
        ("gateways", [gateway("g", spend_limits=capped(limit=True))], "must be a number"),
        ("gateways", [gateway("g", byok_only="false")], "byok_only"),
        ("gateways", {"id": "not a list"}, "expected a list"),
        ("invoice-preview", {"amount_due": "12.40"}, "the result is malformed"),
        ("invoice-preview", [1, 2], "expected an object"),
        ("invoice-history", {"invoices": [], "pagination": {"has_more": "yes"}}, "has_more"),
    ],
)
def test_hostile_values_are_one_line_malformed_results(
    emulator: Emulator, client: BillingClient, route: str, result: Any, words: str
) -> None:
    emulator.set_faults(HEALTHY, [_raw(result)], route=route)
    read = reader(client, route)
    with pytest.raises(APIResponseError, match=words) as caught:
        read(HEALTHY)
    assert "\n" not in str(caught.value)


def test_a_credential_echoed_in_a_gateway_is_redacted_everywhere(emulator: Emulator) -> None:
    echoed = gateway(f"leak-{DEMO_TOKEN}", spend_limits={"enabled": False, "rules": []})
    emulator.set_account(LOW, {**emulator.accounts[LOW], "gateways": [echoed]})
    env = env_for(emulator)
    for args in (("gateways",), ("gateways", "--format", "json"), ("check", "--require-spend-limit")):
        result = run_cli(*args, "--account-id", LOW, env=env)
        assert "leak-" in result.stdout
        assert_no_secret(result.stdout, result.stderr)


def test_a_lone_surrogate_in_server_text_crashes_no_surface(emulator: Emulator) -> None:
    body = json.dumps({"success": True, "errors": [], "messages": [],
                       "result": [gateway("cut \ud83d", spend_limits={"enabled": False})]})  # fmt: skip
    emulator.set_faults(LOW, [{"kind": "raw", "status": 200, "body": body}], route="gateways")
    env = env_for(emulator)
    for args in (
        ("gateways",),
        ("gateways", "--format", "json"),
        ("check", "--require-spend-limit", "--format", "github"),
    ):
        result = run_cli(*args, "--account-id", LOW, env=env)
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
        assert "cut " in result.stdout


def test_watch_tells_of_the_new_guardrails_and_a_ceiling_is_one_rung(emulator: Emulator, tmp_path: Any) -> None:
    env = {**env_for(emulator), "CFBILLING_WATCH_STATE": str(tmp_path / "state.json")}
    accounts = ("--account-id", HEALTHY, "--account-id", LOW)
    result = run_cli("watch", *accounts, "--require-spend-limit", "--max-invoice-due-usd", "10", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert "[invoice-due]" in result.stdout
    assert "staging: no spend limits) [spend-limit]" in result.stdout
    rungs = run_cli("watch", *accounts, "--max-invoice-due-usd", "10,20", "--dry-run", env=env)
    assert rungs.returncode == 2
    assert "--max-invoice-due-usd '10,20' is not an amount in US dollars" in rungs.stderr


def test_a_check_that_read_the_gateways_and_the_runway_says_what_stops_first(
    emulator: Emulator, mock_program: Collector
) -> None:
    env = env_for(emulator)
    both = run_cli("check", "--account-id", LOW, "--require-spend-limit", "--runway", "--format", "json", env=env)
    (account,) = json.loads(both.stdout)["accounts"]
    assert account["firstStop"]["stop"] == "credits"
    assert "staging, has no cap" in account["firstStop"]["reason"]
    alone = run_cli("check", "--account-id", LOW, "--require-spend-limit", "--format", "json", env=env)
    assert "firstStop" not in json.loads(alone.stdout)["accounts"][0]  # no runway read: nothing to say
    checked = cfbilling.check_credit_balance(LOW, require_spend_limit=True, min_runway_days=1)
    assert checked.first_stop.stop == "credits"
    assert checked.runway.runway_days == 2.91
    assert cfbilling.check_credit_balance(LOW, min_runway_days=1).first_stop is None
