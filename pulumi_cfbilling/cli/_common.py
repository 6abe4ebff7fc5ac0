"""What several commands share: settings from flags and the environment, the service, accounts, fleet progress."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from ..core.errors import ConfigurationError
from ..core.settings import SETTINGS, Settings, settings_for
from ..service.accounts import AccountRef, select_accounts
from ..service.fleet import MAX_CONCURRENCY
from ..service.reader import EXIT_API_ERROR, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Service

__all__ = [
    "CLEAR_LINE",
    "EXIT_API_ERROR",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "accounts",
    "concurrency",
    "progress",
    "service",
    "settings",
]


def settings(args: argparse.Namespace, *, require_credentials: bool = True) -> Settings:
    """The settings table's flags first (``--base-url``, ``--timeout``, ...), then the environment."""
    flags = {row.name: getattr(args, row.name, None) for row in SETTINGS if row.cli}
    return settings_for("cli", flags, require_credentials=require_credentials)


def service(args: argparse.Namespace) -> Service:
    """The read-and-judge service for this command's settings (one cache, one client, for the whole command)."""
    return Service(settings(args))


def accounts(args: argparse.Namespace, resolved: Settings) -> list[AccountRef]:
    """``--account-id`` flags and ``--accounts-file`` entries, else the configured account."""
    return select_accounts(args.account_id, getattr(args, "accounts_file", None), resolved)


def concurrency(args: argparse.Namespace) -> int:
    """The validated ``--concurrency``."""
    value: int = args.concurrency
    if not 1 <= value <= MAX_CONCURRENCY:
        raise ConfigurationError(f"--concurrency {value} must be from 1 to {MAX_CONCURRENCY}")
    return value


CLEAR_LINE = "\r\x1b[K"


def progress(total: int) -> Callable[[int, int], None] | None:
    """A progress line on stderr for fleets, on an interactive terminal only (never in CI logs).

    It shows ``0/N`` from the start and is erased when the last account is read, so nothing printed after it
    shares its line.
    """
    if total < 2 or not sys.stderr.isatty() or os.environ.get("CI"):
        return None

    def show(done: int, of: int) -> None:
        text = CLEAR_LINE if done == of else f"\rcfbilling: {done}/{of} accounts read"
        print(text, end="", file=sys.stderr, flush=True)

    return show
