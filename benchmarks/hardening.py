"""Hardening figures: how fast Ctrl-C ends a command, and how far a trickling server can push past the deadline.

    python benchmarks/hardening.py [--rounds 5]

Against the raw-socket hostile server on loopback (``pulumi_cfbilling.testing.hostile``):

- Ctrl-C to exit: a fleet of 40 accounts whose server holds every connection for a minute; SIGINT once the
  fleet is reading; the time until the process has exited (target: under 1 s).
- Deadline overshoot: ``cfbilling balance --timeout 2`` with no retries against a server that sends one byte
  every 0.25 s in the headers, or in the body; the wall time minus the 2 s deadline (target: under 0.5 s).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN
from pulumi_cfbilling.testing.hostile import Connection, envelope, head, healthy_result, serving

ACCOUNT = "0123456789abcdef0123456789abcdef"


def command() -> list[str]:
    script = Path(sys.executable).with_name("cfbilling")
    return [str(script)] if script.exists() else [shutil.which("cfbilling") or "cfbilling"]


def environment(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}
    env.update(CLOUDFLARE_API_TOKEN=DEMO_TOKEN, CLOUDFLARE_BASE_URL=base_url)
    return env


def hold(connection: Connection) -> None:
    connection.hold(60)


def slow_headers(connection: Connection) -> None:
    connection.send(b"HTTP/1.1 200 OK\r\n")
    connection.trickle(b"X-Slow: " + b"a" * 1000, every=0.25)


def slow_body(connection: Connection) -> None:
    body = json.dumps(envelope(healthy_result())).encode()
    connection.send(head(200, "Content-Type: application/json", f"Content-Length: {len(body)}"))
    connection.trickle(body, every=0.25)


def ctrl_c_to_exit() -> float:
    ids = [f"{i:032x}" for i in range(1, 41)]
    args = ["check", *[a for i in ids for a in ("--account-id", i)], "--min-balance-usd", "1", "--timeout", "60"]
    with serving(hold) as server:
        process = subprocess.Popen(
            [*command(), *args], env=environment(server.base_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while server.connections < 16:
            time.sleep(0.01)
        started = time.perf_counter()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        return time.perf_counter() - started


def overshoot(script: object) -> float:
    with serving(script) as server:  # type: ignore[arg-type]
        env = {**environment(server.base_url), "CFBILLING_MAX_RETRIES": "0"}
        started = time.perf_counter()
        subprocess.run(
            [*command(), "balance", "--account-id", ACCOUNT, "--timeout", "2"],
            env=env,
            capture_output=True,
            check=False,
            timeout=60,
        )
        return time.perf_counter() - started - 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = {
        "Ctrl-C to exit, 40-account fleet": [ctrl_c_to_exit() for _ in range(args.rounds)],
        "deadline overshoot, trickled headers": [overshoot(slow_headers) for _ in range(args.rounds)],
        "deadline overshoot, trickled body": [overshoot(slow_body) for _ in range(args.rounds)],
    }
    targets = {"Ctrl-C": 1.0, "deadline": 0.5}
    print(f"Hardening figures, {args.rounds} rounds each (medians; process start-up included)\n")
    print("| measure | median | min-max | target |\n|---|---:|---:|---:|")
    met = True
    for name, values in rows.items():
        target = next(t for key, t in targets.items() if name.startswith(key))
        median = statistics.median(values)
        met = met and median < target
        print(f"| {name} | {median:.2f} s | {min(values):.2f}-{max(values):.2f} s | under {target:g} s |")
    print(f"\n{'All targets met.' if met else 'A target was MISSED.'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
