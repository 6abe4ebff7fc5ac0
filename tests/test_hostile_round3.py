"""Round 3 of hardening (issue 20): what a hostile server and a new user found in the newer surfaces.

Each test is named after the class it closes; hostile text goes through every surface it reaches (CLI text, JSON
and GitHub formats, fleets, the plugin, the Terraform provider, terraform-external, the data functions).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pulumi
import pytest
from helpers import (
    FAILING,
    HEALTHY,
    LOW,
    RecordingMocks,
    cfbilling_command,
    env_for,
    resolve,
    run_check_step,
    run_cli,
)
from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import PropertyValue

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.cli import main
from pulumi_cfbilling.core.settings import CHECK_TOKEN, GET_TOKEN
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

SURROGATE = "card declined \ud83d"
ENDLESS = "c" * 32


def _fixture(**results: dict[str, Any]) -> dict[str, Any]:
    """The demo fixture with some accounts' results patched (top-level keys, topup_config merged)."""
    fixture = demo_fixture()
    for account, patch in results.items():
        result = fixture["accounts"][account]["result"]
        config = {**result["topup_config"], **patch.pop("topup_config", {})}
        result.update({**patch, "topup_config": config})
    return fixture


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """LOW's top-up texts end in a lone surrogate; every in-process surface points at this emulator."""
    fixture = _fixture(
        **{LOW: {"topup_config": {"disabledReason": SURROGATE, "error": f"declined {SURROGATE}", "lastFailedAt": 1}}}
    )
    with Emulator(fixture=fixture) as emu:
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.base_url)
        monkeypatch.setenv("CFBILLING_MAX_RETRIES", "0")
        yield emu


def _invoke(token: str, args: dict[str, Any]) -> Any:
    from pulumi_cfbilling.plugin._provider import CfBillingProvider

    loop = asyncio.new_event_loop()
    try:
        request = p.InvokeRequest(token, {k: PropertyValue(v) for k, v in args.items()})
        return loop.run_until_complete(CfBillingProvider().invoke(request))
    finally:
        loop.close()


def _terraform_read(source_name: str, config: dict[str, Any]) -> tuple[Any, list[str]]:
    from tf.iface import ReadDataContext
    from tf.utils import Diagnostics

    from pulumi_cfbilling.terraform import _sources
    from pulumi_cfbilling.terraform._provider import CfBillingProvider

    provider = CfBillingProvider()
    provider.configure_provider(Diagnostics(), {})
    source = getattr(_sources, source_name)(provider)
    context = ReadDataContext(Diagnostics(), source.type_name)
    state = source.read(context, config)
    return state, [d.summary + " " + d.detail for d in context.diagnostics.diagnostics]


# 1. Lone UTF-16 surrogates --------------------------------------------------------------------------------------


