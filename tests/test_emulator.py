"""The emulator answers like Cloudflare: envelope, headers, auth errors, and schema-conforming results."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from helpers import HEALTHY, LOW, UNKNOWN

from pulumi_cfbilling.emulator import DEMO_EMAIL, DEMO_KEY, DEMO_TOKEN, Emulator, demo_fixture


def get(
    emu: Emulator, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        return response.status, dict(response.getheaders()), json.loads(raw) if raw else None
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
        ({"Authorization": "Bearer wrong-token"}, 403, 10000),
        ({"X-Auth-Email": DEMO_EMAIL, "X-Auth-Key": "wrong"}, 403, 10000),
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
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 429, "retry_after": "7"}])
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
                            "topup_config": {},
                        }
                    }
                }
            }
        )
    )
    with Emulator(fixture=path) as emu:
        assert get(emu, balance_path(HEALTHY), BEARER)[2]["result"]["balance"] == 1
        assert emu.token == DEMO_TOKEN
