"""Same input, same verdict, on every surface: one table of cases, each run through every surface.

A case is a server fixture (an account, maybe a fault), a set of guardrails and the spelling of their values, as a
user writes them in text. Every surface gets the same case its own way (keyword arguments, flags, an invoke's
arguments, a Terraform configuration, a query of strings, a policy config, the Action's inputs) and must come to
the same ``ok``, the same violated rules and the same kind of error: ``configuration`` (nothing was asked of
Cloudflare, exit 2) or ``api`` (an account could not be read, exit 3). Where a surface says which error it was, the
error type is the same too.

One documented difference, which is Terraform's and not ours: Terraform converts a value to its attribute's type
before any provider sees it, and it refuses ``"yes"``, ``"True"`` or ``" true"`` for a bool and ``"$20"`` for a
number (a configuration error at plan time, never a silent default). The Terraform driver applies Terraform's own
conversion (cty's) and expects that refusal for those spellings.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pulumi
import pytest
from helpers import FAILING, HEALTHY, LOW, UNKNOWN, Collector, RecordingMocks, resolve, run_check_step
from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import PropertyValue

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.cli import main
from pulumi_cfbilling.core.errors import APIError, CfBillingError, ConfigurationError
from pulumi_cfbilling.core.settings import CHECK_TOKEN, GUARD_TOKEN
from pulumi_cfbilling.guardrails.rules import GUARDRAILS, guardrail
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

IDLE = "5ad0b0c0d0e0f0a0b0c0d0e0f0a0b0c0"  # the demo's sandbox: two weeks without spend
ENDLESS = "c" * 32  # spends 5e-324 cents a day: a runway beyond any float
HUGE_TIME = "b" * 32  # lastFailedAt of 10**400
HUGE_BUCKET = "d" * 32  # a usage bucket that starts at 10**400


def _fixture() -> dict[str, Any]:
    fixture = demo_fixture()
    accounts = fixture["accounts"]
    endless = copy.deepcopy(accounts[HEALTHY])
    endless["usage"] = {"daily_cents": [5e-324] * 14}
    huge = copy.deepcopy(accounts[HEALTHY])
    huge["result"]["topup_config"]["lastFailedAt"] = 10**400
    accounts.update({ENDLESS: endless, HUGE_TIME: huge, HUGE_BUCKET: copy.deepcopy(accounts[HEALTHY])})
    return fixture


@dataclass(frozen=True)
class Outcome:
    """What a surface said: ``ok`` (``None`` when no verdict), the violated rules, the kind and type of error."""

    ok: bool | None
    rules: tuple[str, ...] = ()
    error: str | None = None
    error_type: str | None = None

    def essence(self) -> tuple[bool | None, tuple[str, ...], str | None]:
        return self.ok, self.rules, self.error


def _envelope(change: dict[str, Any]) -> dict[str, Any]:
    """A raw 200 answer: a healthy balance in an envelope with ``change`` applied (a ``None`` removes the key)."""
    result = {"balance": 4250.5, "has_default_payment_method": True, "payment_method": None, "topup_config": {}}
    envelope: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    envelope.update(change)
    body = {key: value for key, value in envelope.items() if value is not None}
    return {"kind": "raw", "status": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _failed(kind: str, error_type: str | None = None) -> Outcome:
    return Outcome(None, (), kind, error_type)


def _kind(error: BaseException) -> Outcome:
    if isinstance(error, ConfigurationError):
        return _failed("configuration", type(error).__name__)
    if isinstance(error, APIError):
        return _failed("api", type(error).__name__)
    raise error


@dataclass(frozen=True)
class Case:
    """One row: the account read, the guardrails as text, a fault to set up, what every surface must say."""

    name: str
    account: str
    guardrails: dict[str, str]
    expected: Outcome
    faults: list[dict[str, Any]] = field(default_factory=list)
    route: str = "credit-balance"
    bucket_start: int | None = None


def _ok() -> Outcome:
    return Outcome(True)


def _fail(*rules: str) -> Outcome:
    return Outcome(False, rules)


CONFIG = _failed("configuration")
API = _failed("api")
YES = ("true", "True", "TRUE", " true", "yes", "YES", "on", "1")

CASES: list[Case] = [
    Case("empty check", HEALTHY, {}, CONFIG),
    Case("only a switched-off flag", HEALTHY, {"require_auto_topup": "false"}, CONFIG),
    Case("no is off", HEALTHY, {"require_auto_topup": "no", "min_balance_usd": "1"}, _ok()),
    *[Case(f"auto top-up {s!r}", LOW, {"require_auto_topup": s}, _fail("auto-topup")) for s in YES],
    Case("auto top-up true, on", HEALTHY, {"require_auto_topup": "true"}, _ok()),
    *[Case(f"auto top-up {s!r}", LOW, {"require_auto_topup": s}, CONFIG) for s in ("maybe", "2", "ture")],
    Case("payment method yes", HEALTHY, {"require_payment_method": "yes"}, _ok()),
    Case("payment method yes, none", LOW, {"require_payment_method": "yes"}, _fail("payment-method")),
    Case("payment method 0", LOW, {"require_payment_method": "0", "min_balance_usd": "1"}, _ok()),
    Case("min balance 20", HEALTHY, {"min_balance_usd": "20"}, _ok()),
    Case("min balance 20, low", LOW, {"min_balance_usd": "20"}, _fail("min-balance")),
    Case("min balance $20", LOW, {"min_balance_usd": "$20"}, _fail("min-balance")),
    Case("min balance ' 20 '", LOW, {"min_balance_usd": " 20 "}, _fail("min-balance")),
    Case("min balance 0, negative balance", FAILING, {"min_balance_usd": "0"}, _fail("min-balance")),
    Case("min balance lots", LOW, {"min_balance_usd": "lots"}, CONFIG),
    Case("min balance NaN", LOW, {"min_balance_usd": "NaN"}, CONFIG),
    Case("min balance 1e400", LOW, {"min_balance_usd": "1e400"}, CONFIG),
    Case("failure age 24h", FAILING, {"max_topup_failure_age": "24h"}, _fail("topup-failure")),
    Case("failure age 7d, none", HEALTHY, {"max_topup_failure_age": "7d"}, _ok()),
    Case("failure age soon", HEALTHY, {"max_topup_failure_age": "soon"}, CONFIG),
    Case("threshold 5", HEALTHY, {"min_topup_threshold_usd": "5"}, _ok()),
    Case("threshold 50", HEALTHY, {"min_topup_threshold_usd": "50"}, _fail("topup-threshold")),
    Case("runway 7", HEALTHY, {"min_runway_days": "7"}, _ok()),
    Case("runway 7, spiky", LOW, {"min_runway_days": "7"}, _fail("min-runway")),
    Case("runway 7, no spend (null runway)", IDLE, {"min_runway_days": "7"}, _ok()),
    Case("runway 7, endless (infinite runway)", ENDLESS, {"min_runway_days": "7"}, _ok()),
    Case("runway 7, used up", FAILING, {"min_runway_days": "7"}, _fail("min-runway")),
    Case("runway -1", HEALTHY, {"min_runway_days": "-1"}, CONFIG),
    Case("spend limit, capped", HEALTHY, {"require_spend_limit": "yes"}, _ok()),
    Case("spend limit, uncapped", LOW, {"require_spend_limit": "true"}, _fail("spend-limit")),
    Case("spend limit, limits off", FAILING, {"require_spend_limit": "on"}, _fail("spend-limit")),
    Case("spend limit maybe", LOW, {"require_spend_limit": "maybe"}, CONFIG),
    Case(
        "auto top-up uncapped",
        FAILING,
        {"require_spend_limit_with_auto_topup": "yes"},
        _fail("spend-limit-with-auto-topup"),
    ),
    Case("auto top-up off, uncapped", LOW, {"require_spend_limit_with_auto_topup": "1"}, _ok()),
    Case("invoice due 10", HEALTHY, {"max_invoice_due_usd": "10"}, _fail("invoice-due")),
    Case("invoice due $12.40", HEALTHY, {"max_invoice_due_usd": "$12.40"}, _ok()),
    Case("invoice due lots", HEALTHY, {"max_invoice_due_usd": "lots"}, CONFIG),
    Case(
        "gateways route 403",
        HEALTHY,
        {"require_spend_limit": "yes"},
        API,
        [{"kind": "status", "status": 403, "code": 9109}],
        route="gateways",
    ),
    Case(
        "invoice route malformed",
        HEALTHY,
        {"max_invoice_due_usd": "10"},
        API,
        [{"kind": "wrong_types"}],
        route="invoice-preview",
    ),
    Case(
        "gateways route fault without a gateway rule",
        HEALTHY,
        {"min_balance_usd": "1"},
        _ok(),
        [{"kind": "status", "status": 500}],
        route="gateways",
    ),
    Case(
        "every guardrail",
        LOW,
        {
            "min_balance_usd": "20",
            "require_auto_topup": "yes",
            "require_payment_method": "on",
            "max_topup_failure_age": "1d",
            "min_topup_threshold_usd": "10",
            "min_runway_days": "3",
        },
        _fail("min-balance", "auto-topup", "payment-method", "topup-threshold", "min-runway"),
    ),
    Case(
        "403 on the balance", HEALTHY, {"min_balance_usd": "1"}, API, [{"kind": "status", "status": 403, "code": 9109}]
    ),
    Case(
        "401 on the balance",
        HEALTHY,
        {"require_auto_topup": "yes"},
        API,
        [{"kind": "status", "status": 401, "code": 10000}],
    ),
    Case("500 on the balance", HEALTHY, {"min_balance_usd": "1"}, API, [{"kind": "status", "status": 500}]),
    Case("result null", HEALTHY, {"min_balance_usd": "1"}, API, [{"kind": "result_null"}]),
    Case("success false", HEALTHY, {"min_balance_usd": "1"}, API, [{"kind": "success_false", "code": 1000}]),
    # The envelope is checked by hand (api.response.read_envelope): every surface must refuse what the model did.
    Case("envelope success as text", HEALTHY, {"min_balance_usd": "1"}, API, [_envelope({"success": "true"})]),
    Case("envelope result as text", HEALTHY, {"min_balance_usd": "1"}, API, [_envelope({"result": "640.19"})]),
    Case("envelope without success", HEALTHY, {"min_balance_usd": "1"}, API, [_envelope({"success": None})]),
    Case(
        "usage route 403 with a runway rule",
        HEALTHY,
        {"min_runway_days": "3"},
        API,
        [{"kind": "status", "status": 403, "code": 10000}],
        "usage-history",
    ),
    Case(
        "usage route 403 without one",
        HEALTHY,
        {"min_balance_usd": "1"},
        _ok(),
        [{"kind": "status", "status": 403, "code": 10000}],
        "usage-history",
    ),
    Case(
        "usage route malformed with a runway rule",
        HEALTHY,
        {"min_runway_days": "3"},
        API,
        [{"kind": "wrong_types"}],
        "usage-history",
    ),
    Case("huge lastFailedAt", HUGE_TIME, {"min_balance_usd": "1"}, API),
    Case("huge lastFailedAt, failure age", HUGE_TIME, {"max_topup_failure_age": "1d"}, API),
    Case("huge bucket start with a runway rule", HUGE_BUCKET, {"min_runway_days": "3"}, API, bucket_start=10**400),
    Case("unknown account", UNKNOWN, {"min_balance_usd": "1"}, API),
    Case("malformed account id", "nope", {"min_balance_usd": "1"}, CONFIG),
]


def _huge_bucket_usage() -> dict[str, Any]:
    bucket = {"id": "b1", "aggregated_value": 100, "start_time": 10**400, "end_time": 10**400 + 1}
    return {"kind": "raw", "status": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"success": True, "errors": [], "messages": [], "result": {"history": [bucket]}})}  # fmt: skip


# -- The surfaces ------------------------------------------------------------------------------------------------


def via_python(emulator: Emulator, case: Case) -> Outcome:
    """``check_credit_balance`` with the guardrails as keywords, values as written."""
    pulumi.runtime.set_mocks(RecordingMocks(), preview=False)
    try:
        result = cfbilling.check_credit_balance(case.account, **case.guardrails)
    except CfBillingError as error:
        return _kind(error)
    return Outcome(result.ok, tuple(v.rule for v in result.violations))


def via_guard(emulator: Emulator, case: Case) -> Outcome:
    """An advisory ``guard()``: the verdict comes back as data, a read failure as its ``error``."""
    collector = Collector()
    pulumi.runtime.set_mocks(RecordingMocks(), preview=False, logger=_logger(collector))
    try:
        verdict = resolve(cfbilling.guard(case.account, enforcement="advisory", **case.guardrails))
    except CfBillingError as error:
        return _kind(error)
    if verdict["error"] is not None:
        return _failed("api")
    return Outcome(verdict["ok"], tuple(v["rule"] for v in verdict["violations"]))


def _logger(collector: Collector) -> Any:
    import logging

    logger = logging.getLogger("tests.parity")
    logger.handlers = [collector]
    logger.propagate = False
    return logger


def _flags(guardrails: dict[str, str]) -> list[str]:
    return [f"{guardrail(name).flag}={value}" for name, value in guardrails.items()]


def via_cli(emulator: Emulator, case: Case, capsys: pytest.CaptureFixture[str]) -> Outcome:
    """``cfbilling check --format json`` with ``--flag=value``."""
    code = main(["check", "--account-id", case.account, *_flags(case.guardrails), "--format", "json"])
    out = capsys.readouterr().out
    if code == 2:
        return _failed("configuration", "ConfigurationError")
    (account,) = json.loads(out)["accounts"]
    if code == 3:
        return _failed("api", account["error"]["type"])
    return Outcome(account["ok"], tuple(v["rule"] for v in account["violations"]))


def via_watch(emulator: Emulator, case: Case, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Outcome:
    """``cfbilling watch --dry-run`` from a fresh state: a message exactly when the check would fail, one rung each."""
    state = tmp_path / "watch-state.json"
    code = main(["watch", "--account-id", case.account, *_flags(case.guardrails), "--dry-run", "--state", str(state)])
    out = capsys.readouterr().out
    if code == 2:
        return _failed("configuration", "ConfigurationError")
    assert code == 0, out
    assert not state.exists()
    if "cannot read the account" in out:
        return _failed("api")
    rules = re.findall(r"^  - .* \[([a-z-]+)\]$", out, flags=re.MULTILINE)
    return Outcome(not rules, tuple(rules))


def _plugin_invoke(token: str, case: Case, **extra: str) -> Outcome:
    """The provider plugin's invoke of ``token``, arguments camelCase, values as written; its verdict or error.

    A ``GuardrailError`` (a mandatory guard that failed) is the verdict ``ok: false`` with the rules it names.
    """
    from pulumi_cfbilling.core.errors import GuardrailError
    from pulumi_cfbilling.plugin._provider import CfBillingProvider

    args = {"accountId": PropertyValue(case.account), **{k: PropertyValue(v) for k, v in extra.items()}}
    args |= {guardrail(name).camel: PropertyValue(value) for name, value in case.guardrails.items()}
    loop = asyncio.new_event_loop()  # its own loop: asyncio.run would unset the one Pulumi's mocks use
    try:
        response = loop.run_until_complete(CfBillingProvider().invoke(p.InvokeRequest(token, args)))
    except GuardrailError as failed:
        return Outcome(False, tuple(v.rule for v in failed.verdict.violations))
    except CfBillingError as error:
        return _kind(error)
    finally:
        loop.close()
    if response.failures:
        return _failed("configuration", "ConfigurationError")
    assert response.return_value is not None
    violations = response.return_value["violations"].value
    return Outcome(response.return_value["ok"].value, tuple(v.value["rule"].value for v in violations))


def via_plugin(emulator: Emulator, case: Case) -> Outcome:
    """The provider plugin's ``checkCreditBalance`` invoke."""
    return _plugin_invoke(CHECK_TOKEN, case)


