"""``cfbilling watch``: for a schedule; tells the notification URLs once per rung crossed, and once when resolved.

Exit codes: 0 every message due was delivered (or none was due), 2 usage or configuration error, 3 a URL did not
take its messages (they stay queued in the state file and are sent next run). An account that cannot be read is
told as such ("cannot read") and does not fail the run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..core.errors import ConfigurationError
from ..core.values import read_flag
from ..guardrails.ladders import read_ladders
from ..guardrails.rules import GUARDRAILS
from ..service.notify import read_notify_urls
from ..service.watch import WatchRun
from ..service.watch import watch as run_watch
from ..service.watch_state import default_state_file
from . import _common as common

__all__ = ["watch"]


def watch(args: argparse.Namespace) -> int:
    """Read, compare with the state file, tell what changed; see the module docstring for exit codes."""
    ladders = read_ladders({g.name: getattr(args, g.name, None) for g in GUARDRAILS}, "cli")
    dry_run = read_flag(args.dry_run or "false", "--dry-run")
    label = "--notify" if args.notify else "CFBILLING_NOTIFY_URLS"
    outlets = read_notify_urls(args.notify, os.environ.get("CFBILLING_NOTIFY_URLS"), label)
    if not outlets and not dry_run:
        raise ConfigurationError(
            "no notification URL: pass --notify URL (repeatable) or set CFBILLING_NOTIFY_URLS, such as "
            "slack://TOKEN_A/TOKEN_B/TOKEN_C; or --dry-run to see what would be sent"
        )
    state = Path(args.state or os.environ.get("CFBILLING_WATCH_STATE") or default_state_file())
    if state.is_dir():
        raise ConfigurationError(f"--state {state} is a folder: give the path of a file (it is made if missing)")
    with common.service(args) as service:
        refs = common.accounts(args, service.settings)
        workers = common.concurrency(args)
        with common.watching(args, service, len(refs)) as progress:
            run = run_watch(service, refs, ladders, outlets, state, dry_run=dry_run, concurrency=workers,
                            progress=progress, label=label)  # fmt: skip
    if run.state_problem:
        print(f"cfbilling: warning: --state {state}: {run.state_problem}; starting afresh: every current problem "
              "is told again", file=sys.stderr)  # fmt: skip
    _print(run, dry_run, len(outlets))
    for position, count in sorted(run.dropped.items()):
        print(f"cfbilling: warning: notification URL {position}: {count} undelivered message(s) older than the "
              "last 50 were dropped", file=sys.stderr)  # fmt: skip
    for position, count in sorted(run.failed.items()):
        outlet = outlets[position - 1]
        print(f"cfbilling: error: {outlet.name} did not take {count} message(s): the service refused them or could "
              f"not be reached; they stay queued in {state} and are sent on the next run", file=sys.stderr)  # fmt: skip
    return common.EXIT_API_ERROR if run.failed else common.EXIT_OK


def _print(run: WatchRun, dry_run: bool, urls: int) -> None:
    for alert in run.alerts:
        if dry_run:
            print(f"would send ({alert.kind}): {alert.title}")
            print("\n".join(f"  {line}" for line in alert.body.splitlines()))
        else:
            print(f"alert ({alert.kind}): {alert.title}")
    unread = sum(1 for result in run.results if result.error is not None)
    read = f"{len(run.results)} account{'s' if len(run.results) != 1 else ''} read"
    read += f" ({unread} could not be)" if unread else ""
    alerts = f"{len(run.alerts)} alert{'s' if len(run.alerts) != 1 else ''}"
    if dry_run:
        print(f"watch (dry run): {read}; {alerts} would be sent; nothing was sent and the state file is unchanged")
        return
    took = sum(1 for position in range(1, urls + 1) if position not in run.failed)
    queued = sum(run.failed.values())
    print(f"watch: {read}; {alerts}; {took} of {urls} notification URLs took everything due"
          + (f"; {queued} message(s) queued for the next run" if queued else ""))  # fmt: skip
