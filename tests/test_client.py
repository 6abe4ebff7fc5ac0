"""The client against the emulator over real HTTP on 127.0.0.1: values, faults, retries, and no leaks."""

from __future__ import annotations

import gc
import pickle
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import FAILING, HEALTHY, LOW, SECRETS, UNKNOWN, WRONG_TOKEN, LeakWatch, assert_no_secret

from pulumi_cfbilling import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    AuthenticationError,
    BillingClient,
    CfBillingError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from pulumi_cfbilling._version import __version__
from pulumi_cfbilling.testing.emulator import DEMO_EMAIL, DEMO_KEY, Emulator

MakeClient = Callable[..., BillingClient]


def test_reads_a_healthy_account(make_client: MakeClient) -> None:
    balance = make_client().get_credit_balance(HEALTHY)
    assert balance.account_id == HEALTHY
    assert balance.balance == 4250.5
    assert balance.balance_usd == Decimal("42.505")
    assert balance.auto_topup_enabled is True
    assert balance.topup_amount_usd == Decimal("20")
    assert balance.topup_threshold_usd == Decimal("10")
    assert balance.payment_method is not None
    assert balance.payment_method.last4 == "4242"


def test_reads_a_low_account_without_payment_method(make_client: MakeClient) -> None:
    balance = make_client().get_credit_balance(LOW)
    assert balance.payment_method is None
    assert balance.has_default_payment_method is False
    assert balance.auto_topup_enabled is False
    assert balance.topup_config.disabled_reason == "no_payment_method"


def test_reads_a_negative_balance_with_a_recent_failure(make_client: MakeClient) -> None:
    balance = make_client().get_credit_balance(FAILING)
    assert balance.balance_usd == Decimal("-0.425")
    assert balance.topup_last_failed_at is not None
    assert time.time() - balance.topup_last_failed_at.timestamp() == pytest.approx(7200, abs=60)


def test_default_account_comes_from_configuration(make_client: MakeClient) -> None:
    assert make_client(account_id=LOW).get_credit_balance().account_id == LOW


def test_no_account_at_all_is_a_configuration_error(make_client: MakeClient, emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="CLOUDFLARE_ACCOUNT_ID"):
        make_client().get_credit_balance()
    assert emulator.log == []


def test_malformed_account_id_never_reaches_the_network(make_client: MakeClient, emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="32 lowercase hex"):
        make_client().get_credit_balance("../../user/tokens/verify")
    assert emulator.log == []


