"""CreditBalanceSnapshot: the provider's read/create against the emulator, registration under mocks, no token in
the pickled provider, the inputs or the outputs."""

from __future__ import annotations

import base64
import json

import pulumi
import pulumi.runtime
import pytest
from helpers import HEALTHY, LOW, SECRETS, RecordingMocks, assert_no_secret, resolve
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.rpc import unwrap_rpc_secret

import pulumi_cfbilling as cfbilling
from pulumi_cfbilling.program.resource import OUTPUT_NAMES, CreditBalanceProvider
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator


def configured(emulator: Emulator, **extra: str) -> CreditBalanceProvider:
    provider = CreditBalanceProvider()
    provider.configure(
        ConfigureRequest(
            Config({"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url, **extra}, "proj")
        )
    )
    return provider


def test_read_returns_the_canonical_fields(emulator: Emulator) -> None:
    result = configured(emulator).read(HEALTHY, {})
    assert result.id == HEALTHY
    assert result.outs is not None
    assert set(result.outs) == set(OUTPUT_NAMES)
    assert (result.outs["balance"], result.outs["balanceUsd"], result.outs["autoTopupEnabled"]) == (
        4250.5,
        42.505,
        True,
    )
    assert result.outs["topupConfig"]["amount"] == 2000
    assert_no_secret(json.dumps(result.outs))


def test_every_read_asks_the_api_again(emulator: Emulator) -> None:
    provider = configured(emulator)
    provider.read(HEALTHY, {})
    provider.read(HEALTHY, {})
    assert len(emulator.log) == 2


def test_create_reads_the_account_from_its_inputs(emulator: Emulator) -> None:
    result = configured(emulator).create({"accountId": LOW})
    assert result.id == LOW
    assert result.outs is not None
    assert result.outs["balance"] == 312.75


def test_credentials_from_cloudflare_provider_config(emulator: Emulator) -> None:
    provider = CreditBalanceProvider()
    provider.configure(
        ConfigureRequest(Config({"cloudflare:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emulator.base_url}, "proj"))
    )
    assert provider.read(HEALTHY, {}).id == HEALTHY


def test_unconfigured_provider_reads_the_environment(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    assert CreditBalanceProvider().read(HEALTHY, {}).outs["balance"] == 4250.5  # type: ignore[index]


def test_read_without_credentials_is_a_configuration_error() -> None:
    provider = CreditBalanceProvider()
    provider.configure(ConfigureRequest(Config({}, "proj")))
    with pytest.raises(cfbilling.ConfigurationError, match="no Cloudflare credentials"):
        provider.read(HEALTHY, {})


def test_read_api_error_is_typed(emulator: Emulator) -> None:
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 404, "code": 7003}])
    with pytest.raises(cfbilling.NotFoundError, match="code 7003"):
        configured(emulator).read(HEALTHY, {})


def test_the_pickled_provider_holds_no_credential(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    # Credentials everywhere a careless provider could pick them up at construction time.
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"cfbilling:apiToken": DEMO_TOKEN}))
    pickled = base64.b64decode(serialize_provider(CreditBalanceProvider()))
    for secret in SECRETS:
        assert secret.encode() not in pickled


def test_a_configured_provider_refuses_to_be_pickled(emulator: Emulator) -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        serialize_provider(configured(emulator))


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> RecordingMocks:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:accountId": LOW}))
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, preview=False)
    return recorder


def test_registration_is_a_read_of_the_account(mocks: RecordingMocks) -> None:
    snapshot = cfbilling.CreditBalanceSnapshot("credits", account_id=HEALTHY)
    assert resolve(snapshot.id) == HEALTHY
    assert resolve(snapshot.account_id) == HEALTHY
    (registered,) = [r for r in mocks.resources if r.name == "credits"]
    assert registered.typ == "pulumi-python:dynamic/cfbilling:CreditBalanceSnapshot"
    assert registered.resource_id == HEALTHY  # opts.id: a read, refreshed on every preview and up
    assert set(registered.inputs) == {"__provider", "accountId"}


def test_registered_inputs_and_outputs_hold_no_credential(mocks: RecordingMocks) -> None:
    snapshot = cfbilling.CreditBalanceSnapshot("credits", account_id=HEALTHY)
    resolve(snapshot.id)
    (registered,) = [r for r in mocks.resources if r.name == "credits"]
    provider_blob = base64.b64decode(unwrap_rpc_secret(registered.inputs["__provider"]))
    for secret in SECRETS:
        assert secret.encode() not in provider_blob
    assert_no_secret(json.dumps({k: v for k, v in registered.inputs.items() if k != "__provider"}))
    assert_no_secret(str(resolve(pulumi.Output.all(*[getattr(snapshot, name) for name in OUTPUT_NAMES.values()]))))


def test_outputs_are_snake_case_attributes(mocks: RecordingMocks) -> None:
    snapshot = cfbilling.CreditBalanceSnapshot("credits", account_id=HEALTHY)
    for name in OUTPUT_NAMES.values():
        assert isinstance(getattr(snapshot, name), pulumi.Output), name


def test_account_defaults_to_pulumi_config(mocks: RecordingMocks) -> None:
    snapshot = cfbilling.CreditBalanceSnapshot("credits")
    assert resolve(snapshot.id) == LOW


def test_malformed_account_fails_at_construction(mocks: RecordingMocks) -> None:
    with pytest.raises(cfbilling.ConfigurationError, match="32 lowercase hex") as caught:
        cfbilling.CreditBalanceSnapshot("credits", account_id="nope")
    assert isinstance(caught.value, pulumi.RunError)
