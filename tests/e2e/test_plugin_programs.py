"""YAML, TypeScript and Go programs calling the provider plugin under the real engine."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from e2e_support import EXAMPLES, REPO, Engines, Project, assert_agreed_outputs, balance_json, run

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"
LOW = "fedcba9876543210fedcba9876543210"


def with_provider_folder(tmp_path: Path, venv: Path) -> Path:
    """The repository's layout in a temp dir: examples/<name> beside provider/ (with its virtualenv)."""
    provider = tmp_path / "provider"
    shutil.copytree(REPO / "provider", provider, ignore=shutil.ignore_patterns("venv"))
    (provider / "venv").symlink_to(venv)
    (tmp_path / "examples").mkdir()
    return provider


def yaml_project(engines: Engines, tmp_path: Path, emulator: Emulator, venv: Path) -> Project:
    with_provider_folder(tmp_path, venv)
    return Project.create(
        engines, EXAMPLES / "yaml", tmp_path / "examples", base_url=emulator.base_url, token=DEMO_TOKEN
    )


def test_yaml_example_through_plugins_providers(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project = yaml_project(engines, tmp_path, emulator, program_venv)
    project.init({"cfbilling:accountId": HEALTHY})
    project.preview()
    project.up()
    outputs = project.outputs()
    assert_agreed_outputs(outputs, balance_json(project.env, HEALTHY))
    assert outputs["creditsOk"] is True
    assert outputs["runwayDays"] == 13.96  # minRunwayDays: 3, judged by the plugin from the usage history
    assert outputs["spendLast7DaysUsd"] == 21.3  # getUsageHistory, the same week
    assert (outputs["uncappedGateways"], outputs["firstStop"]) == ([], "credits")  # getGateways
    assert DEMO_TOKEN not in project.transcript()


def test_yaml_example_through_a_packages_entry(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    """The README's other way: a `packages:` entry naming the plugin folder instead of the plugins block."""
    project = yaml_project(engines, tmp_path, emulator, program_venv)
    text = (project.dir / "Pulumi.yaml").read_text()
    start, end = text.index("plugins:"), text.index("# Set with")
    (project.dir / "Pulumi.yaml").write_text(text[:start] + text[end:] + "packages:\n  cfbilling: ../../provider\n")
    project.init({"cfbilling:accountId": LOW, "enforcement": "advisory"})  # the guard warns and lets it go on
    up = project.up()
    assert f"cfbilling guard (advisory): account {LOW}: balance $3.13 is below the minimum of $20.00" in up.stdout
    outputs = project.outputs()
    assert_agreed_outputs(outputs, balance_json(project.env, LOW))
    assert outputs["guardOk"] is False
    assert outputs["creditsOk"] is False
    assert {v["rule"] for v in outputs["violations"]} == {"min-balance", "auto-topup", "payment-method", "min-runway"}
    assert outputs["runwayDays"] == 2.91


def _stopped(result: subprocess.CompletedProcess[str], account: str) -> None:
    """A preview or up the guard stopped: a failure, our one line, no traceback."""
    printed = result.stdout + result.stderr
    assert result.returncode != 0, printed
    assert (
        f"AI Gateway credit guardrails failed for account {account} (2 violations): balance $3.13 is below the "
        "minimum of $20.00 [min-balance]; automatic top-up is off (no_payment_method) [auto-topup]"
    ) in printed
    assert "Traceback" not in printed


def test_a_failed_mandatory_guard_stops_a_yaml_program_and_an_advisory_one_warns(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project = yaml_project(engines, tmp_path, emulator, program_venv)
    project.init({"cfbilling:accountId": LOW})
    _stopped(project.preview(check=False), LOW)
    _stopped(project.up(check=False), LOW)
    resources = project.export()["deployment"].get("resources") or []
    assert [r["type"] for r in resources if r["type"] != "pulumi:pulumi:Stack"] == []  # nothing was created
    project.pulumi("config", "set", "enforcement", "advisory")
    warned = project.up()
    assert f"cfbilling guard (advisory): account {LOW}: balance $3.13 is below the minimum of $20.00" in warned.stdout
    assert project.outputs()["guardOk"] is False
    assert DEMO_TOKEN not in project.transcript()


def test_yaml_api_error_is_one_line_without_a_stack(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    project = yaml_project(engines, tmp_path, emulator, program_venv)
    project.init({"cfbilling:accountId": HEALTHY, "cfbilling:maxRetries": "0"})
    result = project.preview(check=False)
    printed = result.stdout + result.stderr
    assert result.returncode != 0
    assert "code 9109" in printed
    assert "Traceback" not in printed


def test_yaml_credentials_through_secret_provider_config(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    """A YAML user without CLOUDFLARE_API_TOKEN sets cfbilling:apiToken as a secret; it never shows."""
    with_provider_folder(tmp_path, program_venv)
    project = Project.create(engines, EXAMPLES / "yaml", tmp_path / "examples", base_url=emulator.base_url, token=None)
    project.init({"cfbilling:accountId": HEALTHY}, {"cfbilling:apiToken": DEMO_TOKEN})
    project.up()
    assert project.outputs()["balanceUsd"] == 42.505
    assert DEMO_TOKEN not in project.transcript()
    assert DEMO_TOKEN not in project.pulumi("stack", "export").stdout


def test_yaml_pulumi_cloudflare_user_passes_cloudflare_api_token_to_an_explicit_provider(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    """The engine gives the plugin only cfbilling:* config: an explicit provider takes cloudflare:apiToken."""
    with_provider_folder(tmp_path, program_venv)
    source = EXAMPLES / "yaml-cloudflare-users"
    project = Project.create(engines, source, tmp_path / "examples", base_url=emulator.base_url, token=None)
    project.init({"cfbilling:accountId": LOW}, {"cloudflare:apiToken": DEMO_TOKEN})
    project.up()
    outputs = project.outputs()
    assert outputs["accountId"] == LOW
    assert outputs["balanceUsd"] == 3.1275
    assert outputs["creditsOk"] is False
    assert [v["rule"] for v in outputs["violations"]] == ["min-balance", "auto-topup"]
    assert emulator.requests_for(LOW), "the balance was read with the token the provider was given"
    assert DEMO_TOKEN not in project.transcript()
    state = project.pulumi("stack", "export").stdout
    assert DEMO_TOKEN not in state
    # Without the explicit provider the same stack cannot read: cloudflare:* never reaches the plugin.
    text = (project.dir / "Pulumi.yaml").read_text()
    (project.dir / "Pulumi.yaml").write_text(text.replace("      options:\n        provider: ${billing}\n", ""))
    failed = project.preview(check=False)
    assert failed.returncode != 0
    assert "no Cloudflare credentials found" in failed.stdout + failed.stderr


def generate_sdk(project: Project, language: str, *extra: str) -> None:
    project.pulumi("package", "gen-sdk", str(REPO / "schema.json"), "--language", language, "--out", "sdk", *extra)


def test_typescript_program_calls_both_functions_through_the_plugin(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project = Project.create(
        engines,
        EXAMPLES / "typescript",
        tmp_path,
        base_url=emulator.base_url,
        token=DEMO_TOKEN,
        extra_path=(program_venv / "bin",),  # pulumi-resource-cfbilling, as `pip install` puts it on PATH
    )
    generate_sdk(project, "nodejs", "--local")
    run(["npm", "install", "--offline", "--no-audit", "--no-fund"], env=project.env, cwd=project.dir, timeout=600)
    sdk = project.dir / "sdk" / "nodejs"
    assert (sdk / "bin" / "index.js").exists(), "the generated SDK compiled on install"
    wanted = json.loads((sdk / "package.json").read_text())["dependencies"]["typescript"]
    used = json.loads((project.dir / "node_modules" / "typescript" / "package.json").read_text())["version"]
    assert wanted.startswith("^")
    assert used.split(".")[0] == wanted[1:].split(".")[0]
    assert (
        json.loads((sdk / "package.json").read_text())["version"]
        == json.loads((REPO / "schema.json").read_text())["version"]
    )
    project.init({"cfbilling:accountId": HEALTHY})
    project.up()
    outputs = project.outputs()
    assert_agreed_outputs(outputs, balance_json(project.env, HEALTHY))
    assert outputs["creditsOk"] is True
    assert outputs["violations"] == []
    assert outputs["guardOk"] is True
    # The same program on a low account: the mandatory guard stops it; advisory warns.
    project.pulumi("config", "set", "cfbilling:accountId", LOW)
    _stopped(project.preview(check=False), LOW)
    project.pulumi("config", "set", "enforcement", "advisory")
    warned = project.preview()
    assert f"cfbilling guard (advisory): account {LOW}: balance $3.13 is below the minimum of $20.00" in warned.stdout


def test_go_program_calls_both_functions_through_the_plugin(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project = Project.create(
        engines,
        EXAMPLES / "go",
        tmp_path,
        base_url=emulator.base_url,
        token=DEMO_TOKEN,
        extra_path=(program_venv / "bin",),
    )
    generate_sdk(project, "go")
    shutil.copyfile(project.dir / "sdk.go.mod", project.dir / "sdk" / "go" / "go.mod")
    # The generated SDK compiles (in the program's module, whose go.sum covers it).
    # (Named one by one: a `/...` pattern would make go resolve test-only modules too.)
    sdk = "github.com/pulumi-cfbilling/pulumi-cfbilling/sdk/go/cfbilling"
    run(["go", "build", sdk, f"{sdk}/config", f"{sdk}/internal"], env=project.env, cwd=project.dir, timeout=600)
    project.init({"cfbilling:accountId": LOW, "enforcement": "advisory"})  # the guard warns and lets it go on
    up = project.up()
    assert f"cfbilling guard (advisory): account {LOW}: balance $3.13 is below the minimum of $20.00" in up.stdout
    outputs = project.outputs()
    assert_agreed_outputs(outputs, balance_json(project.env, LOW))
    assert outputs["guardOk"] is False
    assert outputs["creditsOk"] is False