def test_global_key_and_email(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client(api_token=None, api_key=DEMO_KEY, email=DEMO_EMAIL)
    assert client.get_credit_balance(HEALTHY).balance == 4250.5
    assert emulator.log[-1].auth == "key"


def test_user_agent_names_the_package(make_client: MakeClient, emulator: Emulator) -> None:
    make_client().get_credit_balance(HEALTHY)
    assert emulator.log[0].user_agent == f"pulumi-cfbilling/{__version__}"


def test_netrc_cannot_replace_the_credentials(make_client: MakeClient, tmp_path: Path, emulator: Emulator) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-password\n")
    netrc.chmod(0o600)
    assert make_client().get_credit_balance(HEALTHY).balance == 4250.5
    assert emulator.log[-1].auth == "token"


def test_concurrent_use_from_threads(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client()
    accounts = [HEALTHY, LOW, FAILING] * 10
    with ThreadPoolExecutor(max_workers=8) as pool:
        balances = list(pool.map(client.get_credit_balance, accounts))
    assert [b.account_id for b in balances] == accounts
    assert len(emulator.log) == len(accounts)


# -- the fault matrix -----------------------------------------------------------------------------------------


@dataclass
class Case:
    faults: list[dict[str, Any]]
    expected: type[CfBillingError] | None  # None: a balance is returned
    requests: int
    fragment: str = ""
    options: dict[str, Any] = field(default_factory=dict)


FAST = {"max_retries": 2}
CASES: dict[str, Case] = {
    "stall past the timeout": Case(
        [{"kind": "stall", "seconds": 10}],
        APITimeoutError,
        1,
        "no complete answer within the 0.3 s timeout",
        {"timeout": 0.3, "max_retries": 0},
    ),
    "stall then success": Case(
        [{"kind": "stall", "seconds": 10, "times": 1}], None, 2, "", {"timeout": 0.3, "max_retries": 1}
    ),
    "429 short Retry-After then success": Case(
        [{"kind": "status", "status": 429, "retry_after": "0", "times": 1}], None, 2, "", FAST
    ),
    "429 huge Retry-After": Case(
        [{"kind": "status", "status": 429, "retry_after": "86400"}], RateLimitError, 1, "asks to wait 86400 s", FAST
    ),
    "429 forever": Case(
        [{"kind": "status", "status": 429, "retry_after": "0"}], RateLimitError, 3, "after 3 attempts", FAST
    ),
    "5xx then success": Case([{"kind": "status", "status": 503, "times": 2}], None, 3, "", FAST),
    "5xx forever": Case([{"kind": "status", "status": 500}], ServerError, 3, "HTTP 500 (the body is not valid JSON (text/html", FAST),
    "5xx with a JSON error": Case([{"kind": "status", "status": 500, "code": 10002}], ServerError, 3, "HTTP 500 (code 10002: Internal Server Error", FAST),
    "cloudflare 520": Case([{"kind": "status", "status": 520}], ServerError, 3, "HTTP 520", FAST),
    "html from a proxy": Case([{"kind": "status", "status": 502, "html": True}], ServerError, 3, "text/html", FAST),
    "truncated json": Case([{"kind": "truncated"}], APIResponseError, 1, "not valid JSON", FAST),
    "empty body": Case([{"kind": "empty_body"}], APIResponseError, 1, "is empty", FAST),
    "success false on 200": Case([{"kind": "success_false"}], APIResponseError, 1, "success: false", FAST),
    "result null": Case([{"kind": "result_null"}], APIResponseError, 1, "result: null", FAST),
    "wrong types": Case([{"kind": "wrong_types"}], APIResponseError, 1, "balance: Value error, must be a number", FAST),
    "missing balance": Case([{"kind": "missing_keys"}], APIResponseError, 1, "balance: Field required", FAST),
    "missing topup keys": Case(
        [{"kind": "missing_keys", "keys": ["topup_config.amount", "topup_config.lastFailedAt", "first_topup_success"]}],
        None,
        1,
        "",
        FAST,
    ),
    "dropped connection then success": Case([{"kind": "drop", "times": 1}], None, 2, "", FAST),
    "dropped connection forever": Case(
        [{"kind": "drop"}], APIConnectionError, 3, "the server closed the connection without answering", FAST
    ),
    "redirect": Case(
        [{"kind": "redirect", "location": "https://evil.example/x"}],
        APIResponseError,
        1,
        "redirect to evil.example",
        FAST,
    ),
    "oversized body": Case([{"kind": "oversized"}], APIResponseError, 1, "larger than 1024 KiB", FAST),
    "400": Case([{"kind": "status", "status": 400, "code": 9106}], AuthenticationError, 1, "code 9106", FAST),
    "401": Case([{"kind": "status", "status": 401, "code": 10000}], AuthenticationError, 1, "code 10000", FAST),
    "403": Case([{"kind": "status", "status": 403, "code": 9109}], PermissionDeniedError, 1, "code 9109", FAST),
    "404": Case([{"kind": "status", "status": 404, "code": 7003}], NotFoundError, 1, "code 7003", FAST),
    "500": Case([{"kind": "status", "status": 500, "times": 1}], None, 2, "", FAST),
}


@pytest.mark.parametrize("name", list(CASES))
def test_fault_matrix(name: str, make_client: MakeClient, emulator: Emulator, log_watch: LeakWatch) -> None:
    case = CASES[name]
    emulator.set_faults(HEALTHY, case.faults)
    client = make_client(**case.options)
    started = time.monotonic()
    if case.expected is None:
        assert client.get_credit_balance(HEALTHY).balance == 4250.5
    else:
        with pytest.raises(case.expected) as caught:
            client.get_credit_balance(HEALTHY)
        error = caught.value
        assert type(error) is case.expected
        message = str(error)
        assert case.fragment in message
        assert HEALTHY in message
        assert "\n" not in message
        # Nothing chained: the transport exception's frames hold the request headers.
        assert error.__cause__ is None
        assert error.__context__ is None
        assert_no_secret(message, repr(error), repr(vars(error)), "".join(traceback.format_exception(error)))
    assert len(emulator.requests_for(HEALTHY)) == case.requests
    # A generous bound that proves nothing hangs (no case sleeps through a long Retry-After or stall).
    assert time.monotonic() - started < 15
    assert_no_secret(*log_watch.lines)


def test_retry_after_is_honoured(make_client: MakeClient, emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 429, "retry_after": "1", "times": 1}])
    make_client(max_retries=1).get_credit_balance(HEALTHY)
    first, second = emulator.requests_for(HEALTHY)
    assert first.status == 429
    assert second.status == 200
    assert second.started - first.finished >= 1.0


