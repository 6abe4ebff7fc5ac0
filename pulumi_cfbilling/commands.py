"""Handlers of the ``cfbilling`` commands; each takes the parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .client import BillingClient
from .config import Settings, Source, resolve_settings, validate_account_id
from .emulator import DEMO_TOKEN, Emulator, demo_fixture
from .errors import ConfigurationError
from .render import balance_document, render_balance_text, render_json

__all__ = ["balance", "demo", "emulator"]

_FLAG_LABELS = {"account_id": "--account-id", "base_url": "--base-url", "timeout": "--timeout"}


def _settings(args: argparse.Namespace) -> Settings:
    flags = Source.arguments({"base_url": args.base_url, "timeout": args.timeout}, labels=_FLAG_LABELS)
    return resolve_settings(flags, Source.environment())


def _accounts(args: argparse.Namespace, settings: Settings) -> list[str]:
    if args.account_id:
        return [validate_account_id(a, "--account-id") for a in args.account_id]
    if settings.account_id is not None:
        return [settings.account_id]
    raise ConfigurationError(
        "no account given: pass --account-id ID or set CLOUDFLARE_ACCOUNT_ID to the 32-character id from "
        "dash.cloudflare.com/<account id>"
    )


def balance(args: argparse.Namespace) -> int:
    """``cfbilling balance``: print each account's balance and top-up configuration."""
    settings = _settings(args)
    accounts = _accounts(args, settings)
    with BillingClient.from_settings(settings) as client:
        balances = [client.get_credit_balance(account) for account in accounts]
    if args.format == "json":
        print(render_json([balance_document(b) for b in balances]))
    else:
        print("\n\n".join(render_balance_text(b) for b in balances))
    return 0


def demo(args: argparse.Namespace) -> int:
    """``cfbilling demo``: run against the built-in emulator and its sample accounts."""
    fixture = demo_fixture()
    with Emulator(fixture=fixture) as emu:
        print(
            f"cfbilling demo: an emulator of Cloudflare's credit-balance API serves {len(emu.accounts)} sample "
            f"accounts at {emu.base_url}\n(nothing here is real: no Cloudflare account or network is used)\n"
        )
        # Explicit arguments beat the environment, so a user's real CLOUDFLARE_* settings cannot leak in.
        with BillingClient(api_token=DEMO_TOKEN, base_url=emu.base_url, timeout=5, max_retries=1) as client:
            for account_id, spec in fixture["accounts"].items():
                print(render_balance_text(client.get_credit_balance(account_id), spec.get("label")))
                print()
        _demo_pulumi_program(emu, fixture)
    print("Next: `cfbilling emulator` serves these accounts for your own experiments.")
    return 0


def _demo_pulumi_program(emu: Emulator, fixture: dict[str, Any]) -> None:
    # Imported here: the Pulumi part of the demo is the only CLI path that needs pulumi, in a child process.
    from .mockrun import run_in_subprocess

    program = Path(__file__).with_name("demo_program.py")
    print(
        "A Pulumi program, run under the Pulumi SDK's mock runtime (no Pulumi CLI or account needed), reads each\n"
        "account, guards it (balance >= $20, auto top-up on, a payment method, no failed top-up in 24h) and\n"
        "exports stack outputs:\n"
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
        for name, value in result.outputs.items():
            print(f"  {name:<24} {json.dumps(value)}")
        for warning in result.warnings:
            print(f"  warning: {warning}")
        if result.error:
            print(f"  error: {result.error}")
        print()


def emulator(args: argparse.Namespace) -> int:
    """``cfbilling emulator``: serve the emulator in the foreground until interrupted."""
    fixture = _load_fixture(args.fixture) if args.fixture else demo_fixture()
    try:
        emu = Emulator(fixture=fixture, port=args.port)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot serve on 127.0.0.1:{args.port} ({exc.strerror or exc}); pick another --port"
        ) from None
    first = next(iter(emu.accounts), "")
    print(f"cfbilling emulator listening on {emu.base_url}")
    print("Use it from another shell with:")
    print(f"  export CLOUDFLARE_BASE_URL={emu.base_url}")
    print(f"  export CLOUDFLARE_API_TOKEN={emu.token}")
    print(f"  export CLOUDFLARE_ACCOUNT_ID={first}")
    print("Accounts: " + ", ".join(f"{a} ({s.get('label', '-')})" for a, s in emu.accounts.items()))
    print("Press Ctrl+C to stop.", flush=True)
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


def _load_fixture(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"--fixture {path}: cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ConfigurationError(f"--fixture {path} is not valid JSON ({exc}); fix the file") from None
    if not isinstance(data, dict) or not isinstance(data.get("accounts", {}), dict):
        raise ConfigurationError(f'--fixture {path} must be a JSON object with an "accounts" object')
    return data
