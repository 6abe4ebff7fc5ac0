"""What several commands share: settings from flags and the environment, the service, accounts, fleet progress."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..core.errors import ConfigurationError
from ..core.settings import SETTINGS, Settings, settings_for
from ..service.accounts import AccountRef, select_accounts
from ..service.fleet import MAX_CONCURRENCY
from ..service.reader import EXIT_API_ERROR, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Ask, Result, Service
from ._progress import progress

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "accounts",
    "concurrency",
    "read",
    "service",
    "settings",
    "watching",
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


@contextmanager
def watching(args: argparse.Namespace, service: Service, total: int) -> Iterator[Callable[[int, int], None] | None]:
    """The run's progress display (see :mod:`._progress`), told of every account read and every budget wait."""
    shown = progress(total, quiet=bool(getattr(args, "quiet", False)))
    if shown is None:
        yield None
        return
    budget = service.budget()
    budget.watchers.append(shown.wait)
    try:
        yield shown.read
    finally:
        budget.watchers.remove(shown.wait)
        shown.close()


def read(args: argparse.Namespace, ask: Ask) -> list[Result]:
    """Every account the command names, read and judged for ``ask`` (``--concurrency`` at a time, with progress)."""
    with service(args) as reader:
        refs = accounts(args, reader.settings)
        with watching(args, reader, len(refs)) as shown:
            return reader.read_all(refs, ask, concurrency=concurrency(args), progress=shown)
