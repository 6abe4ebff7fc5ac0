"""Fleets at Cloudflare's scale (#21): the request budget, one back-off for every worker, grouped errors, progress
in GitHub Actions, the deadline, and the answer cache shared across processes.

Every test talks HTTP to an emulator that enforces a rate limit as Cloudflare does (429, ``Retry-After``, code
971). Timing assertions are the kind a test may make: a wait happened (a gap in the emulator's log), a property
of the arrival times the server saw, or a generous bound that proves nothing hangs; the 10 % bound on wall time is
measured by ``benchmarks/fleet.py``.
"""

from __future__ import annotations

import copy
import json
import os
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import HEALTHY, assert_no_secret, assert_one_line_error, cfbilling_command, env_for, run_cli

from pulumi_cfbilling.api.budget import Budget, WaitTooLong
from pulumi_cfbilling.core.values import read_rate_limit
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

OTHER_TOKEN = "cfbilling-other-token-0123456789abcdefgh"  # a second user's token (40 characters)


def _fleet(emu: Emulator, folder: Path, count: int) -> str:
    """``count`` healthy accounts in the emulator and in an accounts file; returns the file's path."""
    template = copy.deepcopy(emu.accounts[HEALTHY])
    template["faults"] = []
    ids = [f"{index + 1:032x}" for index in range(count)]
    for account_id in ids:
        emu.set_account(account_id, copy.deepcopy(template))
    accounts = folder / "fleet.txt"
    accounts.write_text("".join(f"{account_id}\n" for account_id in ids))
    return str(accounts)


def _arrivals(emu: Emulator) -> list[float]:
    return sorted(request.started for request in emu.log)


def _two_tokens() -> dict[str, Any]:
    fixture = demo_fixture()
    fixture["tokens"] = {DEMO_TOKEN: {"accounts": "*"}, OTHER_TOKEN: {"accounts": "*"}}
    return fixture


# 1. The request budget -------------------------------------------------------------------------------------------


