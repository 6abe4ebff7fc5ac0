"""One fault matrix across every surface: each emulator fault, through each way of reading a balance.

Every cell must end in the right value (after retries) or the right clear, one-line error, quickly (small
timeouts, one retry), with the token absent from every output, log and error. Surfaces: client, CLI, Python data
functions under mocks, guard, dynamic provider, plugin Invoke, CrossGuard policy, Terraform's external protocol
and the native Terraform provider's data source.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pulumi
import pulumi.runtime
import pytest
from helpers import (
    HEALTHY,
    Collector,
    LeakWatch,
    Plugin,
    RecordingMocks,
    assert_no_secret,
    assert_one_line_failure,
    logging_for,
    resolve,
    run_cli,
)
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2
from pulumi_policy import StackValidationArgs

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.policy import validate_credit_balance
from pulumi_cfbilling.program.resource import CreditBalanceProvider
from pulumi_cfbilling.service.schema import GET_TOKEN
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

TIMEOUT = 0.5  # seconds per attempt, for every surface
RETRIES = 1


@dataclass(frozen=True)
class Fault:
    """An emulator fault and what every surface must make of it."""

    faults: list[dict[str, Any]]
    error: str | None  # the CfBillingError class name, or None when the balance must be read
    requests: int  # requests the emulator sees, with one retry allowed
    fragment: str = ""


FAULTS: dict[str, Fault] = {
    "stall past the timeout": Fault(
        [{"kind": "stall", "seconds": 5}], "APITimeoutError", 2, f"within the {TIMEOUT:g} s timeout"
    ),
    "stall then success": Fault([{"kind": "stall", "seconds": 5, "times": 1}], None, 2),
    "429 with a short Retry-After": Fault([{"kind": "status", "status": 429, "retry_after": "0", "times": 1}], None, 2),
    "429 with a huge Retry-After": Fault(
        [{"kind": "status", "status": 429, "retry_after": "86400"}], "RateLimitError", 1, "asks to wait 86400 s"
    ),
    "429 forever": Fault(
        [{"kind": "status", "status": 429, "retry_after": "0"}], "RateLimitError", 2, "after 2 attempts"
    ),
    "5xx then success": Fault([{"kind": "status", "status": 503, "times": 1}], None, 2),
    "5xx forever": Fault([{"kind": "status", "status": 500}], "ServerError", 2, "HTTP 500"),
    "5xx with a JSON error": Fault(
        [{"kind": "status", "status": 500, "code": 10002}],
        "ServerError",
        2,
        "HTTP 500 (code 10002: Internal Server Error",
    ),
    "Cloudflare's 520": Fault([{"kind": "status", "status": 520}], "ServerError", 2, "HTTP 520"),
    "HTML from a proxy": Fault([{"kind": "status", "status": 502, "html": True}], "ServerError", 2, "text/html"),
    "truncated JSON": Fault([{"kind": "truncated"}], "APIResponseError", 1, "not valid JSON"),
    "empty body": Fault([{"kind": "empty_body"}], "APIResponseError", 1, "is empty"),
    "success false on 200": Fault([{"kind": "success_false"}], "APIResponseError", 1, "success: false"),
    "result null": Fault([{"kind": "result_null"}], "APIResponseError", 1, "result: null"),
    "wrong types": Fault([{"kind": "wrong_types"}], "APIResponseError", 1, "balance: Value error, must be a number"),
    "missing keys": Fault(
        [{"kind": "missing_keys", "keys": ["balance", "topup_config"]}], "APIResponseError", 1, "Field required"
    ),
    "missing optional top-up keys": Fault(
        [{"kind": "missing_keys", "keys": ["topup_config.amount", "topup_config.lastFailedAt", "first_topup_success"]}],
        None,
        1,
    ),
    "dropped connection then success": Fault([{"kind": "drop", "times": 1}], None, 2),
    "dropped connection": Fault([{"kind": "drop"}], "APIConnectionError", 2, "closed the connection"),
    "redirect": Fault(
        [{"kind": "redirect", "location": "https://elsewhere.example/x"}],
        "APIResponseError",
        1,
        "redirect to elsewhere.example",
    ),
    "oversized body": Fault([{"kind": "oversized"}], "APIResponseError", 1, "larger than 1024 KiB"),
    "400": Fault([{"kind": "status", "status": 400, "code": 9106}], "AuthenticationError", 1, "code 9106"),
    "401": Fault([{"kind": "status", "status": 401, "code": 10000}], "AuthenticationError", 1, "code 10000"),
    "403": Fault([{"kind": "status", "status": 403, "code": 9109}], "PermissionDeniedError", 1, "code 9109"),
    "404": Fault([{"kind": "status", "status": 404, "code": 7003}], "NotFoundError", 1, "code 7003"),
}


@dataclass
class Outcome:
    """What a surface made of a fault: a balance in cents, or an error (class name when it has one) and text."""

    balance: float | None = None
    error: str | None = None
    message: str = ""
    extra_text: str = ""  # everything else the surface printed, searched for secrets
    chained: bool = False  # a chained cause would carry the transport's frames, which hold the request headers


ENV = {"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CFBILLING_TIMEOUT": str(TIMEOUT), "CFBILLING_MAX_RETRIES": str(RETRIES)}
CONFIG = {"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:timeout": str(TIMEOUT), "cfbilling:maxRetries": str(RETRIES)}


def via_client(emu: Emulator) -> Outcome:
    client = cfbilling.BillingClient(api_token=DEMO_TOKEN, base_url=emu.base_url, timeout=TIMEOUT, max_retries=RETRIES)
    try:
        return Outcome(balance=client.get_credit_balance(HEALTHY).balance)
    except cfbilling.CfBillingError as error:
        shown = repr(error) + repr(vars(error)) + "".join(traceback.format_exception(error))
        chained = error.__cause__ is not None or error.__context__ is not None
        return Outcome(error=type(error).__name__, message=str(error), extra_text=shown, chained=chained)


def via_cli(emu: Emulator) -> Outcome:
    result = run_cli(
        "balance", "--account-id", HEALTHY, "--format", "json", env={**ENV, "CLOUDFLARE_BASE_URL": emu.base_url}
    )
    if result.returncode == 0:
        return Outcome(balance=json.loads(result.stdout)["accounts"][0]["balance"], extra_text=result.stderr)
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.strip().splitlines()
    document = json.loads(result.stdout)
    return Outcome(error=document["errors"][0]["error"]["type"], message=line, extra_text=result.stdout)


def _program(emu: Emulator, monkeypatch: pytest.MonkeyPatch, collector: Collector | None = None) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**CONFIG, "cfbilling:baseUrl": emu.base_url}))
    pulumi.runtime.set_mocks(RecordingMocks(), preview=False, logger=logging_for(collector))


def _pulumi_outcome(read: Callable[[], float]) -> Outcome:
    try:
        return Outcome(balance=read())
    except cfbilling.CfBillingError as error:
        failure = error
    assert isinstance(failure, pulumi.RunError)  # so Pulumi prints the message and no traceback
    return Outcome(error=type(failure).__name__, message=str(failure))


def via_data_function(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    _program(emu, monkeypatch)
    return _pulumi_outcome(lambda: resolve(cfbilling.get_credit_balance_output(HEALTHY)).balance)


def via_guard(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    collector = Collector()
    _program(emu, monkeypatch, collector)
    mandatory = _pulumi_outcome(lambda: resolve(cfbilling.guard(HEALTHY, min_balance_usd=1)) and 4250.5)
    advisory = resolve(cfbilling.guard(HEALTHY, min_balance_usd=1, enforcement="advisory"))
    # The advisory guard shares the failed (or successful) read: it warns with the same message.
    assert advisory["ok"] is (mandatory.error is None)
    if mandatory.error is not None:
        assert advisory["error"] == mandatory.message
        assert collector.warnings() == [f"cfbilling guard (advisory): {mandatory.message}"]
    mandatory.extra_text = json.dumps(advisory) + "\n".join(collector.warnings())
    return mandatory


def via_dynamic_provider(emu: Emulator) -> Outcome:
    provider = CreditBalanceProvider()
    provider.configure(ConfigureRequest(Config({**CONFIG, "cfbilling:baseUrl": emu.base_url}, "proj")))
    try:
        return Outcome(balance=provider.read(HEALTHY, {}).outs["balance"])  # type: ignore[index]
    except cfbilling.CfBillingError as error:
        return Outcome(error=type(error).__name__, message=str(error))


def via_plugin(emu: Emulator, plugin: Plugin) -> Outcome:
    shared = {k.removeprefix("cfbilling:"): PropertyValue(v) for k, v in CONFIG.items() if k != "cfbilling:apiToken"}
    args = {**shared, "timeout": PropertyValue(TIMEOUT), "maxRetries": PropertyValue(float(RETRIES))}
    args |= {"apiToken": PropertyValue(DEMO_TOKEN, is_secret=True), "baseUrl": PropertyValue(emu.base_url)}
    plugin.call("Configure", provider_pb2.ConfigureRequest(args=PropertyValue.marshal_map(args), acceptSecrets=True))
    try:
        returned = plugin.invoke(GET_TOKEN, accountId=PropertyValue(HEALTHY))
    except grpc.RpcError as error:
        return Outcome(error=str(error.code()), message=str(error.details()))  # type: ignore[attr-defined]
    return Outcome(balance=returned["balance"].value)  # type: ignore[arg-type]


def via_policy(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    for name, value in {**ENV, "CLOUDFLARE_BASE_URL": emu.base_url}.items():
        monkeypatch.setenv(name, value)
    violations: list[str] = []
    config = {"accountIds": [HEALTHY], "minBalanceUsd": 1, "timeoutSeconds": TIMEOUT}
    validate_credit_balance(StackValidationArgs([], config), lambda message, urn=None: violations.append(message))
    if not violations:
        return Outcome(balance=4250.5)
    (violation,) = violations
    assert violation.startswith(f"AI Gateway credits of account {HEALTHY} cannot be read: ")
    return Outcome(error="violation", message=violation)


def via_terraform(emu: Emulator) -> Outcome:
    # A guardrail any balance passes: terraform-external is a check, and a check needs one.
    query = {"account_id": HEALTHY, "timeout": str(TIMEOUT), "base_url": emu.base_url, "min_balance_usd": "-1e9"}
    result = run_cli("terraform-external", env=ENV, stdin=json.dumps(query))
    if result.returncode == 0:
        return Outcome(balance=float(json.loads(result.stdout)["balance"]), extra_text=result.stderr)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    return Outcome(error="exit 3", message=line)


def via_terraform_provider(emu: Emulator) -> Outcome:
    from tf.iface import ReadDataContext
    from tf.utils import Diagnostics

    from pulumi_cfbilling.terraform._provider import CfBillingProvider
    from pulumi_cfbilling.terraform._sources import CreditBalance

    provider = CfBillingProvider()
    settings = {"api_token": DEMO_TOKEN, "base_url": emu.base_url, "timeout": TIMEOUT, "max_retries": RETRIES}
    diags = Diagnostics()
    provider.configure_provider(diags, {"api_key": None, "email": None, "account_id": None, **settings})
    assert not diags.diagnostics
    context = ReadDataContext(Diagnostics(), "cfbilling_credit_balance")
    state = CreditBalance(provider).read(context, {"account_id": HEALTHY})
    if state is not None:
        return Outcome(balance=state["balance"])
    (diagnostic,) = context.diagnostics.diagnostics
    assert diagnostic.severity == "error"
    assert diagnostic.detail.split(" ")[0] in ("APIConnectionError", "APITimeoutError") or "Error" in diagnostic.detail
    return Outcome(error="diagnostic", message=diagnostic.summary, extra_text=str(context.diagnostics))


# How each surface names an error class: plugin by gRPC status, policy as a violation, Terraform by exit code.
GRPC_STATUS = {
    "APITimeoutError": "StatusCode.DEADLINE_EXCEEDED",
    "RateLimitError": "StatusCode.RESOURCE_EXHAUSTED",
    "ServerError": "StatusCode.UNAVAILABLE",
    "APIConnectionError": "StatusCode.UNAVAILABLE",
    "APIResponseError": "StatusCode.INTERNAL",
    "AuthenticationError": "StatusCode.UNAUTHENTICATED",
    "PermissionDeniedError": "StatusCode.PERMISSION_DENIED",
    "NotFoundError": "StatusCode.NOT_FOUND",
}
SURFACES = [
    "client",
    "cli",
    "data function",
    "guard",
    "dynamic provider",
    "plugin",
    "policy",
    "terraform",
    "terraform provider",
]


def expected_error(surface: str, error: str) -> str:
    named = {
        "plugin": GRPC_STATUS[error],
        "policy": "violation",
        "terraform": "exit 3",
        "terraform provider": "diagnostic",
    }
    return named.get(surface, error)


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("surface", SURFACES)
def test_fault_matrix(
    surface: str,
    fault_name: str,
    start_plugin: Callable[[], Plugin],
    monkeypatch: pytest.MonkeyPatch,
    log_watch: LeakWatch,
) -> None:
    fault = FAULTS[fault_name]
    with Emulator(fixture=demo_fixture()) as emu:
        emu.set_faults(HEALTHY, fault.faults)
        started = time.monotonic()
        outcome = {
            "client": lambda: via_client(emu),
            "cli": lambda: via_cli(emu),
            "data function": lambda: via_data_function(emu, monkeypatch),
            "guard": lambda: via_guard(emu, monkeypatch),
            "dynamic provider": lambda: via_dynamic_provider(emu),
            "plugin": lambda: via_plugin(emu, start_plugin()),
            "policy": lambda: via_policy(emu, monkeypatch),
            "terraform": lambda: via_terraform(emu),
            "terraform provider": lambda: via_terraform_provider(emu),
        }[surface]()
        elapsed = time.monotonic() - started
        # Every surface retries alike: the same requests reach the server (none for a fault that is final).
        assert len(emu.requests_for(HEALTHY)) == fault.requests, surface
    if fault.error is None:
        assert outcome.error is None, outcome.message
        assert outcome.balance == 4250.5
    else:
        assert outcome.error == expected_error(surface, fault.error), outcome.message
        assert_one_line_failure(outcome.message, HEALTHY, fault.fragment)
        assert not outcome.chained
    # Generous: proves that no cell waits out a Retry-After or a stall, not how fast anything is.
    assert elapsed < 20
    assert_no_secret(outcome.message, outcome.extra_text, *log_watch.lines)


def test_matrix_covers_every_fault_the_issue_lists() -> None:
    kinds = {f["kind"] for fault in FAULTS.values() for f in fault.faults}
    assert kinds >= {
        "stall",
        "status",
        "truncated",
        "empty_body",
        "success_false",
        "result_null",
        "wrong_types",
        "missing_keys",
        "drop",
        "redirect",
        "oversized",
    }
    statuses = {f.get("status") for fault in FAULTS.values() for f in fault.faults}
    assert statuses >= {400, 401, 403, 404, 429, 500, 502, 503, 520}
    logging.getLogger(__name__).debug("%d faults x %d surfaces", len(FAULTS), len(SURFACES))
