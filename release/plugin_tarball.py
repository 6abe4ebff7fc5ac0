#!/usr/bin/env python3
"""Build the provider plugin release tarball from a built wheel: a source plugin that carries its wheels.

    python -m build --outdir dist .
    python3 release/plugin_tarball.py --dist dist
    pulumi plugin install resource cfbilling 0.1.0 --file dist/pulumi-resource-cfbilling-v0.1.0-linux-amd64.tar.gz

The tarball holds PulumiPlugin.yaml (Python runtime, a virtualenv in the plugin folder), the plugin's
``__main__.py``, our wheel and every wheel it depends on for this platform and Python, and a requirements.txt
that installs from those wheels only. ``pulumi plugin install`` unpacks it and has the Python language host
create the virtualenv, so no package index is needed and nothing lands on PATH.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PLUGIN_YAML = """\
# The cfbilling provider plugin, run by Pulumi's Python language host from this folder.
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: venv
"""


def _platform() -> str:
    system = platform.system().lower()
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine().lower(), platform.machine().lower())
    return f"{system}-{machine}"


def build(dist: Path, out: Path) -> Path:
    """Write ``pulumi-resource-cfbilling-v<version>-<os>-<arch>.tar.gz`` into ``out`` and return its path."""
    wheels = sorted(dist.glob("pulumi_cfbilling-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"plugin_tarball: expected one pulumi_cfbilling wheel in {dist}, found {len(wheels)}")
    wheel = wheels[0]
    version = wheel.name.split("-")[1]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        bundled = root / "wheels"
        # Our wheel plus every dependency, for this interpreter and platform (pip's own settings apply:
        # an index, or PIP_NO_INDEX with PIP_FIND_LINKS).
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--dest",
                str(bundled),
                "--find-links",
                str(dist),
                f"pulumi-cfbilling[pulumi]=={version}",
            ],
            check=True,
        )
        (root / "PulumiPlugin.yaml").write_text(PLUGIN_YAML)
        shutil.copyfile(REPO / "provider" / "__main__.py", root / "__main__.py")
        # Relative to this file: pip reads --find-links in a requirements file against the file's folder.
        requirement = f"pulumi-cfbilling[pulumi]=={version}"
        (root / "requirements.txt").write_text(f"--no-index\n--find-links wheels\n{requirement}\n")
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"pulumi-resource-cfbilling-v{version}-{_platform()}.tar.gz"
        with tarfile.open(target, "w:gz") as tar:
            for path in sorted(root.rglob("*")):
                tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="folder holding the built wheel")
    parser.add_argument("--out", type=Path, help="where to write the tarball (default: --dist)")
    args = parser.parse_args()
    print(build(args.dist, args.out or args.dist))
    return 0


if __name__ == "__main__":
    sys.exit(main())
