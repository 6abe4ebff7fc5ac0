"""The client against the emulator over real HTTP on 127.0.0.1: values, faults, retries, and no leaks."""

from __future__ import annotations

import gc
import pickle
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import FAILING, HEALTHY, LOW, SECRETS, UNKNOWN, WRONG_TOKEN, LeakWatch, assert_no_secret

from pulumi_cfbilling import (
    APIConnectionError,
    APIResponseError,
    AuthenticationError,
    BillingClient,
    ConfigurationError,
    PermissionDeniedError,
    RateLimitError,
)
from pulumi_cfbilling.core.version import __version__
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
    # The advice names the settings as they were given: here the client's arguments.
    assert "check api_key argument (37 hex characters) and email argument" in str(caught.value)


def test_a_malformed_key_or_email_is_6003_with_advice_about_the_key(make_client: MakeClient) -> None:
    with pytest.raises(AuthenticationError, match="code 6003") as caught:
        make_client(api_token=None, api_key="wrong", email=DEMO_EMAIL).get_credit_balance(HEALTHY)
    assert "code 6103" in str(caught.value)
    assert "check api_key argument" in str(caught.value)


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