def test_a_fleet_never_draws_a_429_and_the_server_never_sees_more_than_the_limit(tmp_path: Path) -> None:
    with Emulator(fixture=demo_fixture(), rate_limit="40/2s") as emu:
        accounts = _fleet(emu, tmp_path, 100)
        result = run_cli("check", "--accounts-file", accounts, "--min-balance-usd", "1", "--rate-limit", "40/2s",
                         env=env_for(emu), timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "100 of 100 accounts pass" in result.stdout
    assert emu.rate_limit is not None
    assert emu.rate_limit.refused == 0
    arrivals = _arrivals(emu)
    assert len(arrivals) == 100
    # However the network shuffles them, no 2-second window of the server's own holds more than 40 requests...
    assert all(later - earlier >= 2.0 for earlier, later in zip(arrivals, arrivals[40:], strict=False))
    # ...so 100 requests span two whole windows: the run waited for the budget, it did not race the limit.
    assert arrivals[-1] - arrivals[0] >= 4.0


def test_the_budget_waits_instead_of_sending_and_frees_a_place_a_window_after_the_answer() -> None:
    budget = Budget(read_rate_limit("2/1s", "test"))
    budget.acquire()
    budget.acquire()
    wait = budget.next_wait()
    assert wait is not None  # both places held while their requests are in flight
    assert wait.reason == "the request budget (2 per 1s)"
    budget.release()
    budget.release()
    assert budget.next_wait() is not None  # answered, but held a window more
    started = time.monotonic()
    budget.acquire()
    assert time.monotonic() - started >= 0.95
    budget.acquire()  # the second place: now both are held again
    with pytest.raises(WaitTooLong):
        budget.acquire(deadline=time.monotonic() + 0.1)


def test_a_bad_rate_limit_deadline_or_max_age_is_one_line(emulator: Emulator, tmp_path: Path) -> None:
    base = ("check", "--account-id", HEALTHY, "--min-balance-usd", "1")
    result = run_cli(*base, "--rate-limit", "fast", env=env_for(emulator))
    assert_one_line_error(result, 2, "--rate-limit 'fast' is not a request limit: give N/WINDOW, such as 1200/5m")
    result = run_cli(*base, env=env_for(emulator, CFBILLING_RATE_LIMIT="0/5m"))
    assert_one_line_error(result, 2, "CFBILLING_RATE_LIMIT '0/5m' is not a request limit")
    result = run_cli(*base, "--deadline", "soon", env=env_for(emulator))
    assert_one_line_error(result, 2, "--deadline 'soon' is not a valid duration")
    result = run_cli(*base, "--max-age=-5m", env=env_for(emulator))
    assert_one_line_error(result, 2, "--max-age '-5m'")
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = run_cli(*base, "--max-age", "10m", "--cache-dir", str(not_a_folder), env=env_for(emulator))
    assert_one_line_error(result, 3, f"cannot use the answer cache folder {not_a_folder}", "--cache-dir", "--max-age 0")
    assert emulator.log == []


# 2. One back-off for the whole run, and the deadline -------------------------------------------------------------


def test_a_storm_of_429s_pauses_every_worker_once(tmp_path: Path) -> None:
    # Another tool has spent the user's allowance: the window is full when the fleet starts. The fleet's own budget
    # (the default, far above this server's) cannot know it; the 429s must stop every worker at once.
    with Emulator(fixture=demo_fixture(), rate_limit="20/3s") as emu:
        accounts = _fleet(emu, tmp_path, 10)
        spent = run_cli("check", "--accounts-file", accounts, "--min-balance-usd", "1", "--runway",
                        env=env_for(emu))  # fmt: skip
        assert spent.returncode == 0, spent.stderr  # 20 requests: the window is now full
        emu.clear_log()
        assert emu.rate_limit is not None
        refused_before = emu.rate_limit.refused
        result = run_cli("check", "--accounts-file", accounts, "--min-runway-days", "1", "--concurrency", "8",
                         env=env_for(emu), timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    refused = emu.rate_limit.refused - refused_before
    assert 1 <= refused <= 8  # at most the requests already in flight when the first 429 came back
    limited = sorted(r.started for r in emu.log if r.status == 429)
    answered = sorted(r.started for r in emu.log if r.status == 200)
    assert len(answered) == 20  # every account read once the window had room
    # One storm, one pause: every 429 came before every answer, and after the first of them nothing reached the
    # server until its Retry-After (at least a second) had passed: the workers waited together, not one by one.
    assert limited[-1] < answered[0]
    assert answered[0] - limited[0] >= 0.9


def test_a_wait_past_the_deadline_reports_the_unread_accounts_as_one_line_with_the_time_to_retry(
    tmp_path: Path,
) -> None:
    with Emulator(fixture=demo_fixture(), rate_limit=None) as emu:
        accounts = _fleet(emu, tmp_path, 12)
        started = time.monotonic()
        result = run_cli("check", "--accounts-file", accounts, "--min-balance-usd", "1", "--rate-limit", "5/1h",
                         "--deadline", "5m", "--format", "json", env=env_for(emu), timeout=60)  # fmt: skip
    assert time.monotonic() - started < 30  # it did not wait for the hour
    assert result.returncode == 3
    document = json.loads(result.stdout)
    assert document["summary"] == {"total": 12, "passed": 5, "failed": 0, "errors": 7}
    unread = [a for a in document["accounts"] if a["error"]]
    assert {a["error"]["type"] for a in unread} == {"DeadlineError"}
    assert len(emu.log) == 5  # nothing was sent that the budget knew it could not afford
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cfbilling: error: 7 accounts (")
    assert "and 4 more) could not be read alike" in lines[0]
    assert "past the run's deadline (--deadline 5m): retry after 20" in lines[0]


def test_a_429_too_long_to_wait_stops_the_rest_of_the_fleet_without_sending_it(tmp_path: Path) -> None:
    with Emulator(fixture=demo_fixture(), rate_limit="5/10m") as emu:
        accounts = _fleet(emu, tmp_path, 12)
        result = run_cli("check", "--accounts-file", accounts, "--min-balance-usd", "1", "--concurrency", "2",
                         "--deadline", "1m", env=env_for(emu), timeout=60)  # fmt: skip
    assert result.returncode == 3
    assert emu.rate_limit is not None
    refused = emu.rate_limit.refused
    assert 1 <= refused <= 2  # only what was in flight when the window closed; the rest was never sent
    assert len(emu.log) == 5 + refused
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert "HTTP 429" in lines[0]
    assert "retry after" in lines[0]
    assert lines[1].startswith(f"cfbilling: error: {7 - refused} accounts (")
    assert "was not attempted: waiting for Cloudflare's rate limit (HTTP 429" in lines[1]


def test_a_retry_after_longer_than_the_deadline_fails_at_once_with_the_time_to_retry(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 429, "code": 971, "retry_after": 600}])
    started = time.monotonic()
    result = run_cli("check", "--account-id", HEALTHY, "--min-balance-usd", "1", "--deadline", "1m",
                     env=env_for(emulator))  # fmt: skip
    assert time.monotonic() - started < 30
    assert result.returncode == 3
    assert "retry after" in result.stderr.lower() or "Retry-After" in result.stderr
    assert len(emulator.log) == 1


# 3. Grouped errors ---------------------------------------------------------------------------------------------


def test_identical_failures_are_one_line_and_the_json_keeps_every_account(tmp_path: Path) -> None:
    with Emulator(fixture=demo_fixture(), rate_limit=None) as emu:
        accounts = _fleet(emu, tmp_path, 12)
        for account_id in Path(accounts).read_text().split():
            emu.set_faults(account_id, [{"kind": "status", "status": 403, "code": 9109}])
        text = run_cli("check", "--accounts-file", accounts, "--min-balance-usd", "1", env=env_for(emu))
        report = tmp_path / "report.json"
        summary = tmp_path / "summary.md"
        github = run_cli("check", "--accounts-file", accounts, "--min-balance-usd", "1", "--format", "github",
                         "--report", str(report), env=env_for(emu, GITHUB_STEP_SUMMARY=str(summary)))  # fmt: skip
    assert text.returncode == 3
    errors = text.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(f"cfbilling: error: 12 accounts ({1:032x}, {2:032x}, {3:032x} and 9 more)")
    assert "code 9109" in errors[0]
    assert text.stdout.count("code 9109") == 1  # the table's details: one block for the twelve
    annotations = [line for line in github.stdout.splitlines() if line.startswith("::error")]
    assert len(annotations) == 1
    assert "12 accounts" in annotations[0]
    rows = [line for line in summary.read_text().splitlines() if "ERROR" in line]
    assert len(rows) == 1
    document = json.loads(report.read_text())
    assert len([a for a in document["accounts"] if a["error"]]) == 12


# 4. Progress in GitHub Actions ------------------------------------------------------------------------------------


def test_github_actions_gets_a_line_per_tenth_and_one_per_wait(tmp_path: Path) -> None:
    with Emulator(fixture=demo_fixture(), rate_limit=None) as emu:
        accounts = _fleet(emu, tmp_path, 20)
        result = run_cli("check", "--accounts-file", accounts, "--min-balance-usd", "1", "--rate-limit", "10/1s",
                         "--format", "github", env=env_for(emu, GITHUB_ACTIONS="true"))  # fmt: skip
        quiet = run_cli("check", "--accounts-file", accounts, "--min-balance-usd", "1", "--quiet",
                        env=env_for(emu, GITHUB_ACTIONS="true"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    tenths = [line for line in lines if "accounts read (" in line]
    assert [line.split(" accounts read")[0] for line in tenths] == [f"cfbilling: {n}/20" for n in range(2, 20, 2)]
    assert tenths[0].startswith("cfbilling: 2/20 accounts read (10%), about ")
    assert any(line.startswith("cfbilling: waiting ") and "the request budget (10 per 1s)" in line for line in lines)
    assert not any("\r" in line or "\x1b" in line for line in lines)  # a log, not a terminal
    assert quiet.stderr == ""


# 5. The answer cache shared across processes -----------------------------------------------------------------


def _cached_check(emu: Emulator, accounts: str, cache: Path, *extra: str, token: str = DEMO_TOKEN) -> Any:
    env = {**env_for(emu), "CLOUDFLARE_API_TOKEN": token}
    return run_cli("check", "--accounts-file", accounts, "--min-runway-days", "1", "--max-age", "10m",
                   "--cache-dir", str(cache), *extra, env=env)  # fmt: skip


def test_two_processes_with_max_age_make_one_request_per_account(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with Emulator(fixture=demo_fixture(), rate_limit=None, latency=0.2) as emu:
        accounts = _fleet(emu, tmp_path, 6)
        command = [*cfbilling_command(), "check", "--accounts-file", accounts, "--min-runway-days", "1",
                   "--max-age", "10m", "--cache-dir", str(cache), "--format", "json"]  # fmt: skip
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CFBILLING_", "CLOUDFLARE_"))}}
        env |= env_for(emu)
        both = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]  # fmt: skip
        outputs = [process.communicate(timeout=120) for process in both]
        third = _cached_check(emu, accounts, cache)
    assert [process.returncode for process in both] == [0, 0], outputs
    routes = sorted((r.account_id or "", r.route or "") for r in emu.log)
    assert len(routes) == 12  # a balance and a usage read per account, for both processes and the third run
    assert len(set(routes)) == 12
    ages = [account["cachedAgeSeconds"] for out, _ in outputs for account in json.loads(out)["accounts"]]
    assert ages.count(None) + len([a for a in ages if a is not None]) == 12
    assert any(age is not None and age >= 0 for age in ages)  # one process was served the other's answers
    assert third.returncode == 0
    assert "6 accounts were answered from the shared cache, the oldest" in third.stdout


def test_a_cached_answer_is_never_served_to_another_token_or_base_url(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with Emulator(fixture=_two_tokens(), rate_limit=None) as first, Emulator(fixture=demo_fixture()) as second:
        accounts = str(tmp_path / "one.txt")
        Path(accounts).write_text(f"{HEALTHY}\n")
        for _ in range(2):
            assert _cached_check(first, accounts, cache).returncode == 0
        assert len(first.log) == 2  # a balance and a usage read, then the cache
        assert _cached_check(first, accounts, cache, token=OTHER_TOKEN).returncode == 0
        assert len(first.log) == 4  # another token: read again
        assert _cached_check(second, accounts, cache).returncode == 0
        assert len(second.log) == 2  # another base URL: read again
    files = [path for path in cache.rglob("*") if path.is_file()]
    assert files
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    for path in files:
        text = path.read_bytes().decode("latin-1")
        assert_no_secret(text)
        assert OTHER_TOKEN not in text


def test_errors_are_never_cached_and_a_planted_entry_is_read_live(tmp_path: Path, emulator: Emulator) -> None:
    cache = tmp_path / "cache"
    accounts = str(tmp_path / "one.txt")
    Path(accounts).write_text(f"{HEALTHY}\n")
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 500, "code": 10001, "times": 1}])
    failed = _cached_check(emulator, accounts, cache, "--max-retries", "0")
    assert failed.returncode == 3
    assert _cached_check(emulator, accounts, cache).returncode == 0
    balance_reads = [r for r in emulator.log if r.route == "credit-balance"]
    assert len(balance_reads) == 2  # the error was not kept
    for entry in cache.glob("*.json"):
        entry.write_bytes(b"{" + b" " * (2 << 20) + b"}")  # too big to be one of ours
    assert _cached_check(emulator, accounts, cache).returncode == 0
    assert len([r for r in emulator.log if r.route == "credit-balance"]) == 3