def test_a_lone_surrogate_crashes_no_surface(hostile_env: Emulator, tmp_path: Path) -> None:
    env = env_for(hostile_env, CFBILLING_MAX_RETRIES="0", GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))
    fleet = ("--account-id", HEALTHY, "--account-id", LOW, "--require-auto-topup")
    for fmt in ("text", "json", "github"):
        result = run_cli("check", *fleet, "--advisory", "--format", fmt, env=env)
        assert result.returncode == 0, (fmt, result.stderr)
        assert "Traceback" not in result.stderr
        assert HEALTHY in result.stdout  # the other account is reported
    assert "card declined \ufffd" in (tmp_path / "summary.md").read_text(encoding="utf-8")
    balance = run_cli("balance", "--account-id", LOW, env=env)
    assert balance.returncode == 0, balance.stderr
    assert "off (card declined \ufffd)" in balance.stdout
    plugin = _invoke(GET_TOKEN, {"accountId": LOW})
    assert plugin.return_value["topupConfig"].value["disabledReason"].value == "card declined \ufffd"
    state, errors = _terraform_read("CreditBalance", {"account_id": LOW})
    assert errors == []
    assert state["topup_config"]["disabled_reason"] == "card declined \ufffd"
    query = json.dumps({"account_id": LOW, "require_auto_topup": "true"})
    done = subprocess.run([*cfbilling_command(), "terraform-external"], input=query, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\\ufffd" in done.stdout or "\ufffd" in done.stdout
    pulumi.runtime.set_mocks(RecordingMocks(), preview=False)
    assert cfbilling.get_credit_balance(LOW).topup_config.disabled_reason == "card declined \ufffd"


# 2. Huge timestamps -----------------------------------------------------------------------------------------------


def test_a_huge_timestamp_is_a_typed_malformed_result_and_hides_no_other_account(tmp_path: Path) -> None:
    fixture = _fixture(**{LOW: {"topup_config": {"lastFailedAt": 10**400}}})
    with Emulator(fixture=fixture) as emu:
        env = env_for(emu, CFBILLING_MAX_RETRIES="0", GITHUB_STEP_SUMMARY=str(tmp_path / "s.md"))
        args = ("check", "--account-id", HEALTHY, "--account-id", LOW, "--min-balance-usd", "1")
        result = run_cli(*args, "--format", "github", "--advisory", env=env)
        document = json.loads(run_cli(*args, "--format", "json", env=env).stdout)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "the result is malformed (topup_config.lastFailedAt: Value error, is not a unix time that fits" in line
    assert f"cfbilling: {HEALTHY}: pass" in result.stdout
    assert (tmp_path / "s.md").read_text().count("| `") == 2
    assert [a["error"]["type"] if a["error"] else None for a in document["accounts"]] == [None, "APIResponseError"]


def test_a_huge_bucket_time_is_a_typed_malformed_result() -> None:
    bucket = {"id": "b", "aggregated_value": 1, "start_time": 10**400, "end_time": 10**400}
    body = json.dumps({"success": True, "errors": [], "messages": [], "result": {"history": [bucket]}})
    with Emulator(fixture=demo_fixture()) as emu:
        fault = {"kind": "raw", "status": 200, "body": body, "headers": {"Content-Type": "application/json"}}
        emu.set_faults(LOW, [fault], route="usage-history")
        result = run_cli("usage", "--account-id", HEALTHY, "--account-id", LOW, env=env_for(emu))
    assert result.returncode == 3
    assert result.stdout.startswith(HEALTHY)
    (line,) = result.stderr.strip().splitlines()
    assert "history.0.start_time" in line
    assert "Traceback" not in result.stderr


# 3. One bad account never hides the others --------------------------------------------------------------------


def test_an_unexpected_exception_in_one_read_stays_that_accounts_error(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from pulumi_cfbilling.service.cache import BalanceCache

    real = BalanceCache.get

    def flaky(self: BalanceCache, settings: Any, account_id: str) -> Any:
        if account_id == LOW:
            raise RuntimeError("a bug")
        return real(self, settings, account_id)

    monkeypatch.setattr(BalanceCache, "get", flaky)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "s.md"))
    ids = ["--account-id", HEALTHY, "--account-id", LOW, "--account-id", FAILING]
    code = main(["check", *ids, "--min-balance-usd", "1", "--format", "github"])
    out, err = capsys.readouterr()
    assert code == 3
    assert f"cfbilling: {HEALTHY}: pass" in out
    assert f"AI Gateway credits%3A {FAILING} [min-balance]" in out
    assert f"reading account {LOW} failed unexpectedly (RuntimeError)" in err
    assert "Traceback" not in err
    assert (tmp_path / "s.md").read_text().count("| `") == 3


# 4. Markup in the step summary --------------------------------------------------------------------------------


def test_no_link_image_or_html_survives_in_the_step_summary(tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    hostile = "[click here to fix billing](https://evil.example/pay) ![x](https://evil.example/i.png) <img src=x> www.evil.example"
    fixture = _fixture(**{LOW: {"topup_config": {"disabledReason": hostile}}})
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"{LOW} [label](https://evil.example/l) <b>bold</b>\n")
    with Emulator(fixture=fixture) as emu:
        env = env_for(emu, GITHUB_STEP_SUMMARY=str(tmp_path / "s.md"))
        run_cli("check", "--accounts-file", str(accounts), "--require-auto-topup", "--format", "github", env=env)
    summary = (tmp_path / "s.md").read_text()
    assert "click here to fix billing" in summary  # the text is there, as text
    markdown = MarkdownIt("commonmark", {"linkify": True, "html": True}).enable(["table", "linkify"])
    tokens = [t for block in markdown.parse(summary) for t in [block, *(block.children or [])]]
    kinds = {t.type for t in tokens}
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}, kinds
    assert "<img" not in markdown.render(summary)


