"""The min-runway guardrail on every surface, against the emulator's demo series.

Demo accounts over the last 7 whole UTC days: production spends about $3.04 a day (13.96 days left), staging
$1.07 a day in bursts (2.91 days), research is below zero (0 days). Usage is read only when the guardrail is on,
once per account per run, and an unreadable usage history fails closed like an unreadable balance.
"""

from __future__ import annotations

import io
import json
from typing import Any

import jsonschema
import pytest
from helpers import (
    FAILING,
    HEALTHY,
    LOW,
    Collector,
    Plugin,
    env_for,
    plain,
    resolve,
    run_cli,
)
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2
from pulumi_policy import StackValidationArgs

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.cli import main
from pulumi_cfbilling.policy import validate_credit_balance
from pulumi_cfbilling.service.report_schema import check_report_schema
from pulumi_cfbilling.service.schema import CHECK_TOKEN, USAGE_TOKEN
from pulumi_cfbilling.testing.emulator import Emulator

USAGE = "usage-history"


def usage_reads(emulator: Emulator, account: str) -> int:
    return len(emulator.requests_for(account, route=USAGE))


def test_cli_check_judges_runway_and_reports_it(emulator: Emulator) -> None:
    accounts = ("--account-id", HEALTHY, "--account-id", LOW, "--account-id", FAILING)
    result = run_cli("check", *accounts, "--min-runway-days", "7", "--format", "json", env=env_for(emulator))
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, check_report_schema(), format_checker=jsonschema.FormatChecker())
    assert document["policy"]["minRunwayDays"] == 7.0
    production, staging, research = document["accounts"]
    assert (production["status"], production["runway"]["runwayDays"]) == ("pass", 13.96)
    assert production["runway"]["windowDays"] == 7
    assert (staging["status"], staging["runway"]["runwayDays"]) == ("fail", 2.91)
    assert staging["violations"][0]["message"].startswith("credits run out in 2.91 days at $1.07 a day")
    assert (research["status"], research["runway"]["runwayDays"]) == ("fail", 0.0)
    assert all(usage_reads(emulator, account) == 1 for account in (HEALTHY, LOW, FAILING))


def test_cli_text_shows_a_runway_column_only_when_read(emulator: Emulator) -> None:
    judged = run_cli("check", "--account-id", LOW, "--min-runway-days", "2", env=env_for(emulator))
    assert judged.returncode == 0, judged.stderr
    header, row = judged.stdout.splitlines()[:2]
    assert "RUNWAY" in header
    assert "2.91 days" in row
    plain_check = run_cli("check", "--account-id", LOW, "--min-balance-usd", "1", env=env_for(emulator))
    assert "RUNWAY" not in plain_check.stdout
    assert usage_reads(emulator, LOW) == 1  # only the first run asked for it


def test_an_unreadable_usage_history_fails_closed(emulator: Emulator) -> None:
    emulator.set_faults(LOW, [{"kind": "status", "status": 403, "code": 9109}], route=USAGE)
    result = run_cli("check", "--account-id", LOW, "--min-runway-days", "1", "--format", "json", env=env_for(emulator))
    assert result.returncode == 3
    (account,) = json.loads(result.stdout)["accounts"]
    assert account["status"] == "error"
    assert "reading the usage history" in account["error"]["message"]
    assert account["balance"]["balance"] == 312.75  # what was read is still shown


def test_terraform_gets_runway_keys_empty_when_not_read(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in env_for(emulator).items():
        monkeypatch.setenv(name, value)

    def external(query: dict[str, str]) -> dict[str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(query)))
        assert main(["terraform-external"]) == 0
        output: dict[str, str] = json.loads(capsys.readouterr().out)
        return output

    judged = external({"account_id": LOW, "min_runway_days": "7"})
    assert (judged["runway_days"], judged["ok"], judged["violated_rules"]) == ("2.91", "false", "min-runway")
    assert judged["burn_usd_per_day"].startswith("1.07")
    assert judged["projected_empty_at"].endswith("Z")
    unjudged = external({"account_id": LOW, "min_balance_usd": "1"})
    assert (unjudged["runway_days"], unjudged["burn_usd_per_day"], unjudged["projected_empty_at"]) == ("", "", "")


