"""examples/terraform-external under the real terraform, with the `external` provider from a filesystem mirror."""

from __future__ import annotations

import json
from pathlib import Path

from e2e_support import Engines, TerraformDir, assert_agreed_outputs, balance_json

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"
LOW = "fedcba9876543210fedcba9876543210"


def external_example(engines: Engines, venv: Path, emulator: Emulator, tmp_path: Path) -> TerraformDir:
    """examples/terraform-external with `cfbilling` on PATH, as `pip install` puts it; credentials from the
    environment, never the query."""
    env = engines.environ(
        extra_path=(venv / "bin",),
        CLOUDFLARE_BASE_URL=emulator.base_url,
        CLOUDFLARE_API_TOKEN=DEMO_TOKEN,
        TF_DATA_DIR=str(tmp_path / "tf-data"),
    )
    return TerraformDir.copy("terraform-external", tmp_path, env)


def test_init_plan_apply_and_outputs_equal_the_cli(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    terraform = external_example(engines, program_venv, emulator, tmp_path)
    init = terraform("init", "-input=false")
    assert "Installing hashicorp/external v2.4.0" in init.stdout
    plan = terraform("plan", "-input=false", f"-var=account_id={HEALTHY}")
    assert "data.external.ai_gateway_credits: Read complete" in plan.stdout
    terraform("apply", "-auto-approve", "-input=false", f"-var=account_id={HEALTHY}")
    outputs = {k: v["value"] for k, v in json.loads(terraform("output", "-json").stdout).items()}
    assert_agreed_outputs(outputs, balance_json(terraform.env, HEALTHY))
    assert outputs["creditsOk"] is True
    assert outputs["runwayDays"] == 13.96  # min_runway_days = "3": read from the usage history
    state = (terraform.dir / "terraform.tfstate").read_text()
    assert DEMO_TOKEN not in state
    assert all(DEMO_TOKEN not in r.stdout + r.stderr for r in terraform.runs)


def test_a_failing_guardrail_stops_the_plan_with_our_message(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    terraform = external_example(engines, program_venv, emulator, tmp_path)
    terraform("init", "-input=false")
    result = terraform("plan", "-input=false", f"-var=account_id={LOW}", check=False)
    assert result.returncode != 0
    assert "Resource precondition failed" in result.stderr
    assert "AI Gateway credits are not in order" in result.stderr
    assert "balance $3.13 is below the minimum of $20.00 [min-balance]" in result.stderr.replace("\n", " ")


def test_an_api_error_fails_the_plan_with_our_one_line_error(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    terraform = external_example(engines, program_venv, emulator, tmp_path)
    terraform("init", "-input=false")
    result = terraform("plan", "-input=false", f"-var=account_id={HEALTHY}", check=False)
    assert result.returncode != 0
    assert "External Program Execution Failed" in result.stderr
    # Terraform wraps the program's stderr; unwrapped, it is our one line.
    unwrapped = " ".join(result.stderr.split())
    assert (
        f"Error Message: cfbilling: error: reading the credit balance of account {HEALTHY} failed: Cloudflare "
        "returned HTTP 403 (code 9109"
    ) in unwrapped
    assert "State: exit status 3" in unwrapped
    assert "Traceback" not in result.stderr
