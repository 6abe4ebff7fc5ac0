"""`cfbilling terraform-external`: Terraform's external data source contract over stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess

from helpers import FAILING, HEALTHY, LOW, assert_no_secret, cfbilling_command

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator


def external(emu: Emulator, query: object, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}
    return subprocess.run(
        [*cfbilling_command(), "terraform-external"],
        input=query if isinstance(query, str) else json.dumps(query),
        env={**base, "CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emu.base_url, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_values_are_flat_strings(emulator: Emulator) -> None:
    result = external(emulator, {"account_id": HEALTHY, "min_balance_usd": "1"})
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert all(isinstance(v, str) for v in output.values())
    assert output["account_id"] == HEALTHY
    assert output["balance"] == "4250.5"
    assert output["balance_usd"] == "42.505"
    assert output["auto_topup_enabled"] == "true"
    assert output["payment_method_brand"] == "visa"
    assert output["topup_config_amount"] == "2000"
    assert output["topup_config_disabled_reason"] == ""
    assert output["topup_last_failed_at"] == ""
    assert (output["ok"], output["violations"], output["violation_count"]) == ("true", "", "0")
    assert result.stderr == ""
    assert_no_secret(result.stdout)


def test_a_failed_guardrail_is_data_and_exits_0(emulator: Emulator) -> None:
    result = external(emulator, {"account_id": LOW, "min_balance_usd": "20", "require_auto_topup": "true"})
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["ok"] == "false"
    assert output["violated_rules"] == "min-balance,auto-topup"
    assert (
        output["violations"]
        == "balance $3.13 is below the minimum of $20.00 [min-balance]; automatic top-up is off (no_payment_method) [auto-topup]"
    )
    assert output["payment_method_brand"] == output["payment_method_last4"] == ""


def test_every_guardrail_key_is_accepted(emulator: Emulator) -> None:
    query = {
        "account_id": FAILING,
        "min_balance_usd": "1",
        "require_auto_topup": "false",
        "require_payment_method": "true",
        "max_topup_failure_age": "12h",
        "min_topup_threshold_usd": "5",
    }
    output = json.loads(external(emulator, query).stdout)
    assert output["violated_rules"] == "min-balance,topup-failure"
    assert output["topup_last_failed_at"].endswith("Z")


def test_account_from_the_environment(emulator: Emulator) -> None:
    read = external(emulator, {"min_balance_usd": "1"}, CLOUDFLARE_ACCOUNT_ID=LOW)
    assert json.loads(read.stdout)["account_id"] == LOW


def test_api_error_goes_to_stderr_with_non_zero_exit(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 401, "code": 10000}])
    result = external(emulator, {"account_id": HEALTHY, "require_auto_topup": "yes"})
    assert result.returncode == 3
    assert result.stdout == ""
    assert "code 10000" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_configuration_errors_exit_2(emulator: Emulator) -> None:
    for query, fragment in (
        ("not json", "stdin is not a JSON object"),
        ("[1]", "stdin must be a JSON object"),
        ({"account_id": "nope", "min_balance_usd": "1"}, "query key account_id 'nope'"),
        ({"account_id": HEALTHY}, "no guardrail given: pass at least one of min_balance_usd, require_auto_topup"),
        ({"account_id": HEALTHY, "require_auto_topup": "false"}, "no guardrail given"),
        ({"account_id": HEALTHY, "require_auto_topup": "maybe"}, "query key require_auto_topup 'maybe' is not true"),
        ({"account_id": HEALTHY, "min_balance": "3"}, "unknown query key 'min_balance'"),
        ({"account_id": HEALTHY, "max_topup_failure_age": "soon"}, "query key max_topup_failure_age 'soon'"),
    ):
        result = external(emulator, query)
        assert result.returncode == 2, query
        assert fragment in result.stderr
        assert result.stdout == ""
    assert emulator.log == []
