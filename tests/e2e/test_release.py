"""The release command (release/release.py) and every install path its artifacts serve, offline.

It runs twice and must write the same bytes. Then the artifacts install as the README says:

- the provider plugin tarball with the real `pulumi plugin install` into a fresh PULUMI_HOME, used by a YAML
  program with nothing of ours on PATH;
- the wheel with `pipx install` for the CLI;
- the Terraform provider zip from a filesystem mirror, its launcher finding pipx's `terraform-provider-cfbilling`;
- the wheel with `pip install --no-index --find-links dist 'pulumi-cfbilling[pulumi]'` in a program's virtualenv.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from e2e_support import (
    EXAMPLES,
    REPO,
    Engines,
    Project,
    TerraformDir,
    assert_agreed_outputs,
    balance_json,
    make_venv,
    run,
)

from pulumi_cfbilling import __version__
from pulumi_cfbilling.cli.install_provider import PLATFORMS, package, target_platform
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"  # the engines' python3, which makes plugin venvs
EXPECTED = {
    f"pulumi_cfbilling-{__version__}-py3-none-any.whl",
    f"pulumi_cfbilling-{__version__}.tar.gz",
    *(f"pulumi-resource-cfbilling-v{__version__}-{t.replace('_', '-')}.tar.gz" for t in PLATFORMS),
    *(f"terraform-provider-cfbilling_{__version__}_{t}.zip" for t in PLATFORMS),
    f"terraform-provider-cfbilling_{__version__}_manifest.json",
    f"terraform-provider-cfbilling_{__version__}_SHA256SUMS",
    "schema.json",
    "SHA256SUMS",
}


@pytest.fixture(scope="module")
def release(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release, built twice from the same sources: the two must be the same bytes, file by file."""
    root = tmp_path_factory.mktemp("release")
    builder = make_venv(engines, root / "build-venv", "build", "twine")
    outs = [root / "first", root / "second"]
    for out in outs:
        command = [str(builder / "bin" / "python"), str(REPO / "release" / "release.py"), "--out", str(out),
                   "--python", PYTHON, "--plugin-download-url", "https://releases.example.com/cfbilling/"]  # fmt: skip
        run(command, env=engines.environ(), timeout=900)
    first, second = ({p.name: p.read_bytes() for p in out.iterdir()} for out in outs)
    assert set(first) == EXPECTED
    assert first == second, [name for name in first if first[name] != second[name]]
    return outs[0]


def test_the_release_is_byte_identical_complete_and_checksummed(release: Path) -> None:
    for sums in ("SHA256SUMS", f"terraform-provider-cfbilling_{__version__}_SHA256SUMS"):
        for line in (release / sums).read_text().splitlines():
            digest, name = line.split("  ")
            assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest, name
    manifest = json.loads((release / f"terraform-provider-cfbilling_{__version__}_manifest.json").read_text())
    assert manifest == {"version": 1, "metadata": {"protocol_versions": ["6.0"]}}
    for target in PLATFORMS:  # the very bytes `install-provider` lays out: one lock for both ways in
        assert (release / f"terraform-provider-cfbilling_{__version__}_{target}.zip").read_bytes() == package(
            __version__
        )
    assert json.loads((release / "schema.json").read_text())["pluginDownloadURL"] == (
        "https://releases.example.com/cfbilling/"
    )
    wheel = release / f"pulumi_cfbilling-{__version__}-py3-none-any.whl"
    packed = set(zipfile.ZipFile(wheel).namelist())
    for data in (
        "pulumi-plugin.json",
        "service/schema.json",
        "service/check_report.schema.json",
        "testing/demo_fixture.json",
        "testing/credit_balance_result.schema.json",
        "testing/sdk_types.schema.json",
        "py.typed",
    ):
        assert f"pulumi_cfbilling/{data}" in packed, data
    with tarfile.open(release / f"pulumi_cfbilling-{__version__}.tar.gz") as archive:
        assert any(name.endswith("pulumi_cfbilling/pulumi-plugin.json") for name in archive.getnames())
    # Each plugin tarball carries its own platform's compiled wheels.
    for target, tag in (("linux-arm64", "aarch64"), ("darwin-arm64", "macosx"), ("linux-amd64", "x86_64")):
        with tarfile.open(release / f"pulumi-resource-cfbilling-v{__version__}-{target}.tar.gz") as archive:
            names = archive.getnames()
        assert {"PulumiPlugin.yaml", "__main__.py", "requirements.txt"} <= set(names)
        assert f"wheels/pulumi_cfbilling-{__version__}-py3-none-any.whl" in names
        (grpc,) = [n for n in names if n.startswith("wheels/grpcio-")]
        assert tag in grpc, grpc


