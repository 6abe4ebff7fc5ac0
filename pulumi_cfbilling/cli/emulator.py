"""``cfbilling emulator``: serve the local emulator in the foreground and print how to use it."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from ..core.errors import ConfigurationError
from ..testing._fixtures import load_fixture
from ..testing._ratelimit import CLOUDFLARE_RATE_LIMIT
from ..testing.emulator import Emulator, demo_fixture

__all__ = ["emulator"]


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def emulator(args: argparse.Namespace) -> int:
    """``cfbilling emulator``: serve the emulator in the foreground until interrupted."""
    if not 0 <= args.port <= 65535:
        raise ConfigurationError(f"--port {args.port} is not a TCP port: give 1 to 65535, or 0 to pick a free one")
    # The fixture file is validated whole, with errors naming the place in it (see the emulator's docstring).
    fixture = load_fixture(args.fixture, f"--fixture {args.fixture}") if args.fixture else demo_fixture()
    burn = getattr(args, "burn", 0.0)
    if not 0 <= burn < 1e9:  # NaN included
        raise ConfigurationError(f"--burn {burn:g} must be 0 or more cents a minute")
    # --rate-limit here is the emulator's own: what it answers 429 beyond (Cloudflare's, unless given).
    limit = getattr(args, "rate_limit", None) or CLOUDFLARE_RATE_LIMIT
    try:
        emu = Emulator(fixture=fixture, port=args.port, tls=args.tls, rate_limit=limit)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot serve on 127.0.0.1:{args.port} ({exc.strerror or type(exc).__name__}); pick another --port"
        ) from None
    for account_id in list(emu.accounts) if burn else []:
        emu.set_burn(account_id, burn)
    # A `kill` (SIGTERM) stops it as Ctrl-C does: the TLS mode's key folder is removed either way. Installed
    # before anything is printed, so a kill sent as soon as the banner appears is never the default (no cleanup).
    signal.signal(signal.SIGTERM, _stop)
    try:
        first = next(iter(emu.accounts), "")
        print(f"cfbilling emulator listening on {emu.base_url}")
        print("Use it from another shell with:")
        print(f"  export CLOUDFLARE_BASE_URL={emu.base_url}")
        print(f"  export CLOUDFLARE_API_TOKEN={emu.token}")
        print(f"  export CLOUDFLARE_ACCOUNT_ID={first}")
        if emu.ca_file is not None:
            print(f"  export SSL_CERT_FILE={emu.ca_file}   # the emulator's own certificate authority")
            # cfbilling trusts REQUESTS_CA_BUNDLE before SSL_CERT_FILE: one set here would still reject the emulator.
            if os.environ.get("REQUESTS_CA_BUNDLE"):
                print("  unset REQUESTS_CA_BUNDLE   # set in this shell, it would win over SSL_CERT_FILE")
        if burn:
            print(f"Every balance falls by {burn:g} cents a minute (--burn)")
        print(f"Rate limit: {limit} per credential, answered with 429 and Retry-After beyond it (--rate-limit)")
        print("Accounts: " + ", ".join(f"{a} ({s.get('label', '-')})" for a, s in emu.accounts.items()))
        print("Press Ctrl+C to stop.", flush=True)
        emu.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        emu.stop()
    return 0
