"""A pytest plugin: under ``CFBILLING_STRICT_SKIPS=1`` (CI), a skip that is not on the allow-list fails the run.

The allow-list is the ``allowed_skips`` ini option (``[tool.pytest.ini_options]`` in pyproject.toml), one entry a
line: ``<node id pattern> | <reason>``, the pattern an ``fnmatch`` glob over the test's node id. An entry without a
reason is refused: the list says why each skip is acceptable. A skip that silently hides a test CI means to run
(as the environment-clearing fixture once hid the actionlint test) turns the run red with its node id and reason.
"""

from __future__ import annotations

import fnmatch
import os

import pytest

ALLOWED = "allowed_skips"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(ALLOWED, "skips CI accepts: '<node id glob> | <reason>' a line", type="linelist", default=[])


def _allowed(config: pytest.Config) -> list[tuple[str, str]]:
    entries = []
    for line in config.getini(ALLOWED):
        pattern, _, reason = (part.strip() for part in line.partition("|"))
        if not pattern or not reason:
            raise pytest.UsageError(f"{ALLOWED}: {line!r} needs a node id pattern and a reason: '<pattern> | <why>'")
        entries.append((pattern, reason))
    return entries


class SkipGuard:
    """Collects skips and judges them against the allow-list when the session ends."""

    def __init__(self, config: pytest.Config) -> None:
        self.allowed = _allowed(config)
        self.unexpected: list[tuple[str, str]] = []

    def _record(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        if not report.skipped or getattr(report, "wasxfail", None) is not None:
            return
        if any(fnmatch.fnmatchcase(report.nodeid, pattern) for pattern, _ in self.allowed):
            return
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        self.unexpected.append((report.nodeid, reason))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._record(report)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.unexpected:
            terminalreporter.section("skips not on the allow-list (allowed_skips in pyproject.toml)", red=True)
            for nodeid, reason in self.unexpected:
                terminalreporter.line(f"{nodeid}: {reason}")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.unexpected and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config: pytest.Config) -> None:
    # Read from the environment here, once, before any fixture can clear it.
    if os.environ.get("CFBILLING_STRICT_SKIPS") == "1":
        config.pluginmanager.register(SkipGuard(config), "cfbilling-skip-guard")