def test_the_plugin_tarball_installs_and_serves_a_yaml_program(
    engines: Engines, release: Path, emulator: Emulator, tmp_path: Path
) -> None:
    here = target_platform().replace("_", "-")
    tarball = release / f"pulumi-resource-cfbilling-v{__version__}-{here}.tar.gz"
    assert re.fullmatch(
        rf"pulumi-resource-cfbilling-v{re.escape(__version__)}-linux-(amd64|arm64)\.tar\.gz", tarball.name
    )
    # A YAML program without the plugins block; the plugin comes from the plugin cache only.
    program = tmp_path / "yaml"
    text = (EXAMPLES / "yaml" / "Pulumi.yaml").read_text()
    start, end = text.index("# The plugin from source"), text.index("# Set with")
    program.mkdir()
    (program / "Pulumi.yaml").write_text(text[:start] + text[end:])
    project = Project.create(engines, program, tmp_path / "work", base_url=emulator.base_url, token=DEMO_TOKEN)
    for command in ("pulumi-resource-cfbilling", "cfbilling"):
        assert shutil.which(command, path=project.env["PATH"]) is None
    # Nothing but the bundled wheels may serve the plugin's virtualenv (pip, setuptools and wheel aside, which
    # Pulumi's toolchain upgrades first).
    project.env["PIP_FIND_LINKS"] = " ".join(p for p in engines.wheel_sources() if "deps" in p)
    project.pulumi("plugin", "install", "resource", "cfbilling", __version__, "--file", str(tarball))
    installed = Path(project.env["PULUMI_HOME"]) / "plugins" / f"resource-cfbilling-v{__version__}"
    assert (installed / "venv" / "bin" / "python").exists()
    project.init({"cfbilling:accountId": HEALTHY})
    project.up()
    assert_agreed_outputs(project.outputs(), balance_json(project.env, HEALTHY))


def test_pipx_installs_the_cli_and_terraform_runs_the_provider_from_the_release_zip(
    engines: Engines, release: Path, emulator: Emulator, tmp_path: Path
) -> None:
    tools = make_venv(engines, tmp_path / "tools", "pipx")
    bin_dir = tmp_path / "bin"
    pipx = {"PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(bin_dir), "PIPX_MAN_DIR": str(tmp_path / "man")}
    # No record of any Python in the config folder: the launcher must find pipx's provider on PATH.
    env = engines.environ(extra_path=(bin_dir,), XDG_CONFIG_HOME=str(tmp_path / "config"), **pipx)
    wheel = release / f"pulumi_cfbilling-{__version__}-py3-none-any.whl"
    run([str(tools / "bin" / "pipx"), "install", f"{wheel}[terraform]"], env=env, timeout=600)
    reading = {**env, "CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emulator.base_url}
    balance = run([str(bin_dir / "cfbilling"), "balance", "--account-id", HEALTHY, "--format", "json"], env=reading)
    assert json.loads(balance.stdout)["accounts"][0]["balance"] == 4250.5

    mirror = tmp_path / "mirror"
    folder = mirror / "registry.terraform.io" / "pulumi-cfbilling" / "cfbilling"
    folder.mkdir(parents=True)
    name = f"terraform-provider-cfbilling_{__version__}_{target_platform()}.zip"
    shutil.copyfile(release / name, folder / name)
    rc = tmp_path / "terraform.rc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
    terraform = TerraformDir.copy("terraform-provider", tmp_path, {**reading, "TF_CLI_CONFIG_FILE": str(rc)})
    terraform("init", "-input=false")
    plan = terraform("plan", "-input=false", f"-var=account_id={HEALTHY}")
    assert "data.cfbilling_credit_balance.this: Read complete" in plan.stdout
    assert DEMO_TOKEN not in terraform.transcript()


def test_a_program_virtualenv_installs_the_wheel_from_the_release_folder(
    engines: Engines, release: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], env=engines.environ())
    # The dependencies come from the suite's wheelhouse, standing in for the index; ours only from the release.
    deps = [flag for p in engines.wheel_sources() if "deps" in p for flag in ("--find-links", p)]
    env = {k: v for k, v in engines.environ().items() if k != "PIP_FIND_LINKS"}
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
               str(release), *deps, "pulumi-cfbilling[pulumi]"]  # fmt: skip
    run(install, env=env, timeout=600)
    where = "import pulumi_cfbilling, pulumi; print(pulumi_cfbilling.__file__)"
    shown = run([str(venv / "bin" / "python"), "-c", where], env=env, cwd=tmp_path)  # not the clone's sources
    assert str(venv) in shown.stdout


def test_without_the_pulumi_extra_the_cli_works_and_pulumi_surfaces_say_what_to_install(
    engines: Engines, tmp_path: Path
) -> None:
    venv = make_venv(engines, tmp_path / "venv", "pulumi-cfbilling")
    env = engines.environ()
    python = str(venv / "bin" / "python")
    present = run([python, "-c", "import importlib.util as u; print(u.find_spec('pulumi') is None)"], env=env)
    assert present.stdout.strip() == "True", "the plain install brings no Pulumi SDK"
    demo = run([str(venv / "bin" / "cfbilling"), "demo"], env=env, timeout=120)
    assert (
        "The Pulumi part of the demo needs the Pulumi SDK: pip install '<the clone or wheel you installed from>[pulumi]' (pulumi-cfbilling is not on PyPI)"
        in demo.stdout
    )
    assert "exit code" in demo.stdout  # the fleet check still ran
    plugin = run([str(venv / "bin" / "pulumi-resource-cfbilling"), "127.0.0.1:9"], env=env, check=False)
    assert plugin.returncode == 1
    assert plugin.stderr.strip().endswith(
        "need the Pulumi SDK: pip install '<the clone or wheel you installed from>[pulumi]' (pulumi-cfbilling is not on PyPI)"
    )
    imported = run([python, "-c", "from pulumi_cfbilling import get_credit_balance"], env=env, check=False)
    assert imported.stderr.strip().splitlines()[-1] == (
        "ImportError: cannot use pulumi_cfbilling.get_credit_balance: the Pulumi surfaces of pulumi-cfbilling need "
        "the Pulumi SDK: pip install '<the clone or wheel you installed from>[pulumi]' (pulumi-cfbilling is not on PyPI)"
    )
