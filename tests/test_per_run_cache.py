"""The shared read cache lives for one program run: a program run twice in one process (the Automation API does
this) must not see the first run's error once the fault is gone."""

from __future__ import annotations

import json

import pulumi.runtime
import pytest
from helpers import HEALTHY, RecordingMocks

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator


def one_run(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> float | str:
    """A fresh program run under mocks (a new monitor, as each real run has), reading the account twice."""
    monkeypatch.setenv(
        "PULUMI_CONFIG", json.dumps({"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url})
    )
    pulumi.runtime.set_mocks(RecordingMocks(), preview=False)
    try:
        first = cfbilling.get_credit_balance(HEALTHY).balance
        second = cfbilling.get_credit_balance(HEALTHY).balance
    except cfbilling.CfBillingError as error:
        return type(error).__name__
    assert first == second
    return first


def test_a_second_run_does_not_see_the_first_runs_error(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFBILLING_MAX_RETRIES", "0")
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}])
    assert one_run(emulator, monkeypatch) == "PermissionDeniedError"
    assert len(emulator.requests_for(HEALTHY)) == 1, "errors are shared within a run too"
    emulator.set_faults(HEALTHY, [])
    assert one_run(emulator, monkeypatch) == 4250.5
    assert len(emulator.requests_for(HEALTHY)) == 2, "one request per run"
