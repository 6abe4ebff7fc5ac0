"""``cfbilling terraform install-provider``: the native Terraform provider as a package a lock file can pin.

Terraform installs providers from a registry, a mirror or ``dev_overrides``, and records a hash of each package in
``.terraform.lock.hcl``: a team commits it, and every ``terraform init`` after that refuses a package with other
bytes. So the package must have the same bytes on every machine for a version, OS and architecture, and other bytes
for another version. It is a zip in Terraform's packed mirror layout,
``<dir>/registry.terraform.io/pulumi-cfbilling/cfbilling/terraform-provider-cfbilling_<version>_<os>_<arch>.zip``
(and the same under ``registry.opentofu.org``, which OpenTofu reads for the same ``source``), holding one launcher
whose text depends only on the version (:func:`launcher`), zipped with fixed times and modes (:func:`package`).

The launcher finds this package's Python at run time, never by an embedded path:

1. the interpreter named in ``$XDG_CONFIG_HOME/cfbilling/terraform/v<version>`` (default ``~/.config``), which
   this command writes: the environment it runs from serves that version on this machine;
2. else ``terraform-provider-cfbilling`` on ``PATH`` (what ``pipx install 'pulumi-cfbilling[terraform]'`` puts
   there).

It passes the version it was locked with (``CFBILLING_PROVIDER_VERSION``), and the provider refuses to serve under
another one: a lock never pins a launcher that quietly runs a different release. ``--platform`` adds packages for
other machines of the team (``terraform providers lock -platform=...`` then hashes every one).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import stat
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import ConfigurationError
from ..core.requires import terraform_problem
from ..core.settings import TERRAFORM_SOURCE
from ..core.version import __version__

__all__ = [
    "ADDRESSES",
    "PLATFORMS",
    "VERSION_VARIABLE",
    "install_provider",
    "launcher",
    "package",
    "package_name",
    "provider_installation",
    "python_record",
    "target_platform",
]

_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
PLATFORMS = ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64")
"""The platforms a package is made for: the launcher is a POSIX shell script (Windows uses dev_overrides)."""
DEFAULT_DIR = Path("~/.terraform.d/plugins")
VERSION_VARIABLE = "CFBILLING_PROVIDER_VERSION"
"""The version the launcher was locked with, handed to the provider, which refuses to serve under another."""
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: a package's bytes never carry when it was made


def target_platform() -> str:
    """Terraform's name for this machine: ``linux_amd64``, ``darwin_arm64``..."""
    machine = platform.machine().lower()
    name = f"{platform.system().lower()}_{_ARCHES.get(machine, machine)}"
    if name not in PLATFORMS:
        raise ConfigurationError(f"no provider package for this machine ({name}): use dev_overrides")
    return name


_SOURCE = TERRAFORM_SOURCE.split("/", 1)[1]  # pulumi-cfbilling/cfbilling
ADDRESSES = tuple(f"{host}/{_SOURCE}" for host in ("registry.terraform.io", "registry.opentofu.org"))
"""The provider's full address for Terraform and for OpenTofu: the mirror serves both."""


def package_name(version: str, target: str) -> str:
    """``terraform-provider-cfbilling_0.1.0_linux_amd64.zip``: Terraform's name for a packed provider."""
    return f"terraform-provider-cfbilling_{version}_{target}.zip"


def python_record(version: str = __version__) -> Path:
    """The file naming the interpreter that serves ``version`` on this machine (written by this command)."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "cfbilling" / "terraform" / f"v{version}"


def launcher(version: str) -> str:
    """The launcher's text: the same on every machine for a ``version`` (the lock hashes it)."""
    if not re.fullmatch(r"[0-9A-Za-z.+-]+", version):
        raise ConfigurationError(f"not a version: {version!r}")
    # Messages go to stdout: Terraform shows a line there it does not recognise ("Unrecognized remote plugin
    # message"), where stderr only reaches its debug log.
    return f"""#!/bin/sh
# terraform-provider-cfbilling {version}: runs the provider of pulumi-cfbilling {version} installed on this machine.
# Which Python serves it is found at run time, so these bytes are the same on every machine (the lock file pins them).
export {VERSION_VARIABLE}={version}
record="${{XDG_CONFIG_HOME:-$HOME/.config}}/cfbilling/terraform/v{version}"
if [ -r "$record" ]; then
  python=$(head -n 1 "$record")
  if [ -x "$python" ]; then exec "$python" -m pulumi_cfbilling.terraform "$@"; fi
fi
if command -v terraform-provider-cfbilling >/dev/null 2>&1; then exec terraform-provider-cfbilling "$@"; fi
echo "terraform-provider-cfbilling: pulumi-cfbilling {version} is not installed on this machine: pipx install \
'pulumi-cfbilling[terraform]=={version}' (or a wheel of it), or run cfbilling terraform install-provider from the \
environment that has it"
exit 1
"""


