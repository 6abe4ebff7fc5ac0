"""Hostile servers on raw sockets, through the client, the CLI and the plugin's Invoke.

Classes of behaviour (see the hardening issue): 1 a deadline bounds a whole attempt; 2 a retried response is
never drained, and only the transient statuses are retried; 3 nothing from the HTTP layer escapes the exception
tree; 4 server text is neutralised for people and exact for machines; 5 numbers stay finite; 6 one Ctrl-C ends a
command within a second; 7 a closed pipe ends it quietly. Bounds are generous: they prove nothing hangs, not speed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from helpers import HEALTHY, LOW, Plugin, assert_no_secret, cfbilling_command, plain, run_cli
from pulumi.provider.experimental.property_value import PropertyValue

from pulumi_cfbilling import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APITimeoutError,
    BillingClient,
    ServerError,
)
from pulumi_cfbilling.service.schema import CHECK_TOKEN, GET_TOKEN
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator
from pulumi_cfbilling.testing.hostile import (
    Connection,
    HostileServer,
    endless_chunks,
    envelope,
    head,
    healthy_result,
    json_answer,
    serving,
)

ACCOUNT = HEALTHY


def client(server: HostileServer, **options: Any) -> BillingClient:
    settings: dict[str, Any] = {"api_token": DEMO_TOKEN, "base_url": server.base_url, "timeout": 1.5, "max_retries": 0}
    settings.update(options)
    return BillingClient(**settings)


def cli(server: HostileServer, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": server.base_url, "CFBILLING_MAX_RETRIES": "0"}
    return run_cli(*args, env={**base, **env}, timeout=60)


@pytest.fixture
def plugin() -> Iterator[Plugin]:
    running = Plugin()
    yield running
    stdout, stderr = running.stop()
    assert stdout == ""
    assert "Traceback" not in stderr
    assert_no_secret(stderr, *running.seen)


def configure(plugin: Plugin, server: HostileServer, timeout: float = 1.5, retries: float = 0) -> None:
    plugin.configure(server, timeout=PropertyValue(timeout), maxRetries=PropertyValue(float(retries)))  # type: ignore[arg-type]


def invoke_error(plugin: Plugin, token: str = GET_TOKEN) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        plugin.invoke(token, accountId=PropertyValue(ACCOUNT))
    error = caught.value
    details = error.details()  # type: ignore[attr-defined]
    assert "\n" not in details, details
    assert "Traceback" not in details
    return error


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# --- 1. A deadline bounds a whole attempt ------------------------------------------------------------------------


def slow_headers(connection: Connection) -> None:
    connection.send(b"HTTP/1.1 200 OK\r\n")
    connection.trickle(b"X-Slow: " + b"a" * 10_000, every=0.5)


def slow_body(connection: Connection) -> None:
    body = json.dumps(envelope(healthy_result())).encode()
    connection.send(head(200, "Content-Type: application/json", f"Content-Length: {len(body)}"))
    connection.trickle(body, every=0.5)


@pytest.mark.parametrize("script", [slow_headers, slow_body], ids=["headers", "body"])
def test_a_trickling_server_is_bounded_by_the_timeout_per_attempt(script: Any) -> None:
    with serving(script) as server, client(server, max_retries=1) as reader:
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            reader.get_credit_balance(ACCOUNT)
        elapsed = time.monotonic() - started
    assert elapsed < 2 * 1.5 + 1.5 + 3, elapsed  # two attempts, one backoff, and room to spare
    assert "no complete answer within the 1.5 s timeout on each of 2 attempts" in str(caught.value)
    assert server.connections == 2


@pytest.mark.parametrize("script", [slow_headers, slow_body], ids=["headers", "body"])
def test_cli_timeout_bounds_a_trickling_server(script: Any) -> None:
    with serving(script) as server:
        started = time.monotonic()
        result = cli(server, "balance", "--account-id", ACCOUNT, "--timeout", "2")
        elapsed = time.monotonic() - started
    assert result.returncode == 3
    assert "no complete answer within the 2 s timeout" in one_line(result.stderr)
    assert elapsed < 15


def test_plugin_invoke_is_bounded_by_the_timeout(plugin: Plugin) -> None:
    with serving(slow_body) as server:
        configure(plugin, server)
        started = time.monotonic()
        error = invoke_error(plugin)
        assert time.monotonic() - started < 10
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]


# --- 2. Retried responses are never drained; only transient statuses are retried ----------------------------------


def endless_503(connection: Connection) -> None:
    endless_chunks(connection, 503)


def test_a_retried_endless_body_is_closed_not_drained() -> None:
    with serving(endless_503) as server, client(server, max_retries=2, timeout=5) as reader:
        started = time.monotonic()
        with pytest.raises((ServerError, APIResponseError)):
            reader.get_credit_balance(ACCOUNT)
        elapsed = time.monotonic() - started
    assert server.connections == 3
    # Two closed unread, the last read up to the 1 MiB limit: far from draining an endless body.
    assert server.bytes_sent < 64 * 1024 * 1024
    assert elapsed < 20


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (520, True),
        (524, True),
        (413, False),
        (400, False),
        (404, False),
    ],
)
def test_only_transient_statuses_are_retried(status: int, retried: bool) -> None:
    def answer(connection: Connection) -> None:
        connection.send(
            json_answer(status, {"success": False, "errors": [{"code": 1, "message": "no"}]}, "Retry-After: 0")
        )

    with serving(answer) as server, client(server, max_retries=2) as reader, pytest.raises(APIError):
        reader.get_credit_balance(ACCOUNT)
    assert server.connections == (3 if retried else 1)


def test_cli_retries_an_endless_503_without_draining_it() -> None:
    with serving(endless_503) as server:
        result = cli(server, "balance", "--account-id", ACCOUNT, "--timeout", "5", CFBILLING_MAX_RETRIES="1")
    assert result.returncode == 3
    one_line(result.stderr)
    assert server.connections == 2
    assert server.bytes_sent < 64 * 1024 * 1024


def test_plugin_retries_an_endless_503_without_draining_it(plugin: Plugin) -> None:
    with serving(endless_503) as server:
        configure(plugin, server, timeout=5.0, retries=1)
        started = time.monotonic()
        error = invoke_error(plugin)
        elapsed = time.monotonic() - started
    assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL)  # type: ignore[attr-defined]
    assert server.connections == 2
    assert server.bytes_sent < 64 * 1024 * 1024
    assert elapsed < 20


# --- 3. Nothing from the HTTP layer escapes the exception tree -----------------------------------------------------

BAD_LOCATIONS = ["http://[", "http://example.com:99999/x", "http://[::1:80/", "\x00://"]


@pytest.mark.parametrize("location", BAD_LOCATIONS)
def test_a_garbled_redirect_is_an_api_response_error(location: str) -> None:
    def redirect(connection: Connection) -> None:
        connection.send(head(302, f"Location: {location}", "Content-Length: 0"))

    with serving(redirect) as server, client(server) as reader, pytest.raises(APIResponseError) as caught:
        reader.get_credit_balance(ACCOUNT)
    assert "redirect" in str(caught.value)
    assert caught.value.__context__ is None


@pytest.mark.parametrize("location", BAD_LOCATIONS[:2])
def test_cli_and_plugin_report_a_garbled_redirect_in_one_line(location: str, plugin: Plugin) -> None:
    def redirect(connection: Connection) -> None:
        connection.send(head(302, f"Location: {location}", "Content-Length: 0"))

    with serving(redirect) as server:
        result = cli(server, "balance", "--account-id", ACCOUNT)
        configure(plugin, server)
        error = invoke_error(plugin)
    assert result.returncode == 3
    assert "redirect" in one_line(result.stderr)
    assert error.code() == grpc.StatusCode.INTERNAL  # type: ignore[attr-defined]


def test_a_connection_dropped_mid_body_is_a_connection_error() -> None:
    def drop(connection: Connection) -> None:
        connection.send(head(200, "Content-Type: application/json", "Content-Length: 5000") + b'{"succ')

    with serving(drop) as server, client(server) as reader, pytest.raises(APIConnectionError) as caught:
        reader.get_credit_balance(ACCOUNT)
    assert "dropped before the whole answer arrived" in str(caught.value)


# --- 4. Server text is neutralised for people and exact for machines -----------------------------------------------

INJECTION = "card\n::error::forged\r\n::add-mask::x\x1b]0;title\x07\x1b[31mred\u202eevil\r## Forged [link](http://evil)"


def injecting(connection: Connection) -> None:
    result = healthy_result(
        payment_method={"brand": INJECTION, "last4": "42\n42"},
        topup_config={
            "amount": None,
            "threshold": None,
            "disabledReason": INJECTION,
            "error": INJECTION,
            "lastFailedAt": None,
        },
    )
    connection.send(json_answer(200, envelope(result)))


def assert_neutral(text: str) -> None:
    for line in text.splitlines():
        assert not line.startswith(("::error::forged", "::add-mask::", "## Forged")), line
    for bad in ("\x1b", "\x07", "\r", "\u202e"):
        assert bad not in text, repr(bad)


def test_text_output_neutralises_server_text() -> None:
    with serving(injecting) as server:
        text = cli(server, "balance", "--account-id", ACCOUNT)
        check = cli(server, "check", "--account-id", ACCOUNT, "--require-auto-topup", "--max-topup-failure-age", "1d")
    assert text.returncode == 0
    assert_neutral(text.stdout)
    assert "off (card ::error::forged" in text.stdout
    assert check.returncode == 1
    assert_neutral(check.stdout)


def test_github_output_and_step_summary_neutralise_server_text(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    with serving(injecting) as server:
        result = cli(
            server,
            "check",
            "--account-id",
            ACCOUNT,
            "--require-auto-topup",
            "--format",
            "github",
            GITHUB_STEP_SUMMARY=str(summary),
        )
    assert result.returncode == 1
    assert_neutral(result.stdout)
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert commands
    assert all(line.startswith("::error title=") for line in commands)
    written = summary.read_text()
    assert_neutral(written)
    rows = [line for line in written.splitlines() if line.startswith("| `")]
    assert len(rows) == 1, rows
    assert rows[0].count(" | ") == 5, rows  # six columns: the server text broke none of them


def test_json_output_and_the_client_keep_the_exact_text() -> None:
    with serving(injecting) as server:
        result = cli(server, "balance", "--account-id", ACCOUNT, "--format", "json")
        with client(server) as reader:
            balance = reader.get_credit_balance(ACCOUNT)
    (account,) = json.loads(result.stdout)["accounts"]
    assert account["topupConfig"]["disabledReason"] == INJECTION
    assert balance.topup_config.disabled_reason == INJECTION


def test_plugin_keeps_values_exact_and_neutralises_messages(plugin: Plugin) -> None:
    with serving(injecting) as server:
        configure(plugin, server)
        got = plain(plugin.invoke(GET_TOKEN, accountId=PropertyValue(ACCOUNT)))
        verdict = plain(
            plugin.invoke(CHECK_TOKEN, accountId=PropertyValue(ACCOUNT), requireAutoTopup=PropertyValue(True))
        )
    assert got["topupConfig"]["disabledReason"] == INJECTION
    (violation,) = verdict["violations"]
    assert_neutral(violation["message"])
    assert "\n" not in violation["message"]


def test_error_messages_from_the_server_are_neutralised() -> None:
    def forbidden(connection: Connection) -> None:
        connection.send(json_answer(403, {"success": False, "errors": [{"code": 9109, "message": INJECTION}]}))

    with serving(forbidden) as server:
        result = cli(server, "balance", "--account-id", ACCOUNT)
    assert result.returncode == 3
    line = one_line(result.stderr)
    assert_neutral(line)
    assert "code 9109: card ::error::forged" in line


def test_a_long_field_is_capped_with_an_ellipsis() -> None:
    def long_reason(connection: Connection) -> None:
        result = healthy_result(topup_config={"amount": None, "threshold": None, "disabledReason": "z" * 5000})
        connection.send(json_answer(200, envelope(result)))

    with serving(long_reason) as server:
        result = cli(server, "balance", "--account-id", ACCOUNT)
    assert "z" * 199 + "\u2026" in result.stdout
    assert "z" * 201 not in result.stdout


# --- 5. Numbers stay finite ---------------------------------------------------------------------------------------

HUGE = "1" + "0" * 400


def huge_balance(connection: Connection) -> None:
    body = json.dumps(envelope(healthy_result(balance=0))).replace('"balance": 0', f'"balance": {HUGE}').encode()
    connection.send(head(200, "Content-Type: application/json", f"Content-Length: {len(body)}") + body)


def test_a_401_digit_balance_is_a_typed_error_naming_the_field(plugin: Plugin) -> None:
    with serving(huge_balance) as server:
        with client(server) as reader, pytest.raises(APIResponseError) as caught:
            reader.get_credit_balance(ACCOUNT)
        result = cli(server, "balance", "--account-id", ACCOUNT, "--format", "json")
        configure(plugin, server)
        error = invoke_error(plugin)
    assert "balance: Value error, must be within +/-10^13 cents" in str(caught.value)
    assert result.returncode == 3
    assert "Infinity" not in result.stdout
    assert "NaN" not in result.stdout
    json.loads(result.stdout)  # still a valid document
    assert error.code() == grpc.StatusCode.INTERNAL  # type: ignore[attr-defined]
    assert "balance" in error.details()  # type: ignore[attr-defined]


def test_money_text_puts_the_sign_first() -> None:
    def tiny_negative(connection: Connection) -> None:
        connection.send(json_answer(200, envelope(healthy_result(balance=-0.4))))

    with serving(tiny_negative) as server:
        result = cli(server, "balance", "--account-id", ACCOUNT)
    assert "Balance         -$0.00 (-0.4 cents)" in result.stdout
    assert "$-" not in result.stdout


# --- 6. One Ctrl-C ends any command within a second ---------------------------------------------------------------


def holding(connection: Connection) -> None:
    connection.hold(60)


def start_cli(server: HostileServer, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}
    env.update(CLOUDFLARE_API_TOKEN=DEMO_TOKEN, CLOUDFLARE_BASE_URL=server.base_url, CFBILLING_MAX_RETRIES="3")
    return subprocess.Popen(
        [*cfbilling_command(), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def fleet_args() -> list[str]:
    ids = [f"{i:032x}" for i in range(1, 41)]
    return ["check", *[arg for i in ids for arg in ("--account-id", i)], "--min-balance-usd", "1", "--timeout", "60"]


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_ends_a_fleet_at_once_and_starts_nothing_after(presses: int) -> None:
    with serving(holding) as server:
        process = start_cli(server, *fleet_args())
        deadline = time.monotonic() + 20
        while server.connections < 16 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.connections >= 16, "the fleet is reading"
        for _ in range(presses):
            process.send_signal(signal.SIGINT)
            time.sleep(0.05)
        interrupted_at = time.monotonic()
        _, stderr = process.communicate(timeout=5)
        ended = time.monotonic() - interrupted_at
        late = [t for t in server.arrivals if t > interrupted_at + 0.2]
    assert process.returncode == 130
    assert stderr.strip() == "cfbilling: interrupted", stderr
    assert ended < 5
    assert late == [], "a request started after Ctrl-C"


def test_ctrl_c_during_a_retry_wait_ends_at_once() -> None:
    def long_retry_after(connection: Connection) -> None:
        connection.send(
            json_answer(429, {"success": False, "errors": [{"code": 971, "message": "slow"}]}, "Retry-After: 30")
        )

    with serving(long_retry_after) as server:
        process = start_cli(server, "balance", "--account-id", ACCOUNT)
        deadline = time.monotonic() + 10
        while server.connections < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=5)
    assert process.returncode == 130
    assert stderr.strip() == "cfbilling: interrupted"
    assert server.connections == 1


# --- 7. A closed pipe ends a command quietly ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["balance", "--account-id", HEALTHY, "--account-id", LOW], ["demo"]])
def test_a_closed_pipe_is_quiet(command: list[str], emulator: Emulator) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}
    env.update(CLOUDFLARE_API_TOKEN=DEMO_TOKEN, CLOUDFLARE_BASE_URL=emulator.base_url)
    shell = " ".join([*cfbilling_command(), *command]) + " | head -1"
    result = subprocess.run(["bash", "-c", shell], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout.count("\n") == 1
    assert result.stderr == "", result.stderr


if sys.platform != "linux":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="raw-socket and signal tests are written for Linux")


# --- The usage-history route: the same guarantees ------------------------------------------------------------------

DAY_START = datetime(2026, 11, 24, tzinfo=timezone.utc)


def slow_usage_body(connection: Connection) -> None:
    history = {"history": [{"id": "x", "aggregated_value": 1, "start_time": 0, "end_time": 1}]}
    body = json.dumps(envelope(history)).encode()
    connection.send(head(200, "Content-Type: application/json", f"Content-Length: {len(body)}"))
    connection.trickle(body, every=0.5)


def test_a_trickling_usage_answer_is_bounded_by_the_timeout() -> None:
    with serving(slow_usage_body) as server, client(server) as reader:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"reading the usage history of account .* within the 1\.5 s timeout"):
            reader.get_usage_history(ACCOUNT, start=DAY_START, end=DAY_START + timedelta(days=1))
    assert time.monotonic() - started < 1.5 + 3


@pytest.mark.parametrize(
    ("history", "fragment"),
    [
        ([{"id": "x", "aggregated_value": float("1e400"), "start_time": 0, "end_time": 1}], "must be a finite number"),
        ([{"id": "x", "aggregated_value": 10**14, "start_time": 0, "end_time": 1}], "within +/-10^13 cents"),
        ([{"id": "x", "aggregated_value": 1, "start_time": 10**18, "end_time": 1}], "fits a date"),
        ([{"id": INJECTION, "aggregated_value": "1", "start_time": 0, "end_time": 1}], "must be a number"),
        ("lots", "history: Input should be a valid list"),
    ],
    ids=["infinite", "huge", "far-future", "string-value", "not-a-list"],
)
def test_hostile_usage_numbers_are_typed_errors(history: Any, fragment: str) -> None:
    def answer(connection: Connection) -> None:
        text = json.dumps(envelope({"history": history})).replace("Infinity", "1e400")
        body = text.encode()
        connection.send(head(200, "Content-Type: application/json", f"Content-Length: {len(body)}") + body)

    with serving(answer) as server, client(server) as reader, pytest.raises(APIResponseError) as caught:
        reader.get_usage_history(ACCOUNT, start=DAY_START, end=DAY_START + timedelta(days=1))
    message = str(caught.value)
    assert fragment in message
    assert_neutral(message)
    assert "\n" not in message


def test_usage_ids_keep_the_exact_text_for_machines() -> None:
    def answer(connection: Connection) -> None:
        bucket = {"id": INJECTION, "aggregated_value": 250, "start_time": 1795478400000, "end_time": 1795564800000}
        connection.send(json_answer(200, envelope({"history": [bucket]})))

    with serving(answer) as server, client(server) as reader:
        usage = reader.get_usage_history(ACCOUNT, start=DAY_START, end=DAY_START + timedelta(days=1))
    assert usage.history[0].id == INJECTION
    assert usage.total_usd == Decimal("2.5")
