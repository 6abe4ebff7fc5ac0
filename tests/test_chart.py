"""The runway charts of the step summary: what they plot, how text is made safe, which accounts get one.

The e2e suite parses the same sources with Mermaid's own parser (tests/e2e/test_charts.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import FAILING, HEALTHY, LOW, env_for, run_cli

from pulumi_cfbilling.api.usage import UsageHistory
from pulumi_cfbilling.cli._chart import HORIZON_DAYS, IDLE_DAYS, chart_text, runway_chart
from pulumi_cfbilling.guardrails.runway import forecast
from pulumi_cfbilling.testing.emulator import Emulator, demo_fixture

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)
DAY_MS = 86_400_000


def history(*cents: float) -> UsageHistory:
    """Daily buckets ending at the last midnight before NOW, oldest first."""
    end = int(datetime(2026, 11, 25, tzinfo=timezone.utc).timestamp() * 1000)
    first = end - len(cents) * DAY_MS
    buckets = [
        {"id": str(i), "aggregated_value": c, "start_time": first + i * DAY_MS, "end_time": first + (i + 1) * DAY_MS}
        for i, c in enumerate(cents)
    ]
    return UsageHistory.model_validate({"history": buckets})


def series(source: str, kind: str) -> list[Decimal]:
    found = re.search(rf'^    {kind} "[^"]*" \[(.*)\]$', source, re.M)
    assert found, source
    return [Decimal(v) for v in found.group(1).split(", ")]


def x_axis(source: str) -> str:
    found = re.search(r"^    x-axis (.*)$", source, re.M)
    assert found
    return found.group(1)


def test_bars_are_the_window_and_the_line_runs_from_the_past_to_zero() -> None:
    runway = forecast(Decimal(70), history(1000, 1000, 1000, 1000, 1000, 1000, 1000), now=NOW)
    source = runway_chart(HEALTHY, "prod", Decimal(70), runway)
    # The bars are the window's days, then the average spend the line falls by (Mermaid spreads each series over
    # the whole axis): never a made-up $0.00 day ahead.
    assert series(source, "bar") == [Decimal("10.00")] * 7 + [Decimal("10.00")] * 8
    assert "from today on, the average spend per day the line falls by" in source
    # Before today: today's balance plus the spend since; then $10 a day down to $0 on the seventh day.
    assert series(source, "line") == [
        Decimal(v)
        for v in (
            "140.00",
            "130.00",
            "120.00",
            "110.00",
            "100.00",
            "90.00",
            "80.00",
            "70.00",
            "60.00",
            "50.00",
            "40.00",
            "30.00",
            "20.00",
            "10.00",
            "0.00",
        )
    ]
    assert x_axis(source) == '"days from today (0 = 2026-11-25)" -7 --> 7'
    assert 'y-axis "US dollars" 0.00 --> 140.00' in source
    assert "$0 on 2026-12-02 (7.00 days)" in source


def test_a_fractional_runway_ends_on_the_next_whole_day_at_zero() -> None:
    runway = forecast(Decimal(1), history(300), now=NOW)
    line = series(runway_chart(HEALTHY, "x", Decimal(1), runway), "line")
    assert line[-2:] == [Decimal("1.00"), Decimal("0.00")]  # 0.33 days: today, then zero


def test_the_projection_is_capped_and_no_spend_is_flat() -> None:
    long = forecast(Decimal(10_000), history(100), now=NOW)  # $1 a day: 10,000 days
    source = runway_chart(HEALTHY, "x", Decimal(10_000), long)
    assert len(series(source, "line")) == 7 + HORIZON_DAYS + 1
    assert f"drawn {HORIZON_DAYS} days ahead" in source
    idle = forecast(Decimal(5), history(0, 0, 0), now=NOW)
    idle_chart = runway_chart(HEALTHY, "x", Decimal(5), idle)
    flat = series(idle_chart, "line")
    assert set(flat) == {Decimal("5.00")}
    assert len(flat) == 7 + IDLE_DAYS + 1  # a week ahead: a flat line needs no three months
    assert 'bar "' not in idle_chart  # no spend: no bars, not 98 zero ones
    assert "No spend in the window: no bars." in idle_chart
    assert "no spend in the window" in idle_chart


def test_an_empty_or_negative_balance_stops_today_and_refunds_go_below_the_axis() -> None:
    runway = forecast(Decimal("-0.43"), history(820, 1150), now=NOW)
    source = runway_chart(HEALTHY, "x", Decimal("-0.43"), runway)
    assert series(source, "line")[-1] == Decimal("-0.43")
    assert len(series(source, "line")) == 8
    assert "the credits have run out" in source
    refund = forecast(Decimal(5), history(-200, 100), now=NOW)
    assert 'y-axis "US dollars" -2.00 -->' in runway_chart(HEALTHY, "x", Decimal(5), refund)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ('prod "x"] [y', "prod _x__ _y"),
        ("%%{init: {'theme':'dark'}}%%", "___init: _'theme':'dark'____"),
        ("a\nline 2\r`", "a line 2 _"),
        ("```\n# heading", "___ _ heading"),
        ("<script>&amp;", "_script_&amp_"),
        ("équipe\u2013données", "équipe_données"),
        ("", "_"),
        ("x" * 200, "x" * 39 + "_"),
    ],
)
def test_chart_text_leaves_nothing_mermaid_or_markdown_reads(label: str, expected: str) -> None:
    assert chart_text(label) == expected
    assert not set(chart_text(label)) & set('"[]{}%#;`<>\n\r|')


def test_check_github_writes_charts_for_the_shortest_runways(emulator: Emulator, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f'{HEALTHY} prod "quoted" %%{{init}}%%\n{LOW} staging\n{FAILING}\n')
    env = env_for(emulator, GITHUB_STEP_SUMMARY=str(summary))
    result = run_cli("check", "--accounts-file", str(accounts), "--min-runway-days", "3", "--format", "github", env=env)
    assert result.returncode == 1, result.stderr
    text = summary.read_text()
    titles = re.findall(r'^    title "(.*)"$', text, re.M)
    # Shortest first: research (out of credits), staging (2.91 days), production (13.96 days).
    assert titles == [FAILING, "staging", "prod _quoted_ ___init___"]
    assert f"`{HEALTHY}` (prod _quoted_ ___init___). Bars: spend per UTC day" in text
    assert text.count("```mermaid") == 3
    assert text.count("```") == 6
    # Without runway (no --runway, no runway guardrail) there is nothing to chart and nothing extra is read.
    summary.unlink()
    result = run_cli("check", "--account-id", HEALTHY, "--min-balance-usd", "1", "--format", "github", env=env)
    assert result.returncode == 0, result.stderr
    assert "mermaid" not in summary.read_text()
    assert len(emulator.requests_for(HEALTHY, route="usage-history")) == 1
    result = run_cli(
        "check", "--account-id", HEALTHY, "--min-balance-usd", "1", "--runway", "--format", "github", env=env
    )
    assert "```mermaid" in summary.read_text()


def test_a_fleet_charts_its_ten_shortest_runways(tmp_path: Path) -> None:
    staging = demo_fixture()["accounts"][LOW]["result"]
    accounts = {
        f"{index:032x}": {
            "label": f"team {index}",
            "usage": {"daily_cents": [100] * 7, "today_cents": 0},
            "result": {**staging, "balance": 100 * index + 50},
        }
        for index in range(1, 13)
    }
    summary = tmp_path / "summary.md"
    with Emulator(accounts) as emulator:
        listed = tmp_path / "accounts.txt"
        listed.write_text("".join(f"{account} {spec['label']}\n" for account, spec in accounts.items()))
        result = run_cli(
            "check",
            "--accounts-file",
            str(listed),
            "--runway",
            "--min-balance-usd",
            "0",
            "--format",
            "github",
            env=env_for(emulator, GITHUB_STEP_SUMMARY=str(summary)),
        )
    assert result.returncode == 0, result.stderr
    text = summary.read_text()
    assert "The 10 shortest runways of 12 accounts read." in text
    titles = re.findall(r'^    title "team (\d+)"', text, re.M)
    assert titles == [str(i) for i in range(1, 11)]
