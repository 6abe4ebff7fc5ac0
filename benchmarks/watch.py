"""``cfbilling watch`` against ``cfbilling check`` over the same fleet: a scheduled watch costs no more than a check.

    python benchmarks/watch.py [--accounts 100] [--rounds 11]

Both read the same routes of the same accounts (the balance and the usage history) from the emulator with 50 ms
of latency per answer. ``check`` judges one value per guardrail; ``watch`` judges ladders of rungs, reads and
writes its state file under a lock, and has a notification URL (a local webhook) with nothing to say after the
first run: the steady state of a schedule, where Apprise is never loaded. Interleaved rounds in a shuffled order;
medians; the target is a watch median at most 1.05x the check's. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

ACCOUNT = "0123456789abcdef0123456789abcdef"


def command() -> list[str]:
    script = Path(sys.executable).with_name("cfbilling")
    return [str(script)] if script.exists() else [shutil.which("cfbilling") or "cfbilling"]


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    fixture = demo_fixture()
    template = {**copy.deepcopy(fixture["accounts"][ACCOUNT]), "latency": 0.05}
    ids = [f"{index + 1:032x}" for index in range(args.accounts)]
    fixture["accounts"] = {account: copy.deepcopy(template) for account in ids}
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    samples: dict[str, list[float]] = {"check": [], "watch": []}
    with tempfile.TemporaryDirectory() as folder, Emulator(fixture=fixture, rate_limit=None) as emu:
        accounts = Path(folder) / "fleet.txt"
        accounts.write_text("".join(f"{account}\n" for account in ids))
        state = Path(folder) / "state.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}
        env |= {"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emu.base_url}
        fleet = ["--accounts-file", str(accounts)]
        contenders = {
            "check": [*command(), "check", *fleet, "--min-balance-usd", "20", "--min-runway-days", "3"],
            "watch": [*command(), "watch", *fleet, "--min-balance-usd", "100,20", "--min-runway-days", "14,7,3",
                      "--state", str(state), "--notify", f"json://127.0.0.1:{hook.server_address[1]}/hook"],
        }  # fmt: skip
        subprocess.run(contenders["watch"], env=env, capture_output=True, check=True)  # the first run tells
        for _ in range(args.rounds):
            order = list(contenders)
            random.shuffle(order)
            for name in order:
                started = time.perf_counter()
                done = subprocess.run(contenders[name], env=env, capture_output=True, check=False)
                samples[name].append(time.perf_counter() - started)
                if done.returncode not in (0, 1):
                    raise SystemExit(f"{name} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    hook.shutdown()
    check, watch = (statistics.median(samples[name]) for name in ("check", "watch"))
    met = watch <= 1.05 * check
    print("\n".join([
        "### watch vs check",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Date: {time.strftime('%Y-%m-%d')}. Command: `python benchmarks/watch.py`.",
        "",
        f"{args.accounts} accounts, a balance and a usage read each, 50 ms of emulator latency per answer, "
        f"{args.rounds} interleaved rounds.",
        "",
        "| command | median wall | min-max |",
        "|---|---:|---:|",
        *(f"| {name} | {statistics.median(v):.2f} s | {min(v):.2f}-{max(v):.2f} s |" for name, v in samples.items()),
        "",
        f"Target: watch at most 1.05x check: {watch / check:.2f}x, {'met' if met else 'NOT MET'}.",
    ]))  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
