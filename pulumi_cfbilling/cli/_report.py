"""Render the result of ``cfbilling check`` for people, machines and GitHub Actions.

Formats: an aligned text table; a versioned JSON document, described by the shipped ``check_report.schema.json``;
GitHub workflow commands plus a step-summary table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..core.amounts import format_usd
from ..core.text import neutralize
from ..service.documents import counts as count
from ..service.reader import Result

__all__ = [
    "dumps",
    "github_commands",
    "markdown_summary",
    "summary_line",
    "text_table",
]


def _verdict_line(result: Result, advisory: bool = False) -> str:
    if result.error is not None:
        return f"ERROR: {result.error}"
    if result.verdict is not None and result.verdict.violations:
        # Under --advisory a failed guardrail does not fail the run: the verdict says so.
        verdict = "WARN (advisory)" if advisory else "FAIL"
        return f"{verdict}: " + "; ".join(f"{v.message} [{v.rule}]" for v in result.verdict.violations)
    return "pass"


def _row(result: Result, advisory: bool = False) -> tuple[str, str, str, str, str]:
    balance = result.balance
    return (
        result.ref.account_id,
        neutralize(result.ref.label) if result.ref.label else "-",
        format_usd(balance.balance_usd) if balance else "-",
        ("on" if balance.auto_topup_enabled else "off") if balance else "-",
        _verdict_line(result, advisory),
    )


def summary_line(results: Sequence[Result]) -> str:
    """``2 of 3 accounts pass; 1 failed a guardrail; 0 could not be read`` (``1 of 1 account passes``)."""
    counts = count(results)
    accounts = "account passes" if counts["total"] == 1 else "accounts pass"
    return (
        f"{counts['passed']} of {counts['total']} {accounts}; {counts['failed']} failed a guardrail; "
        f"{counts['errors']} could not be read"
    )


def _runway_cell(result: Result) -> str:
    days = result.runway.runway_days if result.runway else None
    if result.runway is None:
        return "-"
    return "no spend" if days is None else f"{days} days"


def text_table(results: Sequence[Result], *, advisory: bool = False) -> str:
    """An aligned table, one line per account ending in its verdict, then a summary line.

    A RUNWAY column comes before the verdict when the runway was read (a guardrail judges it).
    """
    rows: list[tuple[str, ...]] = [("ACCOUNT", "LABEL", "BALANCE", "AUTO TOP-UP", "VERDICT")]
    rows += [_row(o, advisory) for o in results]
    if any(o.runway is not None for o in results):
        cells = ["RUNWAY", *(_runway_cell(o) for o in results)]
        rows = [(*row[:4], cell, row[4]) for row, cell in zip(rows, cells, strict=True)]
    count = len(rows[0]) - 1
    widths = [max(len(row[i]) for row in rows) for i in range(count)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:count])) + "  " + row[count] for row in rows]
    return "\n".join([*lines, summary_line(results)])


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_commands(results: Sequence[Result], *, advisory: bool) -> str:
    """Workflow commands: ``::error`` (``::warning`` when advisory) per violation, ``::error`` per unread account."""
    lines = []
    level = "warning" if advisory else "error"
    for result in results:
        label = result.ref.label
        name = result.ref.name if label is None else f"{neutralize(label)} ({result.ref.account_id})"
        if result.error is not None:
            title = _escape_property(f"AI Gateway credits: cannot read {name}")
            lines.append(f"::error title={title}::{_escape_data(str(result.error))}")
        elif result.verdict is not None and result.verdict.violations:
            for violation in result.verdict.violations:
                title = _escape_property(f"AI Gateway credits: {name} [{violation.rule}]")
                lines.append(f"::{level} title={title}::{_escape_data(violation.message)}")
        else:
            balance = result.balance
            shown = format_usd(balance.balance_usd) if balance else "-"
            lines.append(f"{name}: pass (balance {shown})")
    lines.append(summary_line(results))
    return "\n".join(lines)


def _cell(text: str) -> str:
    # One line (no forged heading or link can start), and no column break.
    return neutralize(text, 4000).replace("|", "\\|")


def markdown_summary(results: Sequence[Result]) -> str:
    """A markdown table for ``$GITHUB_STEP_SUMMARY``."""
    lines = [
        "### AI Gateway credits",
        "",
        "| Account | Label | Balance | Auto top-up | Verdict |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        account, label, balance, topup, verdict = _row(result)
        mark = {"pass": "✅", "fail": "❌", "error": "⚠️"}[result.status]
        lines.append(f"| `{account}` | {_cell(label)} | {balance} | {topup} | {mark} {_cell(verdict)} |")
    lines.extend(["", summary_line(results), ""])
    return "\n".join(lines)


def dumps(document: dict[str, Any]) -> str:
    """The JSON text of a document, indented for people and diff tools."""
    return json.dumps(document, indent=2, allow_nan=False)
