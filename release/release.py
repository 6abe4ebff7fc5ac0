#!/usr/bin/env python3
"""The release command: every artifact of a version, the same bytes from the same inputs, with checksums.

    python3 release/release.py --out dist                      # from a clone, with `build` and `twine` installed
    python3 release/release.py --out dist --python 3.12 --plugin-download-url https://example.com/cfbilling/

It writes into ``--out`` (emptied first):

- ``pulumi_cfbilling-<v>-py3-none-any.whl`` and ``pulumi_cfbilling-<v>.tar.gz`` (``python -m build``), normalised so
  their bytes depend only on the sources and ``SOURCE_DATE_EPOCH`` (default: the last commit's time), and checked
  with ``twine check`` as an index would;
- ``pulumi-resource-cfbilling-v<v>-<os>-<arch>.tar.gz`` for linux and darwin on amd64 and arm64: the source plugin
  (``PulumiPlugin.yaml``, ``__main__.py``, ``requirements.txt``) carrying the wheels of that platform for each
  ``--python`` version (``pip download --platform``), installable offline with ``pulumi plugin install``;
- ``terraform-provider-cfbilling_<v>_<os>_<arch>.zip`` for the same platforms (the packages ``cfbilling terraform
  install-provider`` lays out, byte for byte), ``terraform-provider-cfbilling_<v>_manifest.json`` (protocol 6) and
  ``terraform-provider-cfbilling_<v>_SHA256SUMS``, the layout a provider registry serves;
- ``schema.json`` with ``pluginDownloadURL`` set to ``--plugin-download-url`` (default: the shipped schema's);
- ``SHA256SUMS`` of everything above.

Pip's own settings apply to the downloads (an index, or ``PIP_NO_INDEX`` with ``PIP_FIND_LINKS`` offline). Signing
is left to the release's operator: ``gpg --detach-sign`` of the two SHA256SUMS files, the public key published where
the registry or users can read it (see the README's Releasing section).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the package's own layout functions, from the sources being released

from pulumi_cfbilling.cli.install_provider import PLATFORMS, package, package_name  # noqa: E402
from pulumi_cfbilling.core.version import __version__  # noqa: E402

PYTHONS = ("3.10", "3.11", "3.12", "3.13")
"""The Python versions a plugin tarball carries wheels for: the package's, the plugin's virtualenv is made with one."""
# Terraform's platform -> pip's platform tags. pip widens a manylinux2014 or macosx_14_0 tag to the older ones, but
# not a PEP 600 manylinux_2_x tag, so each is named.
PIP_PLATFORMS = {
    "linux_amd64": ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64"),
    "linux_arm64": ("manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64"),
    "darwin_amd64": ("macosx_14_0_x86_64",),
    "darwin_arm64": ("macosx_14_0_arm64",),
}
PLUGIN_YAML = """\
# The cfbilling provider plugin, run by Pulumi's Python language host from this folder.
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: venv
"""
MANIFEST = {"version": 1, "metadata": {"protocol_versions": ["6.0"]}}


def log(message: str) -> None:
    print(f"release: {message}", file=sys.stderr, flush=True)


def source_date_epoch() -> int:
    """``SOURCE_DATE_EPOCH``, else the last commit's time, else 1980-01-01: every timestamp the artifacts carry."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    found = subprocess.run(
        ["git", "-C", str(REPO), "log", "-1", "--format=%ct"], capture_output=True, text=True, check=False
    )
    return int(found.stdout.strip()) if found.returncode == 0 and found.stdout.strip() else 315532800


# -- Deterministic archives ---------------------------------------------------------------------------------------


def _tar_gz(members: Iterable[tuple[str, bytes, int]], epoch: int) -> bytes:
    """A .tar.gz of ``(name, data, mode)`` in name order, every time, owner and gzip header fixed."""
    raw = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch, compresslevel=9) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, data, mode in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, epoch
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def normalise_sdist(path: Path, epoch: int) -> None:
    """Rewrite an sdist with sorted members, fixed times and owners (setuptools stamps the build's time)."""
    with tarfile.open(path) as tar:
        members = []
        for info in tar.getmembers():
            if info.isfile():
                extracted = tar.extractfile(info)
                assert extracted is not None
                members.append((info.name, extracted.read(), 0o644))
    path.write_bytes(_tar_gz(members, epoch))


