"""Cold start of a plain ``cfbilling check`` (issue 27): the package's import self-time, and the process's wall time
against the stack floor.

    python3 -m venv .venv-bench && .venv-bench/bin/pip install '.[bench]'
    .venv-bench/bin/python benchmarks/imports.py [--rounds 15] [--runs 3] [--cold-rounds 11]

Run it from a regular install (as above): an editable one adds its finder's lookups to every module, and the
benchmark says so when it finds one. Three measures, each printed with its target:

1. **Import self-time.** Each round runs ``python -X importtime -m pulumi_cfbilling check --account-id X
   --min-balance-usd 1`` against the emulator in a fresh process and sums the self-time of every
   ``pulumi_cfbilling`` module: what the package's own code costs to import, its dependencies apart. Median of
   ``--rounds`` with the spread; target at most 15 ms. Deterministic enough to track from one change to the next
   on one machine: it counts import work only, not the network.
2. **pydantic's class building, per model** on that path: each model's class statement run again in a process
   where pydantic is warm (best of 20), so the cost of the form chosen is visible apart from pydantic's own
   first-use work.
3. **Cold process against the floor.** ``cfbilling check`` against ``benchmarks/scripts/stack_floor.py`` (requests
   and pydantic imported, the same three models declared, the same request made and judged), interleaved in a
   shuffled order, ``--runs`` runs of ``--cold-rounds`` rounds. Each run's ratio is the median of its per-round
   ratios; the target (at most 1.05x) is judged on the median run, and every run is printed for the spread.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

SELF_TIME_TARGET_MS = 15.0
COLD_RATIO_TARGET = 1.05
ACCOUNT = "0123456789abcdef0123456789abcdef"
FLOOR = Path(__file__).resolve().parent / "scripts" / "stack_floor.py"
CHECK = ["check", "--account-id", ACCOUNT, "--min-balance-usd", "1"]

# Run in a child: warm pydantic with a throwaway model, import the models' module, then run each model's class
# statement again in that module's namespace and print its best time.
PER_MODEL = """
import ast, json, sys, time
from pydantic import BaseModel
class Warm(BaseModel):
    x: float | None = None
import pulumi_cfbilling.api.models as models
tree = ast.parse(open(models.__file__).read())
costs = {}
for node in tree.body:
    if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") in ("_Model", "BaseModel") for b in node.bases):
        code = compile(ast.Module([node], []), models.__file__, "exec")
        namespace = dict(vars(models))
        runs = []
        for _ in range(20):
            started = time.perf_counter()
            exec(code, namespace)
            runs.append(time.perf_counter() - started)
        costs[node.name] = min(runs) * 1000
print(json.dumps(costs))
"""


def regular_install() -> bool:
    """Whether the package imported here is a regular install (site-packages), not an editable one."""
    import pulumi_cfbilling

    return "site-packages" in Path(pulumi_cfbilling.__file__).parts


def self_times(env: dict[str, str]) -> dict[str, float]:
    """Self-time in milliseconds per package module, for one cold ``check``."""
    command = [sys.executable, "-X", "importtime", "-m", "pulumi_cfbilling", *CHECK]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=os.path.expanduser("~"))
    times: dict[str, float] = {}
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if name.startswith("pulumi_cfbilling"):
            times[name] = int(self_us) / 1000
    return times


def cold_run(env: dict[str, str], rounds: int) -> tuple[float, float, float]:
    """One run of interleaved rounds: (median ratio check/floor, median check ms, median floor ms)."""
    contenders = {
        "check": [str(Path(sys.executable).parent / "cfbilling"), *CHECK],
        "floor": [sys.executable, str(FLOOR), ACCOUNT],
    }
    walls: dict[str, list[float]] = {name: [] for name in contenders}
    ratios = []
    for _ in range(rounds):
        order = list(contenders)
        random.shuffle(order)
        this: dict[str, float] = {}
        for name in order:
            started = time.perf_counter()
            done = subprocess.run(contenders[name], env=env, capture_output=True, check=False, cwd="/")
            this[name] = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-300:]}")
            walls[name].append(this[name])
        ratios.append(this["check"] / this["floor"])
    return (
        statistics.median(ratios),
        statistics.median(walls["check"]) * 1000,
        statistics.median(walls["floor"]) * 1000,
    )


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="import self-time rounds")
    parser.add_argument("--runs", type=int, default=3, help="runs of the cold-process comparison")
    parser.add_argument("--cold-rounds", type=int, default=11, help="interleaved rounds in each run")
    args = parser.parse_args()
    with Emulator(fixture=demo_fixture(), rate_limit=None) as emulator:
        env = {**os.environ, "CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emulator.base_url}
        rounds = [self_times(env) for _ in range(args.rounds)]
        models = subprocess.run([sys.executable, "-c", PER_MODEL], env=env, capture_output=True, text=True, check=True)
        runs = [cold_run(env, args.cold_rounds) for _ in range(args.runs)]
    totals = [sum(times.values()) for times in rounds]
    median = statistics.median(totals)
    middle = min(rounds, key=lambda times: abs(sum(times.values()) - median))
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    if not regular_install():
        print("\nWARNING: an editable install: its finder slows every import; use a regular install (see above).")
    ratios = sorted(ratio for ratio, _, _ in runs)
    ratio = statistics.median(ratios) if ratios else float("nan")  # --runs 0: the self-time only
    print("\n| measure | value | spread | target |")
    print("|---|---:|---|---|")
    print(
        f"| package self-time on the `check` path ({args.rounds} rounds) | {median:.1f} ms | "
        f"{min(totals):.1f} to {max(totals):.1f} ms | at most {SELF_TIME_TARGET_MS:g} ms: "
        f"{met(median <= SELF_TIME_TARGET_MS)} |"
    )
    if runs:
        print(
            f"| cold `check` / stack floor ({args.runs} runs of {args.cold_rounds} rounds) | {ratio:.3f}x | "
            f"{ratios[0]:.3f}x to {ratios[-1]:.3f}x | at most {COLD_RATIO_TARGET:g}x: "
            f"{met(ratio <= COLD_RATIO_TARGET)} |"
        )
    else:
        print(f"| cold `check` / stack floor | not run (`--runs 0`) | | at most {COLD_RATIO_TARGET:g}x |")
    print(f"| package modules imported | {len(middle)} | | |")
    if runs:
        print("\nCold runs (median of per-round ratios; median walls):\n")
        print("| run | check | floor | ratio |")
        print("|---:|---:|---:|---:|")
        for number, (one, check, floor) in enumerate(runs, start=1):
            print(f"| {number} | {check:.0f} ms | {floor:.0f} ms | {one:.3f}x |")
    print("\nCostliest modules (the median round of self-time):\n")
    print("| module | self-time |")
    print("|---|---:|")
    for name, spent in sorted(middle.items(), key=lambda item: -item[1])[:10]:
        print(f"| `{name}` | {spent:.2f} ms |")
    print("\npydantic class building per model of `api.models`, pydantic warm (best of 20):\n")
    print("| model | build |")
    print("|---|---:|")
    for name, spent in json.loads(models.stdout).items():
        print(f"| `{name}` | {spent:.2f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
