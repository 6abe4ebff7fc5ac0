"""Fixtures of the end-to-end suite: the engines, and virtualenvs holding this package, installed offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import HOW_TO, REQUIRED, SOURCE, TOFU_SOURCE, Engines, load_prepare, make_venv, run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def engines() -> Engines:
    """The engines built by tests/e2e/engines/prepare.py; a skip with the way to build them, or a failure in CI."""
    found = Engines.find()
    if found is None:
        if REQUIRED:
            pytest.fail(f"CFBILLING_E2E=required but {HOW_TO}")
        pytest.skip(HOW_TO)
    # The wheelhouse must hold a wheel of the code under test, not of the code prepare.py last saw.
    prepare = load_prepare()
    deps = next(Path(p) for p in found.wheel_sources() if "deps" in Path(p).name)
    prepare.own_wheel(found.root, deps)
    return found


@pytest.fixture(scope="session")
def program_venv(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a Python user has: a virtualenv holding pulumi and this package, and nothing else of ours."""
    return make_venv(engines, tmp_path_factory.mktemp("program") / "venv", "pulumi-cfbilling[pulumi]")


@pytest.fixture(scope="session")
def policy_venv(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The policy pack's virtualenv, from its requirements.txt as written."""
    requirements = Path(__file__).resolve().parents[2] / "examples" / "policy-pack" / "requirements.txt"
    return make_venv(engines, tmp_path_factory.mktemp("policy") / "venv", "-r", str(requirements))


@pytest.fixture(scope="session")
def tf_venv(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a Terraform user installs: the package with its `terraform` extra, from the wheel."""
    return make_venv(engines, tmp_path_factory.mktemp("tf") / "venv", "pulumi-cfbilling[terraform]")


@pytest.fixture(scope="session")
def mirror(engines: Engines, tf_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A filesystem mirror holding the provider, laid out by the installed package's own command."""
    root = tmp_path_factory.mktemp("mirror")
    command = [str(tf_venv / "bin" / "cfbilling"), "terraform", "install-provider", "--dir", str(root)]
    result = run(command, env=engines.environ())
    assert f'include = ["{SOURCE}", "{TOFU_SOURCE}"]' in result.stdout
    (package,) = root.glob(f"{SOURCE}/terraform-provider-cfbilling_*.zip")
    (tofu,) = root.glob(f"{TOFU_SOURCE}/terraform-provider-cfbilling_*.zip")
    assert package.read_bytes() == tofu.read_bytes()
    return root
