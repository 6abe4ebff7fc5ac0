"""The step summary's runway charts, read by Mermaid's own parser (tests/e2e/engines/chart, installed by prepare.py).

GitHub draws a ```mermaid block with Mermaid; if Mermaid reads different numbers, a different title or a
directive smuggled in through a label, the picture lies. So the sources `cfbilling check --format github` writes
are parsed here with the pinned npm `mermaid` (in node, over jsdom) and what it would plot is compared.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from e2e_support import REPO, Engines

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

STAGING = "fedcba9876543210fedcba9876543210"
PRODUCTION = "0123456789abcdef0123456789abcdef"
RESEARCH = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
HOSTILE = 'prod "x"] [y %%{init: {"theme":"dark"}}%% ``` </script>'


def mermaid(engines: Engines, sources: list[str]) -> list[dict[str, Any]]:
    env = engines.environ()
    result = subprocess.run(
        ["node", str(REPO / "tests" / "e2e" / "engines" / "chart" / "parse.mjs")],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    parsed: list[dict[str, Any]] = json.loads(result.stdout)
    return parsed


def test_mermaid_plots_what_the_runway_says(engines: Engines, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"{PRODUCTION} {HOSTILE}\n{STAGING} staging\n{RESEARCH} research\n")
    with Emulator(fixture=demo_fixture()) as emulator:
        env = {
            "PATH": "/usr/bin:/bin",
            "CLOUDFLARE_API_TOKEN": DEMO_TOKEN,
            "CLOUDFLARE_BASE_URL": emulator.base_url,
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pulumi_cfbilling",
                "check",
                "--accounts-file",
                str(accounts),
                "--min-runway-days",
                "3",
                "--format",
                "github",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1, result.stderr
    sources = re.findall(r"```mermaid\n(.*?)```", summary.read_text(), re.S)
    assert len(sources) == 3
    # A control: the harness does see a directive when one is there, so "no config" below means something.
    control = '%%{init: {"theme":"dark"}}%%\n' + sources[0]
    research, staging, production, seen = mermaid(engines, [*sources, control])
    assert seen["config"] == {"theme": "dark"}
    for chart in (research, staging, production):
        assert "error" not in chart, chart
        assert chart["type"] == "xychart"
        assert chart["config"] == {}
        assert chart["yAxis"]["title"] == "US dollars"
    assert research["title"] == "research"
    assert staging["title"] == "staging"
    # Quotes, brackets, braces, %, backticks and < > replaced; the label cut short (with a mark).
    assert production["title"] == "prod _x__ _y ___init: __theme_:_dark____"

    bars, line = staging["plots"]
    assert (bars["type"], line["type"]) == ("bar", "line")
    # The last 7 whole days of the staging series (cents / 100), then zero: bars are history only.
    # From today on, the average spend the line falls by ($7.50 over 7 days), never a made-up $0.00 day.
    assert bars["values"] == [0.2, 0.1, 6.1, 0.15, 0.2, 0.45, 0.3, 1.07, 1.07, 1.07, 1.07]
    # $3.13 now; before today, plus the spend since; then $1.07 a day (2.91 days) down to zero.
    assert line["values"] == [10.63, 10.43, 10.33, 4.23, 4.08, 3.88, 3.43, 3.13, 2.06, 0.98, 0]
    # Days from today: a week back, three ahead (0 = today), one point per day.
    assert staging["xAxis"] == {"type": "linear", "title": staging["xAxis"]["title"], "min": -7, "max": 3}
    assert staging["xAxis"]["title"].startswith("days from today (0 = ")
    assert staging["yAxis"]["min"] == 0
    assert staging["yAxis"]["max"] == 10.63

    assert production["plots"][0]["values"][:7] == [3.15, 3.0, 3.1, 2.9, 3.05, 3.0, 3.1]
    assert production["plots"][1]["values"][7] == 42.51
    assert production["plots"][1]["values"][-1] == 0
    # Out of credits: the line stops today, below zero.
    assert research["plots"][1]["values"][-1] == -0.43
    assert research["plots"][0]["values"][5:7] == [8.2, 11.5]
