"""``cfbilling check``: evaluate the guardrails for one account or a fleet, for CI preflight.

Exit codes: 0 all pass, 1 a guardrail failed (0 with ``--advisory``), 2 usage or configuration error (no guardrail
at all included), 3 an account could not be read (it wins over 1; every account is still reported).
"""

from __future__ import annotations

import argparse
import os
import sys

from ..client import BillingClient
from ..errors import ConfigurationError
from ..fleet import read_fleet
from ..rules import GUARDRAILS, Policy
from . import _common as common
from ._chart import runway_charts
from ._report import check_document, dumps, github_commands, markdown_summary, text_table

__all__ = ["check"]

def _flags() -> dict[str, str]:
    return {g.name: g.flag for g in GUARDRAILS}


def check(args: argparse.Namespace) -> int:
    """Run the guardrails and print the report in the chosen format."""
    flags = _flags()
    policy = Policy.from_values({name: getattr(args, name, None) for name in flags}, labels=flags.__getitem__)
    if policy.is_empty:
        raise ConfigurationError("no guardrail given: pass at least one of " + ", ".join(flags.values()))
    settings = common.settings(args)
    refs = common.accounts(args, settings)
    workers = common.concurrency(args)
    with BillingClient.from_settings(settings) as client:
        outcomes = read_fleet(
            client, refs, policy=policy, runway=args.runway, concurrency=workers, progress=common.progress(len(refs))
        )
    code = common.exit_code(outcomes, advisory=args.advisory)
    if args.format == "json":
        enforcement = "advisory" if args.advisory else "mandatory"
        print(dumps(check_document(outcomes, policy, enforcement=enforcement, exit_code=code)))
    elif args.format == "github":
        print(github_commands(outcomes, advisory=args.advisory))
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            try:
                with open(summary, "a", encoding="utf-8") as handle:
                    handle.write(markdown_summary(outcomes) + runway_charts(outcomes))
            except OSError as exc:
                # The verdict stands; a summary that cannot be written is worth a warning, not a failure.
                print(f"cfbilling: warning: cannot append to GITHUB_STEP_SUMMARY ({exc.strerror})", file=sys.stderr)
    else:
        print(text_table(outcomes, advisory=args.advisory))
    # One line per unreadable account on stderr, whatever the format, as `balance` does.
    for outcome in outcomes:
        if outcome.error is not None:
            print(f"cfbilling: error: {outcome.error}", file=sys.stderr)
    return code