def normalise_wheel(path: Path, epoch: int) -> None:
    """Rewrite a wheel with sorted entries (RECORD last) and fixed times; RECORD's hashes cover contents only."""
    import time

    stamp = time.gmtime(max(epoch, 315532800))[:6]
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info), info.external_attr) for info in source.infolist()]
    entries.sort(key=lambda entry: (entry[0].endswith(".dist-info/RECORD"), entry[0]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data, attributes in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
            info.external_attr = attributes or (0o644 << 16)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data, compresslevel=9)
    path.write_bytes(buffer.getvalue())


# -- The artifacts --------------------------------------------------------------------------------------------------


def python_packages(out: Path, epoch: int) -> tuple[Path, Path]:
    """Wheel and sdist of the sources, normalised, and checked by twine."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "src"
        skip = shutil.ignore_patterns(".git", ".venv*", "venv", "node_modules", "build", "dist", "*.egg-info")
        shutil.copytree(REPO, source, ignore=skip)
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
        subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], check=True, env=env,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    (wheel,) = out.glob("pulumi_cfbilling-*.whl")
    (sdist,) = out.glob("pulumi_cfbilling-*.tar.gz")
    normalise_wheel(wheel, epoch)
    normalise_sdist(sdist, epoch)
    subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)], check=True)
    return wheel, sdist


def plugin_wheels(dist: Path, target: str, pythons: Sequence[str], into: Path) -> None:
    """Every wheel ``pulumi-cfbilling[pulumi]`` needs on ``target``, for each Python version."""
    tags = [flag for tag in PIP_PLATFORMS[target] for flag in ("--platform", tag)]
    for version in pythons:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(into), "--only-binary=:all:",
                   *tags, "--python-version", version, "--implementation", "cp", "--find-links", str(dist),
                   f"pulumi-cfbilling[pulumi]=={__version__}"]  # fmt: skip
        subprocess.run(command, check=True)


def plugin_tarball(dist: Path, target: str, pythons: Sequence[str], out: Path, epoch: int) -> Path:
    """``pulumi-resource-cfbilling-v<v>-<os>-<arch>.tar.gz``: the source plugin with its platform's wheels."""
    with tempfile.TemporaryDirectory() as scratch:
        wheels = Path(scratch)
        plugin_wheels(dist, target, pythons, wheels)
        requirement = f"pulumi-cfbilling[pulumi]=={__version__}"
        members = [
            ("PulumiPlugin.yaml", PLUGIN_YAML.encode(), 0o644),
            ("__main__.py", (REPO / "provider" / "__main__.py").read_bytes(), 0o644),
            # Relative to this file: pip reads --find-links in a requirements file against the file's folder.
            ("requirements.txt", f"--no-index\n--find-links wheels\n{requirement}\n".encode(), 0o644),
            *((f"wheels/{wheel.name}", wheel.read_bytes(), 0o644) for wheel in sorted(wheels.glob("*.whl"))),
        ]
    name = f"pulumi-resource-cfbilling-v{__version__}-{target.replace('_', '-')}.tar.gz"
    (out / name).write_bytes(_tar_gz(members, epoch))
    return out / name


def terraform_packages(out: Path) -> list[Path]:
    """The provider zips, the registry manifest and their SHA256SUMS."""
    written = []
    for target in PLATFORMS:
        path = out / package_name(__version__, target)
        path.write_bytes(package(__version__))
        written.append(path)
    manifest = out / f"terraform-provider-cfbilling_{__version__}_manifest.json"
    manifest.write_text(json.dumps(MANIFEST, indent=2) + "\n")
    written.append(manifest)
    sums = out / f"terraform-provider-cfbilling_{__version__}_SHA256SUMS"
    sums.write_text(_sums(written))
    return [*written, sums]


def release_schema(out: Path, download_url: str | None) -> Path:
    """The package schema, its ``pluginDownloadURL`` set to the release location when one is given."""
    schema = json.loads((REPO / "pulumi_cfbilling" / "service" / "schema.json").read_text("utf-8"))
    if download_url:
        schema["pluginDownloadURL"] = download_url
    path = out / "schema.json"
    path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    return path


def _sums(paths: Iterable[Path]) -> str:
    return "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(paths))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="where the artifacts go (emptied first)")
    parser.add_argument(
        "--python", action="append", metavar="X.Y", help=f"Python versions of the plugin's wheels (default {PYTHONS})"
    )
    parser.add_argument("--platform", action="append", choices=PLATFORMS, help="plugin platforms (default: all)")
    parser.add_argument("--plugin-download-url", help="pluginDownloadURL of the release's schema.json")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    epoch = source_date_epoch()
    log(f"pulumi-cfbilling {__version__}, SOURCE_DATE_EPOCH={epoch}, into {out}")
    wheel, sdist = python_packages(out, epoch)
    artifacts = [wheel, sdist]
    with tempfile.TemporaryDirectory() as scratch:
        dist = Path(scratch)
        shutil.copy2(wheel, dist / wheel.name)  # what the plugin's downloads find our package in
        for target in args.platform or PLATFORMS:
            log(f"plugin tarball for {target}")
            artifacts.append(plugin_tarball(dist, target, args.python or PYTHONS, out, epoch))
    artifacts += terraform_packages(out)
    artifacts.append(release_schema(out, args.plugin_download_url))
    (out / "SHA256SUMS").write_text(_sums(artifacts))
    for path in sorted(out.iterdir()):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
