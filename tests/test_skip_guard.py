"""CI turns red on a skip that is not on the allow-list (tests/skip_guard.py), and stays green on one that is."""

from __future__ import annotations

import pytest

SUITE = """
import pytest

def test_runs():
    pass

def test_hidden():
    pytest.skip("a tool is missing")

@pytest.mark.skip(reason="platform")
def test_platform():
    pass
"""


def run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, allowed: list[str], strict: bool
) -> pytest.RunResult:
    monkeypatch.setenv("CFBILLING_STRICT_SKIPS", "1" if strict else "0")
    pytester.makepyfile(test_suite=SUITE)
    lines = "\n".join(f"    {entry}" for entry in allowed)
    pytester.makeini(f"[pytest]\nallowed_skips =\n{lines}\n")
    return pytester.runpytest_inprocess("-p", "skip_guard", plugins=[])


def test_an_unexpected_skip_fails_the_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, ["test_suite.py::test_platform | only where the platform has it"], True)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*skips not on the allow-list*", "test_suite.py::test_hidden: *a tool is missing*"])
    assert "test_platform:" not in result.stdout.str()


def test_allow_listed_skips_keep_the_run_green(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, ["test_suite.py::test_* | every test here may skip"], True)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=2)


def test_outside_ci_a_skip_is_only_a_skip(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, [], False)
    assert result.ret == pytest.ExitCode.OK


def test_an_entry_must_say_why(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, ["test_suite.py::test_hidden"], True)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*needs a node id pattern and a reason*"])
