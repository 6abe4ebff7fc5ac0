"""An Automation API inline program run twice in one process by the real engine: the second run must not see
the first run's error once the fault is gone (the read cache lives for one run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from e2e_support import Engines

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"


def test_an_inline_program_run_twice_sees_the_fault_cleared(
    engines: Engines, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pulumi
    from pulumi import automation as auto

    import pulumi_cfbilling as cfbilling

    # The inline program runs in this process: it reads the same environment the engine gets.
    env = engines.environ(
        PULUMI_HOME=str(tmp_path / "home"),
        PULUMI_BACKEND_URL=f"file://{tmp_path}",
        CLOUDFLARE_BASE_URL=emulator.base_url,
        CLOUDFLARE_API_TOKEN=DEMO_TOKEN,
        CFBILLING_MAX_RETRIES="0",
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def program() -> None:
        pulumi.export("balance", cfbilling.get_credit_balance(HEALTHY).balance)

    stack = auto.create_or_select_stack(
        stack_name="dev",
        project_name="inline",
        program=program,
        opts=auto.LocalWorkspaceOptions(work_dir=str(tmp_path), env_vars=dict(os.environ)),
    )
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    with pytest.raises(auto.CommandError, match="code 9109"):
        stack.up()
    emulator.set_faults(HEALTHY, [])
    result = stack.up()
    assert result.outputs["balance"].value == 4250.5
