"""``cfbilling metrics`` and ``cfbilling exporter`` (#22): the Prometheus text format as prometheus_client's own
parser reads it, names that follow the conventions, the Grafana dashboard querying exactly those names, and an
exporter that reads each account at most once per ``--max-age`` however often it is scraped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from helpers import FAILING, HEALTHY, LOW, cfbilling_command, env_for, run_cli
from prometheus_client.parser import text_string_to_metric_families
from test_action import tool

from pulumi_cfbilling.service.metrics import METRICS
from pulumi_cfbilling.testing.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "examples" / "grafana" / "cfbilling-dashboard.json"
UNITS = ("_usd", "_seconds", "_usd_per_day", "_enabled", "_method", "_up")


def _samples(text: str) -> dict[tuple[str, str], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge"
        assert family.documentation
        for sample in family.samples:
            found[(sample.name, sample.labels["account_id"])] = sample.value
    return found


def test_metrics_parse_with_prometheus_client_and_follow_the_naming_conventions(
    emulator: Emulator, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f'{HEALTHY} production "eu"\n{LOW} staging\\env\n')
    result = run_cli("metrics", "--accounts-file", str(accounts), env=env_for(emulator))
    assert result.returncode == 0, result.stderr
    samples = _samples(result.stdout)
    assert samples[("cfbilling_balance_usd", HEALTHY)] == 42.505
    assert samples[("cfbilling_runway_seconds", HEALTHY)] == 13.96 * 86400
    assert samples[("cfbilling_auto_topup_enabled", LOW)] == 0
    assert samples[("cfbilling_default_payment_method", LOW)] == 0
    assert samples[("cfbilling_up", LOW)] == 1
    assert abs(samples[("cfbilling_last_read_timestamp_seconds", HEALTHY)] - time.time()) < 60
    assert ("cfbilling_topup_threshold_usd", LOW) not in samples  # not set: absent, never 0
    families = {family.name: family for family in text_string_to_metric_families(result.stdout)}
    labels = {sample.labels["label"] for sample in families["cfbilling_up"].samples}
    assert labels == {'production "eu"', "staging\\env"}  # quotes and backslashes escaped, then read back
    for metric in METRICS:
        assert re.fullmatch(r"cfbilling_[a-z_]+", metric.name)
        assert metric.name.endswith(UNITS), metric.name


def test_promtool_finds_nothing_to_say_about_the_metrics(emulator: Emulator) -> None:
    emulator.set_faults(FAILING, [{"kind": "status", "status": 403, "code": 9109}])
    result = run_cli("metrics", "--account-id", HEALTHY, "--account-id", LOW, "--account-id", FAILING,
                     env=env_for(emulator))  # fmt: skip
    assert result.returncode == 3
    lint = subprocess.run([tool("promtool"), "check", "metrics"], input=result.stdout, capture_output=True, text=True)
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")
    # The same linter does object to a metric off the conventions: it is really reading.
    wrong = result.stdout.replace("cfbilling_runway_seconds", "cfbilling_runway_days")
    objection = subprocess.run([tool("promtool"), "check", "metrics"], input=wrong, capture_output=True, text=True)
    assert 'cfbilling_runway_days use base unit "seconds"' in objection.stdout + objection.stderr


def test_an_unreadable_account_is_up_0_and_the_rest_are_written(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_faults(FAILING, [{"kind": "status", "status": 403, "code": 9109}])
    output = tmp_path / "cfbilling.prom"
    result = run_cli("metrics", "--account-id", HEALTHY, "--account-id", FAILING, "--output", str(output),
                     env=env_for(emulator))  # fmt: skip
    assert result.returncode == 3
    assert "code 9109" in result.stderr
    assert result.stdout == ""
    samples = _samples(output.read_text())
    assert samples[("cfbilling_up", FAILING)] == 0
    assert ("cfbilling_balance_usd", FAILING) not in samples
    assert samples[("cfbilling_up", HEALTHY)] == 1
    assert [path.name for path in tmp_path.iterdir()] == ["cfbilling.prom"]  # written whole, no leftovers


def test_the_grafana_dashboard_queries_exactly_the_metric_names() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    expressions.append(dashboard["templating"]["list"][0]["definition"])
    used = {name for expression in expressions for name in re.findall(r"\bcfbilling_[a-z_]+", expression)}
    assert used == {metric.name for metric in METRICS}


def test_the_exporter_reads_each_account_once_per_max_age_under_50_scrapes_a_second(emulator: Emulator) -> None:
    command = [*cfbilling_command(), "exporter", "--account-id", HEALTHY, "--account-id", LOW, "--port", "0",
               "--max-age", "1m"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CFBILLING_", "CLOUDFLARE_"))}
    process = subprocess.Popen(command, env={**env, **env_for(emulator)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = re.search(r"http://\S+/metrics", banner)
        assert url is not None, banner + (process.stderr.read() if process.stderr else "")
        answers: list[str] = []
        failures: list[BaseException] = []

        def scrape() -> None:
            try:
                for _ in range(25):
                    with urllib.request.urlopen(url.group(0), timeout=10) as response:
                        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                        answers.append(response.read().decode())
                    time.sleep(0.04)
            except BaseException as exc:
                failures.append(exc)

        scrapers = [threading.Thread(target=scrape) for _ in range(4)]  # about 50 scrapes a second, for 2 s
        for thread in scrapers:
            thread.start()
        for thread in scrapers:
            thread.join(timeout=60)
        assert not failures
        assert len(answers) == 100
        assert all(_samples(answer)[("cfbilling_up", HEALTHY)] == 1 for answer in answers)
        # One read at start: a balance and a usage request per account, and none for the scrapes.
        assert sorted((r.account_id or "", r.route or "") for r in emulator.log) == sorted(
            (account, route) for account in (HEALTHY, LOW) for route in ("credit-balance", "usage-history")
        )
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(url.group(0).replace("/metrics", "/other"), timeout=10)
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_the_exporter_refuses_a_max_age_that_would_spend_the_budget(emulator: Emulator) -> None:
    result: Any = run_cli("exporter", "--account-id", HEALTHY, "--max-age", "10s", "--port", "0", env=env_for(emulator))
    assert result.returncode == 2
    assert "--max-age must be at least 1m for the exporter" in result.stderr
    assert emulator.log == []
