"""Render the result of ``cfbilling check`` for people, machines and GitHub Actions.

Formats: an aligned text table; a versioned JSON document, described by the shipped ``check_report.schema.json``;
GitHub workflow commands plus a step-summary table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..core.amounts import format_usd
from ..core.text import neutralize
from ..core.values import MAX_RUNWAY_DAYS
from ..service.documents import counts as count
from ..service.reader import Result

__all__ = [
    "dumps",
    "github_commands",
    "markdown_summary",
    "summary_line",
    "text_table",
]


def _verdict_word(result: Result, advisory: bool = False) -> str:
    """``pass``, ``FAIL``, ``WARN (advisory)`` (a failed guardrail does not fail an advisory run) or ``ERROR``."""
    if result.error is not None:
        return "ERROR"
    if result.verdict is not None and result.verdict.violations:
        return "WARN (advisory)" if advisory else "FAIL"
    return "pass"


def _verdict_cell(result: Result, advisory: bool = False) -> str:
    """The verdict in a table: its word and the rules that failed (the error's type); the details go below."""
    word = _verdict_word(result, advisory)
    if result.error is not None:
        return f"{word} ({type(result.error).__name__})"
    if result.verdict is not None and result.verdict.violations:
        return f"{word} [{', '.join(v.rule for v in result.verdict.violations)}]"
    return word


def _details(result: Result, advisory: bool = False) -> list[str]:
    """What went wrong, a line each: the error's message, or each violation's message and rule."""
    if result.error is not None:
        return [str(result.error)]
    return [f"{v.message} [{v.rule}]" for v in result.verdict.violations] if result.verdict else []


def _row(result: Result, advisory: bool = False) -> tuple[str, str, str, str, str, str]:
    balance = result.balance
    return (
        result.ref.account_id,
        neutralize(result.ref.label) if result.ref.label else "-",
        format_usd(balance.balance_usd) if balance else "-",
        ("on" if balance.auto_topup_enabled else "off") if balance else "-",
        _runway_cell(result),
        _verdict_cell(result, advisory),
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
    if result.runway_error is not None:
        return "unread"
    if result.runway is None:
        return "-"
    if days is None:
        return "no spend"
    return f"{days}+ days" if days >= MAX_RUNWAY_DAYS else f"{days} days"


def text_table(results: Sequence[Result], *, advisory: bool = False) -> str:
    """An aligned table, one short line per account ending in its verdict, the details below it, then a summary.

    The verdict names the failed rules (or the error's type); each account that failed or could not be read gets
    its messages below the table, a line each, so no line of the table grows with the server's text. A RUNWAY
    column comes before the verdict when the runway was read.
    """
    rows: list[tuple[str, ...]] = [("ACCOUNT", "LABEL", "BALANCE", "AUTO TOP-UP", "RUNWAY", "VERDICT")]
    rows += [_row(o, advisory) for o in results]
    if all(o.runway is None and o.runway_error is None for o in results):
        rows = [(*row[:4], row[5]) for row in rows]
    count = len(rows[0]) - 1
    widths = [max(len(row[i]) for row in rows) for i in range(count)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:count])) + "  " + row[count] for row in rows]
    details = []
    for result in results:
        found = _details(result, advisory)
        if found:
            label = f" ({neutralize(result.ref.label)})" if result.ref.label else ""
            word = _verdict_word(result, advisory)
            details += [f"{result.ref.account_id}{label}: {word}", *(f"  - {line}" for line in found)]
    return "\n".join([*lines, *(["", *details] if details else []), summary_line(results)])


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
            # Never a line that starts with a label: `::stop-commands::x` as a label would silence every later
            # ::error, and `::error title=FORGED::` would forge one.
            lines.append(f"cfbilling: {name}: pass (balance {shown})")
    lines.append(summary_line(results))
    return "\n".join(lines)


# Markdown's punctuation, escaped with a backslash inside a table cell (GFM): no emphasis, link, image, code span,
# heading or column break can start from server text or a label.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")
# Text GitHub would turn into a link by itself (https://..., www.example, a@b.example, example.com for other
# renderers): a zero-width space before the dot of a domain and inside "://" leaves it plain text.
_LINKABLE = re.compile(r"(?<=\w)(?=\\\.[A-Za-z])|(?<=:)(?=//)|(?=@)")


def _cell(text: str) -> str:
    """Untrusted text as one Markdown table cell: one line, HTML and Markdown escaped, nothing that links."""
    flat = neutralize(text, 4000).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _LINKABLE.sub("\u200b", _MARKDOWN.sub(r"\\\1", flat))


def markdown_summary(results: Sequence[Result]) -> str:
    """A markdown table for ``$GITHUB_STEP_SUMMARY``."""
    lines = [
        "### AI Gateway credits",
        "",
        "| Account | Label | Balance | Auto top-up | Runway | Verdict |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        account, label, balance, topup, runway, _ = _row(result)
        mark = {"pass": "✅", "fail": "❌", "error": "⚠️"}[result.status]
        verdict = "; ".join([_verdict_word(result), *_details(result)]) if _details(result) else "pass"
        lines.append(f"| `{account}` | {_cell(label)} | {balance} | {topup} | {runway} | {mark} {_cell(verdict)} |")
    lines.extend(["", summary_line(results), ""])
    return "\n".join(lines)


def dumps(document: dict[str, Any]) -> str:
    """The JSON text of a document, indented for people and diff tools."""
    return json.dumps(document, indent=2, allow_nan=False)
