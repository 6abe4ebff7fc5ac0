"""`cfbilling usage` and `cfbilling balance --runway` in a subprocess against the emulator's demo series."""

from __future__ import annotations

import json

from helpers import FAILING, HEALTHY, LOW, assert_no_secret, assert_one_line_error, env_for, run_cli

from pulumi_cfbilling.cli._render import sparkline
from pulumi_cfbilling.testing.emulator import Emulator


def test_usage_prints_the_spend_a_sparkline_and_the_runway(emulator: Emulator) -> None:
    result = run_cli("usage", "--account-id", LOW, env=env_for(emulator))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{LOW}: $7.50 over the last 7 days ▁▁█▁▁▁▁"
    assert lines[1].startswith("  balance $3.13; runway 2.91 days at $1.07 a day (the last 7 days), until about ")
    assert lines[2].split() == ["DAY", "SPEND"]
    assert [line.split()[1] for line in lines[3:]] == ["$0.20", "$0.10", "$6.10", "$0.15", "$0.20", "$0.45", "$0.30"]
    assert_no_secret(result.stdout, result.stderr)


def test_usage_json_keeps_raw_values_and_hourly_buckets(emulator: Emulator) -> None:
    result = run_cli(
        "usage",
        "--account-id",
        HEALTHY,
        "--account-id",
        FAILING,
        "--days",
        "2",
        "--window",
        "hour",
        "--format",
        "json",
        env=env_for(emulator),
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["version"] == 1
    production, research = document["accounts"]
    assert production["window"] == "hour"
    assert len(production["buckets"]) == 48
    assert production["buckets"][0]["aggregatedValue"] == 300 / 24  # the day before yesterday, spread by hour
    assert production["runway"]["windowDays"] == 2
    assert research["runway"]["runwayDays"] == 0
    assert document["errors"] == []


def test_usage_reports_an_unreadable_account_and_bad_days(emulator: Emulator) -> None:
    emulator.set_faults(LOW, [{"kind": "status", "status": 403, "code": 9109}], route="usage-history")
    result = run_cli("usage", "--account-id", HEALTHY, "--account-id", LOW, env=env_for(emulator))
    assert result.returncode == 3
    assert result.stdout.startswith(HEALTHY)
    assert f"reading the usage history of account {LOW} failed" in result.stderr
    assert_one_line_error(
        run_cli("usage", "--account-id", HEALTHY, "--days", "91", env=env_for(emulator)),
        2,
        "--days '91' is not a number of whole days",
    )


def test_balance_runway_adds_the_line_and_the_field(emulator: Emulator) -> None:
    text = run_cli("balance", "--account-id", HEALTHY, "--runway", env=env_for(emulator))
    assert text.returncode == 0, text.stderr
    assert "Runway          13.96 days at $3.04 a day (the last 7 days), until about " in text.stdout
    document = json.loads(
        run_cli("balance", "--account-id", FAILING, "--runway", "--format", "json", env=env_for(emulator)).stdout
    )
    assert document["accounts"][0]["runway"]["runwayDays"] == 0
    plain = json.loads(run_cli("balance", "--account-id", HEALTHY, "--format", "json", env=env_for(emulator)).stdout)
    assert "runway" not in plain["accounts"][0]
    assert len(emulator.requests_for(HEALTHY, route="usage-history")) == 1  # only --runway read it


def test_sparkline_scales_to_the_largest_day() -> None:
    from decimal import Decimal

    assert sparkline([Decimal(v) for v in (0, 1, 2, 4, 8)]) == "▁▁▂▄█"
    assert sparkline([Decimal(-1), Decimal(0)]) == "▁▁"
    assert sparkline([]) == ""


def test_usage_reads_a_fleet_concurrently() -> None:
    from pulumi_cfbilling.testing.emulator import demo_fixture

    # Every answer waits 0.3 s: reads of different accounts overlap in the emulator's log when they run at once.
    with Emulator(fixture=demo_fixture(), latency=0.3) as emulator:
        result = run_cli(
            "usage", "--account-id", HEALTHY, "--account-id", LOW, "--account-id", FAILING, env=env_for(emulator)
        )
        assert result.returncode == 0, result.stderr
        firsts = [emulator.requests_for(account)[0] for account in (HEALTHY, LOW, FAILING)]
    assert [line.split(":")[0] for line in result.stdout.split("\n\n")] == [HEALTHY, LOW, FAILING]  # input order
    assert all(other.started < first.finished for first in firsts for other in firsts if first.finished)
