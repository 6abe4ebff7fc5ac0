"""Helpers shared by the test modules: the demo accounts, leak detectors, running the CLI."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pulumi_cfbilling.testing.emulator import DEMO_KEY, DEMO_TOKEN

HEALTHY = "0123456789abcdef0123456789abcdef"
LOW = "fedcba9876543210fedcba9876543210"
FAILING = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
UNKNOWN = "00000000000000000000000000000000"
# Shaped like a real API token (40 characters), but not one the emulator knows: 403 with code 10000.
WRONG_TOKEN = "not-the-token-shaped-like-one-0123456789"

# Secrets that must never show up anywhere but in the request headers they authenticate.
SECRETS = (DEMO_TOKEN, DEMO_KEY)


class LeakWatch(logging.Handler):
    """Collects every log record from every logger, formatted, to search for secrets."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.args) + repr(record.__dict__))


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
