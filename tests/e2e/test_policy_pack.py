"""The CrossGuard policy pack under the real engine: `pulumi preview --policy-pack examples/policy-pack`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from e2e_support import EXAMPLES, Engines, Project

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"
LOW = "fedcba9876543210fedcba9876543210"
EMPTY_PROGRAM = "name: any-stack\nruntime: yaml\nresources: {}\n"


def policy_run(
    engines: Engines, venv: Path, emulator: Emulator, tmp_path: Path, level: str, accounts: list[str]
) -> tuple[Project, Path, Path]:
    pack = tmp_path / "policy-pack"
    shutil.copytree(EXAMPLES / "policy-pack", pack, ignore=shutil.ignore_patterns("venv"))
    (pack / "venv").symlink_to(venv)
    config = json.loads((pack / "policy-config.json").read_text())
    config["cfbilling-credit-balance"].update(enforcementLevel=level, accountIds=accounts)
    (pack / "policy-config.json").write_text(json.dumps(config))
    program = tmp_path / "source"
    program.mkdir()
    (program / "Pulumi.yaml").write_text(EMPTY_PROGRAM)
    project = Project.create(engines, program, tmp_path, base_url=emulator.base_url, token=DEMO_TOKEN, name="program")
    project.init()
    return project, pack, pack / "policy-config.json"


def test_mandatory_violation_blocks_the_preview_with_the_rule_message(
    engines: Engines, policy_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project, pack, config = policy_run(engines, policy_venv, emulator, tmp_path, "mandatory", [HEALTHY, LOW])
    result = project.preview("--policy-pack", str(pack), "--policy-pack-config", str(config), check=False)
    assert result.returncode != 0
    assert f"AI Gateway credits of account {LOW}: balance $3.13 is below the minimum of $20.00 [min-balance]" in (
        result.stdout
    )
    assert f"account {HEALTHY}:" not in result.stdout
    assert "[mandatory]" in result.stdout


def test_advisory_violation_warns_and_the_preview_succeeds(
    engines: Engines, policy_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project, pack, config = policy_run(engines, policy_venv, emulator, tmp_path, "advisory", [LOW])
    result = project.preview("--policy-pack", str(pack), "--policy-pack-config", str(config))
    assert "[advisory]" in result.stdout
    assert "[min-balance]" in result.stdout


def test_an_unreadable_balance_is_a_violation(
    engines: Engines, policy_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    project, pack, config = policy_run(engines, policy_venv, emulator, tmp_path, "mandatory", [HEALTHY])
    result = project.preview("--policy-pack", str(pack), "--policy-pack-config", str(config), check=False)
    assert result.returncode != 0
    assert "code 9109" in result.stdout
    assert DEMO_TOKEN not in result.stdout + result.stderr


STANDIN = Path(__file__).resolve().parent / "engines" / "cloudflare" / "standin.py"


def gateway_plan(
    engines: Engines, venv: Path, emulator: Emulator, tmp_path: Path, level: str, gateway: str
) -> tuple[subprocess.CompletedProcess[str], Project]:
    """Preview a YAML program holding one pulumi-cloudflare AI gateway under the example pack.

    The gateway's provider is the stand-in (engines/cloudflare/standin.py): pulumi-cloudflare's provider cannot be
    built here (the Go module proxy serves none of its versions).
    """
    project, pack, config_file = policy_run(engines, venv, emulator, tmp_path, "mandatory", [HEALTHY])
    config = json.loads(config_file.read_text())
    config["cfbilling-gateway-spend-limits"]["enforcementLevel"] = level
    config_file.write_text(json.dumps(config))
    plugin = project.dir / "cloudflare-standin"
    plugin.mkdir()
    script = plugin / "pulumi-resource-cloudflare"
    script.write_text(f'#!/bin/sh\nexec "{venv}/bin/python" -u "{STANDIN}" "$@"\n')
    script.chmod(0o755)
    program = (
        "name: any-stack\nruntime: yaml\nplugins:\n  providers:\n    - name: cloudflare\n      path: ./cloudflare-standin\n"
        f"resources:\n  chat:\n    type: cloudflare:index/aiGateway:AiGateway\n    properties:\n"
        f"      accountId: {LOW}\n      aiGatewayId: chat\n{gateway}"
    )
    (project.dir / "Pulumi.yaml").write_text(program)
    result = project.preview("--policy-pack", str(pack), "--policy-pack-config", str(config_file), check=False)
    return result, project


def test_a_planned_gateway_without_a_cost_rule_is_a_violation_with_the_live_runway(
    engines: Engines, policy_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    result, project = gateway_plan(engines, policy_venv, emulator, tmp_path, "mandatory", "      byokOnly: false\n")
    assert result.returncode != 0, result.stdout
    assert "cfbilling-gateway-spend-limits" in result.stdout
    assert "AI gateway chat has no enabled cost rule (no spend limits) and it can bill through Unified Billing" in (
        result.stdout
    )
    assert f"account {LOW}: 2.91 days of credits left at the recent rate" in result.stdout
    assert DEMO_TOKEN not in project.transcript()


def test_a_capped_gateway_passes_and_advisory_only_warns(
    engines: Engines, policy_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    capped = (
        "      byokOnly: false\n      spendLimits:\n        enabled: true\n        rules:\n"
        "          - limit: 50\n            limitType: cost\n            window: 86400\n            enabled: true\n"
    )
    result, _ = gateway_plan(engines, policy_venv, emulator, tmp_path / "capped", "mandatory", capped)
    assert result.returncode == 0, result.stdout
    assert "cfbilling-gateway-spend-limits" not in result.stdout
    unified = "      byokOnly: true\n      workersAiBillingMode: unified\n"
    warned, _ = gateway_plan(engines, policy_venv, emulator, tmp_path / "advisory", "advisory", unified)
    assert warned.returncode == 0, warned.stdout
    assert "[advisory]" in warned.stdout
    assert "workersAiBillingMode: unified" in warned.stdout


INVOKING_PROGRAM = """name: any-stack
runtime: yaml
variables:
  credits:
    fn::invoke:
      function: cfbilling:index:getCreditBalance
      arguments: {}
