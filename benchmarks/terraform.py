"""Terraform benchmark: `terraform plan` with the native provider vs the `external` data source.

    python3 tests/e2e/engines/prepare.py && python benchmarks/terraform.py [--rounds 11]

Installs `pulumi-cfbilling[terraform]` into a fresh virtualenv from the engines' wheelhouse (what a user has: a
wheel, not this checkout), then plans examples/terraform-provider (the native provider from a filesystem mirror
laid out by that virtualenv's `cfbilling terraform install-provider`: three data sources, balance, check with
runway, usage) and examples/terraform-external (that virtualenv's `cfbilling terraform-external` through
hashicorp/external from the engines' mirror: one data source, balance and check with runway) against the
emulator on loopback, offline. Each round
plans both, in a shuffled order; medians are reported, and the ratio is the median of per-round ratios.

Each start of the native provider is measured too (Terraform starts it three times per plan: to read its schema,
to validate, to plan): ``--trace-rounds`` more plans of the native example run with ``TF_LOG=trace``, and each
start's launch to handshake and handshake to exit are read from Terraform's own timestamps (millisecond
resolution).

Target (issue 27): the native provider's plan takes at most 1.25 times as long as the external one's; stretch 1.0.
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
from datetime import datetime
from pathlib import Path

from engine import engines_env  # this folder: the scripts run as `python benchmarks/<name>.py`

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "0123456789abcdef0123456789abcdef"
SOURCE = "registry.terraform.io/pulumi-cfbilling/cfbilling"
TARGET = 1.25
STRETCH = 1.0
STARTS = ("schema", "validate", "plan (reads)")


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


def _stamp(line: str) -> datetime:
    return datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00"))


def provider_starts(log: str) -> list[tuple[float, float]]:
    """(launch to handshake, handshake to exit) in ms for each start of the cfbilling provider in a trace log."""
    starts: list[tuple[float, float]] = []
    launched = handshake = None
    for line in log.splitlines():
        if "provider: starting plugin:" in line and "terraform-provider-cfbilling" in line:
            launched, handshake = _stamp(line), None
        elif "provider: using plugin:" in line and launched is not None and handshake is None:
            handshake = _stamp(line)
        elif "plugin process exited:" in line and "terraform-provider-cfbilling" in line:
            if launched is not None and handshake is not None:
                ms = lambda a, b: (b - a).total_seconds() * 1000  # noqa: E731
                starts.append((ms(launched, handshake), ms(handshake, _stamp(line))))
            launched = handshake = None
    return starts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--trace-rounds", type=int, default=5, help="plans of the native example with TF_LOG=trace")
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
        traces: list[list[tuple[float, float]]] = []
        for _ in range(args.trace_rounds):
            log = scratch / "trace.log"
            subprocess.run(
                ["terraform", "plan", "-input=false", "-no-color", f"-var=account_id={ACCOUNT}"],
                cwd=scratch / programs["native provider"],
                env={**env, "TF_LOG": "trace", "TF_LOG_PATH": str(log)},
                check=True,
                capture_output=True,
                text=True,
            )
            traces.append(provider_starts(log.read_text()))
            log.unlink()
    print(f"`terraform plan`, {args.rounds} interleaved rounds, medians ({requests} emulator requests)\n")
    print("| example | median wall | spread (min-max) |\n|---|---:|---:|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.2f} s | {min(values):.2f}-{max(values):.2f} s |")
    ratios = [a / b for a, b in zip(samples["native provider"], samples["external data source"], strict=True)]
    ratio = statistics.median(ratios)
    verdict = "met" if ratio <= TARGET else "NOT met"
    stretch = "met" if ratio <= STRETCH else "not met"
    print(
        f"\nnative / external: {ratio:.2f}x (median of per-round ratios, spread {min(ratios):.2f}-{max(ratios):.2f}x);"
    )
    print(f"target <= {TARGET}x: {verdict}; stretch <= {STRETCH}x: {stretch}")
    counts = {len(trace) for trace in traces}
    if traces and counts == {len(STARTS)}:
        print(f"\nThe native provider's starts ({len(traces)} traced plans, medians, Terraform's timestamps):\n")
        print("| start | launch to handshake | handshake to exit |\n|---|---:|---:|")
        for index, name in enumerate(STARTS):
            launch = statistics.median(trace[index][0] for trace in traces)
            serve = statistics.median(trace[index][1] for trace in traces)
            print(f"| {index + 1}: {name} | {launch:.0f} ms | {serve:.0f} ms |")
        total = statistics.median(sum(a + b for a, b in trace) for trace in traces)
        print(f"\nThe three starts together: {total:.0f} ms of the traced plan.")
    elif traces:
        print(f"\nstarts per traced plan: {sorted(counts)} (expected {len(STARTS)}): not broken down")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
