"""Python programs under the real engine: the guardrail example, the snapshot resource, the installed-package trap."""

from __future__ import annotations

import copy
from pathlib import Path

from e2e_support import EXAMPLES, Engines, Project, assert_agreed_outputs, balance_json, decoded_blobs

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"
LOW = "fedcba9876543210fedcba9876543210"


def guardrail_project(engines: Engines, venv: Path, emulator: Emulator, tmp_path: Path) -> Project:
    project = Project.create(
        engines, EXAMPLES / "guardrail-python", tmp_path, base_url=emulator.base_url, token=DEMO_TOKEN
    )
    (project.dir / "venv").symlink_to(venv)
    return project


def test_guardrail_example_previews_ups_and_exports_what_the_cli_reports(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project = guardrail_project(engines, program_venv, emulator, tmp_path)
    project.init({"cfbilling:accountId": HEALTHY})
    project.preview()
    project.up()
    outputs = project.outputs()
    assert_agreed_outputs(outputs, balance_json(project.env, HEALTHY))
    assert outputs["creditsOk"] is True
    guard = outputs["creditGuard"]
    assert {k: v for k, v in guard.items() if k != "runway"} == {
        "accountId": HEALTHY,
        "enforcement": "mandatory",
        "ok": True,
        "violations": [],
        "error": None,
        "firstStop": None,
        "cachedAgeSeconds": None,
    }
    # min_runway_days=3: the guard read the usage history; about $3.04 a day over the last 7 days.
    assert guard["runway"]["runwayDays"] == outputs["runwayDays"] == 13.96
    assert guard["runway"]["windowDays"] == 7
    assert (outputs["uncappedGateways"], outputs["firstStop"]) == ([], "credits")  # get_gateways_output
    assert DEMO_TOKEN not in project.transcript()


def test_mandatory_guard_stops_preview_with_one_line_and_no_traceback(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project = guardrail_project(engines, program_venv, emulator, tmp_path)
    project.init({"cfbilling:accountId": LOW})
    result = project.preview(check=False)
    printed = result.stdout + result.stderr
    assert result.returncode != 0
    message = next(line for line in printed.splitlines() if "AI Gateway credit guardrails failed" in line)
    assert f"for account {LOW} (4 violations)" in message
    assert "[min-balance]" in message
    assert "credits run out in 2.91 days" in message
    assert "Traceback" not in printed
    assert 'File "' not in printed


def test_advisory_guard_warns_and_goes_on(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project = guardrail_project(engines, program_venv, emulator, tmp_path)
    project.init({"cfbilling:accountId": LOW, "enforcement": "advisory"})
    result = project.up()
    assert "warning:" in result.stdout
    assert "is below the minimum of $20.00 [min-balance]" in result.stdout
    outputs = project.outputs()
    assert outputs["creditsOk"] is False
    assert_agreed_outputs(outputs, balance_json(project.env, LOW))


def test_a_configured_zero_minimum_stays_zero(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    project = guardrail_project(engines, program_venv, emulator, tmp_path)
    project.init({"cfbilling:accountId": HEALTHY, "minBalanceUsd": "0"})
    project.up()
    assert project.outputs()["creditsOk"] is True


TRAP_PROGRAM = """\
import pulumi
import pulumi_cfbilling as cfbilling

credits = cfbilling.get_credit_balance_output()
pulumi.export("balanceUsd", credits.balance_usd)
# Whole results export too (their keys are the canonical camelCase names).
pulumi.export("credits", credits)
pulumi.export("verdict", cfbilling.check_credit_balance_output(min_balance_usd=20))
"""


def test_a_virtualenv_with_this_package_needs_no_plugin(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    """The Python host lists installed pulumi-* distributions as plugins it needs; ours ships a
    pulumi-plugin.json saying it has none, so nothing is fetched and nothing of ours is needed on PATH."""
    program = tmp_path / "source"
    program.mkdir()
    (program / "__main__.py").write_text(TRAP_PROGRAM)
    (program / "requirements.txt").write_text("pulumi-cfbilling\n")
    (program / "Pulumi.yaml").write_text(
        f"name: trap\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: {program_venv}\n"
    )
    project = Project.create(engines, program, tmp_path, base_url=emulator.base_url, token=None, name="program")
    assert str(program_venv / "bin") not in project.env["PATH"]
    # The README's way: the token as secret config, read by the data function in the program itself.
    project.init({"cfbilling:accountId": HEALTHY}, {"cfbilling:apiToken": DEMO_TOKEN})
    project.preview()
    project.up()
    outputs = project.outputs()
    assert outputs["balanceUsd"] == 42.505
    assert_agreed_outputs(
        outputs["credits"], balance_json({**project.env, "CLOUDFLARE_API_TOKEN": DEMO_TOKEN}, HEALTHY)
    )
    assert outputs["verdict"] == {
        "accountId": HEALTHY,
        "ok": True,
        "violations": [],
        "runway": None,
        "firstStop": None,
        "cachedAgeSeconds": None,
    }
    # With plugin downloads allowed, `pulumi install` asks for every plugin the host lists: none of ours.
    assert DEMO_TOKEN not in project.transcript()
    install_env = {k: v for k, v in project.env.items() if k != "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"}
    result = Project(engines, project.dir, install_env).pulumi("install")
    printed = result.stdout + result.stderr
    assert "resource plugin cfbilling" not in printed
    assert "pulumi-resource-cfbilling" not in printed
    assert "cfbilling-0.1.0" not in printed


SNAPSHOT_PROGRAM = """\
import pulumi
import pulumi_cfbilling as cfbilling

snapshot = cfbilling.CreditBalanceSnapshot("credits", account_id=pulumi.Config("cfbilling").require("accountId"))
pulumi.export("snapshotBalance", snapshot.balance)
"""


def test_snapshot_refreshes_keeps_no_credential_and_destroys_without_a_request(
    engines: Engines, program_venv: Path, emulator: Emulator, tmp_path: Path
) -> None:
    program = tmp_path / "source"
    program.mkdir()
    (program / "__main__.py").write_text(SNAPSHOT_PROGRAM)
    (program / "Pulumi.yaml").write_text(
        "name: snapshot\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n"
    )
    project = Project.create(engines, program, tmp_path, base_url=emulator.base_url, token=DEMO_TOKEN, name="program")
    (project.dir / "venv").symlink_to(program_venv)
    # The snapshot's provider reads the token from the environment at run time. The same token in secret config
    # must not reach the state either: the engine records the config it gives a dynamic provider's default
    # instance, so the snapshot reads through an instance of its own that gets no secret.
    project.init(
        {"cfbilling:accountId": HEALTHY, "cfbilling:baseUrl": emulator.base_url}, {"cfbilling:apiToken": DEMO_TOKEN}
    )
    project.up()
    assert project.outputs() == {"snapshotBalance": 4250.5}

    account = copy.deepcopy(emulator.accounts[HEALTHY])
    account["result"]["balance"] = 1234.5
    emulator.set_account(HEALTHY, account)
    refreshed = project.pulumi("refresh", "--yes", "--non-interactive", "--color", "never")
    assert "credits" in refreshed.stdout
    state = project.export()
    (snapshot,) = [r for r in state["deployment"]["resources"] if r["type"].endswith("CreditBalanceSnapshot")]
    assert snapshot["outputs"]["balance"] == 1234.5

    second = project.up()
    assert "unchanged" in second.stdout
    assert "updated" not in second.stdout
    assert "created" not in second.stdout.replace("created (", "")
    assert project.outputs() == {"snapshotBalance": 1234.5}

    exported = project.pulumi("stack", "export", "--show-secrets").stdout
    blobs = list(decoded_blobs(project.export()))
    assert any(b"dill" in blob or b"pulumi_cfbilling" in blob for blob in blobs), "the pickled provider is there"
    for blob in [exported.encode(), *blobs]:
        assert DEMO_TOKEN.encode() not in blob
    assert DEMO_TOKEN not in project.transcript()

    before = len(emulator.log)
    project.pulumi("destroy", "--yes", "--non-interactive", "--color", "never")
    assert len(emulator.log) == before, "destroy sent a request"
    assert project.export()["deployment"].get("resources") in (None, [])
