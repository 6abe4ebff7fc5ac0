"""The emulator answers like Cloudflare: envelope, headers, auth errors, and schema-conforming results."""

from __future__ import annotations

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from helpers import FAILING, HEALTHY, LOW, UNKNOWN, run_cli

from pulumi_cfbilling import (
    APIConnectionError,
    APITimeoutError,
    BillingClient,
    ConfigurationError,
    PermissionDeniedError,
)
from pulumi_cfbilling.testing.emulator import DEMO_EMAIL, DEMO_KEY, DEMO_TOKEN, Emulator, demo_fixture


def get(
    emu: Emulator, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, dict(response.getheaders()), json.loads(raw) if raw and is_json else raw or None
    finally:
        conn.close()


def balance_path(account: str) -> str:
    return f"/client/v4/accounts/{account}/ai-gateway/billing/credit-balance"


BEARER = {"Authorization": f"Bearer {DEMO_TOKEN}"}


def test_healthy_answer_has_cloudflares_envelope_and_headers(emulator: Emulator) -> None:
    status, headers, document = get(emulator, balance_path(HEALTHY), BEARER)
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["CF-Ray"]
    assert document["success"] is True
    assert document["errors"] == []
    assert document["messages"] == []


# The official schema's required keys and types (aig-billing_GetCreditBalanceResult), restated by hand so the
# suite does not depend on ../shared; a conforming healthy answer must satisfy it.
NUMBER = (int, float)
REQUIRED_RESULT = {
    "balance": NUMBER,
    "has_default_payment_method": bool,
    "payment_method": (dict, type(None)),
    "topup_config": dict,
}
TOPUP_KEYS = {"amount": NUMBER, "threshold": NUMBER, "disabledReason": str, "error": str, "lastFailedAt": NUMBER}


@pytest.mark.parametrize("account", list(demo_fixture()["accounts"]))
def test_healthy_answers_conform_to_the_official_schema(emulator: Emulator, account: str) -> None:
    _, _, document = get(emulator, balance_path(account), BEARER)
    result = document["result"]
    for key, kind in REQUIRED_RESULT.items():
        assert isinstance(result[key], kind), key
        assert not isinstance(result[key], bool) or kind is bool
    for key, kind in TOPUP_KEYS.items():
        value = result["topup_config"][key]
        assert value is None or isinstance(value, kind), key
    if result["payment_method"] is not None:
        assert set(result["payment_method"]) <= {"brand", "last4"}
    assert isinstance(result.get("first_topup_success", False), bool)


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 400, 9106),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 400, 6003),
        ({"Authorization": "Bearer"}, 400, 6003),
        ({"X-Auth-Email": DEMO_EMAIL}, 400, 6003),
        ({"X-Auth-Key": DEMO_KEY}, 400, 6003),
        # Not shaped like a token (40 of A-Z a-z 0-9 _ -): Cloudflare's 6003 with the sub-error 6111.
        ({"Authorization": "Bearer wrong-token"}, 400, 6003),
        # Shaped like one, but unknown.
        ({"Authorization": "Bearer " + "x" * 40}, 403, 10000),
        ({"X-Auth-Email": DEMO_EMAIL, "X-Auth-Key": "wrong"}, 400, 6003),
        ({"X-Auth-Email": "not-an-email", "X-Auth-Key": DEMO_KEY}, 400, 6003),
        ({"X-Auth-Email": DEMO_EMAIL, "X-Auth-Key": "f" * 37}, 403, 9103),
    ],
)
def test_auth_is_checked_like_cloudflare(emulator: Emulator, headers: dict[str, str], status: int, code: int) -> None:
    got, _, document = get(emulator, balance_path(HEALTHY), headers)
    assert got == status
    assert document["success"] is False
    assert document["errors"][0]["code"] == code
    assert document["result"] is None


def test_global_key_is_accepted(emulator: Emulator) -> None:
    status, _, _ = get(emulator, balance_path(HEALTHY), {"X-Auth-Email": DEMO_EMAIL, "X-Auth-Key": DEMO_KEY})
    assert status == 200


def test_account_the_token_cannot_see_is_9109(emulator: Emulator) -> None:
    status, _, document = get(emulator, balance_path(UNKNOWN), BEARER)
    assert (status, document["errors"][0]["code"]) == (403, 9109)


def test_token_scoped_to_some_accounts() -> None:
    fixture = demo_fixture()
    fixture["tokens"] = {"scoped": {"accounts": [HEALTHY]}}
    with Emulator(fixture=fixture) as emu:
        assert get(emu, balance_path(HEALTHY), {"Authorization": "Bearer scoped"})[0] == 200
        assert get(emu, balance_path(LOW), {"Authorization": "Bearer scoped"})[2]["errors"][0]["code"] == 9109