def via_plugin_guard(emulator: Emulator, case: Case) -> Outcome:
    """The plugin's ``guard`` for every language, mandatory: a failure is the invoke's error, as the engine sees."""
    return _plugin_invoke(GUARD_TOKEN, case, enforcement="mandatory")


class TerraformRefused(Exception):
    """Terraform itself refused the value: cty cannot convert it to the attribute's type."""


def _cty(value: str, kind: str) -> Any:
    """The value as Terraform hands it to a provider, after converting a string to the attribute's type (cty)."""
    if kind == "flag":
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise TerraformRefused(value)
    if kind in ("usd", "days"):
        try:
            number = Decimal(value)  # cty parses the literal as it is: no blanks, no "$"
        except InvalidOperation:
            raise TerraformRefused(value) from None
        if value != value.strip() or not number.is_finite():
            raise TerraformRefused(value)
        return float(number) if abs(number) < Decimal("1e308") else number
    return value


def via_terraform_provider(emulator: Emulator, case: Case) -> Outcome:
    """``data "cfbilling_credit_check"``: Terraform's conversion, plan-time validation, then the read."""
    from tf.iface import ReadDataContext
    from tf.utils import Diagnostics

    from pulumi_cfbilling.terraform._provider import CfBillingProvider
    from pulumi_cfbilling.terraform._sources import CreditCheck

    try:
        config: dict[str, Any] = {n: _cty(v, guardrail(n).kind) for n, v in case.guardrails.items()}
    except TerraformRefused:
        return _failed("configuration")
    config["account_id"] = case.account
    config |= {g.name: None for g in GUARDRAILS if g.name not in config}
    provider = CfBillingProvider()
    provider.configure_provider(Diagnostics(), {})
    source = CreditCheck(provider)
    diags = Diagnostics()
    source.validate(diags, source.type_name, config)
    if diags.diagnostics:
        return _failed("configuration")
    context = ReadDataContext(Diagnostics(), source.type_name)
    state = source.read(context, config)
    if state is None:
        (diagnostic,) = context.diagnostics.diagnostics
        error_type = diagnostic.detail.split(":")[0].split(" ")[0]
        return _failed("configuration" if error_type == "ConfigurationError" else "api", error_type)
    return Outcome(state["ok"], tuple(v["rule"] for v in state["violations"]))


