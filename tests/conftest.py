"""Shared fixtures: a clean environment, a fresh emulator per test, and leak detectors."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi.runtime
import pytest
from helpers import Collector, LeakWatch, Plugin, RecordingMocks, assert_no_secret, logging_for
from hypothesis import settings
from skip_guard import pytest_addoption, pytest_configure  # noqa: F401 - the skip guard's hooks (CI)

from pulumi_cfbilling import BillingClient
from pulumi_cfbilling.api.budget import forget_budgets
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

# Fast by default on a laptop; thorough under CI (which sets CI, as GitHub Actions and .ci/run do); longer on request.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=2000, deadline=None)
settings.register_profile("long", max_examples=50_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test starts with no Cloudflare settings and a HOME of its own (so no real ~/.netrc)."""
    for name in list(os.environ):
        if name.startswith(("CLOUDFLARE_", "CFBILLING_", "PULUMI_")) or name in (
            "NETRC",
            "GITHUB_STEP_SUMMARY",
            "XDG_CONFIG_HOME",  # the Terraform launcher's record lives under it: under HOME, the test's own
        ):
            monkeypatch.delenv(name)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture(autouse=True)
def fresh_budgets() -> None:
    """Every test starts with no request budget or rate-limit pause: a port an earlier test's emulator used (and
    paused for a day with a 429) may come back for the next one, and the budgets are keyed by base URL."""
    forget_budgets()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh emulator serving the demo accounts."""
    with Emulator(fixture=demo_fixture()) as emu:
        yield emu


@pytest.fixture
def make_client(emulator: Emulator) -> Iterator[Callable[..., BillingClient]]:
    """Build clients pointed at the emulator with the demo token; small timeouts so faults stay fast."""
    made: list[BillingClient] = []

    def make(**overrides: Any) -> BillingClient:
        options: dict[str, Any] = {"api_token": DEMO_TOKEN, "base_url": emulator.base_url, "timeout": 2.0}
        options.update(overrides)
        client = BillingClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def start_plugin() -> Iterator[Callable[[], Plugin]]:
    """Starts a plugin process for this test alone, when the test asks; stopped after it, its output searched.

    Not one per module: a plugin's answer cache lives as long as its process, and a port an earlier test's emulator
    used may come back for a later one, whose reads the cache would then answer.
    """
    started: list[Plugin] = []

    def start() -> Plugin:
        started.append(Plugin())
        return started[-1]

    yield start
    for running in started:
        stdout, stderr = running.stop()
        assert stdout == ""
        assert_no_secret(stderr + "".join(running.seen))


@pytest.fixture
def log_watch() -> Iterator[LeakWatch]:
    """Capture all logging at DEBUG level, for the duration of a test."""
    watch = LeakWatch()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    yield watch
    root.removeHandler(watch)
    root.setLevel(previous)


@pytest.fixture
def mock_program(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Collector:
    """A Pulumi program under the mock runtime, configured for the emulator; its engine log is collected."""
    collector = Collector()
    config = {"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    pulumi.runtime.set_mocks(RecordingMocks(), preview=False, logger=logging_for(collector))
    return collector
