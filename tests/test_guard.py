"""guard(): mandatory stops the deployment (also when blind), advisory warns and goes on; verdicts export."""

from __future__ import annotations

import json

import pulumi
import pulumi.runtime
import pytest
from helpers import (
    FAILING,
    HEALTHY,
    LOW,
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
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator


@pytest.fixture
def engine_log(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Collector:
    monkeypatch.setenv(
        "PULUMI_CONFIG", json.dumps({"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url})
    )
    collector = Collector()
    pulumi.runtime.set_mocks(RecordingMocks(), preview=False, logger=logging_for(collector))
    return collector


EVERYTHING: dict[str, object] = {
    "min_balance_usd": 20,
    "require_auto_topup": True,
    "require_payment_method": True,
    "max_topup_failure_age": "24h",
    "min_topup_threshold_usd": 5,
}


def test_pass_returns_a_plain_verdict(engine_log: Collector) -> None:
    verdict = resolve(cfbilling.guard(HEALTHY, **EVERYTHING))  # type: ignore[arg-type]
    assert verdict == {
        "accountId": HEALTHY,
        "enforcement": "mandatory",
        "ok": True,
        "violations": [],
        "error": None,
        "runway": None,
        "firstStop": None,
        "cachedAgeSeconds": None,
    }
    assert engine_log.warnings() == []


@pytest.mark.parametrize(
    ("account", "parameters", "rule"),
    [
        (LOW, {"min_balance_usd": 20}, "min-balance"),
        (LOW, {"require_auto_topup": True}, "auto-topup"),
        (LOW, {"require_payment_method": True}, "payment-method"),
        (FAILING, {"max_topup_failure_age": "12h"}, "topup-failure"),
        (LOW, {"min_topup_threshold_usd": 5}, "topup-threshold"),
    ],
)
def test_each_violation_stops_a_mandatory_guard(
    engine_log: Collector, account: str, parameters: dict[str, object], rule: str
) -> None:
    with pytest.raises(cfbilling.GuardrailError, match=rf"\[{rule}\]") as caught:
        resolve(cfbilling.guard(account, **parameters))  # type: ignore[arg-type]
    assert isinstance(caught.value, pulumi.RunError)
    assert [v.rule for v in caught.value.verdict.violations] == [rule]


def test_mandatory_lists_every_violation_in_one_line(engine_log: Collector) -> None:
    with pytest.raises(cfbilling.GuardrailError) as caught:
        resolve(cfbilling.guard(LOW, **EVERYTHING))  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith(f"AI Gateway credit guardrails failed for account {LOW} (4 violations): ")
    for rule in ("min-balance", "auto-topup", "payment-method", "topup-threshold"):
        assert f"[{rule}]" in message
    assert "\n" not in message


def test_mandatory_fails_closed_when_the_balance_cannot_be_read(engine_log: Collector, emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 401, "code": 10000}])
    with pytest.raises(cfbilling.AuthenticationError, match="code 10000") as caught:
        resolve(cfbilling.guard(HEALTHY, min_balance_usd=1))
    assert isinstance(caught.value, pulumi.RunError)


def test_advisory_warns_on_a_read_failure_and_goes_on(engine_log: Collector, emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    verdict = resolve(cfbilling.guard(HEALTHY, min_balance_usd=1, enforcement="advisory"))
    assert verdict["ok"] is False
    assert "code 9109" in verdict["error"]
    (warning,) = engine_log.warnings()
    assert warning.startswith("cfbilling guard (advisory): reading the credit balance")


def test_advisory_warns_on_each_violation_and_goes_on(engine_log: Collector) -> None:
    verdict = resolve(cfbilling.guard(LOW, min_balance_usd=20, require_payment_method=True, enforcement="advisory"))
    assert verdict["ok"] is False
    assert [v["rule"] for v in verdict["violations"]] == ["min-balance", "payment-method"]
    assert engine_log.warnings() == [
        f"cfbilling guard (advisory): account {LOW}: balance $3.13 is below the minimum of $20.00 [min-balance]",
        f"cfbilling guard (advisory): account {LOW}: no default payment method is on file [payment-method]",
    ]


def test_verdict_serializes_like_a_real_engine(engine_log: Collector) -> None:
    verdict = cfbilling.guard(LOW, **{**EVERYTHING, "min_balance_usd": 1}, enforcement="advisory")  # type: ignore[arg-type]
    text = serialize(verdict)
    assert "topup-threshold" in text
    assert_no_secret(text)


def test_unknown_account_in_preview_is_unknown(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    monkeypatch.setenv(
        "PULUMI_CONFIG", json.dumps({"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url})
    )
    pulumi.runtime.set_mocks(RecordingMocks(), preview=True)
    assert not is_known(cfbilling.guard(unknown_output(), min_balance_usd=1))
    assert emulator.log == []


def test_guard_needs_a_guardrail(engine_log: Collector) -> None:
    with pytest.raises(
        cfbilling.ConfigurationError, match=r"^no guardrail given: pass at least one of min_balance_usd, "
    ) as caught:
        cfbilling.guard(HEALTHY)
    assert isinstance(caught.value, pulumi.RunError)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"enforcement": "strict", "min_balance_usd": 1}, "'mandatory' or 'advisory'"),
        ({"max_topup_failure_age": "later"}, "not a valid duration"),
        ({"min_balance_usd": "lots"}, "not an amount"),
    ],
)
def test_bad_parameters_fail_at_once(
    engine_log: Collector, emulator: Emulator, kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(cfbilling.ConfigurationError, match=fragment):
        cfbilling.guard(HEALTHY, **kwargs)  # type: ignore[arg-type]
    assert emulator.log == []


def test_mandatory_guard_stops_preview_too(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    monkeypatch.setenv(
        "PULUMI_CONFIG", json.dumps({"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url})
    )
    pulumi.runtime.set_mocks(RecordingMocks(), preview=True)
    with pytest.raises(cfbilling.GuardrailError, match=r"\[min-balance\]"):
        resolve(cfbilling.guard(LOW, min_balance_usd=20))


def test_errors_are_wrapped_for_pulumi_without_touching_the_original() -> None:
    import pickle

    from pulumi_cfbilling.core.errors import AuthenticationError
    from pulumi_cfbilling.program.boundary import as_run_error

    original = AuthenticationError("m", account_id="a", status_code=401, ray_id="r")
    wrapped = as_run_error(original)
    assert type(original) is AuthenticationError
    assert wrapped is not original
    assert isinstance(wrapped, AuthenticationError)
    assert isinstance(wrapped, pulumi.RunError)
    assert (str(wrapped), wrapped.account_id, wrapped.status_code, wrapped.ray_id) == ("m", "a", 401, "r")
    assert as_run_error(wrapped) is wrapped
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is AuthenticationError
