"""Benchmarks of pulumi-cfbilling against what users would use instead; prints a markdown table.

    python benchmarks/run.py [--rounds 15] [--out benchmarks/results/latest.md]

Needs the `bench` extra (Cloudflare's official SDK). Everything talks to the local emulator on 127.0.0.1.
Medians over interleaved runs (each round runs every contender once, in a shuffled order); ratios are taken
between medians of the same run. Peak RSS is each child's own, from wait4(). Targets are checked and printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pulumi_cfbilling import BillingClient
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
BIN = Path(sys.executable).parent
ACCOUNT = "0123456789abcdef0123456789abcdef"


def fleet_ids(count: int) -> list[str]:
    return [f"{i:032x}" for i in range(1, count + 1)]


GNU_TIME = Path("/usr/bin/time")


def run_once(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB (NaN when GNU time is missing), exit code of one child process.

    Peak RSS comes from GNU time (``%M``), because a child forked from this large Python process inherits its
    high-water mark until exec: its own wait4() figure would be this process's size.
    """
    with tempfile.NamedTemporaryFile("r") as report:
        measured = [str(GNU_TIME), "-f", "%M", "-o", report.name, *argv] if GNU_TIME.exists() else list(argv)
        started = time.perf_counter()
        code = subprocess.call(measured, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        lines = report.read().split()
    rss = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else math.nan
    return wall, rss, code


def interleaved(contenders: dict[str, list[str]], env: dict[str, str], rounds: int) -> dict[str, dict[str, float]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(rounds):
        order = list(contenders)
        random.shuffle(order)
        for name in order:
            wall, rss, code = run_once(contenders[name], env)
            if code not in (0, 1):  # 1: a guardrail failed, which some contenders report on purpose
                raise SystemExit(f"{name} failed with exit code {code}: {' '.join(contenders[name])}")
            samples[name].append((wall, rss))
    return {
        name: {
            "wall": statistics.median(w for w, _ in runs),
            "rss": statistics.median(r for _, r in runs),
            "min": min(w for w, _ in runs),
            "max": max(w for w, _ in runs),
        }
        for name, runs in samples.items()
    }


def difference(label: str, more: dict[str, float], base: dict[str, float]) -> str:
    """A median difference in ms; a negative one is noise, so it is given with both spreads, not as a figure."""
    delta = (more["wall"] - base["wall"]) * 1000
    if delta >= 0:
        return f"{label} {delta:+.0f} ms"
    spread = lambda v: f"{v['min'] * 1000:.0f}-{v['max'] * 1000:.0f} ms"  # noqa: E731
    return (
        f"{label} nothing measurable (medians {delta:+.0f} ms apart, within the spreads {spread(more)} and "
        f"{spread(base)})"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def part_a(emu: Emulator, env: dict[str, str], rounds: int) -> tuple[list[str], list[bool]]:
    url = f"{emu.base_url}/accounts/{ACCOUNT}/ai-gateway/billing/credit-balance"
    contenders = {
        "cfbilling check": [str(BIN / "cfbilling"), "check", "--account-id", ACCOUNT, "--min-balance-usd", "1"],
        "official SDK script": [sys.executable, str(SCRIPTS / "official_sdk.py"), ACCOUNT],
        "stack floor (requests + pydantic)": [sys.executable, str(SCRIPTS / "stack_floor.py"), ACCOUNT],
        "plain requests script": [sys.executable, str(SCRIPTS / "plain_requests.py"), ACCOUNT],
        "curl": [shutil.which("curl") or "curl", "-sf", "-H", f"Authorization: Bearer {DEMO_TOKEN}", url],
    }
    result = interleaved(contenders, env, rounds)
    ours, sdk, floor = (
        result["cfbilling check"],
        result["official SDK script"],
        result["stack floor (requests + pydantic)"],
    )
    lines = [
        f"### a. One account, cold process ({rounds} interleaved rounds)",
        "",
        "| contender | median wall | median peak RSS | wall vs official SDK | wall vs stack floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in result.items():
        lines.append(
            f"| {name} | {values['wall'] * 1000:.0f} ms | {values['rss']:.1f} MiB | "
            f"{values['wall'] / sdk['wall']:.2f}x | {values['wall'] / floor['wall']:.2f}x |"
        )
    checks = [ours["wall"] <= 0.55 * sdk["wall"], ours["wall"] <= 1.05 * floor["wall"], ours["rss"] <= 40]
    lines += [
        "",
        f"Targets: at most 0.55x the official SDK ({ours['wall'] / sdk['wall']:.2f}x, {verdict(checks[0])}); "
        f"at most 1.05x the stack floor ({ours['wall'] / floor['wall']:.2f}x, {verdict(checks[1])}); "
        f"peak RSS at most 40 MiB ({ours['rss']:.1f} MiB, {verdict(checks[2])}).",
    ]
    return lines, checks


def part_b(emu: Emulator, env: dict[str, str], rounds: int, workdir: Path) -> tuple[list[str], list[bool]]:
    ids = fleet_ids(100)
    for account in ids:
        emu.set_account(account, {**demo_fixture()["accounts"][ACCOUNT], "latency": 0.1})
    accounts_file = workdir / "fleet.txt"
    accounts_file.write_text("\n".join(ids) + "\n")
    contenders = {
        "cfbilling check (concurrent)": [
            str(BIN / "cfbilling"),
            "check",
            "--accounts-file",
            str(accounts_file),
            "--min-balance-usd",
            "1",
        ],
        # Two routes per account (the balance and the usage history), 200 requests under the 150-a-second pace.
        "cfbilling check --min-runway-days (concurrent)": [
            str(BIN / "cfbilling"),
            "check",
            "--accounts-file",
            str(accounts_file),
            "--min-runway-days",
            "1",
        ],
        "official SDK, sequential loop": [sys.executable, str(SCRIPTS / "official_sdk.py"), *ids],
    }
    result = interleaved(contenders, env, rounds)
    ours, sdk = result["cfbilling check (concurrent)"], result["official SDK, sequential loop"]
    runway = result["cfbilling check --min-runway-days (concurrent)"]
    checks = [ours["wall"] < 1.5, runway["wall"] < 2.5]
    lines = [
        f"### b. A fleet of 100 accounts, 100 ms of emulator latency each ({rounds} interleaved rounds)",
        "",
        "| contender | median wall | median peak RSS |",
        "|---|---:|---:|",
        *(f"| {n} | {v['wall']:.2f} s | {v['rss']:.1f} MiB |" for n, v in result.items()),
        "",
        f"Target: under 1.5 s ({ours['wall']:.2f} s, {verdict(checks[0])}); "
        f"{sdk['wall'] / ours['wall']:.1f}x faster than the sequential loop. With the runway guardrail (two "
        f"requests per account): under 2.5 s ({runway['wall']:.2f} s, {verdict(checks[1])}).",
    ]
    return lines, checks


PROGRAM = """\
import pulumi
import pulumi_cfbilling as cfbilling

results = [cfbilling.get_credit_balance_output("{account}") for _ in range({calls})]
pulumi.export("balances", pulumi.Output.all(*[r.balance_usd for r in results]))
"""

RUNWAY_PROGRAM = """\
import pulumi
import pulumi_cfbilling as cfbilling

results = [cfbilling.check_credit_balance_output("{account}", min_runway_days=1) for _ in range(20)]
pulumi.export("runways", pulumi.Output.all(*[r.runway for r in results]))
"""


def part_c(emu: Emulator, env: dict[str, str], rounds: int, workdir: Path) -> tuple[list[str], list[bool]]:
    config = json.dumps({"cfbilling:apiToken": DEMO_TOKEN, "cfbilling:baseUrl": emu.base_url})
    contenders = {}
    programs = {
        "1 call": PROGRAM.format(account=ACCOUNT, calls=1),
        "20 calls": PROGRAM.format(account=ACCOUNT, calls=20),
    }
    programs["20 runway checks"] = RUNWAY_PROGRAM.format(account=ACCOUNT)
    for name, text in programs.items():
        program = workdir / f"program_{name.replace(' ', '_')}.py"
        program.write_text(text)
        contenders[name] = [sys.executable, "-m", "pulumi_cfbilling.testing.mockrun", str(program), "--config", config]
    requests: dict[str, int] = {}
    for name, argv in contenders.items():
        emu.clear_log()
        _, _, code = run_once(argv, env)
        if code != 0:  # a program that failed made no request: say so rather than measure it
            raise SystemExit(f"benchmark: the {name} program failed (exit {code}); is the pulumi extra installed?")
        requests[name] = len(emu.requests_for(ACCOUNT))
    result = interleaved(contenders, env, rounds)
    # One request per route: the balance, and for the runway checks the usage history too.
    checks = [requests["20 calls"] == 1, requests["20 runway checks"] == 2]
    lines = [
        f"### c. A Pulumi program (mock runtime) calling the data function for one account ({rounds} rounds)",
        "",
        "| program | HTTP requests | median wall (whole process) |",
        "|---|---:|---:|",
        *(f"| {n} | {requests[n]} | {v['wall'] * 1000:.0f} ms |" for n, v in result.items()),
        "",
        f"Target: one request for 20 calls ({requests['20 calls']}, {verdict(checks[0])}); "
        + difference("20 calls cost", result["20 calls"], result["1 call"])
        + f" over one. Twenty runway checks: one request per route ({requests['20 runway checks']}, "
        f"{verdict(checks[1])}).",
    ]
    return lines, checks


def part_d(emu: Emulator, env: dict[str, str], rounds: int) -> tuple[list[str], list[bool]]:
    import grpc
    from pulumi.provider.experimental.property_value import PropertyValue
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    handshakes = []
    for _ in range(rounds):
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(BIN / "pulumi-resource-cfbilling"), "127.0.0.1:9"], stdout=subprocess.PIPE, env=env, text=True
        )
        assert process.stdout is not None
        port = int(process.stdout.readline())
        handshakes.append(time.perf_counter() - started)
        process.terminate()
        process.wait()

    ids = fleet_ids(60)
    for account in ids:
        emu.set_account(account, demo_fixture()["accounts"][ACCOUNT])
    process = subprocess.Popen(
        [str(BIN / "pulumi-resource-cfbilling"), "127.0.0.1:9"], stdout=subprocess.PIPE, env=env, text=True
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    stub = provider_pb2_grpc.ResourceProviderStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    stub.Configure(provider_pb2.ConfigureRequest(acceptSecrets=True))

    def invoke(account: str) -> None:
        args = PropertyValue.marshal_map({"accountId": PropertyValue(account)})
        stub.Invoke(provider_pb2.InvokeRequest(tok="cfbilling:index:getCreditBalance", args=args))

    client = BillingClient(api_token=DEMO_TOKEN, base_url=emu.base_url)
    invoke(ids[0])  # warm both paths: the first call opens connections
    client.get_credit_balance(ids[0])
    invokes, directs = [], []
    for account in ids[1:]:
        for fn, samples in ((invoke, invokes), (client.get_credit_balance, directs)):
            started = time.perf_counter()
            fn(account)  # type: ignore[operator]
            samples.append(time.perf_counter() - started)
    process.terminate()
    process.wait()
    handshake, invoke_ms, direct_ms = (
        statistics.median(handshakes),
        statistics.median(invokes),
        statistics.median(directs),
    )
    overhead = invoke_ms - direct_ms
    checks = [handshake < 1.5, overhead < 0.010]
    lines = [
        f"### d. The provider plugin ({rounds} launches, {len(invokes)} invokes of distinct accounts)",
        "",
        "| measure | median |",
        "|---|---:|",
        f"| launch to port handshake | {handshake * 1000:.0f} ms |",
        f"| Invoke getCreditBalance over gRPC | {invoke_ms * 1000:.2f} ms |",
        f"| direct BillingClient call | {direct_ms * 1000:.2f} ms |",
        f"| Invoke overhead | {overhead * 1000:.2f} ms |"
        if overhead >= 0
        else f"| Invoke overhead | none measurable (medians {overhead * 1000:+.2f} ms apart) |",
        "",
        f"Targets: handshake under 1.5 s ({verdict(checks[0])}); Invoke overhead under 10 ms ({verdict(checks[1])}).",
    ]
    return lines, checks


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15, help="rounds for part a (b uses a fifth, at least 3)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.md")
    args = parser.parse_args()
    lines = [
        "## Benchmarks",
        "",
        f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}. Command: `python benchmarks/run.py`.",
        "",
    ]
    all_checks: list[bool] = []
    # No rate limit: these measure speed, many rounds in a row (fleet.py measures the budget).
    with Emulator(fixture=demo_fixture(), rate_limit=None) as emu, tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_", "PULUMI_"))},
            "CLOUDFLARE_API_TOKEN": DEMO_TOKEN,
            "CLOUDFLARE_BASE_URL": emu.base_url,
        }
        parts: list[Callable[[], tuple[list[str], list[bool]]]] = [
            lambda: part_a(emu, env, args.rounds),
            lambda: part_b(emu, env, max(3, args.rounds // 5), Path(tmp)),
            lambda: part_c(emu, env, max(3, args.rounds // 3), Path(tmp)),
            lambda: part_d(emu, env, max(5, args.rounds // 2)),
        ]
        for part in parts:
            section, checks = part()
            lines += [*section, ""]
            all_checks += checks
            print("\n".join(section) + "\n", flush=True)
    met = sum(all_checks)
    lines.append(f"{met} of {len(all_checks)} targets met.")
    print(lines[-1])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"(written to {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
