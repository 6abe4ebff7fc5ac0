"""`cfbilling check` in a subprocess against the emulator: exit codes, formats, fleets and bad flags."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import (
    FAILING,
    HEALTHY,
    LOW,
    UNKNOWN,
    assert_no_secret,
    assert_one_line_error,
    cfbilling_command,
    env_for,
    run_cli,
)

from pulumi_cfbilling.testing.emulator import Emulator

SCHEMA = json.loads(resources.files("pulumi_cfbilling.service").joinpath("check_report.schema.json").read_text("utf-8"))


def check(emu: Emulator, *args: str, **env: str) -> Any:
    return run_cli("check", *args, env=env_for(emu, **env))


def validated(stdout: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(stdout)
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())
    return document


def test_all_pass_exits_0(emulator: Emulator) -> None:
    result = check(emulator, "--account-id", HEALTHY, "--min-balance-usd", "20")
    assert result.returncode == 0, result.stderr
    assert "pass" in result.stdout
    assert "1 of 1 account passes" in result.stdout


def test_a_failed_guardrail_exits_1_and_text_is_an_aligned_table(emulator: Emulator) -> None:
    result = check(
        emulator, "--account-id", HEALTHY, "--account-id", LOW, "--min-balance-usd", "20", "--require-auto-topup"
    )
    assert result.returncode == 1, result.stderr
    header, first, second, blank, name, *details, summary = result.stdout.strip().splitlines()
    assert header.split() == ["ACCOUNT", "LABEL", "BALANCE", "AUTO", "TOP-UP", "VERDICT"]
    assert header.index("VERDICT") == first.index("pass") == second.index("FAIL")
    assert second.startswith(LOW)
    assert second.endswith("FAIL [min-balance, auto-topup]")  # short: the messages go below the table
    assert (blank, name) == ("", f"{LOW}: FAIL")
    assert details == [
        "  - balance $3.13 is below the minimum of $20.00 [min-balance]",
        "  - automatic top-up is off (no_payment_method) [auto-topup]",
    ]
    assert summary == "1 of 2 accounts pass; 1 failed a guardrail; 0 could not be read"


def test_advisory_reports_but_exits_0(emulator: Emulator) -> None:
    result = check(emulator, "--account-id", LOW, "--min-balance-usd", "20", "--advisory", "--format", "github")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("::warning title=AI Gateway credits")


def test_an_api_error_wins_over_a_failure_and_every_account_is_reported(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 401, "code": 10000}])
    result = check(
        emulator,
        "--account-id",
        HEALTHY,
        "--account-id",
        LOW,
        "--account-id",
        FAILING,
        "--min-balance-usd",
        "20",
        "--format",
        "json",
    )
    assert result.returncode == 3, result.stderr
    document = validated(result.stdout)
    assert [a["accountId"] for a in document["accounts"]] == [HEALTHY, LOW, FAILING]
    assert [a["status"] for a in document["accounts"]] == ["error", "fail", "fail"]
    error = document["accounts"][0]["error"]
    assert (error["type"], error["statusCode"], error["codes"]) == ("AuthenticationError", 401, [10000])
    assert error["rayId"]
    assert document["summary"] == {"total": 3, "passed": 0, "failed": 2, "errors": 1}
    assert (document["ok"], document["exitCode"]) == (False, 3)


def test_json_document_carries_values_and_violations(emulator: Emulator) -> None:
    result = check(
        emulator,
        "--account-id",
        FAILING,
        "--max-topup-failure-age",
        "12h",
        "--min-topup-threshold-usd",
        "5",
        "--format",
        "json",
    )
    assert result.returncode == 1
    document = validated(result.stdout)
    assert document["version"] == 1
    assert document["policy"] == {
        "minBalanceUsd": None,
        "requireAutoTopup": False,
        "requirePaymentMethod": False,
        "maxTopupFailureAge": "12h",
        "minTopupThresholdUsd": 5.0,
        "minRunwayDays": None,
        "requireSpendLimit": False,
        "requireSpendLimitWithAutoTopup": False,
        "maxInvoiceDueUsd": None,
    }
    (account,) = document["accounts"]
    assert account["balance"]["balance"] == -42.5
    assert account["balance"]["balanceUsd"] == -0.425
    assert [v["rule"] for v in account["violations"]] == ["topup-failure"]


def test_github_format_and_step_summary(emulator: Emulator, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    emulator.set_faults(FAILING, [{"kind": "status", "status": 403, "code": 9109}])
    result = check(
        emulator,
        "--account-id",
        HEALTHY,
        "--account-id",
        LOW,
        "--account-id",
        FAILING,
        "--min-balance-usd",
        "20",
        "--require-payment-method",
        "--format",
        "github",
        GITHUB_STEP_SUMMARY=str(summary),
        CFBILLING_MAX_RETRIES="0",
    )
    assert result.returncode == 3
    lines = result.stdout.strip().splitlines()
    # What could not be read comes first, grouped by cause: in a fleet it is the line that explains the rest.
    assert lines[0].startswith(f"::error title=AI Gateway credits%3A cannot read {FAILING}::reading the credit balance")
    assert "code 9109" in lines[0]
    assert lines[1] == f"cfbilling: {HEALTHY}: pass (balance $42.51)"
    assert (
        lines[2]
        == f"::error title=AI Gateway credits%3A {LOW} [min-balance]::balance $3.13 is below the minimum of $20.00"
    )
    assert (
        lines[3] == f"::error title=AI Gateway credits%3A {LOW} [payment-method]::no default payment method is on file"
    )
    text = summary.read_text()
    assert text.startswith("earlier step\n### AI Gateway credits")
    assert "| Account | Label | Balance | Auto top-up | Runway | Verdict |" in text
    assert f"| `{LOW}` | \\- | $3.13 | off | - | ❌ FAIL; balance \\$3\\.13 is below the minimum of \\$20\\.00" in text
    assert_no_secret(result.stdout, text)


def test_labels_from_an_accounts_file(emulator: Emulator, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"# fleet\n{HEALTHY}  production\n\n{LOW}\tstaging env  # comment\n{FAILING}\n")
    result = check(emulator, "--accounts-file", str(accounts), "--min-balance-usd", "1", "--format", "json")
    document = validated(result.stdout)
    assert [(a["accountId"], a["label"]) for a in document["accounts"]] == [
        (HEALTHY, "production"),
        (LOW, "staging env"),
        (FAILING, None),
    ]


def test_account_from_the_environment(emulator: Emulator) -> None:
    result = check(emulator, "--min-balance-usd", "20", CLOUDFLARE_ACCOUNT_ID=LOW)
    assert result.returncode == 1
    assert LOW in result.stdout


def test_fleet_reads_concurrently_in_input_order(emulator: Emulator) -> None:
    fleet = [f"{i:032x}" for i in range(1, 13)]
    for account in fleet:
        emulator.set_account(account, {**emulator.accounts[HEALTHY], "latency": 0.3, "faults": []})
    result = check(
        emulator,
        *[a for account in fleet for a in ("--account-id", account)],
        "--min-balance-usd",
        "1",
        "--format",
        "json",
        "--concurrency",
        "4",
    )
    assert result.returncode == 0, result.stderr
    assert [a["accountId"] for a in json.loads(result.stdout)["accounts"]] == fleet
    # Concurrency proven by the emulator's log: requests overlapping in time, never more than the pool allows.
    spans = [(r.started, r.finished or r.started) for r in emulator.log]
    overlap = max(sum(1 for s, f in spans if s <= t < f) for t, _ in spans)
    assert 2 <= overlap <= 4


def test_one_failure_never_hides_another_result(emulator: Emulator) -> None:
    emulator.set_faults(LOW, [{"kind": "drop"}])
    result = check(
        emulator,
        "--account-id",
        HEALTHY,
        "--account-id",
        LOW,
        "--min-balance-usd",
        "1",
        "--format",
        "json",
        CFBILLING_MAX_RETRIES="0",
    )
    document = validated(result.stdout)
    assert [a["status"] for a in document["accounts"]] == ["pass", "error"]
    assert document["accounts"][0]["balance"]["balance"] == 4250.5


def test_rate_limited_account_is_retried_after_backing_off(emulator: Emulator) -> None:
    emulator.set_faults(LOW, [{"kind": "status", "status": 429, "retry_after": "1", "times": 1}])
    result = check(emulator, "--account-id", LOW, "--min-balance-usd", "1")
    assert result.returncode == 0, result.stderr
    first, second = emulator.requests_for(LOW)
    assert second.started - (first.finished or 0) >= 1.0


def test_rate_limit_beyond_the_wait_is_an_error(emulator: Emulator) -> None:
    emulator.set_faults(LOW, [{"kind": "status", "status": 429, "retry_after": "300"}])
    # 300 s is more than the minute this run may wait (--deadline 1m): not waited, an error naming when.
    result = check(emulator, "--account-id", LOW, "--min-balance-usd", "1", "--deadline", "1m", "--format", "json")
    assert result.returncode == 3
    assert validated(result.stdout)["accounts"][0]["error"]["type"] == "RateLimitError"


def test_a_token_that_cannot_see_an_account(emulator: Emulator) -> None:
    result = check(emulator, "--account-id", UNKNOWN, "--min-balance-usd", "1")
    assert result.returncode == 3
    assert "code 9109" in result.stdout


def test_no_progress_output_outside_a_terminal(emulator: Emulator) -> None:
    result = check(emulator, "--account-id", HEALTHY, "--account-id", LOW, "--min-balance-usd", "1")
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--account-id", HEALTHY), "no guardrail given: pass at least one of --min-balance-usd"),
        (("--account-id", HEALTHY, "--min-balance-usd", "lots"), "--min-balance-usd 'lots' is not an amount"),
        (
            ("--account-id", HEALTHY, "--max-topup-failure-age", "soon"),
            "--max-topup-failure-age 'soon' is not a valid duration",
        ),
        (("--account-id", HEALTHY, "--max-topup-failure-age", "0h"), "not a valid duration"),
        (("--account-id", "nope", "--min-balance-usd", "1"), "--account-id 'nope' is not a Cloudflare account id"),
        (("--accounts-file", "/nonexistent", "--min-balance-usd", "1"), "--accounts-file /nonexistent: cannot read it"),
        (
            ("--account-id", HEALTHY, "--min-balance-usd", "1", "--concurrency", "0"),
            "--concurrency 0 must be from 1 to 64",
        ),
        (("--account-id", HEALTHY, "--min-balance-usd", "1", "--format", "xml"), "invalid choice: 'xml'"),
        (("--min-balance-usd", "1"), "no account id: pass --account-id"),
    ],
)
def test_bad_flags_exit_2_with_one_line(emulator: Emulator, args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(check(emulator, *args), 2, fragment)
    assert emulator.log == []


def test_bad_accounts_file_line_is_named(emulator: Emulator, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"{HEALTHY}\nnot-an-id staging\n")
    assert_one_line_error(
        check(emulator, "--accounts-file", str(accounts), "--min-balance-usd", "1"),
        2,
        f"{accounts}:2: the line does not start with an account id (its first word has 9 characters",
    )


def test_balance_takes_the_same_account_options(emulator: Emulator, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"{HEALTHY} production\n{LOW} staging\n")
    emulator.set_faults(LOW, [{"kind": "status", "status": 404, "code": 7003}])
    result = run_cli("balance", "--accounts-file", str(accounts), "--format", "json", env=env_for(emulator))
    assert result.returncode == 3
    document = json.loads(result.stdout)
    assert [a["label"] for a in document["accounts"]] == ["production"]
    assert document["errors"][0]["accountId"] == LOW
    assert document["errors"][0]["error"]["codes"] == [7003]


@pytest.mark.parametrize(
    ("low", "unauthorized", "code"),
    [(False, False, 0), (True, False, 1), (True, True, 3), (False, True, 3)],
)
def test_done_when_github_annotations_and_exit_codes(
    emulator: Emulator, low: bool, unauthorized: bool, code: int
) -> None:
    """`check --account-id A --account-id B --min-balance-usd 20 --format github`: 0 both fine, 1 one low, 3 one 401."""
    second = LOW if low else FAILING
    if not low:
        emulator.set_account(FAILING, {**emulator.accounts[HEALTHY], "faults": []})
    if unauthorized:
        emulator.set_faults(HEALTHY, [{"kind": "status", "status": 401, "code": 10000}])
    result = check(
        emulator, "--account-id", HEALTHY, "--account-id", second, "--min-balance-usd", "20", "--format", "github"
    )
    assert result.returncode == code, result.stdout + result.stderr
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == int(low) + int(unauthorized)
    if unauthorized:
        assert "cannot read" in annotations[0]
        assert "code 10000" in annotations[0]


def _stderr_on_a_terminal(emu: Emulator, *args: str, **env: str) -> str:
    leader, follower = pty.openpty()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_")) and k != "CI"}
    try:
        # Read while it runs: a pty drops what was written but not yet read when its last writer closes.
        process = subprocess.Popen(
            [*cfbilling_command(), "check", *args],
            env={**base, **env_for(emu), **env},
            stdout=subprocess.DEVNULL,
            stderr=follower,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
        return b"".join(chunks).decode()
    finally:
        os.close(leader)


def test_fleet_progress_on_an_interactive_terminal_only(emulator: Emulator) -> None:
    args = ("--account-id", HEALTHY, "--account-id", LOW, "--account-id", FAILING, "--min-balance-usd", "1")
    assert _stderr_on_a_terminal(emulator, *args) == ""  # a quick run draws no bar
    emulator.latency = 1.5  # a run that lasts: the bar appears after two seconds
    shown = _stderr_on_a_terminal(emulator, *args, "--concurrency", "1")
    assert "/3 [" in shown  # tqdm's "n/total [elapsed<left" on the terminal
    assert "account" in shown
    assert _stderr_on_a_terminal(emulator, *args, "--concurrency", "1", CI="true") == ""
    assert _stderr_on_a_terminal(emulator, *args, "--concurrency", "1", "--quiet") == ""
