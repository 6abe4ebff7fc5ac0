"""Terraform benchmark: `terraform plan` with the native provider vs the `external` data source.

    python3 tests/e2e/engines/prepare.py && python benchmarks/terraform.py [--rounds 11]

Installs `pulumi-cfbilling[terraform]` into a fresh virtualenv from the engines' wheelhouse (what a user has: a
wheel, not this checkout), then plans examples/terraform-provider (the native provider from a filesystem mirror
laid out by that virtualenv's `cfbilling terraform install-provider`: three data sources, balance, check with
runway, usage) and examples/terraform-external (that virtualenv's `cfbilling terraform-external` through
hashicorp/external from the engines' mirror: one data source, balance and check with runway) against the
emulator on loopback, offline. Each round
plans both, in a shuffled order; medians are reported, and the ratio is the median of per-round ratios.

Target: the native provider's plan takes at most 1.5 times as long as the external one's.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine import engines_env  # this folder: the scripts run as `python benchmarks/<name>.py`

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "0123456789abcdef0123456789abcdef"
SOURCE = "registry.terraform.io/pulumi-cfbilling/cfbilling"
TARGET = 1.5


def user_venv(scratch: Path, engines: dict[str, str]) -> Path:
    """A virtualenv holding the wheel and its `terraform` extra, installed offline; its bin goes first on PATH."""
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "pulumi-cfbilling[terraform]"],
        env=engines,
        check=True,
    )
    return venv / "bin"


def cli_config(scratch: Path, engines: dict[str, str], bin_dir: Path) -> Path:
    """The engines' CLI config (hashicorp/external from its mirror) plus a mirror of the native provider."""
    mirror = scratch / "mirror"
    subprocess.run(
        [str(bin_dir / "cfbilling"), "terraform", "install-provider", "--dir", str(mirror)],
        check=True,
        capture_output=True,
        text=True,
    )
    external = Path(engines["TF_CLI_CONFIG_FILE"]).read_text()
    external_mirror = external.split('path    = "', 1)[1].split('"', 1)[0]
    config = scratch / "terraform.rc"
    config.write_text(
        "disable_checkpoint = true\nprovider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{SOURCE}"]\n  }}\n'
        f'  filesystem_mirror {{\n    path    = "{external_mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/external"]\n  }\n'
        f'  direct {{\n    exclude = ["{SOURCE}", "registry.terraform.io/hashicorp/external"]\n  }}\n}}\n'
    )
    return config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    if shutil.which("terraform") is None:
        raise SystemExit("benchmarks/terraform.py: terraform is not on PATH")
    engines = engines_env()
    samples: dict[str, list[float]] = {"native provider": [], "external data source": []}
    # No rate limit: these measure speed, many rounds in a row (fleet.py measures the budget).
    with tempfile.TemporaryDirectory() as folder, Emulator(fixture=demo_fixture(), rate_limit=None) as emulator:
        scratch = Path(folder)
        bin_dir = user_venv(scratch, engines)
        env = {
            **engines,
            "TF_CLI_CONFIG_FILE": str(cli_config(scratch, engines, bin_dir)),
            "CLOUDFLARE_API_TOKEN": DEMO_TOKEN,
            "CLOUDFLARE_BASE_URL": emulator.base_url,
        }
        env["PATH"] = os.pathsep.join([str(bin_dir), env["PATH"]])
        programs = {"native provider": "terraform-provider", "external data source": "terraform-external"}
        for example in programs.values():
            shutil.copytree(REPO / "examples" / example, scratch / example)
            subprocess.run(
                ["terraform", "init", "-input=false", "-no-color"],
                cwd=scratch / example,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
        for _ in range(args.rounds):
            order = list(programs.items())
            random.shuffle(order)
            for name, example in order:
                started = time.perf_counter()
                subprocess.run(
                    ["terraform", "plan", "-input=false", "-no-color", f"-var=account_id={ACCOUNT}"],
                    cwd=scratch / example,
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                samples[name].append(time.perf_counter() - started)
        requests = len(emulator.log)
    print(f"`terraform plan`, {args.rounds} interleaved rounds, medians ({requests} emulator requests)\n")
    print("| example | median wall | spread (min-max) |\n|---|---:|---:|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.2f} s | {min(values):.2f}-{max(values):.2f} s |")
    ratios = [a / b for a, b in zip(samples["native provider"], samples["external data source"], strict=True)]
    ratio = statistics.median(ratios)
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"\nnative / external: {ratio:.2f}x (median of per-round ratios); target <= {TARGET}x: {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
