"""The native Terraform provider in-process: its schema comes from the package schema, its checks speak our one-line
messages on the right attribute, its reads are typed, and `cfbilling terraform install-provider` lays out a mirror.

The real terraform runs it in tests/e2e/test_terraform_provider.py.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers import HEALTHY, LOW, assert_no_secret, provider_command, provider_schema_over_tls, run_cli
from tf.iface import ReadDataContext
from tf.types import Unknown
from tf.utils import Diagnostics

from pulumi_cfbilling import __version__
from pulumi_cfbilling.cli.install_provider import PLATFORMS, launcher, package, target_platform
from pulumi_cfbilling.core.errors import ConfigurationError
from pulumi_cfbilling.service.schema import CHECK_TOKEN, GET_TOKEN, USAGE_TOKEN, package_schema
from pulumi_cfbilling.terraform._provider import CfBillingProvider
from pulumi_cfbilling.terraform._schema import data_sources, provider_arguments, snake
from pulumi_cfbilling.terraform._sources import CreditBalance, CreditCheck, UsageHistory
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator


def configured(emulator: Emulator, **settings: Any) -> CfBillingProvider:
    provider = CfBillingProvider()
    diags = Diagnostics()
    provider.configure_provider(diags, {"api_token": DEMO_TOKEN, "base_url": emulator.base_url, **settings})
    assert not diags.diagnostics
    return provider


def read(source: Any, config: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    context = ReadDataContext(Diagnostics(), source.type_name)
    state = source.read(context, config)
    return state, [d.summary for d in context.diagnostics.diagnostics]


def test_every_function_output_is_a_typed_attribute() -> None:
    package = package_schema()
    for type_name, token in (
        ("cfbilling_credit_balance", GET_TOKEN),
        ("cfbilling_credit_check", CHECK_TOKEN),
        ("cfbilling_usage_history", USAGE_TOKEN),
    ):
        spec = data_sources()[type_name]
        function = package["functions"][token]
        names = {argument.name: argument for argument in spec.arguments}
        assert set(names) == {snake(k) for k in [*function["inputs"]["properties"], *function["outputs"]["properties"]]}
        for key in function["inputs"]["properties"]:
            assert names[snake(key)].role in ("optional", "optional+computed")
    balance = {a.name: a.shape.cty() for a in data_sources()["cfbilling_credit_balance"].arguments}
    assert balance["balance_usd"] == "number"
    assert balance["auto_topup_enabled"] == "bool"
    assert balance["topup_config"][0] == "object"
    assert balance["topup_config"][1]["disabled_reason"] == "string"
    check = {a.name: a.shape.cty() for a in data_sources()["cfbilling_credit_check"].arguments}
    assert check["violations"] == [
        "list",
        ["object", {"rule": "string", "message": "string", "observed": "string", "expected": "string"}],
    ]
    assert check["require_auto_topup"] == "bool"
    assert check["runway"][1]["runway_days"] == "number"
    block = {a.name: a for a in provider_arguments()}
    assert set(block) == {"api_token", "api_key", "email", "account_id", "base_url", "timeout", "max_retries",
                          "rate_limit", "deadline", "max_age", "cache_dir"}  # fmt: skip
    assert {name for name, a in block.items() if a.sensitive} == {"api_token", "api_key"}


def test_the_protocol_schema_marks_credentials_sensitive_and_outputs_computed() -> None:
    provider = CfBillingProvider()
    schema = provider.get_provider_schema(Diagnostics()).to_pb()
    attributes = {a.name: a for a in schema.block.attributes}
    assert attributes["api_token"].sensitive
    assert attributes["api_token"].optional
    assert json.loads(attributes["timeout"].type) == "number"
    balance = {a.name: a for a in CreditBalance.get_schema().to_pb().block.attributes}
    assert balance["account_id"].optional
    assert balance["account_id"].computed
    assert balance["balance"].computed
    assert not balance["balance"].optional


@pytest.mark.parametrize(
    ("config", "attribute", "fragment"),
    [
        ({"account_id": "NOT-AN-ID"}, "account_id", "provider attribute account_id 'NOT-AN-ID' is not a Cloudflare"),
        ({"base_url": "http://example.com"}, "base_url", "uses plain http"),
        ({"timeout": -1}, "timeout", "timeout"),
        ({"max_retries": 99}, "max_retries", "max_retries"),
    ],
)
def test_the_provider_block_is_checked_at_validation_time(
    config: dict[str, Any], attribute: str, fragment: str
) -> None:
    diags = Diagnostics()
    CfBillingProvider().validate_config(diags, {"api_token": None, **config})
    (diagnostic,) = diags.diagnostics
    assert fragment in diagnostic.summary
    assert "\n" not in diagnostic.summary
    assert diagnostic.path == [attribute]


def test_unknown_and_missing_values_wait_for_the_read() -> None:
    diags = Diagnostics()
    CfBillingProvider().validate_config(diags, {"account_id": Unknown, "base_url": None})
    CreditCheck(CfBillingProvider()).validate(diags, "cfbilling_credit_check", {"min_balance_usd": Unknown})
    assert diags.diagnostics == []


@pytest.mark.parametrize(
    ("source", "config", "attribute", "fragment"),
    [
        (CreditBalance, {"account_id": "ABC"}, "account_id", "account_id 'ABC' is not a Cloudflare account id"),
        (CreditCheck, {"max_topup_failure_age": "forever"}, "max_topup_failure_age", "not a valid duration"),
        (CreditCheck, {"min_runway_days": "soon"}, "min_runway_days", "min_runway_days"),
        (UsageHistory, {"days": 91}, "days", "days 91 is not a number of whole days"),
        (UsageHistory, {"window": "week"}, "window", "window 'week' is not valid"),
    ],
)
def test_data_source_arguments_are_checked_at_plan_time(
    source: Any, config: dict[str, Any], attribute: str, fragment: str
) -> None:
    diags = Diagnostics()
    source(CfBillingProvider()).validate(diags, source.type_name, config)
    (diagnostic,) = diags.diagnostics
    assert fragment in diagnostic.summary
    assert diagnostic.path == [attribute]


def test_reads_are_typed_and_share_one_request_per_route(emulator: Emulator) -> None:
    provider = configured(emulator)
    balance, errors = read(CreditBalance(provider), {"account_id": HEALTHY})
    assert errors == []
    assert balance is not None
    assert balance["balance"] == 4250.5
    assert balance["payment_method"] == {"brand": "visa", "last4": "4242"}
    assert balance["topup_config"]["last_failed_at"] is None
    check, errors = read(CreditCheck(provider), {"account_id": HEALTHY, "min_balance_usd": 50, "min_runway_days": 3.0})
    assert check is not None
    assert check["ok"] is False
    assert check["min_balance_usd"] == 50  # arguments come back as given
    (violation,) = check["violations"]
    assert violation == {
        "rule": "min-balance",
        "message": "balance $42.51 is below the minimum of $50.00",
        "observed": "42.505",
        "expected": "50.0",
    }
    assert check["runway"]["runway_days"] == 13.96
    usage, errors = read(UsageHistory(provider), {"account_id": HEALTHY, "days": 7.0, "window": None})
    assert usage is not None
    assert usage["window"] == "day"
    assert len(usage["buckets"]) == 7
    assert len(emulator.requests_for(HEALTHY, route="credit-balance")) == 1
    assert len(emulator.requests_for(HEALTHY, route="usage-history")) == 1


def test_a_null_runway_and_a_null_payment_method_are_null(emulator: Emulator) -> None:
    provider = configured(emulator, account_id=LOW)
    check, _ = read(CreditCheck(provider), {"account_id": None, "min_balance_usd": 1})
    assert check is not None
    assert check["runway"] is None
    assert check["account_id"] == LOW  # from the provider block
    balance, _ = read(CreditBalance(provider), {"account_id": None})
    assert balance is not None
    assert balance["payment_method"] is None


def test_configuration_problems_are_diagnostics_on_read_without_secrets(emulator: Emulator) -> None:
    provider = CfBillingProvider()
    provider.configure_provider(Diagnostics(), {"api_token": Unknown, "base_url": emulator.base_url})
    _, errors = read(CreditBalance(provider), {"account_id": HEALTHY})
    assert errors == ["the provider configuration is not known yet (api_token): set it from values known at plan time"]
    provider = configured(emulator)
    _, errors = read(CreditBalance(provider), {"account_id": None})
    (error,) = errors
    assert error.startswith("no account id: pass account_id, or set account_id in the provider block")
    blank = CfBillingProvider()
    blank.configure_provider(Diagnostics(), {"api_token": None, "base_url": emulator.base_url})
    for source in (CreditBalance(blank), CreditBalance(CfBillingProvider())):
        _, errors = read(source, {"account_id": HEALTHY})
        assert errors == [
            "no Cloudflare credentials found: set api_token in the provider block (a token with 'AI Gateway Read'), "
            "or CLOUDFLARE_API_TOKEN where terraform runs (or api_key with email, CLOUDFLARE_API_KEY with "
            "CLOUDFLARE_EMAIL)"
        ]
    emulator.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}] * 3)
    _, errors = read(CreditBalance(provider), {"account_id": HEALTHY})
    (error,) = errors
    assert f"account {HEALTHY}" in error
    assert "CF-Ray" in error
    assert_no_secret(error, repr(provider.settings()))


def test_a_person_running_the_provider_is_told_what_it_is() -> None:
    command = provider_command()
    env = {k: v for k, v in os.environ.items() if k != "TF_PLUGIN_MAGIC_COOKIE"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "terraform-provider-cfbilling: this is a Terraform plugin, started by terraform itself: install it with "
        "`cfbilling terraform install-provider` and run `terraform init`"
    ]


def test_install_provider_lays_out_packed_packages_with_the_same_bytes_everywhere(tmp_path: Path) -> None:
    result = run_cli("terraform", "install-provider", "--dir", str(tmp_path / "mirror"))
    assert result.returncode == 0, result.stderr
    here = target_platform()
    (packed,) = (tmp_path / "mirror").glob("registry.terraform.io/pulumi-cfbilling/cfbilling/*.zip")
    assert packed.name == f"terraform-provider-cfbilling_{__version__}_{here}.zip"
    assert packed.read_bytes() == package(__version__)  # the same bytes as any other machine's
    # OpenTofu reads the same source as an address on its own registry: the mirror serves it too.
    (tofu,) = (tmp_path / "mirror").glob("registry.opentofu.org/pulumi-cfbilling/cfbilling/*.zip")
    assert tofu.read_bytes() == packed.read_bytes()
    assert f'path    = "{tmp_path / "mirror"}"' in result.stdout
    assert (
        'include = ["registry.terraform.io/pulumi-cfbilling/cfbilling", '
        '"registry.opentofu.org/pulumi-cfbilling/cfbilling"]'
    ) in result.stdout
    # Which Python serves the version is recorded outside the package (HOME is this test's own).
    recorded = Path((tmp_path / ".config" / "cfbilling" / "terraform" / f"v{__version__}").read_text().strip())
    assert recorded.parent == Path(sys.executable).parent  # the environment cfbilling ran from
    assert list((tmp_path / "mirror").rglob("*.partial")) == []


def test_the_package_depends_only_on_the_version(tmp_path: Path) -> None:
    assert package("0.1.0") == package("0.1.0")
    assert package("0.1.0") != package("0.1.1")
    (entry,) = zipfile.ZipFile(io.BytesIO(package("0.1.0"))).infolist()
    assert entry.filename == "terraform-provider-cfbilling_v0.1.0"
    assert entry.date_time == (1980, 1, 1, 0, 0, 0)
    assert (entry.external_attr >> 16) & 0o777 == 0o755
    text = launcher("0.1.0")
    assert str(Path.home()) not in text
    assert sys.executable not in text
    with pytest.raises(ConfigurationError, match="not a version"):
        launcher("0.1.0; rm -rf /")


def _launch(tmp_path: Path, version: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = tmp_path / f"terraform-provider-cfbilling_v{version}"
    script.write_bytes(zipfile.ZipFile(io.BytesIO(package(version))).read(script.name))
    script.chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CFBILLING_", "XDG_"))}
    return subprocess.run([str(script)], capture_output=True, text=True, env={**clean, **env}, timeout=60, check=False)


def test_the_launcher_finds_the_recorded_python_then_path_then_says_what_to_install(tmp_path: Path) -> None:
    config = tmp_path / "config"
    record = config / "cfbilling" / "terraform" / f"v{__version__}"
    record.parent.mkdir(parents=True)
    record.write_text(sys.executable + "\n")
    recorded = _launch(tmp_path, __version__, {"XDG_CONFIG_HOME": str(config), "PATH": "/usr/bin:/bin"})
    assert recorded.returncode == 1
    assert "this is a Terraform plugin, started by terraform itself" in recorded.stderr  # the provider ran
    on_path = _launch(tmp_path, __version__, {"XDG_CONFIG_HOME": str(tmp_path / "none"),
                                              "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})  # fmt: skip
    assert "this is a Terraform plugin" in on_path.stderr
    missing = _launch(tmp_path, __version__, {"XDG_CONFIG_HOME": str(tmp_path / "none"), "PATH": "/usr/bin:/bin"})
    assert missing.returncode == 1
    assert missing.stdout.strip() == (
        f"terraform-provider-cfbilling: pulumi-cfbilling {__version__} is not installed on this machine: pipx install "
        f"'pulumi-cfbilling[terraform]=={__version__}' (or a wheel of it), or run cfbilling terraform "
        "install-provider from the environment that has it"
    )


def test_a_launcher_of_another_version_is_refused_by_the_provider(tmp_path: Path) -> None:
    config = tmp_path / "config"
    record = config / "cfbilling" / "terraform" / "v9.9.9"
    record.parent.mkdir(parents=True)
    record.write_text(sys.executable + "\n")
    from pulumi_cfbilling.terraform._handshake import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE

    result = _launch(tmp_path, "9.9.9", {"XDG_CONFIG_HOME": str(config), MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE})
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"terraform-provider-cfbilling: the lock file's provider is 9.9.9, but pulumi-cfbilling {__version__} is "
        "what serves it here"
    )


def test_install_provider_adds_platforms_and_replaces_an_unpacked_launcher(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    stale = mirror / "registry.terraform.io/pulumi-cfbilling/cfbilling" / __version__ / target_platform()
    stale.mkdir(parents=True)
    (stale / f"terraform-provider-cfbilling_v{__version__}").write_text("#!/bin/sh\nexec /old/venv/bin/python\n")
    extra = next(name for name in PLATFORMS if name != target_platform())
    result = run_cli("terraform", "install-provider", "--dir", str(mirror), "--platform", extra)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in mirror.glob("registry.terraform.io/pulumi-cfbilling/cfbilling/*.zip"))
    assert names == sorted(f"terraform-provider-cfbilling_{__version__}_{t}.zip" for t in {target_platform(), extra})
    assert not stale.exists()
    bad = run_cli("terraform", "install-provider", "--dir", str(mirror), "--platform", "windows_amd64")
    assert bad.returncode == 2
    assert "--platform 'windows_amd64' is not one of linux_amd64, linux_arm64, darwin_amd64, darwin_arm64" in (
        bad.stderr
    )


def test_install_provider_defaults_to_the_folder_terraform_searches(tmp_path: Path) -> None:
    result = run_cli("terraform", "install-provider", env={"HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / ".terraform.d" / "plugins").rglob("terraform-provider-cfbilling_*.zip"))
    assert "searches ~/.terraform.d/plugins by itself" in result.stdout


def test_install_provider_into_a_file_is_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_cli("terraform", "install-provider", "--dir", str(blocker))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"cfbilling: error: cannot write the provider into {blocker}")
    assert line.endswith("pick a folder you can write to with --dir")


def test_the_tls_key_is_kept_private_reused_and_renewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_cfbilling.terraform import _serve

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = _serve._tls_material()
    kept = tmp_path / "pulumi-cfbilling" / "terraform-tls.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert _serve._tls_material() == first  # reused: no key made, no cryptography loaded
    document = json.loads(kept.read_text())
    document["renew_after"] = 0
    kept.write_text(json.dumps(document))
    assert _serve._tls_material()[0] != first[0]  # due: a new key
    kept.write_text("{not json")
    assert b"PRIVATE KEY" in _serve._tls_material()[0]  # corrupt: a new key, no error


def test_the_handshake_and_the_protocol_over_a_tls_socket(tmp_path: Path) -> None:
    command = provider_command()
    env = {
        **os.environ,
        "TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        "PLUGIN_CLIENT_CERT": "unused",
        "XDG_CACHE_HOME": str(tmp_path),
        "CFBILLING_TF_WARM": "false",  # this start serves itself (tests/test_tf_warm.py has the warm ones)
    }
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        handshake = process.stdout.readline()
        address = handshake.split("|")[3]
        assert stat.S_IMODE(Path(address).parent.stat().st_mode) == 0o700  # only this user reaches the socket
        assert provider_schema_over_tls(handshake) == {
            "cfbilling_credit_balance",
            "cfbilling_credit_check",
            "cfbilling_usage_history",
            "cfbilling_gateways",
            "cfbilling_invoice_preview",
        }
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()
        process.wait()


def test_a_bug_is_one_diagnostic_with_no_traceback_in_it(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any) -> dict[str, Any]:
        raise KeyError("balance")

    monkeypatch.setattr("pulumi_cfbilling.service.documents.balance_document", broken)
    state, errors = read(CreditBalance(configured(emulator)), {"account_id": HEALTHY})
    assert state is None
    assert errors == [
        "cfbilling provider: unexpected KeyError reading cfbilling_credit_balance: 'balance' (please report it, "
        "with TF_LOG=debug output)"
    ]
    assert "Traceback" in capsys.readouterr().err  # for Terraform's debug log, not the diagnostic
