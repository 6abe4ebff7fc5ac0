"""``cfbilling watch`` (#22): one notification per rung crossed and one when resolved, delivered through Apprise to
a local HTTP receiver (JSON and form payloads), a Slack payload checked without the network, and a state file that
survives corruption, two runs at once, a killed run and a failed delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from helpers import HEALTHY, LOW, assert_no_secret, assert_one_line_error, cfbilling_command, env_for, run_cli

from pulumi_cfbilling.api.models import CreditBalance
from pulumi_cfbilling.core.errors import ConfigurationError
from pulumi_cfbilling.guardrails.ladders import read_ladders
from pulumi_cfbilling.service.notify import Outlet, deliver, read_notify_urls
from pulumi_cfbilling.testing.emulator import Emulator

SECRET_PATH = "hook-s3cr3t-0123456789"  # a webhook's secret path: never printed, logged or stored


class Receiver:
    """A local webhook: records every POST (path, content type, body); can refuse (500) or hang."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, bytes]] = []
        self.status = 200
        self.hang = threading.Event()  # set: answer nothing until released
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.hang.is_set():
                    receiver.release.wait(30)
                    return
                receiver.posts.append((self.path, self.headers.get("Content-Type", ""), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def json_url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/{SECRET_PATH}"

    @property
    def form_url(self) -> str:
        return f"form://127.0.0.1:{self.server.server_address[1]}/form-{SECRET_PATH}"

    def json_posts(self) -> list[dict[str, Any]]:
        return [json.loads(body) for path, _, body in self.posts if path.startswith(f"/{SECRET_PATH}")]

    def form_posts(self) -> list[dict[str, str]]:
        found = [urllib.parse.parse_qs(body.decode()) for path, _, body in self.posts if path.startswith("/form-")]
        return [{key: values[0] for key, values in post.items()} for post in found]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def _set_balance(emu: Emulator, account: str, cents: float) -> None:
    spec = dict(emu.accounts[account])
    spec["result"] = {**spec["result"], "balance": cents}
    spec["faults"] = []
    emu.set_account(account, spec)


def _watch(emu: Emulator, state: Path, *urls: str, extra: tuple[str, ...] = (), **env: str) -> Any:
    notify = [arg for url in urls for arg in ("--notify", url)]
    return run_cli("watch", "--account-id", HEALTHY, "--min-balance-usd", "40,20,10", "--state", str(state),
                   *notify, *extra, env=env_for(emu, **env))  # fmt: skip


# 1. One notification per crossing ---------------------------------------------------------------------------------


def test_one_notification_per_crossing_down_no_change_down_again_climb_and_recover(
    emulator: Emulator, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    urls = (receiver.json_url, receiver.form_url)
    steps = [  # (balance in cents, what each URL receives)
        (4250.5, None),  # $42.51: above every rung: nothing
        (3500, "warning"),  # $35: below 40: one message
        (3400, None),  # still between 40 and 20: nothing
        (1500, "warning"),  # $15: below 20 too: one message
        (3000, None),  # back above 20 but below 40: recorded, not told
        (900, "failure"),  # $9: below every rung at once: one message, the last rung
        (9000, "success"),  # $90: above every rung: resolved
        (9100, None),
    ]
    expected_json = []
    for cents, kind in steps:
        _set_balance(emulator, HEALTHY, cents)
        result = _watch(emulator, state, *urls)
        assert result.returncode == 0, result.stdout + result.stderr
        if kind is not None:
            expected_json.append(kind)
        assert [post["type"] for post in receiver.json_posts()] == expected_json, result.stdout
        assert len(receiver.form_posts()) == len(expected_json)
    first, second, last_rung, resolved = receiver.json_posts()
    assert first["title"] == f"AI Gateway credits: {HEALTHY}: balance $35.00 is below the minimum of $40.00"
    assert "[min-balance, rung 1 of 3: 40, 20, 10]" in first["message"]
    assert f"https://dash.cloudflare.com/{HEALTHY}/ai/ai-gateway" in first["message"]
    assert "rung 2 of 3" in second["message"]
    assert "rung 3 of 3" in last_rung["message"]
    assert resolved["title"] == f"AI Gateway credits: {HEALTHY}: resolved (min-balance)"
    assert "balance $90.00" in resolved["message"]
    form = receiver.form_posts()[0]
    assert form["title"] == first["title"]
    assert form["message"] == first["message"]
    document = state.read_text()
    assert SECRET_PATH not in document
    assert_no_secret(document)


def test_an_unreadable_account_is_told_once_and_again_when_it_can_be_read(
    emulator: Emulator, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109, "times": 2}])
    for _ in range(2):
        assert _watch(emulator, state, receiver.json_url).returncode == 0
    assert _watch(emulator, state, receiver.json_url).returncode == 0
    unreadable, readable = receiver.json_posts()
    assert unreadable["type"] == "failure"
    assert unreadable["title"] == f"AI Gateway credits: {HEALTHY}: cannot read the account"
    assert "code 9109" in unreadable["message"]
    assert readable["title"] == f"AI Gateway credits: {HEALTHY}: can be read again"


def test_a_dry_run_prints_what_would_be_sent_and_changes_nothing(
    emulator: Emulator, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    _set_balance(emulator, HEALTHY, 1500)
    result = _watch(emulator, state, receiver.json_url, extra=("--dry-run",))
    assert result.returncode == 0, result.stderr
    assert f"would send (warning): AI Gateway credits: {HEALTHY}: balance $15.00" in result.stdout
    assert "nothing was sent and the state file is unchanged" in result.stdout
    assert receiver.posts == []
    assert not state.exists()
    assert SECRET_PATH not in result.stdout + result.stderr


# 2. Delivery: failures are kept, URLs never shown ----------------------------------------------------------------


def test_a_failed_delivery_is_reported_kept_and_sent_once_next_run(
    emulator: Emulator, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    _set_balance(emulator, HEALTHY, 1500)
    receiver.status = 500
    failed = _watch(emulator, state, receiver.json_url)
    assert failed.returncode == 3
    assert "cfbilling: error: notification URL 1 (json) did not take 1 message(s)" in failed.stderr
    assert "sent on the next run" in failed.stderr
    receiver.status = 200
    retried = _watch(emulator, state, receiver.json_url)
    assert retried.returncode == 0, retried.stderr
    quiet = _watch(emulator, state, receiver.json_url)
    assert quiet.returncode == 0
    titles = [post["title"] for post in receiver.json_posts()]
    assert titles == [titles[0], titles[0]]  # refused once, then taken once, then nothing
    for output in (failed, retried, quiet):
        assert SECRET_PATH not in output.stdout + output.stderr
    assert SECRET_PATH not in state.read_text()


def test_two_urls_one_down_the_other_is_not_told_twice(emulator: Emulator, receiver: Receiver, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    down = "json://127.0.0.1:9/nobody-listens"
    _set_balance(emulator, HEALTHY, 1500)
    assert _watch(emulator, state, receiver.json_url, down).returncode == 3
    assert _watch(emulator, state, receiver.json_url, down).returncode == 3
    assert len(receiver.json_posts()) == 1  # the working URL took its message once; the other's stays queued
    pending = json.loads(state.read_text())["pending"]
    assert [len(queue) for queue in pending.values()] == [1]


def test_configuration_errors_are_one_line_and_never_show_a_url(emulator: Emulator, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    base = ("watch", "--account-id", HEALTHY, "--state", str(state))
    result = run_cli(*base, "--min-balance-usd", "20", env=env_for(emulator))
    assert_one_line_error(result, 2, "no notification URL: pass --notify URL")
    result = run_cli(*base, "--min-balance-usd", "20", "--notify", "bogus://s3cr3t-token-value", env=env_for(emulator))
    assert_one_line_error(result, 2, "--notify: notification URL 1 (bogus) is not a URL Apprise can send to")
    assert "s3cr3t" not in result.stderr
    result = run_cli(*base, "--min-balance-usd", "20", env=env_for(emulator, CFBILLING_NOTIFY_URLS="s3cr3t-plain"))
    assert_one_line_error(result, 2, "CFBILLING_NOTIFY_URLS: value 1 is not a notification URL")
    assert "s3cr3t" not in result.stderr
    result = run_cli(*base, "--min-balance-usd", "20,abc", "--dry-run", env=env_for(emulator))
    assert_one_line_error(result, 2, "--min-balance-usd 'abc' is not an amount")
    result = run_cli(*base, "--min-balance-usd", "20,20", "--dry-run", env=env_for(emulator))
    assert_one_line_error(result, 2, "names a rung twice")
    result = run_cli(*base, "--dry-run", env=env_for(emulator))
    assert_one_line_error(result, 2, "no guardrail given")
    result = run_cli("watch", "--account-id", HEALTHY, "--state", str(tmp_path), "--min-balance-usd", "20",
                     "--dry-run", env=env_for(emulator))  # fmt: skip
    assert_one_line_error(result, 2, "is a folder")
    assert emulator.log == []


def test_slack_gets_its_own_payload_with_the_label_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    from apprise.plugins.slack import NotifySlack

    sent: list[tuple[str, dict[str, Any]]] = []

    def capture(self: Any, url: str, payload: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, bool]:
        sent.append((url, payload))  # where Apprise would POST: no network
        return {"ok": True}  # Slack's answer, as the plugin reads it

    monkeypatch.setattr(NotifySlack, "_send", capture)
    (outlet,) = read_notify_urls(["slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"], None, "--notify")
    title = "AI Gateway credits: <!channel> *prod*: balance $3.13 is below the minimum of $20.00"
    assert deliver(outlet, title, "line one\n<https://evil.example|click>", "failure")
    ((url, payload),) = sent
    assert url.startswith("https://hooks.slack.com/services/")
    text = json.dumps(payload)
    assert "<!channel>" not in text  # escaped: no @channel ping, no forged link
    assert "&lt;!channel&gt;" in text
    assert "<https://evil.example|click>" not in text
    assert "balance $3.13 is below the minimum of $20.00" in text


# 3. The state file -------------------------------------------------------------------------------------------------


def test_a_corrupt_state_file_means_tell_again_never_a_crash(
    emulator: Emulator, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    _set_balance(emulator, HEALTHY, 1500)
    assert _watch(emulator, state, receiver.json_url).returncode == 0
    for garbage in (b"{not json", b"\xff\xfe\x00", json.dumps({"version": 99}).encode(), b"[]"):
        state.write_bytes(garbage)
        result = _watch(emulator, state, receiver.json_url)
        assert result.returncode == 0, result.stderr
        assert f"cfbilling: warning: --state {state}: it is not a state file this version wrote" in result.stderr
        assert "starting afresh: every current problem is told again" in result.stderr
        json.loads(state.read_text())  # rewritten whole
    assert len(receiver.json_posts()) == 5  # the first run, then once after each corruption


def test_two_runs_at_once_tell_each_crossing_once(receiver: Receiver, tmp_path: Path) -> None:
    from pulumi_cfbilling.testing.emulator import demo_fixture

    state = tmp_path / "state.json"
    with Emulator(fixture=demo_fixture(), latency=0.3) as emu:
        _set_balance(emu, HEALTHY, 1500)
        command = [*cfbilling_command(), "watch", "--account-id", HEALTHY, "--min-balance-usd", "40,20,10",
                   "--state", str(state), "--notify", receiver.json_url]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CFBILLING_", "CLOUDFLARE_"))}
        runs = [subprocess.Popen(command, env={**env, **env_for(emu)}, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(3)]  # fmt: skip
        outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert len(receiver.json_posts()) == 1


def test_a_run_killed_while_sending_loses_nothing(emulator: Emulator, receiver: Receiver, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    _set_balance(emulator, HEALTHY, 1500)
    receiver.hang.set()
    command = [*cfbilling_command(), "watch", "--account-id", HEALTHY, "--min-balance-usd", "40,20,10",
               "--state", str(state), "--notify", receiver.json_url]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CFBILLING_", "CLOUDFLARE_"))}
    run = subprocess.Popen(command, env={**env, **env_for(emulator)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (state.exists() and json.loads(state.read_text())["pending"]) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the message is queued in the state and being sent
    time.sleep(0.3)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    receiver.hang.clear()
    receiver.release.set()
    document = json.loads(state.read_text())  # whole: written before the send, atomically
    assert [len(queue) for queue in document["pending"].values()] == [1]
    assert _watch(emulator, state, receiver.json_url).returncode == 0
    assert len(receiver.json_posts()) == 1  # sent by the next run
    assert json.loads(state.read_text())["pending"] == {}


# 4. Ladders, and the emulator's burn ----------------------------------------------------------------------------


def test_ladders_are_read_by_the_kind_parser_and_judged_by_the_rule(emulator: Emulator) -> None:
    (balance_ladder, topup, runway_ladder) = read_ladders(
        {"min_balance_usd": "20, 100,$50", "min_runway_days": "3,14,7", "require_auto_topup": "yes"}, "cli"
    )
    assert balance_ladder.rungs == (Decimal(100), Decimal(50), Decimal(20))
    assert runway_ladder.guardrail.rule == "min-runway"
    assert topup.rungs == (True,)
    low = CreditBalance.model_validate(emulator.accounts[LOW]["result"])  # $3.13
    now = datetime.now(timezone.utc)
    standing = balance_ladder.standing(low, now, None)
    assert standing.depth == 3
    assert standing.violation is not None
    assert standing.violation.message == "balance $3.13 is below the minimum of $20.00"
    with pytest.raises(ConfigurationError, match="not a ladder"):
        read_ladders({"min_balance_usd": "20,,10"}, "cli")
    with pytest.raises(ConfigurationError, match="'000' looks like a group of a thousands separator"):
        read_ladders({"min_balance_usd": "1,000"}, "cli")  # never the two rungs $1 and $0
    assert read_ladders({"min_balance_usd": "0,0.5"}, "cli")[0].rungs == (Decimal("0.5"), Decimal(0))
    with pytest.raises(ConfigurationError, match="not a ladder"):
        read_ladders({"min_balance_usd": ",".join(str(n) for n in range(1, 12))}, "cli")


def test_the_emulator_can_burn_a_balance_over_time(emulator: Emulator) -> None:
    emulator.set_burn(HEALTHY, 6000)  # $60 a minute: a cent a millisecond
    first = run_cli("balance", "--account-id", HEALTHY, "--format", "json", env=env_for(emulator))
    time.sleep(0.5)
    second = run_cli("balance", "--account-id", HEALTHY, "--format", "json", env=env_for(emulator))
    before, after = (json.loads(r.stdout)["accounts"][0]["balance"] for r in (first, second))
    assert before - after >= 40  # cents: at least 0.4 s of burn between the two reads


def test_notify_urls_from_the_environment_split_on_blanks_and_commas() -> None:
    outlets = read_notify_urls(None, "json://a.example/x , slack://T/B/C\nmailto://u:p@example.com", "env")
    assert [(o.position, o.scheme) for o in outlets] == [(1, "json"), (2, "slack"), (3, "mailto")]
    assert all(isinstance(o, Outlet) for o in outlets)
    assert "u:p" not in repr(outlets)
