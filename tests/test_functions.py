"""Data functions under ``pulumi.runtime.set_mocks``, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi.runtime
import pytest
from helpers import (
    FAILING,
    HEALTHY,
    LOW,
    WRONG_TOKEN,
    Collector,
    RecordingMocks,
    assert_no_secret,
    is_known,
    logging_for,
    resolve,
    serialize,
    unknown_output,
)

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.testing.emulator import DEMO_EMAIL, DEMO_KEY, DEMO_TOKEN, Emulator

SetUp = Callable[..., RecordingMocks]


@pytest.fixture
def program(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> SetUp:
    """Set up the mock runtime with Pulumi config (by default the demo token and the emulator's base URL)."""

    def set_up(
        preview: bool = False, config: dict[str, str] | None = None, collector: Collector | None = None
    ) -> RecordingMocks:
        values = (
            {"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url} if config is None else config
        )
        monkeypatch.setenv("PULUMI_CONFIG", json.dumps(values))
        mocks = RecordingMocks()
        logger = logging_for(collector)
        pulumi.runtime.set_mocks(mocks, preview=preview, logger=logger)
        return mocks

    return set_up


EXPECTED_HEALTHY = {
    "account_id": HEALTHY,
    "balance": 4250.5,
    "balance_usd": 42.505,
    "has_default_payment_method": True,
    "first_topup_success": True,
    "auto_topup_enabled": True,
    "topup_amount_usd": 20.0,
    "topup_threshold_usd": 10.0,
    "topup_last_failed_at": None,
}


def test_get_credit_balance_returns_every_field(program: SetUp) -> None:
    program()
    result = cfbilling.get_credit_balance(HEALTHY)
    for name, value in EXPECTED_HEALTHY.items():
        assert getattr(result, name) == value, name
    assert dict(result.payment_method or {}) == {"brand": "visa", "last4": "4242"}
    assert result.payment_method is not None
    assert (result.payment_method.brand, result.payment_method.last4) == ("visa", "4242")
    topup = result.topup_config
    assert (topup.amount, topup.threshold, topup.disabled_reason, topup.error, topup.last_failed_at) == (
        2000,
        1000,
        None,
        None,
        None,
    )
    assert dict(topup) == {
        "amount": 2000,
        "threshold": 1000,
        "disabledReason": None,
        "error": None,
        "lastFailedAt": None,
    }


def test_get_credit_balance_is_awaitable(program: SetUp) -> None:
    program()

    async def read() -> Any:
        return await cfbilling.get_credit_balance(HEALTHY)

    assert asyncio.get_event_loop().run_until_complete(read()).balance_usd == 42.505


def test_failing_account_values(program: SetUp) -> None:
    program()
    result = cfbilling.get_credit_balance(FAILING)
    assert result.balance == -42.5
    assert result.balance_usd == -0.425
    assert result.topup_config.error == "Your card was declined."
    assert result.topup_last_failed_at is not None
    assert result.topup_last_failed_at.endswith("Z")


def test_output_function_values(program: SetUp) -> None:
    program()
    result = resolve(cfbilling.get_credit_balance_output(HEALTHY))
    for name, value in EXPECTED_HEALTHY.items():
        assert getattr(result, name) == value, name
    assert resolve(cfbilling.get_credit_balance_output(LOW).payment_method) is None


def test_output_function_runs_in_preview(program: SetUp, emulator: Emulator) -> None:
    program(preview=True)
    assert resolve(cfbilling.get_credit_balance_output(HEALTHY).balance_usd) == 42.505
    assert len(emulator.log) == 1


def test_unknown_account_during_preview_is_unknown_without_request(program: SetUp, emulator: Emulator) -> None:
    program(preview=True)
    result = cfbilling.get_credit_balance_output(unknown_output())
    assert not is_known(result)
    assert not is_known(result.balance_usd)
    assert emulator.log == []


def test_known_depends_on_waits_then_reads(program: SetUp, emulator: Emulator) -> None:
    mocks = program(preview=True)
    dependency = pulumi.CustomResource("test:index:Thing", "ready", {})
    result = cfbilling.get_credit_balance_output(HEALTHY, pulumi.InvokeOutputOptions(depends_on=[dependency]))
    assert resolve(result.balance) == 4250.5
    assert [r.name for r in mocks.resources] == ["ready"]


def test_unknown_depends_on_during_preview_is_unknown_without_request(program: SetUp, emulator: Emulator) -> None:
    program(preview=True)
    dependency = pulumi.CustomResource("test:index:Thing", "pending-thing", {})
    result = cfbilling.get_credit_balance_output(HEALTHY, pulumi.InvokeOutputOptions(depends_on=dependency))
    assert not is_known(result)
    check = cfbilling.check_credit_balance_output(
        HEALTHY, min_balance_usd=1, opts=pulumi.InvokeOutputOptions(depends_on=[dependency])
    )
    assert not is_known(check)
    assert emulator.log == []


def test_plain_invoke_options_are_accepted(program: SetUp) -> None:
    program()
    assert cfbilling.get_credit_balance(HEALTHY, pulumi.InvokeOptions()).balance == 4250.5
    assert resolve(cfbilling.get_credit_balance_output(HEALTHY, pulumi.InvokeOptions()).balance) == 4250.5


def test_repeated_and_concurrent_calls_share_one_request(program: SetUp, emulator: Emulator) -> None:
    emulator.set_account(HEALTHY, {**emulator.accounts[HEALTHY], "latency": 0.3})
    program()
    outputs = [cfbilling.get_credit_balance_output(HEALTHY) for _ in range(5)]
    checks = [cfbilling.check_credit_balance_output(HEALTHY, min_balance_usd=10) for _ in range(3)]
    verdict = cfbilling.guard(HEALTHY, min_balance_usd=10)
    values = [resolve(o) for o in outputs]
    assert all(v.balance == 4250.5 for v in values)
    assert all(resolve(c).ok for c in checks)
    assert resolve(verdict)["ok"] is True
    assert cfbilling.get_credit_balance(HEALTHY).balance == 4250.5
    assert len(emulator.requests_for(HEALTHY)) == 1


def test_different_accounts_are_separate_requests(program: SetUp, emulator: Emulator) -> None:
    program()
    resolve(pulumi.Output.all(cfbilling.get_credit_balance_output(HEALTHY), cfbilling.get_credit_balance_output(LOW)))
    assert len(emulator.log) == 2


def test_account_from_pulumi_config(program: SetUp, emulator: Emulator) -> None:
    program(
        config={"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url, "cfbilling:accountId": LOW}
    )
    assert cfbilling.get_credit_balance().account_id == LOW
    assert resolve(cfbilling.get_credit_balance_output().account_id) == LOW


def test_cfbilling_config_wins_over_cloudflare_config(program: SetUp, emulator: Emulator) -> None:
    program(
        config={
            "cfbilling:apiToken": WRONG_TOKEN,
            "cloudflare:apiToken": DEMO_TOKEN,
            "cfbilling:baseUrl": emulator.base_url,
        }
    )
    with pytest.raises(cfbilling.PermissionDeniedError, match="code 10000"):
        cfbilling.get_credit_balance(HEALTHY)


def test_cloudflare_provider_config_is_used(program: SetUp, emulator: Emulator) -> None:
    program(config={"cloudflare:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url})
    assert cfbilling.get_credit_balance(HEALTHY).balance == 4250.5


def test_cloudflare_key_and_email_config_is_used(program: SetUp, emulator: Emulator) -> None:
    program(
        config={"cloudflare:apiKey": DEMO_KEY, "cloudflare:email": DEMO_EMAIL, "cfbilling:baseUrl": emulator.base_url}
    )
    assert cfbilling.get_credit_balance(HEALTHY).balance == 4250.5
    assert emulator.log[-1].auth == "key"


def test_pulumi_config_wins_over_environment(
    program: SetUp, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "wrong-from-env")
    program()
    assert cfbilling.get_credit_balance(HEALTHY).balance == 4250.5


def test_environment_is_the_last_source(program: SetUp, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    program(config={})
    assert cfbilling.get_credit_balance(HEALTHY).balance == 4250.5


def test_api_errors_are_one_line_run_errors(program: SetUp, emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    program()
    with pytest.raises(cfbilling.PermissionDeniedError) as caught:
        cfbilling.get_credit_balance(HEALTHY)
    error = caught.value
    assert isinstance(error, pulumi.RunError)
    assert isinstance(error, cfbilling.CfBillingError)
    assert "code 9109" in str(error)
    assert "\n" not in str(error)
    assert error.__context__ is None


def test_api_errors_fail_the_output(program: SetUp, emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "result_null"}])
    program()
    with pytest.raises(cfbilling.APIResponseError, match="result: null"):
        resolve(cfbilling.get_credit_balance_output(HEALTHY))


def test_missing_credentials_in_a_program(program: SetUp) -> None:
    program(config={})
    with pytest.raises(cfbilling.ConfigurationError, match="cfbilling:apiToken") as caught:
        cfbilling.get_credit_balance(HEALTHY)
    assert isinstance(caught.value, pulumi.RunError)


def test_malformed_account_in_a_program(program: SetUp, emulator: Emulator) -> None:
    program()
    with pytest.raises(cfbilling.ConfigurationError, match="32 lowercase hex"):
        resolve(cfbilling.get_credit_balance_output("../x"))
    assert emulator.log == []


def test_check_credit_balance(program: SetUp) -> None:
    program()
    result = cfbilling.check_credit_balance(LOW, min_balance_usd=20, require_payment_method=True)
    assert result.ok is False
    assert result.account_id == LOW
    assert [v.rule for v in result.violations] == ["min-balance", "payment-method"]
    assert dict(result.violations[0]) == {
        "rule": "min-balance",
        "message": "balance $3.13 is below the minimum of $20.00",
        "observed": 3.1275,
        "expected": 20.0,
    }
    assert cfbilling.check_credit_balance(HEALTHY, min_balance_usd=20).ok is True


def test_check_credit_balance_output(program: SetUp) -> None:
    program()
    result = resolve(cfbilling.check_credit_balance_output(FAILING, max_topup_failure_age="24h"))
    assert [v.rule for v in result.violations] == ["topup-failure"]
    assert result.violations[0].rule == "topup-failure"


def test_check_with_bad_parameters(program: SetUp) -> None:
    program()
    with pytest.raises(cfbilling.ConfigurationError, match="not a valid duration") as caught:
        cfbilling.check_credit_balance_output(HEALTHY, max_topup_failure_age="soon")
    assert isinstance(caught.value, pulumi.RunError)


def test_values_serialize_like_a_real_engine_and_hold_no_token(program: SetUp) -> None:
    program()
    result = cfbilling.get_credit_balance_output(HEALTHY)
    for value in (
        result.balance_usd,
        result.topup_config,
        result.payment_method,
        result.topup_last_failed_at,
        cfbilling.check_credit_balance_output(HEALTHY, min_balance_usd=99).violations,
    ):
        assert_no_secret(serialize(value))
    assert "disabledReason" in serialize(result.topup_config)


def test_documented_functions() -> None:
    for name in (
        "get_credit_balance",
        "get_credit_balance_output",
        "check_credit_balance",
        "check_credit_balance_output",
        "guard",
    ):
        function = getattr(cfbilling, name)
        assert function.__doc__
        assert "Example" in function.__doc__ or "Parameters" in function.__doc__ or ":param" in function.__doc__


def test_result_getters_cover_every_canonical_field() -> None:
    from pulumi_cfbilling.api.models import DERIVED_FIELDS, CreditBalance
    from pulumi_cfbilling.program.functions import GetCreditBalanceResult

    schema = CreditBalance.model_json_schema(mode="serialization", by_alias=True)
    schema["properties"].update({d.name: {} for d in DERIVED_FIELDS})
    assert set(schema["properties"]) <= set(GetCreditBalanceResult.NAMES.values()) | {"accountId"}
