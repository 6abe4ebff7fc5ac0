"""A guardrail added to the rules table reaches every surface: nothing else is edited to add one.

The fixture appends a made-up rule (``max_balance_usd``: a balance above a ceiling) to ``rules.GUARDRAILS``
for one test, then each test finds it where users meet guardrails: the CLI flags and the check report with its
JSON Schema, ``schema.json`` and the plugin, the policy pack's config, Terraform's query keys and the native
provider's arguments, and the keywords of
the Python functions and ``guard()``.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import jsonschema
import pulumi
import pytest
from helpers import HEALTHY, LOW, Collector, RecordingMocks, resolve
from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import PropertyValue

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.api.models import CreditBalance
from pulumi_cfbilling.cli import build_parser, main
from pulumi_cfbilling.cli.terraform_external import query_keys
from pulumi_cfbilling.guardrails import rules
from pulumi_cfbilling.guardrails.rules import Guardrail, Violation
from pulumi_cfbilling.plugin._provider import CfBillingProvider
from pulumi_cfbilling.policy import credit_balance_policy, validate_credit_balance
from pulumi_cfbilling.service.report_schema import check_report_schema
from pulumi_cfbilling.service.schema import CHECK_TOKEN, package_schema
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

CEILING = "40"  # HEALTHY holds $42.505, LOW $3.1275


def _max_balance(balance: CreditBalance, ceiling: Decimal, now: datetime, runway: object) -> Violation | None:
    if balance.balance_usd <= ceiling:
        return None
    return Violation("max-balance", f"balance is above ${ceiling}", float(balance.balance_usd), float(ceiling))


MADE_UP = Guardrail(
    "max_balance_usd", "max-balance", "usd", "Violated when the balance in US dollars is above this.", _max_balance
)


@pytest.fixture(autouse=True)
def made_up_rule(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Iterator[Guardrail]:
    """The table with one more row, for this test only; credentials for the emulator in the environment."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    rules.GUARDRAILS.append(MADE_UP)
    try:
        yield MADE_UP
    finally:
        rules.GUARDRAILS.remove(MADE_UP)


def test_the_cli_has_its_flag_and_the_report_carries_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--max-balance-usd" in _check_help()
    code = main(
        ["check", "--account-id", HEALTHY, "--account-id", LOW, "--max-balance-usd", CEILING, "--format", "json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    jsonschema.validate(report, check_report_schema())
    assert report["policy"]["maxBalanceUsd"] == 40.0
    assert [v["rule"] for v in report["accounts"][0]["violations"]] == ["max-balance"]
    assert report["accounts"][1]["ok"] is True


def _check_help() -> str:
    parser = build_parser()
    buffer = io.StringIO()
    with pytest.raises(SystemExit), _redirect(buffer):
        parser.parse_args(["check", "--help"])
    return buffer.getvalue()


def _redirect(buffer: io.StringIO) -> Any:
    import contextlib

    return contextlib.redirect_stdout(buffer)


def test_both_schemas_declare_it() -> None:
    inputs = package_schema()["functions"][CHECK_TOKEN]["inputs"]["properties"]
    assert inputs["maxBalanceUsd"] == {"type": "number", "description": MADE_UP.description}
    report = check_report_schema()
    assert report["properties"]["policy"]["properties"]["maxBalanceUsd"]["type"] == ["number", "null"]
    assert "maxBalanceUsd" in report["properties"]["policy"]["required"]
    assert "max-balance" in report["$defs"]["violation"]["properties"]["rule"]["enum"]


def test_the_policy_pack_takes_it_from_its_config() -> None:
    config_schema = credit_balance_policy().config_schema
    assert config_schema is not None
    assert config_schema.properties["maxBalanceUsd"]["type"] == "number"
    violations: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        violations.append(message)

    from pulumi_policy import StackValidationArgs

    config = {"accountIds": [HEALTHY, LOW], "maxBalanceUsd": 40}
    validate_credit_balance(StackValidationArgs(resources=[], config=config), report)
    assert violations == [f"AI Gateway credits of account {HEALTHY}: balance is above $40 [max-balance]"]


def test_terraform_takes_it_as_a_query_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert "max_balance_usd" in query_keys()
    query = {"account_id": HEALTHY, "max_balance_usd": CEILING}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(query)))
    assert main(["terraform-external"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert (output["ok"], output["violated_rules"]) == ("false", "max-balance")


def test_the_terraform_provider_takes_it_as_a_typed_argument() -> None:
    from tf.iface import ReadDataContext
    from tf.utils import Diagnostics

    from pulumi_cfbilling.terraform._provider import CfBillingProvider
    from pulumi_cfbilling.terraform._schema import data_sources
    from pulumi_cfbilling.terraform._sources import CreditCheck

    # The provider serves the shipped schema.json; a schema regenerated with the rule (`cfbilling schema`) has it.
    check = data_sources(package_schema())["cfbilling_credit_check"]
    (argument,) = [a for a in check.arguments if a.name == "max_balance_usd"]
    assert (argument.role, argument.shape.cty()) == ("optional", "number")
    context = ReadDataContext(Diagnostics(), "cfbilling_credit_check")
    state = CreditCheck(CfBillingProvider()).read(context, {"account_id": HEALTHY, "max_balance_usd": 40})
    assert state is not None, str(context.diagnostics)
    assert state["ok"] is False
    assert [v["rule"] for v in state["violations"]] == ["max-balance"]


def test_the_plugin_takes_it_as_an_input() -> None:
    provider = CfBillingProvider()
    args = {"accountId": PropertyValue(HEALTHY), "maxBalanceUsd": PropertyValue(40.0)}
    loop = asyncio.new_event_loop()  # its own loop: asyncio.run would unset the one Pulumi's mocks use
    try:
        response = loop.run_until_complete(provider.invoke(p.InvokeRequest(CHECK_TOKEN, args)))
    finally:
        loop.close()
    assert not response.failures
    assert response.return_value is not None
    violations = response.return_value["violations"].value
    assert isinstance(violations, tuple)
    assert violations[0].value["rule"].value == "max-balance"


def test_the_python_functions_and_guard_take_it_as_a_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    collector = Collector()
    logger = pulumi_logger(collector)
    pulumi.runtime.set_mocks(RecordingMocks(), preview=False, logger=logger)
    assert [v.rule for v in cfbilling.check_credit_balance(HEALTHY, max_balance_usd=40).violations] == ["max-balance"]
    verdict = resolve(cfbilling.guard(HEALTHY, enforcement="advisory", max_balance_usd=CEILING))
    assert [v["rule"] for v in verdict["violations"]] == ["max-balance"]
    assert any("[max-balance]" in warning for warning in collector.warnings())
    assert resolve(cfbilling.check_credit_balance_output(LOW, max_balance_usd=40)).ok is True


def pulumi_logger(collector: Collector) -> Any:
    import logging

    logger = logging.getLogger("tests.made-up-rule")
    logger.handlers = [collector]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger
