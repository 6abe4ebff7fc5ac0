"""The scheduled watch (#22): the `watch/` action and `examples/ci-preflight/scheduled-watch.yml`, actionlint and
shellcheck clean, and the action's watch step run in bash against the emulator and a local webhook."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml
from helpers import HEALTHY, LOW, actionlint_workflow, assert_no_secret, run_action_step
from test_action import tool
from test_watch import SECRET_PATH, Receiver

from pulumi_cfbilling.guardrails.rules import GUARDRAILS
from pulumi_cfbilling.testing.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
WATCH_ACTION: dict[str, Any] = yaml.safe_load((ROOT / "watch" / "action.yml").read_text())
WORKFLOW = ROOT / "examples" / "ci-preflight" / "scheduled-watch.yml"


def _run_watch_step(emulator: Emulator, folder: Path, env: dict[str, str], **given: str) -> Any:
    return run_action_step(WATCH_ACTION, emulator, folder, env, **given)


def test_every_guardrail_is_an_input_of_the_watch_action_and_inputs_go_through_env_only() -> None:
    inputs = WATCH_ACTION["inputs"]
    step = WATCH_ACTION["runs"]["steps"][-1]
    for entry in GUARDRAILS:
        name = entry.flag.removeprefix("--")
        assert name in inputs, name
        assert step["env"]["WATCH_" + entry.name.upper()] == f"${{{{ inputs.{name} }}}}"
        assert entry.flag in step["run"]
    for each in WATCH_ACTION["runs"]["steps"]:
        if "run" in each:
            assert "${{" not in each["run"]
            assert each["shell"] == "bash"
    assert "notify" not in " ".join(inputs)  # URLs hold secrets: the environment, never an input


def test_actionlint_checks_the_scheduled_workflow_against_the_watch_action(tmp_path: Path) -> None:
    actionlint = tool("actionlint")
    actions = {"watch/action.yml": ROOT / "watch" / "action.yml"}
    clean = actionlint_workflow(actionlint, tmp_path, actions, WORKFLOW)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    wrong_text = WORKFLOW.read_text().replace("state-file:", "state-fiel:")
    wrong = actionlint_workflow(actionlint, tmp_path, {}, WORKFLOW, wrong_text)
    assert wrong.returncode == 1
    assert 'input "state-fiel" is not defined in action "cfbilling watch"' in wrong.stdout


def test_shellcheck_is_clean_on_the_watch_actions_shell_steps(tmp_path: Path) -> None:
    for step in WATCH_ACTION["runs"]["steps"]:
        if "run" in step:
            script = tmp_path / "step.sh"
            script.write_text("#!/usr/bin/env bash\n" + step["run"])
            result = subprocess.run([tool("shellcheck"), "-s", "bash", str(script)], capture_output=True, text=True)
            assert result.returncode == 0, result.stdout


def test_the_watch_step_tells_the_webhook_once_and_keeps_its_state(emulator: Emulator, tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        env = {"CFBILLING_NOTIFY_URLS": receiver.json_url}
        inputs = {"account-ids": f"{HEALTHY}\n{LOW}", "min-balance-usd": "100,20", "min-runway-days": "14,7,3"}
        dry = _run_watch_step(emulator, tmp_path, env, **inputs, **{"dry-run": "yes"})
        assert dry.returncode == 0, dry.stderr
        assert dry.stdout.count("would send (") == 2
        assert receiver.posts == []
        for _ in range(2):
            result = _run_watch_step(emulator, tmp_path, env, **inputs)
            assert result.returncode == 0, result.stderr
        assert len(receiver.json_posts()) == 2  # one per account, the first run only
        state = tmp_path / ".cfbilling" / "watch-state.json"
        assert set(json.loads(state.read_text())["standings"]) == {HEALTHY, LOW}
        maybe = _run_watch_step(emulator, tmp_path, env, **inputs, **{"dry-run": "maybe"})
        assert maybe.returncode == 2
        assert "--dry-run 'maybe' is not true or false" in maybe.stderr
        for output in (dry, result, maybe):
            assert SECRET_PATH not in output.stdout + output.stderr
            assert_no_secret(output.stdout, output.stderr)
    finally:
        receiver.close()
