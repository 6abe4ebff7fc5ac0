"""Shared fixtures: a clean environment, a fresh emulator per test, and leak detectors."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from pulumi_cfbilling import BillingClient
from pulumi_cfbilling.emulator import DEMO_KEY, DEMO_TOKEN, Emulator, demo_fixture

settings.register_profile("ci", max_examples=2000, deadline=None)
settings.register_profile("long", max_examples=50_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HEALTHY = "0123456789abcdef0123456789abcdef"
LOW = "fedcba9876543210fedcba9876543210"
FAILING = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
UNKNOWN = "00000000000000000000000000000000"

# Secrets that must never show up anywhere but in the request headers they authenticate.
SECRETS = (DEMO_TOKEN, DEMO_KEY)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test starts with no Cloudflare settings and a HOME of its own (so no real ~/.netrc)."""
    for name in list(os.environ):
        if name.startswith(("CLOUDFLARE_", "CFBILLING_", "PULUMI_")) or name in ("NETRC", "GITHUB_STEP_SUMMARY"):
            monkeypatch.delenv(name)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


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


class LeakWatch(logging.Handler):
    """Collects every log record from every logger, formatted, to search for secrets."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.args) + repr(record.__dict__))


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


def assert_no_secret(*texts: str) -> None:
    """Fail if any known secret appears in any of ``texts``."""
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"a credential leaked into: {text[:200]!r}"


def cfbilling_command() -> list[str]:
    """The installed ``cfbilling`` script beside this interpreter, else ``python -m pulumi_cfbilling``."""
    script = Path(sys.executable).with_name("cfbilling")
    if script.exists():
        return [str(script)]
    found = shutil.which("cfbilling")
    return [found] if found else [sys.executable, "-m", "pulumi_cfbilling"]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``cfbilling`` in a subprocess with a clean environment plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}
    return subprocess.run(
        [*cfbilling_command(), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
