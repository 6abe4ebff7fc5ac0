"""A subset of the parity table (tests/test_parity.py) under the real engines: terraform and a Pulumi YAML program.

The same cases give the CLI's verdict (``cfbilling check --format json``, same settings) through the native
Terraform provider's ``cfbilling_credit_check`` and the plugin's ``checkCreditBalance`` under the real engine:
a spelled boolean, a null runway (no spend), a failing and a passing check; and the same kind of error for an
empty check (nothing sent) and a 403.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from e2e_support import EXAMPLES, SOURCE, TOFU_SOURCE, Engines, Project, TerraformDir, run
from test_plugin_programs import with_provider_folder

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"
LOW = "fedcba9876543210fedcba9876543210"
IDLE = "5ad0b0c0d0e0f0a0b0c0d0e0f0a0b0c0"

# name: (account, guardrails as the CLI's --flag=value, as HCL, as YAML invoke arguments)
CASES: dict[str, tuple[str, dict[str, str], str, str]] = {
    "low_auto_topup": (LOW, {"--require-auto-topup": "yes"}, "require_auto_topup = true", 'requireAutoTopup: "yes"'),
    "idle_runway": (IDLE, {"--min-runway-days": "7"}, "min_runway_days = 7", "minRunwayDays: 7"),
    "healthy_balance": (HEALTHY, {"--min-balance-usd": "20"}, "min_balance_usd = 20", 'minBalanceUsd: "20"'),
    "low_everything": (
        LOW,
        {"--min-balance-usd": "20", "--require-payment-method": "true", "--min-runway-days": "3"},
        "min_balance_usd = 20\n  require_payment_method = true\n  min_runway_days = 3",
        'minBalanceUsd: 20\n        requirePaymentMethod: "True"\n        minRunwayDays: "3"',
    ),
}


def cli_verdict(env: dict[str, str], account: str, flags: dict[str, str]) -> tuple[bool, list[str]]:
    """What `cfbilling check --format json` says of the case, from the same settings."""
    cli = Path(sys.executable).with_name("cfbilling")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "pulumi_cfbilling"]
    args = [*command, "check", "--account-id", account, *(f"{k}={v}" for k, v in flags.items()), "--format", "json"]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (0, 1), result.stderr
    (entry,) = json.loads(result.stdout)["accounts"]
    return entry["ok"], [v["rule"] for v in entry["violations"]]


def terraform_dir(engines: Engines, mirror: Path, emulator: Emulator, tmp_path: Path, body: str) -> TerraformDir:
    folder = tmp_path / "parity"
    folder.mkdir(parents=True)
    (folder / "main.tf").write_text(
        'terraform {\n  required_providers {\n    cfbilling = { source = "pulumi-cfbilling/cfbilling" }\n  }\n}\n'
        'provider "cfbilling" {\n  max_retries = 0\n}\n' + body
    )
    config = tmp_path / "terraform.rc"
    config.write_text(
        "disable_checkpoint = true\nprovider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{SOURCE}", "{TOFU_SOURCE}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{SOURCE}", "{TOFU_SOURCE}"]\n  }}\n}}\n'
    )
    env = engines.environ(
        CLOUDFLARE_BASE_URL=emulator.base_url,
        CLOUDFLARE_API_TOKEN=DEMO_TOKEN,
        TF_CLI_CONFIG_FILE=str(config),
        TF_DATA_DIR=str(tmp_path / "tf-data"),
    )
    terraform = TerraformDir(folder, env)
    terraform("init", "-input=false")
    return terraform


def test_terraform_gives_the_cli_verdicts(engines: Engines, mirror: Path, emulator: Emulator, tmp_path: Path) -> None:
    body = ""
    for name, (account, _, hcl, _) in CASES.items():
        body += f'data "cfbilling_credit_check" "{name}" {{\n  account_id = "{account}"\n  {hcl}\n}}\n'
        body += f'output "{name}" {{\n  value = data.cfbilling_credit_check.{name}\n}}\n'
    terraform = terraform_dir(engines, mirror, emulator, tmp_path, body)
    terraform("apply", "-auto-approve", "-input=false")
    outputs = {k: v["value"] for k, v in json.loads(terraform("output", "-json").stdout).items()}
    for name, (account, flags, _, _) in CASES.items():
        got = (outputs[name]["ok"], [v["rule"] for v in outputs[name]["violations"]])
        assert got == cli_verdict(terraform.env, account, flags), name
    assert outputs["idle_runway"]["runway"]["runway_days"] is None  # no spend: null, as in every surface


def test_terraform_refuses_an_empty_check_and_reports_a_403_as_the_cli_does(
    engines: Engines, mirror: Path, emulator: Emulator, tmp_path: Path
) -> None:
    empty = terraform_dir(engines, mirror, emulator, tmp_path / "empty", f'data "cfbilling_credit_check" "x" {{\n'
                          f'  account_id = "{HEALTHY}"\n}}\n')  # fmt: skip
    result = empty("plan", "-input=false", check=False)
    text = " ".join(result.stderr.split())
    assert result.returncode != 0
    assert "Error: no guardrail given: pass at least one of min_balance_usd, require_auto_topup" in text
    assert "ConfigurationError: nothing was sent to Cloudflare" in text
    assert emulator.log == []
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    denied = terraform_dir(engines, mirror, emulator, tmp_path / "denied", f'data "cfbilling_credit_check" "x" {{\n'
                           f'  account_id = "{HEALTHY}"\n  min_balance_usd = 1\n}}\n')  # fmt: skip
    result = denied("plan", "-input=false", check=False)
    text = " ".join(result.stderr.split())
    assert result.returncode != 0
    assert "code 9109" in text
    assert "PermissionDeniedError (HTTP 403)" in text
    cli = run([str(Path(sys.executable).with_name("cfbilling")), "check", "--account-id", HEALTHY,
               "--min-balance-usd", "1", "--format", "json"], env=denied.env, check=False)  # fmt: skip
    assert cli.returncode == 3
    assert json.loads(cli.stdout)["accounts"][0]["error"]["type"] == "PermissionDeniedError"


def yaml_program(engines: Engines, tmp_path: Path, emulator: Emulator, venv: Path, variables: str) -> Project:
    with_provider_folder(tmp_path, venv)
    project = Project.create(engines, EXAMPLES / "yaml", tmp_path / "examples", base_url=emulator.base_url,
                             token=DEMO_TOKEN)  # fmt: skip
    text = (project.dir / "Pulumi.yaml").read_text()
    head = text[: text.index("config:")]
    (project.dir / "Pulumi.yaml").write_text(head + variables)
    project.init({"cfbilling:maxRetries": "0"})
    return project


def test_a_yaml_program_gives_the_cli_verdicts(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    variables = "variables:\n"
    outputs = "outputs:\n"
    for name, (account, _, _, arguments) in CASES.items():
        variables += (
            f"  {name}:\n    fn::invoke:\n      function: cfbilling:index:checkCreditBalance\n      arguments:\n"
            f"        accountId: {account}\n        {arguments}\n"
        )
        outputs += f"  {name}: ${{{name}}}\n"
    project = yaml_program(engines, tmp_path, emulator, program_venv, variables + outputs)
    project.up()
    got: dict[str, Any] = project.outputs()
    for name, (account, flags, _, _) in CASES.items():
        verdict = (got[name]["ok"], [v["rule"] for v in got[name]["violations"]])
        assert verdict == cli_verdict(project.env, account, flags), name


def test_a_yaml_program_refuses_an_empty_check_before_any_request(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    variables = (
        "variables:\n  verdict:\n    fn::invoke:\n      function: cfbilling:index:checkCreditBalance\n"
        f"      arguments:\n        accountId: {HEALTHY}\noutputs:\n  ok: ${{verdict.ok}}\n"
    )
    project = yaml_program(engines, tmp_path, emulator, program_venv, variables)
    result = project.preview(check=False)
    printed = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no guardrail given: pass at least one of minBalanceUsd, requireAutoTopup" in " ".join(printed.split())
    assert "Traceback" not in printed
    assert emulator.log == []
