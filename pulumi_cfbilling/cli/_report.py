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
from ..core.errors import APIError, CfBillingError, DeadlineError
from ..core.records import Record
from ..core.text import neutralize
from ..core.values import MAX_RUNWAY_DAYS
from ..service.documents import counts as count
from ..service.reader import Result
from ._render import age_text, heading

__all__ = [
    "SHOWN_IN_GROUP",
    "ErrorGroup",
    "cached_note",
    "dumps",
    "error_groups",
    "error_lines",
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


def cached_note(results: Sequence[Result]) -> str | None:
    """Says how many accounts were answered from the shared cache and how old the oldest answer is, if any was."""
    ages = [result.cached_age for result in results if result.cached_age is not None]
    if not ages:
        return None
    accounts = "account was" if len(ages) == 1 else "accounts were"
    return f"({len(ages)} {accounts} answered from the shared cache, the oldest {age_text(max(ages))} old: --max-age)"


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
        if found and result.error is None:
            word = _verdict_word(result, advisory)
            details += [f"{heading(result)}: {word}", *(f"  - {line}" for line in found)]
    # The unread accounts below them, a block per way of failing: 3,800 alike are one block, not 3,800.
    for group in error_groups(results):
        details += [f"{group.who()}: ERROR", f"  - {group.first}"]
    note = cached_note(results)
    return "\n".join([*lines, *(["", *details] if details else []), summary_line(results), *([note] if note else [])])


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


SHOWN_IN_GROUP = 3
"""Account ids a grouped error names before "and N more" (the JSON report keeps every account)."""


class ErrorGroup(Record):
    """Accounts that failed alike (same error type, status and codes): one line for all of them."""

    results: tuple[Result, ...]

    @property
    def first(self) -> CfBillingError:
        """The first account's error: its message stands for the group."""
        error = self.results[0].error
        assert error is not None  # only unread results are grouped
        return error

    def who(self) -> str:
        """``3 accounts (a, b, c)`` or ``3800 accounts (a, b, c and 3797 more)``; one account is its name."""
        names = [_name(result) for result in self.results]
        if len(names) == 1:
            return names[0]
        more = len(names) - SHOWN_IN_GROUP
        listed = ", ".join(names[:SHOWN_IN_GROUP]) + (f" and {more} more" if more > 0 else "")
        return f"{len(names)} accounts ({listed})"

    def line(self) -> str:
        """The group in words: who, then the first account's message."""
        if len(self.results) == 1:
            return str(self.first)
        return f"{self.who()} could not be read alike; the first: {self.first}"


def _name(result: Result) -> str:
    label = result.ref.label
    return result.ref.name if label is None else f"{neutralize(label)} ({result.ref.account_id})"


def _group_key(result: Result) -> tuple[object, ...]:
    error = result.error
    if isinstance(error, DeadlineError):
        return (type(error).__name__,)
    if isinstance(error, APIError) and error.status_code is not None:
        return type(error).__name__, error.status_code, error.codes
    # A transport failure: its words, without the account they name.
    return type(error).__name__, str(error).replace(result.ref.account_id, "")


def error_groups(results: Sequence[Result]) -> list[ErrorGroup]:
    """The unread accounts, grouped by how they failed, in the order each way first appears."""
    groups: dict[tuple[object, ...], list[Result]] = {}
    for result in results:
        if result.error is not None:
            groups.setdefault(_group_key(result), []).append(result)
    return [ErrorGroup(tuple(members)) for members in groups.values()]


def error_lines(results: Sequence[Result]) -> list[str]:
    """``cfbilling: error: ...`` a line per way of failing: 3,800 alike accounts are one line, not 3,800."""
    return [f"cfbilling: error: {group.line()}" for group in error_groups(results)]


def github_commands(results: Sequence[Result], *, advisory: bool) -> str:
    """Workflow commands: ``::error`` (``::warning`` when advisory) per violation, ``::error`` per way of failing."""
    lines = []
    level = "warning" if advisory else "error"
    for group in error_groups(results):
        title = _escape_property(f"AI Gateway credits: cannot read {group.who()}")
        lines.append(f"::error title={title}::{_escape_data(str(group.first))}")
    for result in results:
        name = _name(result)
        if result.error is not None:
            continue
        if result.verdict is not None and result.verdict.violations:
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
# heading or column break can start from server text or a label. Patterns, not compiled ones: only the Markdown
# formats use them, and `re` compiles (and keeps) each on first use.
_MARKDOWN = r"([\\`*_{}\[\]()#+\-.!|~$])"
# Text GitHub would turn into a link by itself (https://..., www.example, a@b.example, example.com for other
# renderers): a zero-width space before the dot of a domain and inside "://" leaves it plain text.
_LINKABLE = r"(?<=\w)(?=\\\.[A-Za-z])|(?<=:)(?=//)|(?=@)"


def _cell(text: str) -> str:
    """Untrusted text as one Markdown table cell: one line, HTML and Markdown escaped, nothing that links."""
    flat = neutralize(text, 4000).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(_LINKABLE, "\u200b", re.sub(_MARKDOWN, r"\\\1", flat))


def markdown_summary(results: Sequence[Result]) -> str:
    """A markdown table for ``$GITHUB_STEP_SUMMARY``."""
    lines = [
        "### AI Gateway credits",
        "",
        "| Account | Label | Balance | Auto top-up | Runway | Verdict |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        if result.error is not None:
            continue  # below, a row per way of failing
        account, label, balance, topup, runway, _ = _row(result)
        mark = {"pass": "✅", "fail": "❌"}[result.status]
        verdict = "; ".join([_verdict_word(result), *_details(result)]) if _details(result) else "pass"
        lines.append(f"| `{account}` | {_cell(label)} | {balance} | {topup} | {runway} | {mark} {_cell(verdict)} |")
    for group in error_groups(results):
        if len(group.results) == 1:
            account, label, balance, topup, runway, _ = _row(group.results[0])
            who = f"`{account}` | {_cell(label)}"
        else:
            who, balance, topup, runway = f"{_cell(group.who())} | -", "-", "-", "-"
        lines.append(f"| {who} | {balance} | {topup} | {runway} | ⚠️ {_cell('ERROR; ' + str(group.first))} |")
    note = cached_note(results)
    lines.extend(["", summary_line(results), *([note] if note else []), ""])
    return "\n".join(lines)


def dumps(document: dict[str, Any]) -> str:
    """The JSON text of a document, indented for people and diff tools."""
    return json.dumps(document, indent=2, allow_nan=False)