def test_huge_retry_after_fails_without_waiting(make_client: MakeClient, emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 429, "retry_after": "86400"}])
    with pytest.raises(RateLimitError) as caught:
        make_client(max_retries=3).get_credit_balance(HEALTHY)
    assert caught.value.retry_after == 86400.0
    assert len(emulator.requests_for(HEALTHY)) == 1


def test_redirect_to_another_server_is_not_followed(make_client: MakeClient, emulator: Emulator) -> None:
    with Emulator() as other:
        target = f"{other.base_url}/accounts/{HEALTHY}/ai-gateway/billing/credit-balance"
        emulator.set_faults(HEALTHY, [{"kind": "redirect", "location": target}])
        with pytest.raises(APIResponseError, match=r"redirect to 127\.0\.0\.1"):
            make_client().get_credit_balance(HEALTHY)
        assert other.log == []


def test_emulator_rejects_a_wrong_token(make_client: MakeClient) -> None:
    with pytest.raises(PermissionDeniedError, match="code 10000: Authentication error"):
        make_client(api_token=WRONG_TOKEN).get_credit_balance(HEALTHY)


def test_a_wrong_global_key_is_9103_with_advice_about_the_key(make_client: MakeClient) -> None:
    with pytest.raises(AuthenticationError, match="code 9103") as caught:
        make_client(api_token=None, api_key="f" * 37, email=DEMO_EMAIL).get_credit_balance(HEALTHY)
    assert "check CLOUDFLARE_API_KEY (37 hex characters) and CLOUDFLARE_EMAIL" in str(caught.value)


def test_a_malformed_key_or_email_is_6003_with_advice_about_the_key(make_client: MakeClient) -> None:
    with pytest.raises(AuthenticationError, match="code 6003") as caught:
        make_client(api_token=None, api_key="wrong", email=DEMO_EMAIL).get_credit_balance(HEALTHY)
    assert "code 6103" in str(caught.value)
    assert "check CLOUDFLARE_API_KEY" in str(caught.value)


def test_a_token_not_shaped_like_one_is_6111_with_advice_about_its_shape(make_client: MakeClient) -> None:
    with pytest.raises(AuthenticationError, match="code 6111") as caught:
        make_client(api_token="wrong-token").get_credit_balance(HEALTHY)
    assert "not shaped like an API token" in str(caught.value)


def test_account_the_token_cannot_see(make_client: MakeClient) -> None:
    with pytest.raises(PermissionDeniedError, match="code 9109"):
        make_client().get_credit_balance(UNKNOWN)


def test_connection_refused(tmp_path: Path) -> None:
    with Emulator() as emu:
        base_url = emu.base_url
    client = BillingClient(api_token="t", base_url=base_url, timeout=1, max_retries=1)
    with pytest.raises(APIConnectionError, match="connection was refused on each of 2 attempts") as caught:
        client.get_credit_balance(HEALTHY)
    assert type(caught.value) is APIConnectionError


def _strings_reachable_from(root: object) -> list[str]:
    """Every string an error tracker could find by walking attributes, slots and containers from ``root``."""
    seen: set[int] = set()
    found: list[str] = []
    stack: list[object] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (type, Callable)):  # type: ignore[arg-type]
            continue
        seen.add(id(obj))
        if isinstance(obj, (str, bytes)):
            found.append(obj if isinstance(obj, str) else obj.decode("latin-1"))
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        stack.extend(getattr(obj, "__dict__", {}).values())
        for klass in type(obj).__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if hasattr(obj, slot):
                    stack.append(getattr(obj, slot))
        found.append(repr(obj))
    return found


def test_no_credential_is_reachable_through_the_clients_attributes(make_client: MakeClient) -> None:
    client = make_client()
    client.get_credit_balance(HEALTHY)
    key_client = make_client(api_token=None, api_key=DEMO_KEY, email=DEMO_EMAIL)
    key_client.get_credit_balance(HEALTHY)
    gc.collect()
    for each in (client, key_client):
        assert_no_secret(repr(each), str(vars(each)), *_strings_reachable_from(each))


def test_client_cannot_be_pickled_with_its_credential(make_client: MakeClient) -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(make_client())


def test_verbose_logs_are_redacted(make_client: MakeClient, emulator: Emulator, log_watch: LeakWatch) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 503, "times": 1}])
    make_client().get_credit_balance(HEALTHY)
    text = "\n".join(log_watch.lines)
    assert "retrying after HTTP 503" in text
    assert "/credit-balance -> 200" in text
    for secret in SECRETS:
        assert secret not in text
