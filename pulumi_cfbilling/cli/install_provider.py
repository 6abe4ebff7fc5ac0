"""``cfbilling terraform install-provider``: lay out the native Terraform provider as a filesystem mirror.

Terraform installs providers from a registry, a mirror or ``dev_overrides``. The provider is this package's
``terraform-provider-cfbilling`` entry point, so the mirror holds a launcher that runs it with this very
interpreter: ``<dir>/registry.terraform.io/pulumi-cfbilling/cfbilling/<version>/<os>_<arch>/
terraform-provider-cfbilling_v<version>``, and the same under ``registry.opentofu.org`` (OpenTofu reads
``source = "pulumi-cfbilling/cfbilling"`` as an address on its own registry). The default folder,
``~/.terraform.d/plugins``, is one Terraform searches by itself when no CLI configuration says otherwise; for any
other, the command prints the block to put in the CLI configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import stat
import sys
from pathlib import Path

from ..core.errors import ConfigurationError
from ..core.requires import terraform_problem
from ..core.settings import TERRAFORM_SOURCE
from ..core.version import __version__

__all__ = ["ADDRESSES", "install_provider", "mirror_path", "provider_installation", "target_platform"]

_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386", "i686": "386"}
DEFAULT_DIR = Path("~/.terraform.d/plugins")


def target_platform() -> str:
    """Terraform's name for this machine: ``linux_amd64``, ``darwin_arm64``..."""
    machine = platform.machine().lower()
    if machine not in _ARCHES:
        raise ConfigurationError(f"no Terraform platform name for this machine ({machine!r}): use dev_overrides")
    return f"{platform.system().lower()}_{_ARCHES[machine]}"


_SOURCE = TERRAFORM_SOURCE.split("/", 1)[1]  # pulumi-cfbilling/cfbilling
ADDRESSES = tuple(f"{host}/{_SOURCE}" for host in ("registry.terraform.io", "registry.opentofu.org"))
"""The provider's full address for Terraform and for OpenTofu: the mirror serves both."""


def mirror_path(root: Path, address: str = TERRAFORM_SOURCE, version: str = __version__) -> Path:
    """Where the launcher of ``address`` goes in a filesystem mirror rooted at ``root``."""
    name = f"terraform-provider-cfbilling_v{version}"
    return root / address / version / target_platform() / name


def _launcher(python: str) -> str:
    # The interpreter this package is installed in, by absolute path: the mirror works from any shell or venv.
    return f'#!/bin/sh\nexec {shlex.quote(python)} -m pulumi_cfbilling.terraform "$@"\n'


def install_provider(args: argparse.Namespace) -> int:
    """Write the launcher into the mirror and print how Terraform finds it."""
    if os.name == "nt":
        raise ConfigurationError(
            "the mirror launcher is a shell script: on Windows, point dev_overrides at the folder holding "
            "terraform-provider-cfbilling.exe (your virtualenv's Scripts folder)"
        )
    problem = terraform_problem()
    if problem is not None:  # refuse now: a launcher that cannot start would fail at `terraform plan`, cryptically
        raise ConfigurationError(problem)
    root = Path(args.dir).expanduser().resolve() if args.dir else DEFAULT_DIR.expanduser()
    target = mirror_path(root)
    try:
        for address in ADDRESSES:
            path = mirror_path(root, address)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            partial.write_text(_launcher(sys.executable), encoding="utf-8")
            partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            partial.replace(path)  # all or nothing: Terraform never sees half a launcher
    except OSError as exc:
        problem = f"cannot write the provider into {root} ({exc.strerror})"
        raise ConfigurationError(f"{problem}: pick a folder you can write to with --dir") from None
    print(f"Installed {_SOURCE} {__version__} for {target.parent.name} (Terraform and OpenTofu): {target}")
    print(f'In a configuration: required_providers {{ cfbilling = {{ source = "{_SOURCE}" }} }}')
    if args.dir:
        print("\nTerraform (and OpenTofu) find it with this in the CLI configuration (~/.terraformrc, or")
        print("TF_CLI_CONFIG_FILE):\n")
        print(provider_installation(root))
    else:
        print(f"Terraform searches {DEFAULT_DIR} by itself unless a CLI configuration sets provider_installation;")
        print("if yours does, add this filesystem_mirror to it:\n")
        print(provider_installation(root))
    return 0


def provider_installation(root: Path) -> str:
    """The CLI configuration block that installs this provider from ``root`` and everything else as usual."""
    addresses = ", ".join(f'"{address}"' for address in ADDRESSES)
    return (
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {json.dumps(str(root))}\n    include = [{addresses}]\n  }}\n"
        f"  direct {{\n    exclude = [{addresses}]\n  }}\n"
        "}"
    )