def test_expired_token_is_rejected() -> None:
    fixture = demo_fixture()
    fixture["tokens"] = {"old": {"accounts": "*", "status": "expired"}}
    with Emulator(fixture=fixture) as emu:
        assert get(emu, balance_path(HEALTHY), {"Authorization": "Bearer old"})[2]["errors"][0]["code"] == 10000


def test_malformed_account_id_is_7003(emulator: Emulator) -> None:
    status, _, document = get(emulator, balance_path("not-an-id"), BEARER)
    assert (status, document["errors"][0]["code"]) == (404, 7003)


def test_unknown_route_is_7000(emulator: Emulator) -> None:
    status, _, document = get(emulator, "/client/v4/nothing/here", BEARER)
    assert (status, document["errors"][0]["code"]) == (404, 7000)


def test_other_methods_are_refused(emulator: Emulator) -> None:
    assert get(emulator, balance_path(HEALTHY), BEARER, method="POST")[0] == 405


def test_log_records_requests_but_never_credentials(emulator: Emulator) -> None:
    get(emulator, balance_path(HEALTHY), BEARER)
    (entry,) = emulator.log
    assert (entry.method, entry.account_id, entry.auth, entry.status) == ("GET", HEALTHY, "token", 200)
    assert entry.finished is not None
    assert entry.finished >= entry.started
    assert DEMO_TOKEN not in repr(entry)


def test_faults_answer_their_count_then_health_returns(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 503, "times": 2}, {"kind": "result_null", "times": 1}])
    statuses = [get(emulator, balance_path(HEALTHY), BEARER)[0] for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert [e.status for e in emulator.log] == statuses


def test_rate_limit_fault_sends_retry_after(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 429, "retry_after": 7}])
    status, headers, document = get(emulator, balance_path(HEALTHY), BEARER)
    assert (status, headers["Retry-After"], document["errors"][0]["code"]) == (429, "7", 971)


def test_latency_is_applied_per_account() -> None:
    with Emulator(fixture=demo_fixture(), latency=0.2) as emu:
        get(emu, balance_path(HEALTHY), BEARER)
        entry = emu.log[0]
        assert entry.finished is not None
        assert entry.finished - entry.started >= 0.2


def test_fixture_file(tmp_path: Any) -> None:
    path = tmp_path / "fixture.json"
    path.write_text(
        json.dumps(
            {
                "accounts": {
                    HEALTHY: {
                        "result": {
                            "balance": 1,
                            "has_default_payment_method": False,
                            "payment_method": None,
                            "topup_config": {
                                "amount": None,
                                "threshold": None,
                                "disabledReason": None,
                                "error": None,
                                "lastFailedAt": None,
                            },
                        }
                    }
                }
            }
        )
    )
    with Emulator(fixture=path) as emu:
        assert get(emu, balance_path(HEALTHY), BEARER)[2]["result"]["balance"] == 1
        assert emu.token == DEMO_TOKEN


# --- the emulator tells the truth ------------------------------------------------------------------------------


def test_the_official_sdk_reads_the_same_values_as_our_client(emulator: Emulator) -> None:
    cloudflare = pytest.importorskip("cloudflare")  # in the dev extra; CI installs it
    official = cloudflare.Cloudflare(api_token=DEMO_TOKEN, base_url=emulator.base_url, max_retries=0)
    ours = BillingClient(api_token=DEMO_TOKEN, base_url=emulator.base_url)
    for account in (HEALTHY, LOW, FAILING):
        theirs = official.ai_gateway.billing.credit_balance(account_id=account)
        mine = ours.get_credit_balance(account)
        assert theirs.balance == mine.balance
        assert theirs.has_default_payment_method == mine.has_default_payment_method
        assert (theirs.payment_method.brand if theirs.payment_method else None) == (
            mine.payment_method.brand if mine.payment_method else None
        )
        config = theirs.topup_config
        assert (config.amount, config.threshold, config.disabled_reason, config.error, config.last_failed_at) == (
            mine.topup_config.amount,
            mine.topup_config.threshold,
            mine.topup_config.disabled_reason,
            mine.topup_config.error,
            mine.topup_config.last_failed_at,
        )
        assert theirs.first_topup_success == mine.first_topup_success


def test_a_rate_limit_always_says_when_to_retry(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 429}])
    status, headers, document = get(emulator, balance_path(HEALTHY), BEARER)
    assert (status, headers["Retry-After"], document["errors"][0]["code"]) == (429, "1", 971)


def test_fault_bodies_use_cloudflares_codes(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 404, "times": 1}, {"kind": "status", "status": 503}])
    _, _, not_found = get(emulator, balance_path(HEALTHY), BEARER)
    status, headers, page = get(emulator, balance_path(HEALTHY), BEARER)
    assert not_found["errors"][0]["code"] == 7003
    assert "Emulated" not in json.dumps(not_found)
    assert (status, headers["Content-Type"].split(";")[0]) == (503, "text/html")
    assert b"Error 503" in page