# 5. Labels never start a workflow command ------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["::stop-commands::x", "::error title=FORGED::forged"])
def test_a_label_never_starts_a_line(emulator: Emulator, tmp_path: Path, label: str) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"{HEALTHY} {label}\n{LOW} second\n")
    result = run_cli("check", "--accounts-file", str(accounts), "--min-balance-usd", "20", "--format", "github",
                     env=env_for(emulator))  # fmt: skip
    lines = result.stdout.splitlines()
    assert not any(line.startswith((label, "::stop-commands", "::error title=FORGED")) for line in lines)
    assert all(line.startswith(("::error title=", "::warning title=", "cfbilling: ")) for line in lines[:-1])
    assert any(line.startswith("::error title=AI Gateway credits%3A second") for line in lines)


# 6. Finite numbers everywhere ---------------------------------------------------------------------------------


def test_an_endless_runway_is_finite_on_every_surface(monkeypatch: pytest.MonkeyPatch) -> None:
    fixture = demo_fixture()
    fixture["accounts"][ENDLESS] = copy.deepcopy(fixture["accounts"][HEALTHY])
    fixture["accounts"][ENDLESS]["usage"] = {"daily_cents": [5e-324] * 14}
    with Emulator(fixture=fixture) as emu:
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.base_url)
        report = json.loads(run_cli("check", "--account-id", ENDLESS, "--min-runway-days", "1", "--format", "json",
                                    env=env_for(emu)).stdout)  # fmt: skip
        plugin = _invoke(CHECK_TOKEN, {"accountId": ENDLESS, "minRunwayDays": 1.0})
        state, _ = _terraform_read("CreditCheck", {"account_id": ENDLESS, "min_runway_days": 1.0})
        text = run_cli("check", "--account-id", ENDLESS, "--min-runway-days", "1", env=env_for(emu)).stdout
    assert report["accounts"][0]["runway"]["runwayDays"] == 36500.0
    assert report["accounts"][0]["runway"]["projectedEmptyAt"] is None
    assert plugin.return_value["runway"].value["runwayDays"].value == 36500.0
    assert state["runway"]["runway_days"] == 36500.0
    assert "36500+ days" in text
    assert "inf" not in text


# 7. Runway semantics: one answer for sparse and dense, totals inside the window, pages reported ------------------


def test_usage_totals_count_only_the_window_and_more_pages_are_an_error(emulator: Emulator) -> None:
    document = json.loads(run_cli("usage", "--account-id", HEALTHY, "--days", "7", "--format", "json",
                                  env=env_for(emulator)).stdout)  # fmt: skip
    (account,) = document["accounts"]
    assert all(account["start"] <= b["start"] < account["end"] for b in account["buckets"])
    assert Decimal(str(account["totalUsd"])) == sum(Decimal(str(b["spendUsd"])) for b in account["buckets"])
    paged = json.dumps({"success": True, "errors": [], "messages": [], "result": {"history": []},
                        "result_info": {"page": 1, "per_page": 20, "total_pages": 3}})  # fmt: skip
    fault = {"kind": "raw", "status": 200, "body": paged, "headers": {"Content-Type": "application/json"}}
    emulator.set_faults(HEALTHY, [fault], route="usage-history")
    result = run_cli("usage", "--account-id", HEALTHY, env=env_for(emulator, CFBILLING_MAX_RETRIES="0"))
    assert result.returncode == 3
    assert "more pages than this tool reads (page 1 of 3)" in result.stderr


# 8. balance --runway when only the usage route fails -----------------------------------------------------------


def test_balance_runway_shows_the_balance_and_the_runway_error(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 10000}], route="usage-history")
    env = env_for(emulator, CFBILLING_MAX_RETRIES="0")
    text = run_cli("balance", "--account-id", HEALTHY, "--runway", env=env)
    assert text.returncode == 3
    assert "Balance         $42.51" in text.stdout
    assert "Runway          cannot read: reading the usage history" in text.stdout
    document = json.loads(run_cli("balance", "--account-id", HEALTHY, "--runway", "--format", "json", env=env).stdout)
    (account,) = document["accounts"]
    assert account["balanceUsd"] == 42.505
    assert account["runwayError"]["type"] == "PermissionDeniedError"


