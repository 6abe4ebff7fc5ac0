"""Import self-time of the package's own modules on the path of a plain ``cfbilling check`` (issue 27).

    python benchmarks/imports.py [--rounds 15]

Each round runs ``python -X importtime -m pulumi_cfbilling check --account-id X --min-balance-usd 1`` against the
emulator, in a fresh process, and sums the self-time of every ``pulumi_cfbilling`` module (what the package's own
code costs to import, its dependencies apart). Prints the median with the spread, the modules that cost most in
the median round, and the target (at most 15 ms). Deterministic enough to track from one change to the next on
one machine: it counts import work only, not the network.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

TARGET_MS = 15.0
ACCOUNT = "0123456789abcdef0123456789abcdef"


def one_round(env: dict[str, str]) -> dict[str, float]:
    """Self-time in milliseconds per package module, for one cold ``check``."""
    command = [sys.executable, "-X", "importtime", "-m", "pulumi_cfbilling", "check", "--account-id", ACCOUNT,
               "--min-balance-usd", "1"]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=os.path.expanduser("~"))
    times: dict[str, float] = {}
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if name.startswith("pulumi_cfbilling"):
            times[name] = int(self_us) / 1000
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with Emulator(fixture=demo_fixture(), rate_limit=None) as emulator:
        env = {**os.environ, "CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emulator.base_url}
        rounds = [one_round(env) for _ in range(args.rounds)]
    totals = [sum(times.values()) for times in rounds]
    median = statistics.median(totals)
    middle = min(rounds, key=lambda times: abs(sum(times.values()) - median))
    print(f"Python {platform.python_version()} on {platform.machine()}, {args.rounds} rounds\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| package self-time on the `check` path, median | {median:.1f} ms | at most {TARGET_MS:g} ms "
          f"({'met' if median <= TARGET_MS else 'not met'}) |")  # fmt: skip
    print(f"| spread (min to max) | {min(totals):.1f} to {max(totals):.1f} ms | |")
    print(f"| package modules imported | {len(middle)} | |")
    print("\nCostliest modules (the median round):\n")
    print("| module | self-time |")
    print("|---|---|")
    for name, spent in sorted(middle.items(), key=lambda item: -item[1])[:10]:
        print(f"| `{name}` | {spent:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