def test_a_failed_top_up_time_is_fixed_at_load() -> None:
    with Emulator(fixture=demo_fixture()) as emu:
        first = get(emu, balance_path(FAILING), BEARER)[2]["result"]["topup_config"]["lastFailedAt"]
        time.sleep(0.01)
        second = get(emu, balance_path(FAILING), BEARER)[2]["result"]["topup_config"]["lastFailedAt"]
    assert first == second


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS", "POST", "HEAD"])
def test_every_method_gets_the_envelope(emulator: Emulator, method: str) -> None:
    status, headers, document = get(emulator, balance_path(HEALTHY), BEARER, method=method)
    assert status == 405
    assert headers["Content-Type"] == "application/json"
    if method != "HEAD":
        assert document["errors"][0]["code"] == 7001


def test_many_simultaneous_connections_are_accepted(emulator: Emulator) -> None:
    assert emulator._server.request_queue_size >= 128
    with ThreadPoolExecutor(64) as pool:
        started = time.monotonic()
        statuses = list(pool.map(lambda _: get(emulator, balance_path(HEALTHY), BEARER)[0], range(64)))
    assert statuses == [200] * 64
    assert time.monotonic() - started < 30  # generous: a backlog of 5 used to stall these for seconds


@pytest.mark.parametrize(
    ("fixture", "place"),
    [
        ({"accounts": {HEALTHY: {"label": "x"}}}, f"accounts.{HEALTHY} needs a result"),
        (
            {
                "accounts": {
                    HEALTHY: {
                        "result": {**demo_fixture()["accounts"][HEALTHY]["result"], "topup_config": {"amount": 1}}
                    }
                }
            },
            f"accounts.{HEALTHY}.result.topup_config.threshold is missing",
        ),
        (
            {"accounts": {HEALTHY: {**demo_fixture()["accounts"][HEALTHY], "faults": [{"kind": "stal"}]}}},
            "faults[0].kind: unknown fault kind",
        ),
        (
            {"accounts": {HEALTHY: {**demo_fixture()["accounts"][HEALTHY], "faults": [{"kind": "drop", "secs": 1}]}}},
            "faults[0].secs is not a parameter",
        ),
        ({"accounts": {"XYZ": {}}}, "accounts.XYZ an account id is 32 lowercase hex"),
        ({"acounts": {}}, "acounts is not a fixture field"),
        ({"tokens": {DEMO_TOKEN: {"status": "maybe"}}}, ".status must be one of active"),
    ],
)
def test_malformed_fixtures_are_one_line_errors_naming_the_place(fixture: dict[str, Any], place: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Emulator(fixture=fixture)
    assert place.replace(":", "") in str(caught.value).replace(":", "")
    assert "\n" not in str(caught.value)


def test_cli_refuses_a_bad_port_and_a_bad_fixture_in_one_line(tmp_path: Any) -> None:
    port = run_cli("emulator", "--port", "80000")
    assert (port.returncode, port.stdout) == (2, "")
    assert "--port 80000 is not a TCP port" in port.stderr
    assert len(port.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    fixture = run_cli("emulator", "--fixture", str(bad))
    assert fixture.returncode == 2
    assert fixture.stderr.strip().startswith(f"cfbilling: error: --fixture {bad}:")
    assert "Traceback" not in fixture.stderr


@pytest.mark.parametrize("kind", ["drop_mid_body", "trickle", "no_ray"])
def test_new_faults_through_the_client(emulator: Emulator, kind: str) -> None:
    emulator.set_faults(HEALTHY, [{"kind": kind, **({"every": 0.5} if kind == "trickle" else {})}])
    client = BillingClient(api_token=DEMO_TOKEN, base_url=emulator.base_url, timeout=1.5, max_retries=0)
    if kind == "no_ray":
        emulator.set_faults(HEALTHY, [{"kind": "no_ray", "times": 1}, {"kind": "status", "status": 403}])
        assert client.get_credit_balance(HEALTHY).balance == 4250.5
        with pytest.raises(PermissionDeniedError) as caught:
            client.get_credit_balance(HEALTHY)
        assert "CF-Ray" in str(caught.value)  # the error answer has one; the proxy's healthy one did not
        return
    expected = APIConnectionError if kind == "drop_mid_body" else APITimeoutError
    with pytest.raises(expected):
        client.get_credit_balance(HEALTHY)


def test_tls_mode_with_ssl_cert_file_and_requests_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    with Emulator(fixture=demo_fixture(), tls=True) as emu:
        assert emu.base_url.startswith("https://127.0.0.1:")
        assert emu.ca_file is not None
        for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(variable, raising=False)
        client = BillingClient(api_token=DEMO_TOKEN, base_url=emu.base_url, max_retries=0)
        with pytest.raises(APIConnectionError, match="TLS certificate was rejected"):
            client.get_credit_balance(HEALTHY)
        for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
            monkeypatch.setenv(variable, str(emu.ca_file))
            assert client.get_credit_balance(HEALTHY).balance == 4250.5
            monkeypatch.delenv(variable)
