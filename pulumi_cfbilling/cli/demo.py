"""``cfbilling demo``: the main job on the built-in emulator, from a plain ``pip install``.

It reads the sample accounts, runs a Pulumi program under the SDK's mock runtime (in a child process, so the
command itself never imports pulumi), and ends with a fleet check in text form. It always exits 0.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..core.settings import settings_for
from ..guardrails.rules import Policy
from ..service.accounts import AccountRef
from ..service.reader import Ask, Service, exit_code
from ..testing.emulator import DEMO_TOKEN, Emulator, demo_fixture
from ._render import render_balance_text
from ._report import text_table

__all__ = ["demo"]


def demo(args: argparse.Namespace) -> int:
    """``cfbilling demo``: run against the built-in emulator and its sample accounts."""
    fixture = demo_fixture()
    with Emulator(fixture=fixture) as emu:
        print(
            f"cfbilling demo: an emulator of Cloudflare's credit-balance API serves {len(emu.accounts)} sample "
            f"accounts at {emu.base_url}\n(nothing here is real: no Cloudflare account or network is used)\n"
        )
        # Explicit settings beat the environment, so a user's real CLOUDFLARE_* settings cannot leak in.
        given: dict[str, str | float | int | None] = {
            "api_token": DEMO_TOKEN,
            "base_url": emu.base_url,
            "timeout": 5,
            "max_retries": 1,
        }
        with Service(settings_for("cli", given)) as service:
            refs = [AccountRef(account_id, spec.get("label")) for account_id, spec in fixture["accounts"].items()]
            # With the runway: days left at the last 7 days' rate of spend, from the usage history.
            for result in service.read_all(refs, Ask(runway=True)):
                if result.balance is not None:
                    print(render_balance_text(result))
                    print()
            _demo_pulumi_program(emu, fixture)
            _demo_billing_picture(service, fixture)
            _demo_fleet_check(service, fixture)
            _demo_watch(service, fixture)
    print("Next: `cfbilling emulator` serves these accounts for your own experiments (`--burn 100` makes their")
    print("balances fall, for `cfbilling watch` to cross its rungs); `cfbilling usage` shows their spend per day.")
    return 0


def _demo_pulumi_program(emu: Emulator, fixture: dict[str, Any]) -> None:
    from ..core.requires import install_hint, pulumi_problem

    if pulumi_problem() is not None:
        print(f"(The Pulumi part of the demo needs the Pulumi SDK: {install_hint('pulumi')}.)\n")
        return
    # Imported here: the Pulumi part of the demo is the only CLI path that needs pulumi, in a child process.
    from ..testing.mockrun import run_in_subprocess

    program = Path(__file__).parent.parent / "testing" / "demo_program.py"
    print(
        "A Pulumi program, run under the Pulumi SDK's mock runtime (no Pulumi CLI or account needed), reads each\n"
        "account, guards it (balance >= $20, auto top-up on, a payment method, no failed top-up in 24h, at\n"
        "least 3 days of runway) and exports stack outputs:\n"
    )
    healthy, unhealthy = list(fixture["accounts"])[:2]
    for account_id, enforcement in ((healthy, "mandatory"), (unhealthy, "advisory"), (unhealthy, "mandatory")):
        label = fixture["accounts"][account_id].get("label", account_id)
        config = {
            "cfbilling:apiToken": DEMO_TOKEN,
            "cfbilling:baseUrl": emu.base_url,
            "demo:accountId": account_id,
            "demo:enforcement": enforcement,
        }
        result = run_in_subprocess(program, config)
        verdict = "deployment stopped" if result.error else "deployment goes ahead"
        warned = f" with {len(result.warnings)} warnings" if result.warnings and not result.error else ""
        print(f"{label} ({account_id}), {enforcement} guard: {verdict}{warned}")
        # Sorted: the same demo prints the same lines, whatever order the program resolved them in.
        for name, value in sorted(result.outputs.items()):
            print(f"  {name:<24} {json.dumps(value, sort_keys=True)}")
        for warning in result.warnings:
            print(f"  warning: {warning}")
        if result.error:
            print(f"  error: {result.error}")
        print()


def _demo_billing_picture(service: Service, fixture: dict[str, Any]) -> None:
    from ..core.settings import GATEWAYS_TOKEN, INVOICE_TOKEN
    from ..service.functions import route_function
    from .gateways import text as gateways_text
    from .invoice import text as invoice_text

    refs = [AccountRef(account_id, spec.get("label")) for account_id, spec in fixture["accounts"].items()]
    for token, command, show in ((GATEWAYS_TOKEN, "gateways", gateways_text), (INVOICE_TOKEN, "invoice", invoice_text)):
        function = route_function(token)
        assert function is not None
        chosen = refs[:3] if command == "gateways" else refs[:1]
        print(f"$ cfbilling {command} " + " ".join(f"--account-id {ref.account_id}" for ref in chosen) + "\n")
        results = [r for r in service.read_all(chosen, function.ask) if r.error is None]
        print("\n\n".join(show(result) for result in results) + "\n")


def _demo_fleet_check(service: Service, fixture: dict[str, Any]) -> None:
    refs = [AccountRef(account_id, spec.get("label")) for account_id, spec in fixture["accounts"].items()]
    policy = Policy(
        min_balance_usd=Decimal(20),
        require_auto_topup=True,
        max_topup_failure_age=timedelta(hours=24),
        min_runway_days=Decimal(3),
        require_spend_limit=True,
    )
    print("A CI preflight over the whole fleet:")
    print("$ cfbilling check --accounts-file accounts.txt --min-balance-usd 20 --require-auto-topup \\")
    print("    --max-topup-failure-age 24h --min-runway-days 3 --require-spend-limit\n")
    results = service.read_all(refs, Ask(policy))
    print(text_table(results))
    print(f"(exit code {exit_code(results, advisory=False)})\n")


def _demo_watch(service: Service, fixture: dict[str, Any]) -> None:
    from ..guardrails.ladders import read_ladders
    from ..service.watch import watch

    refs = [AccountRef(account_id, spec.get("label")) for account_id, spec in fixture["accounts"].items()]
    ladders = read_ladders({"min_balance_usd": "100,20", "min_runway_days": "14,7,3"}, "cli")
    print("A scheduled watch, as a dry run: one message per account that crossed a rung (a first run has no")
    print("state, so every current problem is told; later runs tell only what changed):")
    print("$ cfbilling watch --accounts-file accounts.txt --min-balance-usd 100,20 --min-runway-days 14,7,3 \\")
    print("    --notify slack://... --dry-run\n")
    with tempfile.TemporaryDirectory() as folder:  # a fresh state: the user's own is never read
        run = watch(service, refs, ladders, [], Path(folder) / "state.json", dry_run=True, concurrency=4)
    for alert in run.alerts:
        print(f"would send ({alert.kind}): {alert.title}")
        print("\n".join(f"  {line}" for line in alert.body.splitlines()))
    print(f"({len(run.alerts)} messages; nothing sent)\n")
