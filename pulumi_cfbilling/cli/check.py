"""``cfbilling check``: evaluate the guardrails for one account or a fleet, for CI preflight.

Exit codes: 0 all pass, 1 a guardrail failed (0 with ``--advisory``), 2 usage or configuration error (no guardrail
at all included), 3 an account could not be read (it wins over 1; every account is still reported).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..core.errors import ConfigurationError
from ..core.values import read_flag
from ..guardrails.rules import GUARDRAILS, read_policy
from ..service.documents import report_document
from ..service.reader import Ask, exit_code
from . import _common as common
from ._report import dumps, error_lines, github_commands, markdown_summary, text_table

__all__ = ["check"]


def _write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole (a temporary file, then renamed), or fail the run with one line."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)  # nothing half-written is left behind
        raise ConfigurationError(f"--report {path}: cannot write it ({exc.strerror})") from None


def check(args: argparse.Namespace) -> int:
    """Run the guardrails and print the report in the chosen format."""
    policy = read_policy({g.name: getattr(args, g.name, None) for g in GUARDRAILS}, "cli")
    advisory = read_flag(args.advisory or "false", "--advisory")
    ask = Ask(policy, runway=read_flag(args.runway or "false", "--runway"))
    results = common.read(args, ask)
    code = exit_code(results, advisory=advisory)
    enforcement = "advisory" if advisory else "mandatory"
    report = dumps(report_document(results, policy, enforcement=enforcement, exit_code=code))
    if args.report:
        _write(args.report, report + "\n")
    if args.format == "json":
        print(report)
    elif args.format == "github":
        print(github_commands(results, advisory=advisory))
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            from ._chart import runway_charts  # a step summary's pictures: not loaded by a plain check

            try:
                with open(summary, "a", encoding="utf-8") as handle:
                    handle.write(markdown_summary(results) + runway_charts(results))
            except OSError as exc:
                # The verdict stands; a summary that cannot be written is worth a warning, not a failure.
                print(f"cfbilling: warning: cannot append to GITHUB_STEP_SUMMARY ({exc.strerror})", file=sys.stderr)
    else:
        print(text_table(results, advisory=advisory))
    # The unreadable accounts on stderr, whatever the format, a line per way of failing, as `balance` does.
    for line in error_lines(results):
        print(line, file=sys.stderr)
    for result in results:
        if result.runway_error is not None:  # --runway without a runway guardrail: the verdict stands
            print(f"cfbilling: warning: no runway chart: {result.runway_error}", file=sys.stderr)
    return code
