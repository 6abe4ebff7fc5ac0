"""A setting added to the settings table reaches every surface and the cache key: nothing else is edited to add one.

The fixture appends a made-up setting (``region_hint``: a value that changes how requests are sent, so it must be
part of the key clients and cached answers are shared by) to ``core.settings.SETTINGS`` for one test. Each test
then finds it where users meet settings: the environment, the CLI flags, the Python client's keywords, Pulumi
config (program and plugin), ``schema.json``'s provider config, the Terraform provider block, Terraform's
``external`` query, the snapshot's reader and the policy pack's environment; and the cache key tells two values
of it apart. Each surface names a bad value its own way.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import HEALTHY
from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import PropertyValue

from pulumi_cfbilling import BillingClient
from pulumi_cfbilling.cli import _common as common
from pulumi_cfbilling.cli import build_parser, main
from pulumi_cfbilling.cli.terraform_external import query_keys
from pulumi_cfbilling.core import settings as settings_module
from pulumi_cfbilling.core.errors import ConfigurationError
from pulumi_cfbilling.core.settings import Setting, settings_for
from pulumi_cfbilling.plugin._provider import CfBillingProvider
from pulumi_cfbilling.service.cache import BalanceCache
from pulumi_cfbilling.service.schema import package_schema
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator


def _read_region(value: Any, label: str) -> str:
    if not isinstance(value, str) or value.strip() not in ("eu", "us"):
        raise ConfigurationError(f"{label} {value!r} is not a region hint: use eu or us")
    return value.strip()


MADE_UP = Setting(
    "region_hint",
    "CFBILLING_REGION_HINT",
    _read_region,
    "Where requests are routed first: eu or us.",
    transport=True,
)


@pytest.fixture(autouse=True)
def made_up_setting(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Iterator[Setting]:
    """The table with one more row, for this test only; credentials for the emulator in the environment."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    settings_module.SETTINGS.append(MADE_UP)
    try:
        yield MADE_UP
    finally:
        settings_module.SETTINGS.remove(MADE_UP)


def test_the_environment_gives_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFBILLING_REGION_HINT", " eu ")
    assert settings_for("cli").values["region_hint"] == "eu"
    monkeypatch.setenv("CFBILLING_REGION_HINT", "mars")
    with pytest.raises(ConfigurationError, match=r"^CFBILLING_REGION_HINT 'mars' is not a region hint"):
        settings_for("cli")


def test_the_cli_has_its_flag(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["balance", "--region-hint", "us"])
    assert common.settings(args).values["region_hint"] == "us"
    assert main(["balance", "--account-id", HEALTHY, "--region-hint", "mars"]) == 2
    assert capsys.readouterr().err.startswith("cfbilling: error: --region-hint 'mars' is not a region hint")
    assert build_parser().parse_args(["check", "--region-hint", "eu"]).region_hint == "eu"


def test_the_client_takes_it_as_a_keyword() -> None:
    with BillingClient(region_hint="eu") as client:
        assert client.settings.values["region_hint"] == "eu"
    with pytest.raises(ConfigurationError, match=r"^region_hint argument 'mars' is not a region hint"):
        BillingClient(region_hint="mars")


def test_pulumi_config_gives_it_to_programs_and_the_snapshot_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    config = {"cfbilling:regionHint": "us"}
    assert settings_for("program", config=config.get).values["region_hint"] == "us"
    with pytest.raises(ConfigurationError, match=r"^Pulumi config cfbilling:regionHint 'mars' "):
        settings_for("program", config={"cfbilling:regionHint": "mars"}.get)
    from pulumi_cfbilling.program import resource

    monkeypatch.setattr(resource.pulumi.runtime, "get_config", config.get)
    assert resource._reader_settings() == {"cfbilling:regionHint": "us"}  # not a credential: the reader gets it


def test_the_package_schema_declares_it_as_provider_config() -> None:
    schema = package_schema()
    expected = {
        "type": "string",
        "description": MADE_UP.description,
        "defaultInfo": {"environment": ["CFBILLING_REGION_HINT"]},
    }
    assert schema["config"]["variables"]["regionHint"] == expected
    assert schema["provider"]["inputProperties"]["regionHint"] == expected


def _run(coroutine: Any) -> Any:
    loop = asyncio.new_event_loop()  # its own loop: asyncio.run would unset the one Pulumi's mocks use
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def test_the_plugin_reads_it_from_its_config() -> None:
    provider = CfBillingProvider()
    request = p.ConfigureRequest(
        variables={"cfbilling:config:regionHint": "eu"}, args={}, accept_secrets=True, accept_resources=False
    )
    _run(provider.configure(request))
    assert provider._configured().values["region_hint"] == "eu"
    checked = _run(provider.check_config(p.CheckRequest("urn", {}, {"regionHint": PropertyValue("mars")}, b"")))
    assert [(f.property, f.reason.split(" is not")[0]) for f in checked.failures] == [
        ("regionHint", "cfbilling:regionHint 'mars'")
    ]


def test_the_terraform_provider_block_takes_it() -> None:
    from tf.utils import Diagnostics

    # The provider serves the shipped schema.json; a schema regenerated with the setting (`cfbilling schema`) has it.
    from pulumi_cfbilling.terraform import _schema
    from pulumi_cfbilling.terraform._provider import CfBillingProvider as TerraformProvider
    from pulumi_cfbilling.terraform._schema import provider_arguments

    arguments = {a.name: a for a in _schema._provider(package_schema())}
    assert arguments["region_hint"].role == "optional"
    assert {a.name for a in provider_arguments()} < set(arguments)
    provider = TerraformProvider()
    provider.configure_provider(Diagnostics(), {"region_hint": "us"})
    assert provider.settings().values["region_hint"] == "us"
    diags = Diagnostics()
    provider.validate_config(diags, {"region_hint": "mars"})
    assert [d.summary.split(" is not")[0] for d in diags.diagnostics] == ["provider attribute region_hint 'mars'"]


def test_terraform_external_takes_it_as_a_query_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "region_hint" in query_keys()
    query = {"account_id": HEALTHY, "region_hint": "mars", "min_balance_usd": "1"}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(query)))
    assert main(["terraform-external"]) == 2
    assert capsys.readouterr().err.startswith("cfbilling: error: query key region_hint 'mars' is not a region hint")


def test_the_cache_key_tells_its_values_apart(emulator: Emulator) -> None:
    east, west = (settings_for("cli", {"region_hint": hint}) for hint in ("eu", "us"))
    assert east.transport_key() != west.transport_key()
    cache = BalanceCache()
    try:
        cache.get(east, HEALTHY)
        cache.get(east, HEALTHY)
        cache.get(west, HEALTHY)
        # Two values, two clients and two requests: an answer read with one is never served for the other.
        assert len(emulator.log) == 2
        assert cache.client(east) is not cache.client(west)
    finally:
        cache.clear()


def test_the_policy_pack_reads_it_from_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFBILLING_REGION_HINT", "us")
    assert settings_for("policy", {"timeout": 5}).values["region_hint"] == "us"


def test_a_credential_row_is_never_a_flag_or_a_query_key() -> None:
    names = {action.dest for action in build_parser()._actions if isinstance(action, argparse.Action)}
    assert "api_token" not in names
    assert "api_token" not in query_keys()
