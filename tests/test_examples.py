"""The example programs, each run under the mock runtime in a process of its own, against the emulator."""

from __future__ import annotations

from pathlib import Path

from helpers import HEALTHY, LOW, assert_no_secret

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator
from pulumi_cfbilling.testing.mockrun import run_in_subprocess

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GUARDRAIL = EXAMPLES / "guardrail-python"


def config(emulator: Emulator, account: str, **extra: str) -> dict[str, str]:
    return {"cfbilling:baseUrl": emulator.base_url, "cfbilling:accountId": account, **extra}


# The snapshot resource reads credentials from the environment only (nothing secret may reach the state).
TOKEN_ENV = {"CLOUDFLARE_API_TOKEN": DEMO_TOKEN}


def test_guardrail_example_exports_the_balance_and_verdict(emulator: Emulator) -> None:
    result = run_in_subprocess(GUARDRAIL, config(emulator, HEALTHY), env=TOKEN_ENV)
    assert result.error is None
    runway = result.outputs["creditGuard"].pop("runway")
    assert (runway["runwayDays"], round(runway["burnUsdPerDay"], 6), runway["windowDays"]) == (13.96, 3.042857, 7)
    assert result.outputs == {
        "accountId": HEALTHY,
        "balance": 4250.5,
        "balanceUsd": 42.505,
        "hasDefaultPaymentMethod": True,
        "autoTopupEnabled": True,
        "topupAmountUsd": 20.0,
        "topupThresholdUsd": 10.0,
        "creditsOk": True,
        "runwayDays": 13.96,
        "uncappedGateways": [],
        "firstStop": "credits",
        "snapshotBalance": 4250.5,
        "creditGuard": {
            "accountId": HEALTHY,
            "enforcement": "mandatory",
            "ok": True,
            "violations": [],
            "error": None,
            "firstStop": None,
            "cachedAgeSeconds": None,
        },
    }
    assert "pulumi-python:dynamic/cfbilling:CreditBalanceSnapshot::credits" in result.resources
    assert "pulumi:providers:pulumi-python::credits-reader" in result.resources
    assert_no_secret(str(result))


def test_guardrail_example_stops_a_low_account(emulator: Emulator) -> None:
    result = run_in_subprocess(GUARDRAIL, config(emulator, LOW), preview=True, env=TOKEN_ENV)
    assert result.error is not None
    assert result.error.startswith(f"AI Gateway credit guardrails failed for account {LOW}")
    assert "Traceback" not in result.error
    assert_no_secret(str(result))


def test_guardrail_example_advisory_goes_on_with_warnings(emulator: Emulator) -> None:
    result = run_in_subprocess(
        GUARDRAIL, config(emulator, LOW, **{"guardrail-python:enforcement": "advisory"}), env=TOKEN_ENV
    )
    assert result.error is None
    assert result.outputs["balanceUsd"] == 3.1275
    assert result.outputs["creditGuard"]["ok"] is False
    assert len(result.warnings) == 4  # three balance rules, and the runway (2.91 days, below 3)


def test_guardrail_example_reports_an_api_error_in_one_line(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    result = run_in_subprocess(GUARDRAIL, config(emulator, HEALTHY, **{"cfbilling:maxRetries": "0"}), env=TOKEN_ENV)
    assert result.error is not None
    assert "code 9109" in result.error
    assert "\n" not in result.error


def test_snapshot_refuses_credentials_that_only_config_holds(emulator: Emulator) -> None:
    result = run_in_subprocess(GUARDRAIL, config(emulator, HEALTHY, **{"cfbilling:apiToken": DEMO_TOKEN}))
    assert result.error is not None
    assert result.error.startswith("CreditBalanceSnapshot reads credentials from the environment only")
    assert_no_secret(str(result))


def test_whole_results_export_as_stack_outputs(emulator: Emulator, tmp_path: Path) -> None:
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: whole\nruntime: python\n")
    (program / "__main__.py").write_text(
        "import pulumi\nimport pulumi_cfbilling as cfbilling\n"
        'pulumi.export("credits", cfbilling.get_credit_balance_output())\n'
        'pulumi.export("verdict", cfbilling.check_credit_balance_output(min_balance_usd=20))\n'
        f'pulumi.export("plain", cfbilling.get_credit_balance("{HEALTHY}"))\n'
    )
    result = run_in_subprocess(program, config(emulator, HEALTHY), env=TOKEN_ENV)
    assert result.error is None
    assert result.outputs["credits"]["topupConfig"]["amount"] == 2000
    assert result.outputs["credits"]["balanceUsd"] == 42.505
    assert result.outputs["plain"] == result.outputs["credits"]
    assert result.outputs["verdict"] == {
        "accountId": HEALTHY,
        "ok": True,
        "violations": [],
        "runway": None,
        "firstStop": None,
        "cachedAgeSeconds": None,
    }