def test_python_functions_and_guard_share_one_usage_read(emulator: Emulator, mock_program: Collector) -> None:
    results = [resolve(cfbilling.check_credit_balance_output(LOW, min_runway_days=7)) for _ in range(20)]
    assert all(r.runway.runway_days == 2.91 for r in results)
    assert [v.rule for v in results[0].violations] == ["min-runway"]
    assert cfbilling.check_credit_balance(HEALTHY, min_runway_days=7).ok is True
    assert cfbilling.check_credit_balance(HEALTHY, min_balance_usd=1).runway is None
    verdict = resolve(cfbilling.guard(LOW, enforcement="advisory", min_runway_days=7))
    assert verdict["runway"]["runwayDays"] == 2.91
    assert any("[min-runway]" in warning for warning in mock_program.warnings())
    with pytest.raises(cfbilling.GuardrailError, match=r"credits run out in 2\.91 days"):
        resolve(cfbilling.guard(LOW, min_runway_days=7))
    assert usage_reads(emulator, LOW) == 1
    assert usage_reads(emulator, HEALTHY) == 1


def test_the_plugin_judges_runway(emulator: Emulator) -> None:
    plugin = Plugin()
    try:
        plugin.configure(emulator)
        returned: dict[str, Any] = plain(
            plugin.invoke(CHECK_TOKEN, accountId=PropertyValue(LOW), minRunwayDays=PropertyValue(7.0))
        )
        again = plain(plugin.invoke(CHECK_TOKEN, accountId=PropertyValue(LOW), minRunwayDays=PropertyValue(2.0)))
    finally:
        plugin.stop()
    assert [v["rule"] for v in returned["violations"]] == ["min-runway"]
    assert returned["runway"]["runwayDays"] == 2.91
    assert again["ok"] is True
    assert usage_reads(emulator, LOW) == 1  # shared by the configured plugin


def test_the_policy_pack_takes_min_runway_days(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env_for(emulator).items():
        monkeypatch.setenv(name, value)
    violations: list[str] = []
    config = {"accountIds": [HEALTHY, LOW], "minRunwayDays": 7}
    validate_credit_balance(StackValidationArgs([], config), lambda message, urn=None: violations.append(message))
    assert len(violations) == 1
    assert violations[0].startswith(f"AI Gateway credits of account {LOW}: credits run out in 2.91 days")


def test_usage_history_data_functions(emulator: Emulator, mock_program: Collector) -> None:
    result = cfbilling.get_usage_history(LOW)
    assert (result.account_id, result.window, len(result.buckets)) == (LOW, "day", 7)
    assert result.total_usd == 7.5
    assert result.buckets[2].aggregated_value == 610
    assert result.buckets[2].spend_usd == 6.1
    assert result.start.endswith("T00:00:00Z")
    hourly = resolve(cfbilling.get_usage_history_output(HEALTHY, days=1, window="hour"))
    assert len(hourly.buckets) == 24
    assert abs(dict(hourly)["totalUsd"] - 3.1) < 1e-9  # canonical keys; $3.10 spread in float 24ths
    again = cfbilling.get_usage_history(LOW)
    assert again == result
    assert usage_reads(emulator, LOW) == 1  # shared per run, like the balance
    with pytest.raises(cfbilling.ConfigurationError, match="from 1 to 90"):
        cfbilling.get_usage_history(LOW, days=0)


def test_the_plugin_serves_get_usage_history(emulator: Emulator) -> None:
    plugin = Plugin()
    try:
        plugin.configure(emulator)
        returned = plain(plugin.invoke(USAGE_TOKEN, accountId=PropertyValue(LOW), days=PropertyValue(7.0)))
        response = plugin.call(
            "Invoke",
            provider_pb2.InvokeRequest(
                tok=USAGE_TOKEN,
                args=PropertyValue.marshal_map({"accountId": PropertyValue(LOW), "colour": PropertyValue("red")}),
            ),
        )
    finally:
        plugin.stop()
    assert (returned["window"], returned["totalUsd"], len(returned["buckets"])) == ("day", 7.5, 7)
    assert returned["buckets"][2]["aggregatedValue"] == 610
    assert [(f.property, f.reason) for f in response.failures] == [
        ("colour", f"unknown input 'colour' for {USAGE_TOKEN}")
    ]


def test_twenty_calls_read_the_settings_and_the_balance_once(
    emulator: Emulator, mock_program: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing a call could share is done per call (issue 27): the run's settings are read once, like its answers.
    from pulumi_cfbilling.program import boundary

    reads: list[str] = []
    real = boundary.settings_for

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(boundary, "settings_for", counted)
    results = [resolve(cfbilling.get_credit_balance_output(HEALTHY)) for _ in range(20)]
    assert {r.balance for r in results} == {results[0].balance}
    assert reads == ["program"]
    assert len(emulator.requests_for(HEALTHY, route="credit-balance")) == 1