def via_external(emulator: Emulator, case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> Outcome:
    """``cfbilling terraform-external``: a JSON query of strings on stdin."""
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"account_id": case.account, **case.guardrails})))
    code = main(["terraform-external"])
    out = capsys.readouterr().out
    if code != 0:
        return _failed({2: "configuration", 3: "api"}[code])
    result = json.loads(out)
    rules = tuple(result["violated_rules"].split(",")) if result["violated_rules"] else ()
    return Outcome(result["ok"] == "true", rules)


def via_policy(emulator: Emulator, case: Case) -> Outcome:
    """The CrossGuard policy's ``validate`` with the case's account and guardrails in its config."""
    from pulumi_policy import StackValidationArgs

    from pulumi_cfbilling.policy import validate_credit_balance

    messages: list[str] = []
    config: dict[str, Any] = {"accountIds": [case.account], "timeoutSeconds": 5}
    config |= {guardrail(name).camel: value for name, value in case.guardrails.items()}
    validate_credit_balance(StackValidationArgs(resources=[], config=config), lambda m, urn=None: messages.append(m))
    if any("cannot be checked" in m for m in messages):
        return _failed("configuration")
    if any("cannot be read" in m for m in messages):
        return _failed("api")
    rules = tuple(re.findall(r"\[([a-z-]+)\]$", m)[0] for m in messages)
    return Outcome(not rules, rules)