# 9. A credential echoed back is redacted everywhere -------------------------------------------------------------


def test_a_credential_echoed_back_is_redacted_from_every_text(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    echo = {"kind": "status", "status": 403, "code": 9109, "message": f"token {DEMO_TOKEN} may not read this"}
    emulator.set_faults(HEALTHY, [echo])
    env = env_for(emulator, CFBILLING_MAX_RETRIES="0", GITHUB_STEP_SUMMARY=str(tmp_path / "s.md"))
    outputs = [run_cli("check", "--account-id", HEALTHY, "--min-balance-usd", "1", "--format", fmt, env=env)
               for fmt in ("text", "json", "github")]  # fmt: skip
    outputs.append(run_cli("doctor", "--account-id", HEALTHY, env=env))
    texts = [o.stdout + o.stderr for o in outputs] + [(tmp_path / "s.md").read_text()]
    for text in texts:
        assert DEMO_TOKEN not in text
    assert "token ******** may not read this" in texts[0]
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)  # the in-process surfaces hold it too
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("CFBILLING_MAX_RETRIES", "0")
    _, errors = _terraform_read("CreditBalance", {"account_id": HEALTHY})
    with pytest.raises(cfbilling.PermissionDeniedError) as raised:
        _invoke(GET_TOKEN, {"accountId": HEALTHY})
    for text in [*errors, str(raised.value)]:
        assert DEMO_TOKEN not in text
        assert "********" in text
    # Echoed in a header (the CF-Ray id a proxy made up from the request's Authorization header), too.
    raw = {"kind": "raw", "status": 500, "body": "oops", "headers": {"CF-Ray": f"ray-{DEMO_TOKEN}"}}
    emulator.set_faults(HEALTHY, [raw])
    header = run_cli("balance", "--account-id", HEALTHY, env=env)
    assert DEMO_TOKEN not in header.stderr
    assert "ray-********]" in header.stderr  # the emulator sent its own CF-Ray too: both are listed


# 10. Terraform values: no terminal controls in the plan -------------------------------------------------------------


def test_terraform_values_carry_no_terminal_control(monkeypatch: pytest.MonkeyPatch) -> None:
    fixture = _fixture(**{LOW: {"topup_config": {"disabledReason": "off\x1b[2J\x07\rbidi\u202e"}}})
    with Emulator(fixture=fixture) as emu:
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.base_url)
        state, _ = _terraform_read("CreditBalance", {"account_id": LOW})
        exact = json.loads(run_cli("balance", "--account-id", LOW, "--format", "json", env=env_for(emu)).stdout)
    shown = state["topup_config"]["disabled_reason"]
    assert not any(c in shown for c in "\x1b\x07\r\u202e")
    assert shown.startswith("off\ufffd[2J")
    assert exact["accounts"][0]["topupConfig"]["disabledReason"] == "off\x1b[2J\x07\rbidi\u202e"  # JSON keeps it


# 12. Accounts files: special files refused, size capped, content never echoed --------------------------------------