def package(version: str) -> bytes:
    """The provider package of ``version``: a zip of the launcher, byte for byte the same on every machine."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        entry = zipfile.ZipInfo(f"terraform-provider-cfbilling_v{version}", date_time=_ZIP_TIME)
        entry.create_system = 3  # unix, so the mode below is read
        entry.external_attr = (stat.S_IFREG | 0o755) << 16
        archive.writestr(entry, launcher(version).encode("utf-8"))
    return buffer.getvalue()


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.chmod(mode)
    partial.replace(path)  # all or nothing: Terraform never sees half a package


def install_provider(args: argparse.Namespace) -> int:
    """Write the packages into the mirror, record this Python for the version, and print how Terraform finds it."""
    if os.name == "nt":
        raise ConfigurationError(
            "the mirror launcher is a shell script: on Windows, point dev_overrides at the folder holding "
            "terraform-provider-cfbilling.exe (your virtualenv's Scripts folder)"
        )
    problem = terraform_problem()
    if problem is not None:  # refuse now: a launcher that cannot start would fail at `terraform plan`, cryptically
        raise ConfigurationError(problem)
    targets = _platforms(args.platform or [])
    root = Path(args.dir).expanduser().resolve() if args.dir else DEFAULT_DIR.expanduser()
    record = python_record()
    data = package(__version__)
    try:
        for address in ADDRESSES:
            for target in targets:
                _write(root / address / package_name(__version__, target), data)
                _forget_unpacked(root / address / __version__ / target)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the provider into {root} ({exc.strerror}): pick a folder you can write to with --dir"
        ) from None
    try:
        _write(record, f"{sys.executable}\n".encode())
    except OSError as exc:
        raise ConfigurationError(
            f"cannot record this Python in {record} ({exc.strerror}): set XDG_CONFIG_HOME to a folder you can write "
            "to (the launcher reads it there), or put terraform-provider-cfbilling on PATH (pipx install)"
        ) from None
    print(f"Installed {_SOURCE} {__version__} for {', '.join(targets)} (Terraform and OpenTofu) in {root}")
    print(f"Served on this machine by {sys.executable} (recorded in {record})")
    print(f'In a configuration: required_providers {{ cfbilling = {{ source = "{_SOURCE}" }} }}')
    if args.dir:
        print("\nTerraform (and OpenTofu) find it with this in the CLI configuration (~/.terraformrc, or")
        print("TF_CLI_CONFIG_FILE):\n")
    else:
        print(f"Terraform searches {DEFAULT_DIR} by itself unless a CLI configuration sets provider_installation;")
        print("if yours does, add this filesystem_mirror to it:\n")
    print(provider_installation(root))
    return 0


def _platforms(given: Sequence[str]) -> list[str]:
    """The platforms to lay out: this machine's first, then each ``--platform``; an unknown one is a one-line error."""
    chosen = [target_platform()]
    for name in given:
        if name not in PLATFORMS:
            raise ConfigurationError(f"--platform {name!r} is not one of {', '.join(PLATFORMS)}")
        if name not in chosen:
            chosen.append(name)
    return chosen


def _forget_unpacked(folder: Path) -> None:
    """An earlier release's unpacked launcher for this version: Terraform would find two packages and refuse."""
    stale = folder / f"terraform-provider-cfbilling_v{__version__}"
    if stale.is_file():
        stale.unlink()
        for empty in (folder, folder.parent):
            if empty.is_dir() and not any(empty.iterdir()):
                empty.rmdir()


def provider_installation(root: Path) -> str:
    """The CLI configuration block that installs this provider from ``root`` and everything else as usual."""
    addresses = ", ".join(f'"{address}"' for address in ADDRESSES)
    return (
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {json.dumps(str(root))}\n    include = [{addresses}]\n  }}\n"
        f"  direct {{\n    exclude = [{addresses}]\n  }}\n"
        "}"
    )
