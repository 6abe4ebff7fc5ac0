"""The Terraform lock file pins the provider across machines: same version, OS and arch, same package bytes.

Two "machines" (virtualenvs at different paths, each with its own config folder) lay out the provider with
`cfbilling terraform install-provider`. `terraform init` on the first writes `.terraform.lock.hcl`; the second
initialises with that lock and plans; `terraform providers lock -fs-mirror` computes the same hash; a package of
another version hashes differently. The same under OpenTofu.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_support import Engines, TerraformDir, make_venv, run

from pulumi_cfbilling import __version__
from pulumi_cfbilling.cli.install_provider import target_platform
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"
HASH = re.compile(r'"(h1:[A-Za-z0-9+/=]+)"')


@dataclass(frozen=True)
class Machine:
    """A virtualenv holding the package, the mirror it laid out and the config folder it recorded itself in."""

    venv: Path
    mirror: Path
    config: Path


def machine(engines: Engines, where: Path) -> Machine:
    venv = make_venv(engines, where / "tools" / "venv", "pulumi-cfbilling[terraform]")
    found = Machine(venv, where / "mirror", where / "config")
    command = [str(venv / "bin" / "cfbilling"), "terraform", "install-provider", "--dir", str(found.mirror)]
    run(command, env=engines.environ(XDG_CONFIG_HOME=str(found.config)))
    return found


def workspace(engines: Engines, at: Machine, emulator: Emulator, where: Path, binary: str) -> TerraformDir:
    rc = where / "terraform.rc"
    where.mkdir(parents=True)
    rc.write_text(
        "disable_checkpoint = true\nprovider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{at.mirror}"\n  }}\n}}\n'
    )
    env = engines.environ(
        XDG_CONFIG_HOME=str(at.config),
        TF_CLI_CONFIG_FILE=str(rc),
        TF_DATA_DIR=str(where / "tf-data"),
        CLOUDFLARE_BASE_URL=emulator.base_url,
        CLOUDFLARE_API_TOKEN=DEMO_TOKEN,
    )
    return TerraformDir.copy("terraform-provider", where, env, binary)


@pytest.fixture(scope="module")
def machines(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> tuple[Machine, Machine]:
    root = tmp_path_factory.mktemp("machines")
    return machine(engines, root / "alice"), machine(engines, root / "bob" / "somewhere" / "else")


@pytest.mark.parametrize("binary", ["terraform", "tofu"])
def test_a_committed_lock_file_installs_on_another_machine(
    engines: Engines, machines: tuple[Machine, Machine], emulator: Emulator, tmp_path: Path, binary: str
) -> None:
    alice, bob = machines
    name = f"terraform-provider-cfbilling_{__version__}_{target_platform()}.zip"
    packages = [path for m in machines for path in m.mirror.glob(f"*/pulumi-cfbilling/cfbilling/{name}")]
    assert len(packages) == 4  # Terraform's and OpenTofu's address on each machine
    assert len({path.read_bytes() for path in packages}) == 1  # one set of bytes everywhere

    first = workspace(engines, alice, emulator, tmp_path / "alice", binary)
    first("init", "-input=false")
    lock = (first.dir / ".terraform.lock.hcl").read_text()
    hashes = HASH.findall(lock)
    assert hashes, lock
    first("plan", "-input=false", f"-var=account_id={HEALTHY}")

    second = workspace(engines, bob, emulator, tmp_path / "bob", binary)
    (second.dir / ".terraform.lock.hcl").write_text(lock)  # the teammate's clone has the committed lock
    init = second("init", "-input=false")
    assert "doesn't match any of the checksums" not in init.stdout + init.stderr
    plan = second("plan", "-input=false", f"-var=account_id={HEALTHY}")
    assert "data.cfbilling_credit_balance.this: Read complete" in plan.stdout
    assert HASH.findall((second.dir / ".terraform.lock.hcl").read_text()) == hashes

    # `providers lock` from the mirror computes the very same hash.
    locked = workspace(engines, bob, emulator, tmp_path / "lock", binary)
    locked("providers", "lock", f"-fs-mirror={bob.mirror}", f"-platform={target_platform()}")
    assert HASH.findall((locked.dir / ".terraform.lock.hcl").read_text()) == hashes


def test_another_version_hashes_differently(
    engines: Engines, machines: tuple[Machine, Machine], emulator: Emulator, tmp_path: Path
) -> None:
    alice, _ = machines
    newer = tmp_path / "newer-mirror"
    script = (
        "import sys; from pathlib import Path; from pulumi_cfbilling.cli import install_provider as p\n"
        "root = Path(sys.argv[1]) / 'registry.terraform.io/pulumi-cfbilling/cfbilling'\n"
        "root.mkdir(parents=True); (root / p.package_name('99.0.0', p.target_platform())).write_bytes(p.package('99.0.0'))"
    )
    run([str(alice.venv / "bin" / "python"), "-c", script, str(newer)], env=engines.environ())
    hashes = {}
    for label, mirror in (("current", alice.mirror), ("newer", newer)):
        at = Machine(alice.venv, mirror, alice.config)
        folder = workspace(engines, at, emulator, tmp_path / label, "terraform")
        folder("providers", "lock", f"-fs-mirror={mirror}", f"-platform={target_platform()}")
        lock = (folder.dir / ".terraform.lock.hcl").read_text()
        assert f'version     = "{__version__ if label == "current" else "99.0.0"}"' in lock, lock
        hashes[label] = HASH.findall(lock)
    assert hashes["current"] != hashes["newer"]