def test_special_and_huge_accounts_files_are_refused_in_one_line(emulator: Emulator, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.txt"
    huge.write_text(f"{HEALTHY}\n" * 40_000)
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$saltsalt$supersecrethash:19000:0:99999:7:::\n")
    started = time.monotonic()
    for path, fragment in ((fifo, "is not a regular file"), ("/dev/zero", "is not a regular file"),
                           (huge, "is larger than 1024 KiB"), (secret, "the line does not start with an account id")):  # fmt: skip
        result = run_cli("check", "--accounts-file", str(path), "--min-balance-usd", "1", env=env_for(emulator))
        assert result.returncode == 2, path
        (line,) = result.stderr.strip().splitlines()
        assert fragment in line
        assert "supersecrethash" not in line
    assert time.monotonic() - started < 60  # nothing hung on the FIFO


# 13. The emulator: every method, bad request lines, bodies, idle connections ----------------------------------------


def _exchange(emu: Emulator, raw: bytes, wait: float = 3) -> bytes:
    port = int(emu.base_url.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(raw)
        conn.settimeout(wait)
        data = b""
        try:
            while chunk := conn.recv(4096):
                data += chunk
        except TimeoutError:
            pass
    return data


def test_the_emulator_answers_every_method_and_bad_line_with_a_status_and_the_envelope(emulator: Emulator) -> None:
    for raw, status in ((b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", b"405"), (b"get / HTTP/1.1\r\nHost: x\r\n\r\n", b"405"),
                        (b"PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n", b"405"), (b"GARBAGE\r\n\r\n", b"400"),
                        (b"GET /\r\n\r\n", b"400")):  # fmt: skip
        answer = _exchange(emulator, raw)
        assert answer.startswith(b"HTTP/1.1 " + status), (raw, answer[:80])
        assert b'"success": false' in answer
    smuggled = b"POST /client/v4/x HTTP/1.1\r\nHost: x\r\nContent-Length: 25\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"
    assert _exchange(emulator, smuggled).count(b"HTTP/1.1 ") == 1
    assert "/smuggled" not in [entry.path for entry in emulator.log]


def test_the_emulator_closes_idle_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_cfbilling.testing import _server

    monkeypatch.setattr(_server.Handler, "timeout", 0.5)
    with Emulator(fixture=demo_fixture()) as emu:
        started = time.monotonic()
        assert _exchange(emu, b"", wait=10) == b""  # closed by the server, long before our 10 s
        assert time.monotonic() - started < 5


# 14. Cosmetic: "the last day", no "inf s" ---------------------------------------------------------------------------


def test_one_day_is_singular_and_an_absurd_retry_after_is_no_wait(emulator: Emulator) -> None:
    from pulumi_cfbilling.core.text import neutralize

    fixture = demo_fixture()
    fixture["accounts"][LOW]["usage"] = {"daily_cents": [500]}  # one day of spend: averaged over one day
    with Emulator(fixture=fixture) as young:
        result = run_cli("check", "--account-id", LOW, "--min-runway-days", "5", env=env_for(young))
    assert "a day (the last day), below the minimum of 5 days" in result.stdout
    assert "(the last 1 days)" not in result.stdout
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 429, "retry_after": "9" * 400}])
    limited = run_cli("balance", "--account-id", HEALTHY, env=env_for(emulator, CFBILLING_MAX_RETRIES="0"))
    assert limited.returncode == 3
    assert "inf" not in neutralize(limited.stderr, 10_000)


# 15. doctor: every route, every problem, the network -----------------------------------------------------------------


def test_doctor_probes_the_usage_route_and_lists_every_problem(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 10000}], route="usage-history")
    result = run_cli("doctor", "--account-id", HEALTHY, env=env_for(emulator, CFBILLING_MAX_RETRIES="0"))
    assert result.returncode == 3
    assert "Everything works" not in result.stdout
    assert "FAIL  usage history" in result.stdout
    bad = run_cli("doctor", env={"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CFBILLING_TIMEOUT": "soon",
                                 "CLOUDFLARE_BASE_URL": "http://example.com", "CLOUDFLARE_ACCOUNT_ID": "nope"})  # fmt: skip
    assert bad.returncode == 2
    for fragment in ("CFBILLING_TIMEOUT 'soon'", "uses plain http", "CLOUDFLARE_ACCOUNT_ID 'nope'"):
        assert fragment in bad.stdout


# 16. TLS and proxies: what works in this environment, and the variable to blame ----------------------------------


