"""examples/terraform-provider under the real terraform: the native provider from a filesystem mirror.

The mirror is laid out by `cfbilling terraform install-provider` from a virtualenv holding
`pulumi-cfbilling[terraform]`, as a user would; terraform installs, plans, applies and reads outputs offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from e2e_support import SOURCE, TOFU_SOURCE, Engines, TerraformDir, assert_agreed_outputs, balance_json

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"
LOW = "fedcba9876543210fedcba9876543210"


def snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


def snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {snake(k): snake_keys(v) for k, v in value.items()}
    return value


def provider_example(
    engines: Engines,
    mirror: Path,
    emulator: Emulator,
    tmp_path: Path,
    *,
    token_in_env: bool = True,
    binary: str = "terraform",
    **env: str,
) -> TerraformDir:
    """examples/terraform-provider, the provider installed from ``mirror`` (Terraform's and OpenTofu's address)."""
    config = tmp_path / "terraform.rc"
    config.write_text(
        "disable_checkpoint = true\nprovider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{SOURCE}", "{TOFU_SOURCE}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{SOURCE}", "{TOFU_SOURCE}"]\n  }}\n}}\n'
    )
    environ = engines.environ(
        CLOUDFLARE_BASE_URL=emulator.base_url,
        TF_CLI_CONFIG_FILE=str(config),
        TF_DATA_DIR=str(tmp_path / "tf-data"),
        **env,
    )
    if token_in_env:
        environ["CLOUDFLARE_API_TOKEN"] = DEMO_TOKEN
    return TerraformDir.copy("terraform-provider", tmp_path, environ, binary)


def test_init_plan_apply_and_typed_outputs_equal_the_cli(
    engines: Engines, mirror: Path, emulator: Emulator, tmp_path: Path
) -> None:
    terraform = provider_example(engines, mirror, emulator, tmp_path)
    init = terraform("init", "-input=false")
    assert "Installing pulumi-cfbilling/cfbilling v0.1.0" in init.stdout
    plan = terraform("plan", "-input=false", f"-var=account_id={HEALTHY}")
    assert "data.cfbilling_credit_balance.this: Read complete" in plan.stdout
    # One request per account and route for the whole plan: three data sources share the provider's reads.
    assert len(emulator.requests_for(HEALTHY, route="credit-balance")) == 1
    assert len(emulator.requests_for(HEALTHY, route="usage-history")) == 1
    assert len(emulator.requests_for(HEALTHY, route="gateways")) == 1  # cfbilling_gateways, once per plan
    terraform("apply", "-auto-approve", "-input=false", f"-var=account_id={HEALTHY}")
    raw = json.loads(terraform("output", "-json").stdout)
    outputs = {k: v["value"] for k, v in raw.items()}
    cli = balance_json(terraform.env, HEALTHY)
    assert_agreed_outputs(outputs, cli)
    # Typed, not strings: numbers, bools, nested objects, nulls where the API gives null.
    balance = outputs["creditBalance"]
    expected = snake_keys({k: v for k, v in cli.items() if k != "label"})
    assert balance == expected
    assert raw["creditBalance"]["type"][0] == "object"
    assert raw["creditBalance"]["type"][1]["payment_method"] == ["object", {"brand": "string", "last4": "string"}]
    assert isinstance(balance["balance"], float)
    assert balance["has_default_payment_method"] is True
    assert balance["topup_config"]["disabled_reason"] is None
    assert outputs["creditsOk"] is True
    assert outputs["runwayDays"] == 13.96
    assert outputs["spendUsd"] == 21.3
    # cfbilling_gateways: production's Unified Billing gateway is capped, and the credits stop first.
    assert (outputs["uncappedGateways"], outputs["firstStop"]) == ([], "credits")
    assert DEMO_TOKEN not in (terraform.dir / "terraform.tfstate").read_text()
    assert DEMO_TOKEN not in terraform.transcript()


def test_a_failing_guardrail_shows_our_messages_in_the_check_block(
    engines: Engines, mirror: Path, emulator: Emulator, tmp_path: Path
) -> None:
    terraform = provider_example(engines, mirror, emulator, tmp_path)
    terraform("init", "-input=false")
    result = terraform("apply", "-auto-approve", "-input=false", f"-var=account_id={LOW}")
    text = " ".join((result.stdout + result.stderr).split())
    assert "Check block assertion failed" in text
    assert "balance $3.13 is below the minimum of $20.00 [min-balance]" in text
    assert "credits run out in 2.91 days" in text
    outputs = {k: v["value"] for k, v in json.loads(terraform("output", "-json").stdout).items()}
    assert outputs["creditsOk"] is False


def test_an_api_error_is_one_diagnostic_naming_the_account(
    engines: Engines, mirror: Path, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}] * 10)
    terraform = provider_example(engines, mirror, emulator, tmp_path)
    terraform("init", "-input=false")
    result = terraform("plan", "-input=false", f"-var=account_id={HEALTHY}", check=False)
    assert result.returncode != 0
    text = " ".join(result.stderr.split())
    assert (
        f"Error: reading the credit balance of account {HEALTHY} failed: Cloudflare returned HTTP 403 (code 9109"
        in text
    )
    assert "CF-Ray" in text
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_account_id_is_caught_at_plan_time_before_any_request(
    engines: Engines, mirror: Path, emulator: Emulator, tmp_path: Path
) -> None:
    terraform = provider_example(engines, mirror, emulator, tmp_path)
    terraform("init", "-input=false")
    result = terraform("plan", "-input=false", "-var=account_id=NOT-AN-ACCOUNT", check=False)
    assert result.returncode != 0
    text = " ".join(result.stderr.split())
    assert "Error: provider attribute account_id 'NOT-AN-ACCOUNT' is not a Cloudflare account id" in text
    assert "on main.tf line" in text
    assert emulator.log == []


def test_the_token_never_reaches_state_plan_or_trace_logs(
    engines: Engines, mirror: Path, emulator: Emulator, tmp_path: Path
) -> None:
    # The token through the provider block's sensitive attribute (from a sensitive variable), not the environment.
    terraform = provider_example(
        engines, mirror, emulator, tmp_path, token_in_env=False, TF_VAR_api_token=DEMO_TOKEN, TF_LOG="trace"
    )
    terraform("init", "-input=false")
    plan = terraform("plan", "-input=false", f"-var=account_id={HEALTHY}")
    assert "Read complete" in plan.stdout
    assert "provider: plugin started: path=" in plan.stderr  # the trace log does cover the provider
    assert "GRPCProvider.v6: ReadDataSource" in plan.stderr
    terraform("apply", "-auto-approve", "-input=false", f"-var=account_id={HEALTHY}")
    terraform("show", "-json")
    assert emulator.requests_for(HEALTHY)  # it did authenticate with that token
    assert DEMO_TOKEN not in (terraform.dir / "terraform.tfstate").read_text()
    assert DEMO_TOKEN not in terraform.transcript()


def test_opentofu_installs_and_reads_the_same_provider(
    engines: Engines, mirror: Path, emulator: Emulator, tmp_path: Path
) -> None:
    tofu = provider_example(engines, mirror, emulator, tmp_path, binary="tofu")
    assert "OpenTofu v1.10" in tofu("version").stdout
    init = tofu("init", "-input=false")
    assert "Installing pulumi-cfbilling/cfbilling v0.1.0" in init.stdout
    tofu("apply", "-auto-approve", "-input=false", f"-var=account_id={LOW}")
    outputs = {k: v["value"] for k, v in json.loads(tofu("output", "-json").stdout).items()}
    cli = balance_json(tofu.env, LOW)
    assert_agreed_outputs(outputs, cli)
    assert outputs["creditBalance"] == snake_keys({k: v for k, v in cli.items() if k != "label"})
    assert outputs["creditsOk"] is False
    assert "balance $3.13 is below the minimum of $20.00 [min-balance]" in " ".join(tofu.transcript().split())
    assert DEMO_TOKEN not in (tofu.dir / "terraform.tfstate").read_text()
    assert DEMO_TOKEN not in tofu.transcript()


def test_dev_overrides_run_the_console_script_of_a_virtualenv(
    engines: Engines, tf_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    terraform = provider_example(engines, tmp_path / "no-mirror", emulator, tmp_path)
    scripts = tf_venv / "bin"
    (tmp_path / "terraform.rc").write_text(
        "disable_checkpoint = true\nprovider_installation {\n"
        f'  dev_overrides {{\n    "pulumi-cfbilling/cfbilling" = "{scripts}"\n  }}\n  direct {{}}\n}}\n'
    )
    # No `terraform init` with overrides: the plan starts the console script the package installed.
    plan = terraform("plan", "-input=false", f"-var=account_id={HEALTHY}")
    assert "Provider development overrides are in effect" in plan.stderr + plan.stdout
    assert "data.cfbilling_credit_balance.this: Read complete" in plan.stdout
    assert "42.505" in plan.stdout