def via_action(emulator: Emulator, case: Case, tmp_path: Path) -> Outcome:
    """The GitHub Action's check step in bash, its inputs as the workflow writes them."""
    inputs = {guardrail(name).flag.removeprefix("--"): value for name, value in case.guardrails.items()}
    result = run_check_step(emulator, tmp_path, {"CFBILLING_MAX_RETRIES": "0"}, **{"account-ids": case.account},
                            **inputs)  # fmt: skip
    if result.returncode in (2, 3):
        return _failed({2: "configuration", 3: "api"}[result.returncode])
    assert result.returncode in (0, 1), result.stderr
    rules = tuple(re.findall(r"^::error title=AI Gateway credits%3A .*\[([a-z-]+)\]::", result.stdout, re.M))
    return Outcome(result.returncode == 0, rules)


SURFACES = [
    "python",
    "guard",
    "cli",
    "watch",
    "plugin",
    "plugin guard",
    "terraform provider",
    "terraform-external",
    "policy",
    "action",
]


@pytest.fixture
def parity_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator(fixture=_fixture()) as emu:
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.base_url)
        monkeypatch.setenv("CFBILLING_MAX_RETRIES", "0")
        monkeypatch.setenv("CFBILLING_TIMEOUT", "5")
        yield emu


def _terraform_refuses(case: Case) -> bool:
    try:
        for name, value in case.guardrails.items():
            _cty(value, guardrail(name).kind)
    except TerraformRefused:
        return True
    return False


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_surface_gives_the_same_verdict(
    case: Case,
    parity_emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    emu = parity_emulator
    runs: dict[str, Callable[[], Outcome]] = {
        "python": lambda: via_python(emu, case),
        "guard": lambda: via_guard(emu, case),
        "cli": lambda: via_cli(emu, case, capsys),
        "watch": lambda: via_watch(emu, case, capsys, tmp_path),
        "plugin": lambda: via_plugin(emu, case),
        "plugin guard": lambda: via_plugin_guard(emu, case),
        "terraform provider": lambda: via_terraform_provider(emu, case),
        "terraform-external": lambda: via_external(emu, case, capsys, monkeypatch),
        "policy": lambda: via_policy(emu, case),
        "action": lambda: via_action(emu, case, tmp_path),
    }
    outcomes: dict[str, Outcome] = {}
    for surface in SURFACES:
        emu.set_faults(case.account, case.faults, route=case.route) if case.faults else None
        if case.bucket_start is not None:
            emu.set_faults(case.account, [_huge_bucket_usage()], route="usage-history")
        outcomes[surface] = runs[surface]()
    expected = {s: case.expected.essence() for s in SURFACES}
    if _terraform_refuses(case):  # Terraform's conversion refuses the spelling first (see the module's docstring)
        expected["terraform provider"] = CONFIG.essence()
    assert {s: o.essence() for s, o in outcomes.items()} == expected
    # Where a surface names the error's type, every such surface names the same one.
    named = {o.error_type for o in outcomes.values() if o.error_type is not None}
    assert len(named) <= 1, outcomes


def test_the_table_is_large_and_covers_every_guardrail() -> None:
    assert len(CASES) >= 40
    used = {name for case in CASES for name in case.guardrails}
    assert used == {g.name for g in GUARDRAILS}
    assert {case.expected.error for case in CASES} == {None, "configuration", "api"}
