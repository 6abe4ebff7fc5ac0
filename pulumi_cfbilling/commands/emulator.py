"""``cfbilling emulator``: serve the local emulator in the foreground and print how to use it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..emulator import Emulator, demo_fixture
from ..errors import ConfigurationError

__all__ = ["emulator"]


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
