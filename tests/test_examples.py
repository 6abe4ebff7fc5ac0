"""The example programs, each run under the mock runtime in a process of its own, against the emulator."""

from __future__ import annotations

from pathlib import Path

from conftest import HEALTHY, LOW, assert_no_secret

from pulumi_cfbilling.emulator import DEMO_TOKEN, Emulator
from pulumi_cfbilling.mockrun import run_in_subprocess

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GUARDRAIL = EXAMPLES / "guardrail-python"


def config(emulator: Emulator, account: str, **extra: str) -> dict[str, str]:
    return {
        "cfbilling:apiToken": DEMO_TOKEN,
        "cfbilling:baseUrl": emulator.base_url,
        "cfbilling:accountId": account,
        **extra,
    }


def test_guardrail_example_exports_the_balance_and_verdict(emulator: Emulator) -> None:
    result = run_in_subprocess(GUARDRAIL, config(emulator, HEALTHY))
    assert result.error is None
    assert result.outputs == {
        "balanceUsd": 42.505,
        "autoTopupEnabled": True,
        "topupThresholdUsd": 10.0,
        "hasDefaultPaymentMethod": True,
        "snapshotBalance": 4250.5,
        "creditGuard": {"accountId": HEALTHY, "enforcement": "mandatory", "ok": True, "violations": [], "error": None},
    }
    assert "pulumi-python:dynamic/cfbilling:CreditBalanceSnapshot::credits" in result.resources
    assert_no_secret(str(result))


def test_guardrail_example_stops_a_low_account(emulator: Emulator) -> None:
    result = run_in_subprocess(GUARDRAIL, config(emulator, LOW), preview=True)
    assert result.error is not None
    assert result.error.startswith(f"AI Gateway credit guardrails failed for account {LOW}")
    assert "Traceback" not in result.error
    assert_no_secret(str(result))


def test_guardrail_example_advisory_goes_on_with_warnings(emulator: Emulator) -> None:
    result = run_in_subprocess(GUARDRAIL, config(emulator, LOW, **{"guardrail-python:enforcement": "advisory"}))
    assert result.error is None
    assert result.outputs["balanceUsd"] == 3.1275
    assert result.outputs["creditGuard"]["ok"] is False
    assert len(result.warnings) == 3


def test_guardrail_example_reports_an_api_error_in_one_line(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    result = run_in_subprocess(GUARDRAIL, config(emulator, HEALTHY, **{"cfbilling:maxRetries": "0"}))
    assert result.error is not None
    assert "code 9109" in result.error
    assert "\n" not in result.error
