"""Render the outcome of ``cfbilling check`` for people, machines and GitHub Actions.

Formats: an aligned text table; a versioned JSON document, described by the shipped ``check_report.schema.json``;
GitHub workflow commands plus a step-summary table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..errors import APIError, CfBillingError
from ..fleet import AccountOutcome
from ..models import format_usd
from ..rules import GUARDRAILS, Policy
from ..text import neutralize
from ._render import DOCUMENT_VERSION

__all__ = [
    "check_document",
    "dumps",
    "error_document",
    "github_commands",
    "markdown_summary",
    "summary_line",
    "text_table",
]


def error_document(error: CfBillingError) -> dict[str, Any]:
    """An error as plain values: its type, one-line message, HTTP status, Cloudflare codes and CF-Ray id."""
    api = error if isinstance(error, APIError) else None
    return {
        "type": type(error).__name__,
        "message": str(error),
        "statusCode": api.status_code if api else None,
        "codes": list(api.codes) if api else [],
        "rayId": api.ray_id if api else None,
    }


def _policy_document(policy: Policy) -> dict[str, Any]:
    return {g.camel: g.plain(policy.get(g.name)) for g in GUARDRAILS}


def _counts(outcomes: Sequence[AccountOutcome]) -> dict[str, int]:
    statuses = [o.status for o in outcomes]
    return {
        "total": len(statuses),
        "passed": statuses.count("pass"),
        "failed": statuses.count("fail"),
        "errors": statuses.count("error"),
    }


def check_document(
    outcomes: Sequence[AccountOutcome], policy: Policy, *, enforcement: str, exit_code: int
) -> dict[str, Any]:
    """The JSON document of a check run; stable, versioned, plain values only."""
    accounts = [
        {
            "accountId": o.ref.account_id,
            "label": o.ref.label,
            "status": o.status,
            "ok": o.status == "pass",
            "balance": o.balance.to_document() if o.balance else None,
            "violations": o.verdict.to_dict()["violations"] if o.verdict else [],
            "error": error_document(o.error) if o.error else None,
            "runway": o.runway.to_dict() if o.runway else None,
        }
        for o in outcomes
    ]
    return {
        "version": DOCUMENT_VERSION,
        "ok": exit_code == 0,
        "exitCode": exit_code,
        "enforcement": enforcement,
        "policy": _policy_document(policy),
        "summary": _counts(outcomes),
        "accounts": accounts,
    }


def _verdict_line(outcome: AccountOutcome, advisory: bool = False) -> str:
    if outcome.error is not None:
        return f"ERROR: {outcome.error}"
    if outcome.verdict is not None and outcome.verdict.violations:
        # Under --advisory a failed guardrail does not fail the run: the verdict says so.
        verdict = "WARN (advisory)" if advisory else "FAIL"
        return f"{verdict}: " + "; ".join(f"{v.message} [{v.rule}]" for v in outcome.verdict.violations)
    return "pass"


def _row(outcome: AccountOutcome, advisory: bool = False) -> tuple[str, str, str, str, str]:
    balance = outcome.balance
    return (
        outcome.ref.account_id,
        neutralize(outcome.ref.label) if outcome.ref.label else "-",
        format_usd(balance.balance_usd) if balance else "-",
        ("on" if balance.auto_topup_enabled else "off") if balance else "-",
        _verdict_line(outcome, advisory),
    )


def summary_line(outcomes: Sequence[AccountOutcome]) -> str:
    """``2 of 3 accounts pass; 1 failed a guardrail; 0 could not be read`` (``1 of 1 account passes``)."""
    counts = _counts(outcomes)
    accounts = "account passes" if counts["total"] == 1 else "accounts pass"
    return (
        f"{counts['passed']} of {counts['total']} {accounts}; {counts['failed']} failed a guardrail; "
        f"{counts['errors']} could not be read"
    )


def _runway_cell(outcome: AccountOutcome) -> str:
    days = outcome.runway.runway_days if outcome.runway else None
    if outcome.runway is None:
        return "-"
    return "no spend" if days is None else f"{days} days"


def text_table(outcomes: Sequence[AccountOutcome], *, advisory: bool = False) -> str:
    """An aligned table, one line per account ending in its verdict, then a summary line.

    A RUNWAY column comes before the verdict when the runway was read (a guardrail judges it).
    """
    rows: list[tuple[str, ...]] = [("ACCOUNT", "LABEL", "BALANCE", "AUTO TOP-UP", "VERDICT")]
    rows += [_row(o, advisory) for o in outcomes]
    if any(o.runway is not None for o in outcomes):
        cells = ["RUNWAY", *(_runway_cell(o) for o in outcomes)]
        rows = [(*row[:4], cell, row[4]) for row, cell in zip(rows, cells, strict=True)]
    count = len(rows[0]) - 1
    widths = [max(len(row[i]) for row in rows) for i in range(count)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:count])) + "  " + row[count] for row in rows]
    return "\n".join([*lines, summary_line(outcomes)])


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_commands(outcomes: Sequence[AccountOutcome], *, advisory: bool) -> str:
    """Workflow commands: ``::error`` (``::warning`` when advisory) per violation, ``::error`` per unread account."""
    lines = []
    level = "warning" if advisory else "error"
    for outcome in outcomes:
        label = outcome.ref.label
        name = outcome.ref.name if label is None else f"{neutralize(label)} ({outcome.ref.account_id})"
        if outcome.error is not None:
            title = _escape_property(f"AI Gateway credits: cannot read {name}")
            lines.append(f"::error title={title}::{_escape_data(str(outcome.error))}")
        elif outcome.verdict is not None and outcome.verdict.violations:
            for violation in outcome.verdict.violations:
                title = _escape_property(f"AI Gateway credits: {name} [{violation.rule}]")
                lines.append(f"::{level} title={title}::{_escape_data(violation.message)}")
        else:
            balance = outcome.balance
            shown = format_usd(balance.balance_usd) if balance else "-"
            lines.append(f"{name}: pass (balance {shown})")
    lines.append(summary_line(outcomes))
    return "\n".join(lines)


def _cell(text: str) -> str:
    # One line (no forged heading or link can start), and no column break.
    return neutralize(text, 4000).replace("|", "\\|")


def markdown_summary(outcomes: Sequence[AccountOutcome]) -> str:
    """A markdown table for ``$GITHUB_STEP_SUMMARY``."""
    lines = [
        "### AI Gateway credits",
        "",
        "| Account | Label | Balance | Auto top-up | Verdict |",
        "|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        account, label, balance, topup, verdict = _row(outcome)
        mark = {"pass": "✅", "fail": "❌", "error": "⚠️"}[outcome.status]
        lines.append(f"| `{account}` | {_cell(label)} | {balance} | {topup} | {mark} {_cell(verdict)} |")
    lines.extend(["", summary_line(outcomes), ""])
    return "\n".join(lines)


def dumps(document: dict[str, Any]) -> str:
    """The JSON text of a document, indented for people and diff tools."""
    return json.dumps(document, indent=2, allow_nan=False)