def test_the_tls_emulator_says_to_unset_a_bundle_that_wins_and_cleans_up_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}
    proc = subprocess.Popen([*cfbilling_command(), "emulator", "--tls", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        lines = []
        assert proc.stdout is not None
        while not (line := proc.stdout.readline()).startswith("Press Ctrl+C"):
            lines.append(line)
        printed = "".join(lines)
        ca = next(line.split("=", 1)[1].split()[0] for line in lines if "SSL_CERT_FILE=" in line)
        assert "unset REQUESTS_CA_BUNDLE" in printed
        assert Path(ca).exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not Path(ca).exists()  # the key folder went with it
    finally:
        proc.kill()


def test_an_emulator_stopped_before_it_served_does_not_hang() -> None:
    # A kill that lands between the banner and serve_forever used to leave stop() waiting for a loop that never ran.
    emu = Emulator(fixture=demo_fixture(), tls=True)
    stopper = threading.Thread(target=emu.stop, daemon=True)
    stopper.start()
    stopper.join(timeout=30)
    assert not stopper.is_alive()
    assert emu.ca_file is not None
    assert not emu.ca_file.exists()


def test_a_rejected_certificate_names_the_bundle_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with Emulator(fixture=demo_fixture(), tls=True) as emu:
        for variable in ("SSL_CERT_FILE", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")  # wins, and lacks the CA
        client = cfbilling.BillingClient(api_token=DEMO_TOKEN, base_url=emu.base_url, max_retries=0)
        with client, pytest.raises(cfbilling.APIConnectionError) as raised:
            client.get_credit_balance(HEALTHY)
    assert "the TLS certificate was rejected" in str(raised.value)
    assert "the CA bundle in REQUESTS_CA_BUNDLE does not vouch for it" in str(raised.value)


def test_a_bad_base_url_and_a_dead_proxy_are_blamed_on_their_variables(emulator: Emulator) -> None:
    dead = "http://127.0.0.1:9/client/v4"
    flag = run_cli(
        "balance", "--account-id", HEALTHY, "--base-url", dead, env=env_for(emulator, CFBILLING_MAX_RETRIES="0")
    )
    assert flag.returncode == 3
    assert "(--base-url)" in flag.stderr
    proxied = run_cli("balance", "--account-id", HEALTHY,
                      env=env_for(emulator, CFBILLING_MAX_RETRIES="0", HTTP_PROXY="http://127.0.0.1:9"))  # fmt: skip
    assert proxied.returncode == 3
    assert "HTTP_PROXY" in proxied.stderr
    assert "HTTPS_PROXY" not in proxied.stderr


# 17. An ASCII terminal, and Ctrl-C during the imports ------------------------------------------------------------------


def test_usage_on_an_ascii_terminal_falls_back_to_ascii(emulator: Emulator) -> None:
    result = run_cli("usage", "--account-id", HEALTHY, env=env_for(emulator, PYTHONIOENCODING="ascii"))
    assert result.returncode == 0, result.stderr
    result.stdout.encode("ascii")
    assert "UnicodeEncodeError" not in result.stderr


def test_ctrl_c_while_the_cli_is_importing_exits_130_quietly() -> None:
    script = (
        "import builtins, os, signal\n"
        "real = builtins.__import__\n"
        "def hooked(name, *args, **kwargs):\n"
        "    if name == 'argparse':\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = hooked\n"
        "from pulumi_cfbilling.__main__ import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 130
    assert done.stderr == "cfbilling: interrupted\n"


# 18. Under mocks, the functions ask the mocks -------------------------------------------------------------------------


class _Stubbed(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.calls: list[pulumi.runtime.MockCallArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], None]:
        self.calls.append(args)
        if args.token == CHECK_TOKEN:
            violation = {"rule": "min-balance", "message": "stubbed", "observed": 1.0, "expected": 20.0}
            return {"accountId": args.args["accountId"], "ok": False, "violations": [violation], "runway": None}, None
        return {"accountId": args.args.get("accountId"), "balance": 100, "balanceUsd": 1.0}, None


def test_under_mocks_the_functions_ask_the_mocks_and_send_nothing(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    mocks = _Stubbed()
    pulumi.runtime.set_mocks(mocks, preview=False)
    assert cfbilling.get_credit_balance(HEALTHY).balance_usd == 1.0
    assert resolve(cfbilling.get_credit_balance_output(HEALTHY))["balanceUsd"] == 1.0
    verdict = resolve(cfbilling.guard(HEALTHY, enforcement="advisory", min_balance_usd=20))
    assert (verdict["ok"], verdict["violations"][0]["message"]) == (False, "stubbed")
    assert emulator.log == []  # nothing was sent with the credentials lying around
    assert [c.token for c in mocks.calls][:1] == [GET_TOKEN]
    assert mocks.calls[-1].args == {"accountId": HEALTHY, "minBalanceUsd": 20}


def test_live_mocks_read_the_emulator(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    pulumi.runtime.set_mocks(cfbilling.LiveMocks(), preview=False)
    assert cfbilling.get_credit_balance(HEALTHY).balance_usd == 42.505
    assert len(emulator.log) == 1


# 19. projectedEmptyAt settles within the hour --------------------------------------------------------------------


def test_the_projected_date_is_the_same_all_hour() -> None:
    from datetime import datetime, timedelta, timezone

    from pulumi_cfbilling.api.usage import UsageHistory
    from pulumi_cfbilling.guardrails.runway import forecast

    midnight = datetime(2026, 11, 25, tzinfo=timezone.utc)
    day = 86_400_000
    start = int(midnight.timestamp() * 1000) - 7 * day
    buckets = [{"id": str(i), "aggregated_value": 1000, "start_time": start + i * day, "end_time": start + (i + 1) * day}
               for i in range(7)]  # fmt: skip
    usage = UsageHistory.model_validate({"history": buckets})
    early = forecast(Decimal(100), usage, now=midnight + timedelta(hours=15, minutes=1))
    late = forecast(Decimal(100), usage, now=midnight + timedelta(hours=15, minutes=59, seconds=59))
    assert early.projected_empty_at == late.projected_empty_at


# 20. The snapshot's failures are one line in Pulumi's dynamic provider host -----------------------------------------


def test_the_dynamic_provider_host_reports_our_errors_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import traceback
    import types

    from pulumi_cfbilling.program.resource import _one_line_failures

    host = types.ModuleType("__main__")
    host.traceback = traceback  # type: ignore[attr-defined]
    host.DynamicResourceProviderServicer = object  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", host)
    _one_line_failures()
    _one_line_failures()  # idempotent
    try:
        raise cfbilling.ConfigurationError("no Cloudflare credentials found: set CLOUDFLARE_API_TOKEN")
    except cfbilling.CfBillingError:
        assert host.traceback.format_exc() == "no Cloudflare credentials found: set CLOUDFLARE_API_TOKEN"
    try:
        raise KeyError("someone else's bug")
    except KeyError:
        assert host.traceback.format_exc().startswith("Traceback (most recent call last):")


# 21. Python 3.10 and the terraform extra ----------------------------------------------------------------------------


def test_an_old_python_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from pulumi_cfbilling.core import requires
    from pulumi_cfbilling.terraform import main as provider_main
    from pulumi_cfbilling.terraform._handshake import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE

    class Old(tuple):  # type: ignore[type-arg]
        major, minor = 3, 10

    monkeypatch.setattr(requires.sys, "version_info", Old((3, 10, 14)))
    assert main(["terraform", "install-provider", "--dir", str(tmp_path)]) == 2
    assert "needs Python 3.11 or newer" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
    assert provider_main([]) == 1
    # On stdout: Terraform shows a line it cannot read as the handshake, so the user sees the reason.
    assert "needs Python 3.11 or newer" in capsys.readouterr().out


# 22. Polish ---------------------------------------------------------------------------------------------------------


def test_flags_are_never_abbreviated(emulator: Emulator) -> None:
    result = run_cli("check", "--account-id", HEALTHY, "--min-balance", "20", env=env_for(emulator))
    assert result.returncode == 2
    assert "unrecognized arguments: --min-balance" in result.stderr


def test_the_preflight_script_needs_a_command(emulator: Emulator) -> None:
    script = Path(__file__).resolve().parent.parent / "examples" / "ci-preflight" / "preflight.sh"
    alone = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60, env={**os.environ},
                           check=False)  # fmt: skip
    assert alone.returncode == 2
    assert "usage:" in alone.stderr
    assert "deploying" not in alone.stdout


def test_the_action_check_step_reads_the_runway_into_the_summary(emulator: Emulator, tmp_path: Path) -> None:
    run_check_step(emulator, tmp_path, **{"account-ids": HEALTHY, "min-runway-days": "3"})
    summary = (tmp_path / "summary.md").read_text()
    assert "| Account | Label | Balance | Auto top-up | Runway | Verdict |" in summary
    assert "13.96 days" in summary


# 23. No hint names an index that does not have the package ---------------------------------------------------------


def test_no_install_hint_names_pip_install_from_an_index() -> None:
    root = Path(__file__).resolve().parent.parent
    for path in (root / "pulumi_cfbilling").rglob("*.py"):
        text = path.read_text("utf-8")
        assert "pip install pulumi-cfbilling" not in text, path
        assert "pip install 'pulumi-cfbilling[" not in text, path
    readme = (root / "README.md").read_text("utf-8")
    assert "activate the virtualenv first" in readme
    assert "about 4 minutes on 2 cores" in readme
