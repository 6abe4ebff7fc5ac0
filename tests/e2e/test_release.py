"""Release artifacts: wheel and sdist from `python -m build`, and the provider plugin tarball, installed by the
real `pulumi plugin install` into a fresh PULUMI_HOME and used by a YAML program with nothing of ours on PATH."""

from __future__ import annotations

import re
import shutil
import tarfile
import zipfile
from pathlib import Path

from e2e_support import EXAMPLES, REPO, Engines, Project, assert_agreed_outputs, balance_json, make_venv, run

from pulumi_cfbilling import __version__
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"


def test_wheel_sdist_and_plugin_tarball_install_and_serve_a_yaml_program(
    engines: Engines, emulator: Emulator, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(".git", ".venv*", "venv", "node_modules", "build", "dist", "*.egg-info"),
    )
    builder = make_venv(engines, tmp_path / "build-venv", "build")
    dist = tmp_path / "dist"
    env = engines.environ()
    run([str(builder / "bin" / "python"), "-m", "build", "--outdir", str(dist), str(source)], env=env, timeout=600)
    (wheel,) = dist.glob("pulumi_cfbilling-*.whl")
    (sdist,) = dist.glob("pulumi_cfbilling-*.tar.gz")
    assert wheel.name == f"pulumi_cfbilling-{__version__}-py3-none-any.whl"
    packed = set(zipfile.ZipFile(wheel).namelist())
    for data in (
        "pulumi-plugin.json",
        "service/schema.json",
        "service/check_report.schema.json",
        "testing/demo_fixture.json",
        "testing/credit_balance_result.schema.json",
        "py.typed",
    ):
        assert f"pulumi_cfbilling/{data}" in packed, data
    with tarfile.open(sdist) as archive:
        assert any(name.endswith("pulumi_cfbilling/pulumi-plugin.json") for name in archive.getnames())

    made = run(
        [str(builder / "bin" / "python"), str(REPO / "release" / "plugin_tarball.py"), "--dist", str(dist)], env=env
    )
    tarball = Path(made.stdout.strip().splitlines()[-1])
    assert re.fullmatch(
        rf"pulumi-resource-cfbilling-v{re.escape(__version__)}-linux-(amd64|arm64)\.tar\.gz", tarball.name
    )
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert {"PulumiPlugin.yaml", "__main__.py", "requirements.txt", f"wheels/{wheel.name}"} <= set(names)

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
