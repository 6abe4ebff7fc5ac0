"""Terraform benchmark: `terraform plan` with the native provider vs the `external` data source.

    python3 tests/e2e/engines/prepare.py && python benchmarks/terraform.py [--rounds 11]

Installs `pulumi-cfbilling[terraform]` into a fresh virtualenv from the engines' wheelhouse (what a user has: a
wheel, not this checkout), then plans examples/terraform-provider (the native provider from a filesystem mirror
laid out by that virtualenv's `cfbilling terraform install-provider`: three data sources, balance, check with
runway, usage) and examples/terraform-external (that virtualenv's `cfbilling terraform-external` through
hashicorp/external from the engines' mirror: one data source, balance and check with runway) against the
emulator on loopback, offline. Each round plans the contenders in a shuffled order; medians are reported, and
each ratio is the median of per-round ratios. The native provider is measured three ways: plans in a row (its warm
server, `terraform/_warm.py`, stays up between them), the first plan of a session (no server up: the first start
is cold and forks one), and with `CFBILLING_TF_WARM=false` (every start cold, as before the warm server).

Each start of the native provider is measured too (Terraform starts it three times per plan: to read its schema,
to validate, to plan): ``--trace-rounds`` more plans of the native example run with ``TF_LOG=trace``, and each
start's launch to handshake and handshake to exit are read from Terraform's own timestamps (millisecond
resolution).

Target (issue 27): the native provider's plan takes at most 1.25 times as long as the external one's, in a row and
as the first plan; stretch 1.0.
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
# What each timed plan is: the example planned and what its environment adds.
CONTENDERS: dict[str, tuple[str, dict[str, str]]] = {
    "native provider": ("terraform-provider", {}),
    "external data source": ("terraform-external", {}),
    "native, first plan": ("terraform-provider", {}),
    "native, warm server off": ("terraform-provider", {"CFBILLING_TF_WARM": "false"}),
    "external, again": ("terraform-external", {}),
}


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


def stop_warm_servers() -> None:
    """End this user's warm provider servers: each exits once its socket is gone (it checks twice a second)."""
    from pulumi_cfbilling.terraform import _warm

    folder = _warm.socket_path({})
    if folder is None:
        return
    for socket_file in Path(folder).parent.glob("*.sock"):
        socket_file.unlink(missing_ok=True)
    time.sleep(0.7)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--trace-rounds", type=int, default=5, help="plans of the native example with TF_LOG=trace")
    args = parser.parse_args()
    if shutil.which("terraform") is None:
        raise SystemExit("benchmarks/terraform.py: terraform is not on PATH")
    engines = engines_env()
    samples: dict[str, list[float]] = {name: [] for name in CONTENDERS}
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
        for example in ("terraform-provider", "terraform-external"):
            shutil.copytree(REPO / "examples" / example, scratch / example)
            subprocess.run(
                ["terraform", "init", "-input=false", "-no-color"],
                cwd=scratch / example,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )

        def plan(name: str, extra: dict[str, str] | None = None) -> float:
            example, own = CONTENDERS[name]
            started = time.perf_counter()
            subprocess.run(
                ["terraform", "plan", "-input=false", "-no-color", f"-var=account_id={ACCOUNT}"],
                cwd=scratch / example,
                env={**env, **own, **(extra or {})},
                check=True,
                capture_output=True,
                text=True,
            )
            return time.perf_counter() - started

        # Plans in a row (a plan, then an apply, or a CI job of several roots): the warm server stays up.
        plan("native provider")  # untimed: the first plan leaves the server
        for _ in range(args.rounds):
            for name in random.sample(["native provider", "external data source"], 2):
                samples[name].append(plan(name))
        # A plan with no server up (the first of a session), and with the warm server turned off.
        for _ in range(args.rounds):
            for name in random.sample(["native, first plan", "native, warm server off", "external, again"], 3):
                if name == "native, first plan":
                    stop_warm_servers()
                samples[name].append(plan(name))
        requests = len(emulator.log)
        traces: dict[str, list[list[tuple[float, float]]]] = {"server off": [], "first plan": [], "in a row": []}
        log = scratch / "trace.log"
        for _ in range(args.trace_rounds):
            for kind in traces:
                if kind == "first plan":
                    stop_warm_servers()
                off = {"CFBILLING_TF_WARM": "false"} if kind == "server off" else {}
                plan("native provider", {"TF_LOG": "trace", "TF_LOG_PATH": str(log), **off})
                traces[kind].append(provider_starts(log.read_text()))
                log.unlink()
        stop_warm_servers()
    print(f"`terraform plan`, {args.rounds} interleaved rounds per pair, medians ({requests} emulator requests)\n")
    print("| example | median wall | spread (min-max) |\n|---|---:|---:|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.2f} s | {min(values):.2f}-{max(values):.2f} s |")

    def ratio(native: str, external: str) -> tuple[float, str]:
        ratios = [a / b for a, b in zip(samples[native], samples[external], strict=True)]
        return statistics.median(ratios), f"{min(ratios):.2f}-{max(ratios):.2f}x"

    print("\nnative / external, the median of per-round ratios (spread):\n")
    verdicts = []
    for native, external in (
        ("native provider", "external data source"),
        ("native, first plan", "external, again"),
        ("native, warm server off", "external, again"),
    ):
        value, spread = ratio(native, external)
        judged = native != "native, warm server off"
        verdicts.append(value <= TARGET if judged else True)
        target = f"target <= {TARGET}x: {'met' if value <= TARGET else 'NOT met'}" if judged else "for reference"
        stretch = f", stretch <= {STRETCH}x: {'met' if value <= STRETCH else 'not met'}" if judged else ""
        print(f"- {native}: {value:.2f}x ({spread}); {target}{stretch}")
    for kind, runs in traces.items():
        if not runs or {len(run) for run in runs} != {len(STARTS)}:
            print(f"\n{kind}: starts per traced plan {sorted({len(run) for run in runs})}, not broken down")
            continue
        print(f"\nThe native provider's starts, {kind} ({len(runs)} traced plans, medians, Terraform's timestamps):\n")
        print("| start | launch to handshake | handshake to exit |\n|---|---:|---:|")
        for index, name in enumerate(STARTS):
            launch = statistics.median(run[index][0] for run in runs)
            serve = statistics.median(run[index][1] for run in runs)
            print(f"| {index + 1}: {name} | {launch:.0f} ms | {serve:.0f} ms |")
        total = statistics.median(sum(a + b for a, b in run) for run in runs)
        print(f"\nThe three starts together: {total:.0f} ms of the traced plan.")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
