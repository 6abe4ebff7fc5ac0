"""A fleet at Cloudflare's scale, shrunk in time: 5,000 accounts with the runway against a rate-limited emulator.

    python benchmarks/fleet.py [--accounts 5000] [--limit 1200/3s] [--rounds 1]

Cloudflare allows 1,200 requests per 5 minutes per user. This runs ``cfbilling check --min-runway-days 1`` (a
balance and a usage read per account: 10,000 requests for 5,000 accounts) against the emulator limited to 1,200
per 3 s, Cloudflare's window shrunk 100 times, with ``--rate-limit`` set to the same limit. The arithmetic says
10,000 / 1,200 x 3 s = 25 s. Targets: zero requests answered 429, and a wall time within 10 % of the arithmetic.
The same fleet at Cloudflare's real limit costs 100 times as long (about 42 minutes). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pulumi_cfbilling.core.values import read_rate_limit
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

ACCOUNT = "0123456789abcdef0123456789abcdef"


def command() -> list[str]:
    script = Path(sys.executable).with_name("cfbilling")
    return [str(script)] if script.exists() else [shutil.which("cfbilling") or "cfbilling"]


def one_round(accounts: int, limit: str, folder: Path) -> dict[str, float]:
    (window,) = read_rate_limit(limit, "--limit")
    fixture = demo_fixture()
    template = copy.deepcopy(fixture["accounts"][ACCOUNT])
    ids = [f"{index + 1:032x}" for index in range(accounts)]
    fixture["accounts"] = {account: copy.deepcopy(template) for account in ids}
    accounts_file = folder / "fleet.txt"
    accounts_file.write_text("".join(f"{account}\n" for account in ids))
    with Emulator(fixture=fixture, rate_limit=limit) as emu:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}
        env |= {"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emu.base_url}
        argv = [*command(), "check", "--accounts-file", str(accounts_file), "--min-runway-days", "1",
                "--rate-limit", limit, "--format", "json"]  # fmt: skip
        started = time.perf_counter()
        code = subprocess.call(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        assert emu.rate_limit is not None
        requests = len(emu.log)
        refused = emu.rate_limit.refused
    arithmetic = requests / window.count * window.seconds
    return {"wall": wall, "code": code, "requests": requests, "refused": refused, "arithmetic": arithmetic}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--limit", default="1200/3s", help="the emulator's limit, and the client's --rate-limit")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    rows = []
    checks = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            result = one_round(args.accounts, args.limit, Path(folder))
            ratio = result["wall"] / result["arithmetic"]
            ok = result["refused"] == 0 and abs(ratio - 1) <= 0.10 and result["code"] == 0
            checks.append(ok)
            rows.append(
                f"| {args.accounts} | {result['requests']:.0f} | {args.limit} | {result['arithmetic']:.1f} s | "
                f"{result['wall']:.1f} s | {ratio:.2f}x | {result['refused']:.0f} | {result['code']:.0f} | "
                f"{'met' if ok else 'NOT MET'} |"
            )
    (window,) = read_rate_limit(args.limit, "--limit")
    real = args.accounts * 2 / 1200 * 300
    lines = [
        "### Fleet under the rate limit",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Date: {time.strftime('%Y-%m-%d')}. Command: `python benchmarks/fleet.py`.",
        "",
        "| accounts | requests | limit | arithmetic | wall | wall / arithmetic | answered 429 | exit | target |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"Targets: no request answered 429, and the wall time within 10 % of the arithmetic "
        f"(requests / {window.count} x {window.seconds:g} s). At Cloudflare's real limit (1,200 per 5 minutes) the "
        f"same {args.accounts} accounts with the runway take about {math.ceil(real / 60)} minutes. The limit is per "
        f"user: sharding the fleet across tokens of different users divides that; --max-age lets the runs and "
        f"stacks of one deployment share each read.",
    ]
    print("\n".join(lines))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
