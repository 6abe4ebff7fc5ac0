"""What a new user tripped on: each item of the hardening issue's list, pinned."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from helpers import FAILING, HEALTHY, LOW, cfbilling_command, run_cli

from pulumi_cfbilling import ConfigurationError, parse_duration
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

ROOT = Path(__file__).resolve().parent.parent


def env_for(emu: Emulator, **extra: str) -> dict[str, str]:
    return {"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emu.base_url, **extra}


# 12. Per-account errors reach stderr in every format; no stray empty line.


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_check_reports_unreadable_accounts_on_stderr(emulator: Emulator, fmt: str) -> None:
    emulator.set_faults(LOW, [{"kind": "status", "status": 403, "code": 9109}])
    result = run_cli(
        "check",
        "--account-id",
        HEALTHY,
        "--account-id",
        LOW,
        "--min-balance-usd",
        "1",
        "--format",
        fmt,
        env=env_for(emulator, CFBILLING_MAX_RETRIES="0"),
    )
    assert result.returncode == 3
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"cfbilling: error: reading the credit balance of account {LOW} failed")


def test_balance_prints_nothing_on_stdout_when_no_account_was_read(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    result = run_cli("balance", "--account-id", HEALTHY, env=env_for(emulator, CFBILLING_MAX_RETRIES="0"))
    assert result.returncode == 3
    assert result.stdout == ""


# 13. The shell preflight is the same check as the workflow.


def _check_flags(text: str) -> set[str]:
    # The command itself (the last mention: comments name it first), up to the blank line after it.
    return set(re.findall(r"--[a-z-]+", text.rsplit("cfbilling check", 1)[1].split("\n\n", 1)[0]))


def test_preflight_script_checks_what_the_workflow_checks() -> None:
    import yaml

    script = (ROOT / "examples" / "ci-preflight" / "preflight.sh").read_text()
    workflow = yaml.safe_load((ROOT / "examples" / "ci-preflight" / "github-actions.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["deploy"]["steps"] if s.get("uses") == "./"]
    # The action's inputs are named as the flags they become (tests/test_action.py holds it to that).
    assert _check_flags(script) - {"--format"} == {f"--{name}" for name in step["with"]}


# 14. Durations accept the whole range the message names.


def test_durations_from_1s_to_3650d_inclusive() -> None:
    assert parse_duration("1s").total_seconds() == 1
    assert parse_duration("3650d").days == 3650
    with pytest.raises(ConfigurationError, match="from 1s to 3650d"):
        parse_duration("3651d")


# 15. Accounts files: BOM, duplicates, stdin, binary.


def test_accounts_file_with_a_byte_order_mark(emulator: Emulator, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"{HEALTHY} production\n", encoding="utf-8-sig")
    result = run_cli("balance", "--accounts-file", str(accounts), env=env_for(emulator))
    assert result.returncode == 0, result.stderr
    assert "(production)" in result.stdout


def test_a_duplicate_account_names_both_lines(emulator: Emulator, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"{HEALTHY}\n{LOW}\n{HEALTHY} again\n")
    result = run_cli("balance", "--accounts-file", str(accounts), env=env_for(emulator))
    assert result.returncode == 2
    assert f"{accounts}:3: account {HEALTHY} is already listed on line 1" in result.stderr
    assert emulator.log == []


def test_accounts_from_stdin(emulator: Emulator) -> None:
    command = [*cfbilling_command(), "balance", "--accounts-file", "-", "--format", "json"]
    result = subprocess.run(
        command,
        input=f"{HEALTHY}\n{FAILING} research\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**_base_env(), **env_for(emulator)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('"accountId"') == 2


def test_a_binary_accounts_file_is_one_line(emulator: Emulator, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.bin"
    accounts.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    result = run_cli("balance", "--accounts-file", str(accounts), env=env_for(emulator))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"cfbilling: error: --accounts-file {accounts} is not a UTF-8 text file: write one account id a line, "
        "optionally with a label"
    )


# 16. Global flags before the command.


@pytest.mark.parametrize("order", ["before", "after"])
def test_base_url_and_timeout_before_or_after_the_command(emulator: Emulator, order: str) -> None:
    flags = ["--base-url", emulator.base_url, "--timeout", "5"]
    command = ["balance", "--account-id", HEALTHY]
    args = [*flags, *command] if order == "before" else [*command, *flags]
    result = run_cli(*args, env={"CLOUDFLARE_API_TOKEN": DEMO_TOKEN})
    assert result.returncode == 0, result.stderr
    assert "$42.51" in result.stdout


# 17. The demo prints the same thing every time.


def _normalised(text: str) -> str:
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "TIME", text)


def test_the_demo_is_deterministic() -> None:
    first, second = (run_cli("demo", timeout=120) for _ in range(2))
    assert first.returncode == second.returncode == 0
    assert _normalised(first.stdout) == _normalised(second.stdout)


# 18. Polish.


def test_advisory_text_marks_the_verdict_as_advisory(emulator: Emulator) -> None:
    result = run_cli("check", "--account-id", LOW, "--min-balance-usd", "20", "--advisory", env=env_for(emulator))
    assert result.returncode == 0
    assert "WARN (advisory) [min-balance]" in result.stdout
    assert f"{LOW}: WARN (advisory)\n  - balance $3.13 is below the minimum of $20.00 [min-balance]" in result.stdout
    assert "FAIL" not in result.stdout


def test_one_account_summary_is_singular(emulator: Emulator) -> None:
    result = run_cli("check", "--account-id", HEALTHY, "--min-balance-usd", "1", env=env_for(emulator))
    assert "1 of 1 account passes; 0 failed a guardrail; 0 could not be read" in result.stdout


def test_doctor_says_default_once(emulator: Emulator) -> None:
    result = run_cli("doctor", "--account-id", HEALTHY, env=env_for(emulator))
    (timeouts,) = [line for line in result.stdout.splitlines() if "timeouts" in line]
    assert timeouts.count("(default)") == 2  # one per setting, no third "(defaults ...)" beside them
    assert "defaults:" not in timeouts


def test_a_bearer_prefix_gets_a_hint_naming_it(emulator: Emulator) -> None:
    result = run_cli(
        "balance", "--account-id", HEALTHY, env=env_for(emulator, CLOUDFLARE_API_TOKEN=f"Bearer {DEMO_TOKEN}")
    )
    assert result.returncode == 2
    assert "starts with a 'Bearer ' prefix: set the token alone" in result.stderr
    assert DEMO_TOKEN not in result.stderr
    assert emulator.log == []


def test_bench_venv_is_ignored() -> None:
    assert ".venv-bench/" in (ROOT / ".gitignore").read_text().splitlines()


def test_readme_benchmark_round_counts_match_the_script_defaults() -> None:
    readme = (ROOT / "README.md").read_text()
    script = (ROOT / "benchmarks" / "run.py").read_text()
    default = int(re.search(r'"--rounds", type=int, default=(\d+)', script).group(1))  # type: ignore[union-attr]
    assert f"### a. One account, cold process ({default} interleaved rounds)" in readme
    assert f"({max(3, default // 5)} interleaved rounds)" in readme
    assert f"({max(3, default // 3)} rounds)" in readme


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}


def test_commands_quote_safely() -> None:
    # The preflight script passes its variables quoted: a path with a space stays one argument.
    script = (ROOT / "examples" / "ci-preflight" / "preflight.sh").read_text()
    assert '"${ACCOUNTS_FILE:-$here/accounts.txt}"' in script
    assert shlex.split('--accounts-file "a b.txt"') == ["--accounts-file", "a b.txt"]
