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


def test_a_client_that_cannot_be_built_fails_every_reader_at_once() -> None:
    """The first reader's failure to build a client (no credentials) reaches the readers waiting on it.

    Found by the e2e suite: the second invoke of a YAML program waited forever on a fetch that never started.
    """
    import threading

    from pulumi_cfbilling.core.settings import settings_for
    from pulumi_cfbilling.service.cache import BalanceCache

    cache = BalanceCache()
    settings = settings_for("plugin", environ={}, require_credentials=False)
    failures: list[BaseException] = []

    def read() -> None:
        try:
            cache.get(settings, HEALTHY)
        except cfbilling.CfBillingError as error:
            failures.append(error)

    # Daemon threads: a regression fails this test instead of hanging the run.
    readers = [threading.Thread(target=read, daemon=True) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=30)  # a generous bound: it proves nothing waits forever, not how fast anything is
    assert len(failures) == 4
    assert all(isinstance(failure, cfbilling.ConfigurationError) for failure in failures)
    with pytest.raises(cfbilling.ConfigurationError, match="no Cloudflare credentials found"):
        cache.get(settings, HEALTHY)
