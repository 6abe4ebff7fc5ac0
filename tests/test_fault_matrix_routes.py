"""The fault matrix of the gateways route: each fault, through every surface that reads the gateways.

As ``test_fault_matrix`` does for the balance: every cell ends in the gateways (after retries) or the right clear,
one-line error naming the account, with the same number of requests on every surface, quickly, and with no token
anywhere. Surfaces: the client, ``cfbilling gateways``, the data function, the plugin's ``getGateways``, the policy
(``requireSpendLimit``), ``terraform-external`` (``require_spend_limit``) and the ``cfbilling_gateways`` data source.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pulumi
import pulumi.runtime
import pytest
from helpers import (
    HEALTHY,
    LeakWatch,
    Plugin,
    RecordingMocks,
    assert_no_secret,
    assert_one_line_failure,
    logging_for,
    resolve,
    run_cli,
)
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2
from pulumi_policy import StackValidationArgs

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.core.settings import GATEWAYS_TOKEN
from pulumi_cfbilling.policy import validate_credit_balance
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

TIMEOUT = 0.5
RETRIES = 1
ROUTE = "gateways"


@dataclass(frozen=True)
class Fault:
    faults: list[dict[str, Any]]
    error: str | None  # the CfBillingError class name, or None when the gateways must be read
    requests: int
    fragment: str = ""


FAULTS: dict[str, Fault] = {
    "stall past the timeout": Fault([{"kind": "stall", "seconds": 5}], "APITimeoutError", 2, "timeout"),
    "429 then success": Fault([{"kind": "status", "status": 429, "retry_after": "0", "times": 1}], None, 2),
    "5xx forever": Fault([{"kind": "status", "status": 500}], "ServerError", 2, "HTTP 500"),
    "truncated JSON": Fault([{"kind": "truncated"}], "APIResponseError", 1, "not valid JSON"),
    "wrong types": Fault([{"kind": "wrong_types"}], "APIResponseError", 1, "byok_only"),
    "missing ids": Fault([{"kind": "missing_keys"}], "APIResponseError", 1, "Field required"),
    "dropped connection then success": Fault([{"kind": "drop", "times": 1}], None, 2),
    "redirect": Fault([{"kind": "redirect", "location": "https://else.example/x"}], "APIResponseError", 1, "redirect"),
    "403": Fault([{"kind": "status", "status": 403, "code": 9109}], "PermissionDeniedError", 1, "code 9109"),
}
GRPC_STATUS = {
    "APITimeoutError": "StatusCode.DEADLINE_EXCEEDED",
    "ServerError": "StatusCode.UNAVAILABLE",
    "APIResponseError": "StatusCode.INTERNAL",
    "PermissionDeniedError": "StatusCode.PERMISSION_DENIED",
}
ENV = {"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CFBILLING_TIMEOUT": str(TIMEOUT), "CFBILLING_MAX_RETRIES": str(RETRIES)}


@dataclass
class Outcome:
    gateways: int | None = None
    error: str | None = None
    message: str = ""
    extra_text: str = ""


def via_client(emu: Emulator, start_plugin: Callable[[], Plugin], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    client = cfbilling.BillingClient(api_token=DEMO_TOKEN, base_url=emu.base_url, timeout=TIMEOUT, max_retries=RETRIES)
    try:
        return Outcome(gateways=len(client.get_gateways(HEALTHY).gateways))
    except cfbilling.CfBillingError as error:
        return Outcome(error=type(error).__name__, message=str(error), extra_text=repr(error))


def via_cli(emu: Emulator, start_plugin: Callable[[], Plugin], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    env = {**ENV, "CLOUDFLARE_BASE_URL": emu.base_url}
    result = run_cli("gateways", "--account-id", HEALTHY, "--format", "json", env=env)
    if result.returncode == 0:
        return Outcome(gateways=len(json.loads(result.stdout)["accounts"][0]["gateways"]), extra_text=result.stderr)
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.strip().splitlines()
    return Outcome(error=json.loads(result.stdout)["errors"][0]["error"]["type"], message=line)


def via_data_function(emu: Emulator, start_plugin: Callable[[], Plugin], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    config = {"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:timeout": str(TIMEOUT), "cfbilling:maxRetries": "1"}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**config, "cfbilling:baseUrl": emu.base_url}))
    pulumi.runtime.set_mocks(RecordingMocks(), preview=False, logger=logging_for(None))
    try:
        return Outcome(gateways=len(resolve(cfbilling.get_gateways_output(HEALTHY)).gateways))
    except cfbilling.CfBillingError as error:
        failure = error
    assert isinstance(failure, pulumi.RunError)  # so Pulumi prints the message and no traceback
    return Outcome(error=type(failure).__name__, message=str(failure))


def via_plugin(emu: Emulator, start_plugin: Callable[[], Plugin], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    plugin = start_plugin()
    args = {"timeout": PropertyValue(TIMEOUT), "maxRetries": PropertyValue(float(RETRIES))}
    args |= {"apiToken": PropertyValue(DEMO_TOKEN, is_secret=True), "baseUrl": PropertyValue(emu.base_url)}
    plugin.call("Configure", provider_pb2.ConfigureRequest(args=PropertyValue.marshal_map(args), acceptSecrets=True))
    try:
        returned = plugin.invoke(GATEWAYS_TOKEN, accountId=PropertyValue(HEALTHY))
    except grpc.RpcError as error:
        status = str(error.code())  # type: ignore[attr-defined]
        named = {v: k for k, v in GRPC_STATUS.items()}
        return Outcome(error=named.get(status, status), message=str(error.details()))  # type: ignore[attr-defined]
    return Outcome(gateways=len(returned["gateways"].value))  # type: ignore[arg-type]


def via_policy(emu: Emulator, start_plugin: Callable[[], Plugin], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    for name, value in {**ENV, "CLOUDFLARE_BASE_URL": emu.base_url}.items():
        monkeypatch.setenv(name, value)
    violations: list[str] = []
    config = {"accountIds": [HEALTHY], "requireSpendLimit": True, "timeoutSeconds": TIMEOUT}
    validate_credit_balance(StackValidationArgs([], config), lambda message, urn=None: violations.append(message))
    if not violations:
        return Outcome(gateways=2)  # production's gateways pass: both were read
    (violation,) = violations
    assert violation.startswith(f"AI Gateway credits of account {HEALTHY} cannot be read: ")
    return Outcome(error="violation", message=violation)


def via_terraform(emu: Emulator, start_plugin: Callable[[], Plugin], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    query = {"account_id": HEALTHY, "timeout": str(TIMEOUT), "base_url": emu.base_url, "require_spend_limit": "true"}
    result = run_cli("terraform-external", env=ENV, stdin=json.dumps(query))
    if result.returncode == 0:
        assert json.loads(result.stdout)["ok"] == "true"
        return Outcome(gateways=2, extra_text=result.stderr)
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.strip().splitlines()
    return Outcome(error="exit 3", message=line)


def via_terraform_provider(
    emu: Emulator, start_plugin: Callable[[], Plugin], monkeypatch: pytest.MonkeyPatch
) -> Outcome:
    from tf.iface import ReadDataContext
    from tf.utils import Diagnostics

    from pulumi_cfbilling.terraform._provider import CfBillingProvider
    from pulumi_cfbilling.terraform._sources import route_sources

    provider = CfBillingProvider()
    settings = {"api_token": DEMO_TOKEN, "base_url": emu.base_url, "timeout": TIMEOUT, "max_retries": RETRIES}
    diags = Diagnostics()
    provider.configure_provider(diags, {"api_key": None, "email": None, "account_id": None, **settings})
    (source,) = [s for s in route_sources() if s.type_name == "cfbilling_gateways"]
    context = ReadDataContext(Diagnostics(), source.type_name)
    state = source(provider).read(context, {"account_id": HEALTHY})
    if state is not None:
        return Outcome(gateways=len(state["gateways"]))
    (diagnostic,) = context.diagnostics.diagnostics
    return Outcome(error="diagnostic", message=diagnostic.summary, extra_text=str(context.diagnostics))


SURFACES = {
    "client": via_client,
    "cli": via_cli,
    "data function": via_data_function,
    "plugin": via_plugin,
    "policy": via_policy,
    "terraform": via_terraform,
    "terraform provider": via_terraform_provider,
}


def expected_error(surface: str, error: str) -> str:
    return {"policy": "violation", "terraform": "exit 3", "terraform provider": "diagnostic"}.get(surface, error)


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("surface", list(SURFACES))
def test_gateway_fault_matrix(
    surface: str,
    fault_name: str,
    start_plugin: Callable[[], Plugin],
    monkeypatch: pytest.MonkeyPatch,
    log_watch: LeakWatch,
) -> None:
    fault = FAULTS[fault_name]
    with Emulator(fixture=demo_fixture()) as emu:
        emu.set_faults(HEALTHY, fault.faults, route=ROUTE)
        started = time.monotonic()
        outcome = SURFACES[surface](emu, start_plugin, monkeypatch)
        elapsed = time.monotonic() - started
        assert len(emu.requests_for(HEALTHY, route=ROUTE)) == fault.requests, surface
    if fault.error is None:
        assert outcome.error is None, outcome.message
        assert outcome.gateways == 2
    else:
        assert outcome.error == expected_error(surface, fault.error), outcome.message
        assert_one_line_failure(outcome.message, HEALTHY, fault.fragment)
    assert elapsed < 20  # generous: proves no cell waits out a stall, not how fast anything is
    assert_no_secret(outcome.message, outcome.extra_text, *log_watch.lines)
