"""What several commands share: settings from flags and the environment, account selection, fleet progress."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from ..accounts import AccountRef, select_accounts
from ..config import Settings, settings_for
from ..errors import ConfigurationError
from ..fleet import MAX_CONCURRENCY, AccountOutcome

__all__ = [
    "CLEAR_LINE",
    "EXIT_API_ERROR",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "accounts",
    "concurrency",
    "exit_code",
    "progress",
    "settings",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_API_ERROR = 3


def exit_code(outcomes: list[AccountOutcome], *, advisory: bool) -> int:
    """3 if any account is unreadable, else 1 if any guardrail failed (unless advisory), else 0."""
    statuses = {o.status for o in outcomes}
    if "error" in statuses:
        return EXIT_API_ERROR
    if "fail" in statuses and not advisory:
        return EXIT_FAILED
    return EXIT_OK


def settings(args: argparse.Namespace, *, require_credentials: bool = True) -> Settings:
    """Flags first (``--base-url``, ``--timeout``), then the environment."""
    flags = {"base_url": getattr(args, "base_url", None), "timeout": getattr(args, "timeout", None)}
    return settings_for("cli", flags, require_credentials=require_credentials)


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
