"""The ``cfbilling`` command in a subprocess, against the emulator: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from helpers import (
    FAILING,
    HEALTHY,
    LOW,
    WRONG_TOKEN,
    assert_no_secret,
    assert_one_line_error,
    cfbilling_command,
    env_for,
    run_cli,
)

from pulumi_cfbilling.cli import build_parser
from pulumi_cfbilling.core.version import __version__
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator


def test_version() -> None:
    result = run_cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"cfbilling {__version__}")


def test_balance_text_shows_dollars_to_the_cent_and_topup(emulator: Emulator) -> None:
    result = run_cli("balance", "--account-id", HEALTHY, env=env_for(emulator))
    assert result.returncode == 0, result.stderr
    assert "$42.51 (4250.5 cents)" in result.stdout
    assert "on: adds $20.00 when the balance falls below $10.00" in result.stdout
    assert "visa ending 4242" in result.stdout
    assert result.stderr == ""


def test_balance_account_from_environment(emulator: Emulator) -> None:
    result = run_cli("balance", env=env_for(emulator, CLOUDFLARE_ACCOUNT_ID=LOW))
    assert result.returncode == 0, result.stderr
    assert "$3.13" in result.stdout
    assert "off (no_payment_method)" in result.stdout


def test_balance_json_carries_raw_cents_and_usd_numbers(emulator: Emulator) -> None:
    result = run_cli(
        "balance", "--account-id", HEALTHY, "--account-id", FAILING, "--format", "json", env=env_for(emulator)
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["version"] == 1
    first, second = document["accounts"]
    assert (first["accountId"], first["balance"], first["balanceUsd"]) == (HEALTHY, 4250.5, 42.505)
    assert first["topupConfig"]["amount"] == 2000
    assert first["topupAmountUsd"] == 20.0
    assert (second["balance"], second["balanceUsd"]) == (-42.5, -0.425)
    assert second["topupLastFailedAt"].endswith("Z")


def test_base_url_flag_wins_over_environment(emulator: Emulator) -> None:
    result = run_cli(
        "balance",
        "--account-id",
        HEALTHY,
        "--base-url",
        emulator.base_url,
        env={"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": "https://nowhere.invalid/client/v4"},
    )
    assert result.returncode == 0, result.stderr


def test_missing_credentials_exit_2() -> None:
    result = run_cli("balance", "--account-id", HEALTHY)
    assert_one_line_error(result, 2, "no Cloudflare credentials", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_EMAIL")


def test_malformed_account_id_exit_2(emulator: Emulator) -> None:
    result = run_cli("balance", "--account-id", "ABC", env=env_for(emulator))
    assert_one_line_error(result, 2, "--account-id 'ABC' is not a Cloudflare account id")
    assert emulator.log == []


def test_no_account_exit_2(emulator: Emulator) -> None:
    assert_one_line_error(run_cli("balance", env=env_for(emulator)), 2, "--account-id", "CLOUDFLARE_ACCOUNT_ID")


def test_plain_http_base_url_exit_2() -> None:
    result = run_cli(
        "balance",
        "--account-id",
        HEALTHY,
        "--base-url",
        "http://api.cloudflare.com/client/v4",
        env={"CLOUDFLARE_API_TOKEN": DEMO_TOKEN},
    )
    assert_one_line_error(result, 2, "--base-url", "plain http")


def test_bad_timeout_exit_2() -> None:
    result = run_cli("balance", "--timeout", "soon")
    assert_one_line_error(result, 2, "--timeout", "is not a valid timeout")


def test_unknown_flag_exit_2() -> None:
    assert_one_line_error(run_cli("balance", "--bogus"), 2, "unrecognized arguments: --bogus")


def test_wrong_token_exit_3_with_code_and_ray(emulator: Emulator) -> None:
    result = run_cli("balance", "--account-id", HEALTHY, env=env_for(emulator, CLOUDFLARE_API_TOKEN=WRONG_TOKEN))
    assert_one_line_error(result, 3, "code 10000", "CF-Ray", HEALTHY)


@pytest.mark.parametrize(("status", "code"), [(401, 10000), (403, 9109), (404, 7003), (500, 10001)])
def test_api_errors_exit_3(emulator: Emulator, status: int, code: int) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": status, "code": code}])
    result = run_cli("balance", "--account-id", HEALTHY, env=env_for(emulator, CFBILLING_MAX_RETRIES="0"))
    assert_one_line_error(result, 3, f"HTTP {status}", f"code {code}")


def test_malformed_response_exit_3(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "wrong_types"}])
    assert_one_line_error(run_cli("balance", "--account-id", HEALTHY, env=env_for(emulator)), 3, "balance")


def test_connection_refused_exit_3() -> None:
    with Emulator() as emu:
        base_url = emu.base_url
    result = run_cli(
        "balance",
        "--account-id",
        HEALTHY,
        env={"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": base_url, "CFBILLING_MAX_RETRIES": "0"},
    )
    assert_one_line_error(result, 3, "refused")


def test_verbose_logs_requests_and_retries_without_credentials(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 503, "times": 1}])
    result = run_cli("balance", "--verbose", "--account-id", HEALTHY, env=env_for(emulator))
    assert result.returncode == 0, result.stderr
    assert "retrying after HTTP 503" in result.stderr
    assert "-> 200" in result.stderr
    assert_no_secret(result.stdout, result.stderr)


def test_demo_runs_on_the_embedded_emulator() -> None:
    result = run_cli("demo")
    assert result.returncode == 0, result.stderr
    for fragment in ("production", "staging", "research", "$42.51", "-$0.43", "Your card was declined."):
        assert fragment in result.stdout
    # The Pulumi program under the mock runtime: outputs and verdicts for a healthy and an unhealthy account.
    assert f"production ({HEALTHY}), mandatory guard: deployment goes ahead" in result.stdout
    assert "balanceUsd               42.505" in result.stdout
    assert f"staging ({LOW}), advisory guard: deployment goes ahead with 4 warnings" in result.stdout
    assert f"staging ({LOW}), mandatory guard: deployment stopped" in result.stdout
    assert f"error: AI Gateway credit guardrails failed for account {LOW} (4 violations)" in result.stdout
    assert '"runway": null' not in result.stdout  # the guard reads the runway it shows
    assert "runwayDays               13.96" in result.stdout
    # Runway for the four kinds of series: steady, spiky, new (out of credits) and idle (nothing to run out on).
    assert "Runway          13.96 days at $3.04 a day (the last 7 days)" in result.stdout
    assert "Runway          2.91 days at $1.07 a day (the last 7 days)" in result.stdout
    assert "Runway          0 days: the credits are used up" in result.stdout
    assert "Runway          no spend to run out on: $0.00 a day (the last 7 days)" in result.stdout
    assert "sandbox     $25.00   on           no spend    pass" in result.stdout


def test_demo_ignores_real_credentials_in_the_environment() -> None:
    result = run_cli(
        "demo", env={"CLOUDFLARE_API_TOKEN": "a-real-token", "CLOUDFLARE_BASE_URL": "https://nowhere.invalid"}
    )
    assert result.returncode == 0, result.stderr
    assert "a-real-token" not in result.stdout + result.stderr


def test_emulator_command_serves_and_prints_its_settings() -> None:
    process = subprocess.Popen(
        [*cfbilling_command(), "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")},
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while not lines or not lines[-1].startswith("Press Ctrl+C"):
            assert time.monotonic() < deadline, lines
            lines.append(process.stdout.readline().strip())
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
        assert exports["CLOUDFLARE_API_TOKEN"] == DEMO_TOKEN
        assert exports["CLOUDFLARE_ACCOUNT_ID"] == HEALTHY
        assert exports["CLOUDFLARE_BASE_URL"].startswith("http://127.0.0.1:")
        result = run_cli("balance", env=exports)
        assert result.returncode == 0, result.stderr
        assert "$42.51" in result.stdout
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_emulator_command_with_a_missing_fixture_exit_2() -> None:
    assert_one_line_error(run_cli("emulator", "--fixture", "/nonexistent.json"), 2, "--fixture", "cannot read")


def test_every_command_is_documented_with_an_example() -> None:
    parser = build_parser()
    assert "Example:" in parser.format_help()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(commands) >= {"balance", "demo", "emulator"}
    for name, command in commands.items():
        assert "Example:" in command.format_help(), name
        assert command.description, name


def test_a_command_line_builds_the_options_of_its_own_command_only() -> None:
    # Every start builds the parser: the options of commands not named in argv are not built (issue 27), and the
    # command that is named gets exactly the parser (and help) it would get in the whole one.
    whole = build_parser()
    commands = whole._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    top = build_parser(["--help"])
    assert top.format_help() == whole.format_help()  # every command listed, with its summary
    for name, command in commands.items():
        lazy = build_parser(["--timeout", "5", name, "--help"])
        built = lazy._subparsers._group_actions[0].choices  # type: ignore[union-attr]
        assert built[name].format_help() == command.format_help(), name
        assert list(built) == [name]
    args = build_parser(["check", "--account-id", "a", "--min-balance-usd", "1"]).parse_args(
        ["check", "--account-id", "a", "--min-balance-usd", "1"]
    )
    assert (args.command, args.account_id, args.min_balance_usd) == ("check", ["a"], "1")
