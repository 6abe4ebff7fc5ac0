"""The CrossGuard policy pack under the real engine: `pulumi preview --policy-pack examples/policy-pack`."""

from __future__ import annotations

import json
import shutil
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
