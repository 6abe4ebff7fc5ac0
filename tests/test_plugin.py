"""The provider plugin, started as the engine starts it and driven over gRPC against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pulumi.runtime
import pytest
from google.protobuf import empty_pb2
from helpers import FAILING, HEALTHY, LOW, SECRETS, Plugin, RecordingMocks, plain
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2
from pulumi.runtime.rpc import UNKNOWN  # what the engine sends for an unknown value

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.core.version import __version__
from pulumi_cfbilling.service.schema import CHECK_TOKEN, GET_TOKEN
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def plugin() -> Iterator[Plugin]:
    running = Plugin()
    yield running
    stdout, stderr = running.stop()
    assert stdout == "", "stdout carries only the port line"
    for text in [*running.seen, stderr]:
        for secret in SECRETS:
            assert secret not in text
        assert "Traceback" not in text


def test_plugin_info(plugin: Plugin) -> None:
    assert plugin.call("GetPluginInfo", empty_pb2.Empty()).version == __version__


def test_schema_is_the_committed_file(plugin: Plugin) -> None:
    schema = plugin.call("GetSchema", provider_pb2.GetSchemaRequest(version=0)).schema
    assert schema == (ROOT / "schema.json").read_text()


def check_config(plugin: Plugin, **news: PropertyValue) -> Any:
    return plugin.call(
        "CheckConfig",
        provider_pb2.CheckRequest(
            urn="urn:pulumi:dev::p::pulumi:providers:cfbilling::default", news=PropertyValue.marshal_map(news)
        ),
    )


def test_check_config_accepts_good_values(plugin: Plugin) -> None:
    response = check_config(
        plugin,
        accountId=PropertyValue(HEALTHY),
        baseUrl=PropertyValue("https://api.cloudflare.com/client/v4"),
        timeout=PropertyValue(5.0),
        apiToken=PropertyValue("x", is_secret=True),
    )
    assert list(response.failures) == []


def test_check_config_rejects_bad_values(plugin: Plugin) -> None:
    response = check_config(
        plugin,
        accountId=PropertyValue("ABC"),
        baseUrl=PropertyValue("http://example.com"),
        maxRetries=PropertyValue(99.0),
    )
    failures = {f.property: f.reason for f in response.failures}
    assert set(failures) == {"accountId", "baseUrl", "maxRetries"}
    assert "cfbilling:accountId 'ABC' is not a Cloudflare account id" in failures["accountId"]
    assert "plain http" in failures["baseUrl"]


def test_check_config_leaves_unknown_values_alone(plugin: Plugin) -> None:
    assert list(check_config(plugin, accountId=PropertyValue(UNKNOWN)).failures) == []


def test_configure_sets_the_flags(plugin: Plugin, emulator: Emulator) -> None:
    response = plugin.configure(emulator)
    assert (response.acceptSecrets, response.supportsPreview) == (True, True)


@pytest.fixture
def python_result(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Any:
    """What the Python data function returns for an account, under mocks, as canonical camelCase values."""
    monkeypatch.setenv(
        "PULUMI_CONFIG", json.dumps({"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url})
    )
    pulumi.runtime.set_mocks(RecordingMocks())

    def read(account: str) -> dict[str, Any]:
        result = cfbilling.get_credit_balance(account)
        # The result is a dict of canonical camelCase keys; attributes are snake_case views of it.
        assert all(getattr(result, attr) == result[camel] for attr, camel in type(result).NAMES.items())
        return {k: dict(v) if isinstance(v, dict) else v for k, v in result.items()}

    return read


@pytest.mark.parametrize("account", [HEALTHY, LOW, FAILING])
def test_get_credit_balance_equals_the_python_data_function(
    plugin: Plugin, emulator: Emulator, python_result: Any, account: str
) -> None:
    # A fixed failure time: the sample account's is relative to each request.
    frozen = {k: v for k, v in emulator.accounts[account].items() if k != "failed_topup_seconds_ago"}
    frozen["result"]["topup_config"]["lastFailedAt"] = frozen["result"]["topup_config"]["lastFailedAt"] or 1763900000000
    emulator.set_account(account, frozen)
    plugin.configure(emulator)
    returned = plain(plugin.invoke(GET_TOKEN, accountId=PropertyValue(account)))
    expected = python_result(account)
    assert set(returned) == set(expected)
    for name, value in expected.items():
        assert returned[name] == value, name


def test_every_declared_output_is_returned_and_every_returned_output_is_declared(
    plugin: Plugin, emulator: Emulator
) -> None:
    schema = json.loads((ROOT / "schema.json").read_text())
    plugin.configure(emulator)
    for token, args in (
        (GET_TOKEN, {"accountId": PropertyValue(HEALTHY)}),
        (CHECK_TOKEN, {"accountId": PropertyValue(LOW), "minBalanceUsd": PropertyValue(20.0)}),
    ):
        returned = plain(plugin.invoke(token, **args))
        assert set(returned) == set(schema["functions"][token]["outputs"]["properties"]), token
    violation = returned["violations"][0]
    assert set(violation) == set(schema["types"]["cfbilling:index:Violation"]["properties"])
    assert set(plain(plugin.invoke(GET_TOKEN, accountId=PropertyValue(HEALTHY)))["topupConfig"]) == set(
        schema["types"]["cfbilling:index:TopupConfig"]["properties"]
    )


def test_check_credit_balance(plugin: Plugin, emulator: Emulator) -> None:
    plugin.configure(emulator)
    returned = plain(
        plugin.invoke(
            CHECK_TOKEN,
            accountId=PropertyValue(LOW),
            minBalanceUsd=PropertyValue(20.0),
            requirePaymentMethod=PropertyValue(True),
        )
    )
    assert returned["ok"] is False
    assert [v["rule"] for v in returned["violations"]] == ["min-balance", "payment-method"]
    assert returned["violations"][0]["observed"] == 3.1275
    assert (
        plain(plugin.invoke(CHECK_TOKEN, accountId=PropertyValue(HEALTHY), maxTopupFailureAge=PropertyValue("24h")))[
            "ok"
        ]
        is True
    )


def test_account_from_the_provider_config(plugin: Plugin, emulator: Emulator) -> None:
    plugin.configure(emulator, accountId=PropertyValue(LOW))
    assert plain(plugin.invoke(GET_TOKEN))["accountId"] == LOW


def test_secret_inputs_give_secret_outputs(plugin: Plugin, emulator: Emulator) -> None:
    plugin.configure(emulator)
    returned = plugin.invoke(GET_TOKEN, accountId=PropertyValue(HEALTHY, is_secret=True))
    assert all(value.is_secret for value in returned.values())
    assert not any(v.is_secret for v in plugin.invoke(GET_TOKEN, accountId=PropertyValue(HEALTHY)).values())


@pytest.mark.parametrize(
    ("token", "args", "prop", "fragment"),
    [
        (GET_TOKEN, {"accountId": PropertyValue("nope")}, "accountId", "32 lowercase hex"),
        (
            CHECK_TOKEN,
            {"accountId": PropertyValue(HEALTHY), "maxTopupFailureAge": PropertyValue("soon")},
            "maxTopupFailureAge",
            "not a valid duration",
        ),
        (
            CHECK_TOKEN,
            {"accountId": PropertyValue(HEALTHY), "minBalanceUsd": PropertyValue("lots")},
            "minBalanceUsd",
            "not an amount",
        ),
        (
            GET_TOKEN,
            {"accountId": PropertyValue(HEALTHY), "minBalanceUsd": PropertyValue(1.0)},
            "minBalanceUsd",
            "unknown input",
        ),
        (GET_TOKEN, {"accountId": PropertyValue(UNKNOWN)}, "accountId", "not known yet"),
    ],
)
def test_bad_inputs_are_check_failures(
    plugin: Plugin, emulator: Emulator, token: str, args: dict[str, PropertyValue], prop: str, fragment: str
) -> None:
    plugin.configure(emulator)
    response = plugin.call("Invoke", provider_pb2.InvokeRequest(tok=token, args=PropertyValue.marshal_map(args)))
    failures = {f.property: f.reason for f in response.failures}
    assert prop in failures
    assert fragment in failures[prop]
    assert emulator.log == []


@pytest.mark.parametrize(
    ("fault", "code", "fragment"),
    [
        ({"kind": "status", "status": 403, "code": 9109}, grpc.StatusCode.PERMISSION_DENIED, "code 9109"),
        ({"kind": "status", "status": 401, "code": 10000}, grpc.StatusCode.UNAUTHENTICATED, "code 10000"),
        ({"kind": "status", "status": 404, "code": 7003}, grpc.StatusCode.NOT_FOUND, "code 7003"),
        # Beyond the run's deadline (30 minutes by default): not waited, a clean error at once.
        ({"kind": "status", "status": 429, "retry_after": "7200"}, grpc.StatusCode.RESOURCE_EXHAUSTED, "code 971"),
        ({"kind": "result_null"}, grpc.StatusCode.INTERNAL, "result: null"),
    ],
)
def test_api_errors_are_clean_grpc_errors(
    plugin: Plugin, emulator: Emulator, fault: dict[str, Any], code: grpc.StatusCode, fragment: str
) -> None:
    plugin.configure(emulator)
    emulator.set_faults(HEALTHY, [fault])
    with pytest.raises(grpc.RpcError) as caught:
        plugin.invoke(GET_TOKEN, accountId=PropertyValue(HEALTHY))
    error: Any = caught.value
    assert error.code() == code
    assert fragment in error.details()
    assert "\n" not in error.details()
    assert 'File "' not in error.details()


def test_unknown_function_token(plugin: Plugin, emulator: Emulator) -> None:
    plugin.configure(emulator)
    with pytest.raises(grpc.RpcError) as caught:
        plugin.invoke("cfbilling:index:getSomethingElse")
    error: Any = caught.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown function 'cfbilling:index:getSomethingElse'" in error.details()


def test_unknown_config_value(plugin: Plugin, emulator: Emulator) -> None:
    plugin.configure(emulator, token=PropertyValue(UNKNOWN))
    with pytest.raises(grpc.RpcError) as caught:
        plugin.invoke(GET_TOKEN, accountId=PropertyValue(HEALTHY))
    error: Any = caught.value
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "not known yet (cfbilling:apiToken)" in error.details()


def test_missing_credentials(plugin: Plugin, emulator: Emulator) -> None:
    plugin.call(
        "Configure",
        provider_pb2.ConfigureRequest(variables={"cfbilling:config:baseUrl": emulator.base_url}, acceptSecrets=True),
    )
    with pytest.raises(grpc.RpcError) as caught:
        plugin.invoke(GET_TOKEN, accountId=PropertyValue(HEALTHY))
    assert "no Cloudflare credentials" in caught.value.details()  # type: ignore[attr-defined]


def test_credentials_from_the_environment_of_the_plugin(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    running = Plugin()
    try:
        running.call("Configure", provider_pb2.ConfigureRequest(acceptSecrets=True))
        assert plain(running.invoke(GET_TOKEN, accountId=PropertyValue(HEALTHY)))["balance"] == 4250.5
    finally:
        running.stop()


def test_cancel(plugin: Plugin) -> None:
    plugin.call("Cancel", empty_pb2.Empty())


def test_the_guard_stops_or_warns_as_pythons_guard_does(plugin: Plugin, emulator: Emulator) -> None:
    from pulumi_cfbilling.core.settings import GUARD_TOKEN

    plugin.configure(emulator)
    passed = plain(plugin.invoke(GUARD_TOKEN, accountId=PropertyValue(HEALTHY), minBalanceUsd=PropertyValue(20.0)))
    assert (passed["ok"], passed["enforcement"], passed["error"], passed["violations"]) == (True, "mandatory", None, [])
    with pytest.raises(grpc.RpcError) as stopped:
        plugin.invoke(GUARD_TOKEN, accountId=PropertyValue(LOW), minBalanceUsd=PropertyValue(20.0))
    assert stopped.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # type: ignore[attr-defined]
    assert stopped.value.details() == (  # type: ignore[attr-defined]
        f"AI Gateway credit guardrails failed for account {LOW} (1 violation): balance $3.13 is below the minimum "
        "of $20.00 [min-balance]"
    )
    warned = plain(
        plugin.invoke(
            GUARD_TOKEN,
            accountId=PropertyValue(LOW),
            minBalanceUsd=PropertyValue(20.0),
            enforcement=PropertyValue("advisory"),
        )
    )
    assert (warned["ok"], warned["enforcement"]) == (False, "advisory")
    assert [v["rule"] for v in warned["violations"]] == ["min-balance"]
    emulator.set_faults(FAILING, [{"kind": "status", "status": 403, "code": 9109}])
    unread = plain(plugin.invoke(GUARD_TOKEN, accountId=PropertyValue(FAILING), minBalanceUsd=PropertyValue(1.0),
                                 enforcement=PropertyValue("advisory")))  # fmt: skip
    assert unread["ok"] is False
    assert "code 9109" in unread["error"]
    with pytest.raises(grpc.RpcError) as blind:
        plugin.invoke(GUARD_TOKEN, accountId=PropertyValue(FAILING), minBalanceUsd=PropertyValue(1.0))
    assert blind.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    response = plugin.call(
        "Invoke",
        provider_pb2.InvokeRequest(
            tok=GUARD_TOKEN,
            args=PropertyValue.marshal_map(
                {
                    "accountId": PropertyValue(LOW),
                    "minBalanceUsd": PropertyValue(20.0),
                    "enforcement": PropertyValue("maybe"),
                }
            ),
        ),
    )
    assert [f.reason for f in response.failures] == ["enforcement 'maybe' must be 'mandatory' or 'advisory'"]


def test_an_unknown_input_leaves_the_guard_to_judge_when_it_is_known(plugin: Plugin, emulator: Emulator) -> None:
    from pulumi_cfbilling.core.settings import GUARD_TOKEN

    plugin.configure(emulator)
    response = plugin.call(
        "Invoke",
        provider_pb2.InvokeRequest(
            tok=GUARD_TOKEN,
            args=PropertyValue.marshal_map({"accountId": PropertyValue(UNKNOWN), "minBalanceUsd": PropertyValue(1e9)}),
        ),
    )
    assert not response.failures
    returned = PropertyValue.unmarshal_map(getattr(response, "return"))
    assert {value.value for value in returned.values()} == {UNKNOWN}
    assert emulator.requests_for(LOW) == []