outputs:
  balanceUsd: ${credits.balanceUsd}
"""


def stack_run(
    engines: Engines, policy: Path, program_venv: Path, emulator: Emulator, tmp_path: Path, account: str
) -> tuple[subprocess.CompletedProcess[str], Project]:
    """A YAML stack whose own account is ``account`` (cfbilling:accountId), under the pack with no accountIds."""
    pack = tmp_path / "policy-pack"
    shutil.copytree(EXAMPLES / "policy-pack", pack, ignore=shutil.ignore_patterns("venv"))
    (pack / "venv").symlink_to(policy)
    config = json.loads((pack / "policy-config.json").read_text())
    assert "accountIds" not in config["cfbilling-credit-balance"]  # the example checks the stack's own account
    source = tmp_path / "source"
    source.mkdir()
    (source / "Pulumi.yaml").write_text(INVOKING_PROGRAM)
    project = Project.create(
        engines, source, tmp_path, base_url=emulator.base_url, token=DEMO_TOKEN, name="program",
        extra_path=(program_venv / "bin",),  # pulumi-resource-cfbilling on PATH
    )  # fmt: skip
    project.init({"cfbilling:accountId": account})
    result = project.preview("--policy-pack", str(pack), "--policy-pack-config", str(pack / "policy-config.json"),
                             check=False)  # fmt: skip
    return result, project


def test_the_pack_checks_the_stacks_own_account_by_default(
    engines: Engines, policy_venv: Path, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    low, project = stack_run(engines, policy_venv, program_venv, emulator, tmp_path / "low", LOW)
    assert low.returncode != 0, low.stdout
    assert f"AI Gateway credits of account {LOW}: balance $3.13 is below the minimum of $20.00 [min-balance]" in (
        low.stdout
    )
    assert HEALTHY not in low.stdout  # the account of another stack is none of this one's business
    healthy, _ = stack_run(engines, policy_venv, program_venv, emulator, tmp_path / "healthy", HEALTHY)
    assert healthy.returncode == 0, healthy.stdout
    assert "cfbilling-credit-balance" not in healthy.stdout
    assert DEMO_TOKEN not in project.transcript()
