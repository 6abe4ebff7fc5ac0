"""Mermaid charts of the runway for ``$GITHUB_STEP_SUMMARY``: daily spend as bars, the balance as a line to zero.

GitHub renders a fenced ``mermaid`` block as a picture. The chart is an ``xychart-beta`` over whole UTC days
counted from today: bars for the spend of each day of the window, and a line for the balance: worked back from
today's through the spend of each day, then falling at the window's average rate of spend down to $0 on the
projected day (at most :data:`HORIZON_DAYS` ahead). Every text that reaches the source (an account label from
a file or a flag) goes through :func:`chart_text`, because Mermaid has no escape inside a quoted string and
reads ``%%{init}%%`` directives anywhere in a block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ..core.amounts import format_usd, to_cents
from ..core.text import neutralize
from ..service.reader import Result

if TYPE_CHECKING:
    from ..guardrails.runway import Runway

__all__ = ["HORIZON_DAYS", "IDLE_DAYS", "MAX_CHARTS", "chart_text", "runway_chart", "runway_charts"]

HORIZON_DAYS = 90
"""How far ahead the projected balance is drawn, in days, when it reaches zero later or never."""

IDLE_DAYS = 7
"""How far ahead an account with no spend at all is drawn: a flat line needs no three months to be seen."""

MAX_CHARTS = 10
"""Charts in one summary: a fleet shows its shortest runways (a page of 200 charts helps nobody)."""

_LABEL = 40
# Letters and digits of any script, and punctuation that means nothing to Mermaid or to markdown inside a quoted
# string. Quotes, brackets, braces, %, #, ;, backticks and < > are what break out of a string, a directive,
# an entity or the fence; they are replaced, not escaped.
_SAFE = frozenset(" -_.,:/()'+&@")


def chart_text(text: str, limit: int = _LABEL) -> str:
    """``text`` safe inside a Mermaid quoted string or a markdown line: one line, short, no syntax characters."""
    flat = neutralize(text, limit)
    return "".join(char if char.isalnum() or char in _SAFE else "_" for char in flat).strip() or "_"


def _number(amount: Decimal) -> str:
    # Cents, plain notation (Mermaid reads neither exponents nor thousands separators).
    return f"{to_cents(amount):f}"


def _line(balance: Decimal, runway: Runway) -> list[Decimal]:
    """The balance at the start of each day, from the window's first day to zero (or the horizon).

    Before today it is today's balance plus the spend since that day: what the balance was if nothing was added
    (a top-up in the window is not in the usage history). From today on it falls at the window's burn, down to
    zero and no further; an account already at or below zero stops today.
    """
    burn = runway.burn_usd_per_day
    spend = runway.daily_spend_usd
    past = [balance + sum(spend[index:], Decimal(0)) for index in range(len(spend))]
    if balance <= 0:
        ahead = 0
    elif runway.runway_days is None:
        ahead = IDLE_DAYS if not any(spend) else HORIZON_DAYS
    else:
        ahead = min(HORIZON_DAYS, max(1, math.ceil(runway.runway_days)))
    future = [balance - burn * offset for offset in range(ahead + 1)]
    if balance > 0 and burn > 0:
        future = [max(value, Decimal(0)) for value in future]
    return past + future


def runway_chart(account_id: str, label: str | None, balance: Decimal, runway: Runway) -> str:
    """One account's chart as a fenced ``mermaid`` block, then a caption saying what the bars and line are."""
    # A chart is 700 pixels wide: the title is the label (cut short) or the id, and the caption names both.
    title = chart_text(label) if label else chart_text(account_id)
    who = f"`{chart_text(account_id)}` ({chart_text(label, 200)})" if label else f"`{chart_text(account_id)}`"
    line = _line(balance, runway)
    spend = runway.daily_spend_usd
    past, ahead = len(spend), len(line) - len(spend) - 1
    # A numeric axis of days from today: Mermaid picks a few round ticks where 97 dates would overprint. It
    # spreads each series evenly over the axis, so the bars run to the line's length: from today on they are the
    # average spend the line falls by (a projection, said in the caption), never a made-up $0.00 day.
    idle = not any(spend)
    bars = [*spend, *[runway.burn_usd_per_day if balance > 0 else Decimal(0)] * (ahead + 1)]
    low = min([Decimal(0), *line, *spend])
    high = max([*line, *spend])
    if high <= low:
        high = low + 1
    empty_at = runway.projected_empty_at
    if balance <= 0:
        when = "the credits have run out"
    elif runway.runway_days is None:
        when = f"no spend in the window: the balance holds (drawn {ahead} days ahead)"
    elif empty_at is not None and runway.runway_days <= HORIZON_DAYS:
        when = f"$0 on {empty_at:%Y-%m-%d} ({runway.runway_days} days)"
    else:
        when = f"{runway.runway_days} days left (drawn {HORIZON_DAYS} days ahead)"
    last_day = runway.window_end - timedelta(days=1)
    source = [
        "```mermaid",
        "xychart-beta",
        f'    title "{title}"',
        f'    x-axis "days from today (0 = {runway.window_end:%Y-%m-%d})" {-past} --> {ahead}',
        f'    y-axis "US dollars" {_number(low)} --> {_number(high)}',
        *([] if idle else [f'    bar "spend per day" [{", ".join(_number(value) for value in bars)}]']),
        f'    line "balance" [{", ".join(_number(value) for value in line)}]',
        "```",
        "",
        f"{who}. "
        + (
            "No spend in the window: no bars. "
            if idle
            else f"Bars: spend per UTC day, {runway.window_start:%Y-%m-%d} to {last_day:%Y-%m-%d}; from today on, "
            f"the average spend per day the line falls by. "
        )
        + f"Line: the balance ({format_usd(balance)} now; before today, plus the spend since, top-ups not counted), "
        f"then at {format_usd(runway.burn_usd_per_day)} a day: {when}.",
        "",
    ]
    return "\n".join(source)


def runway_charts(outcomes: Sequence[Result]) -> str:
    """The charts of the accounts whose runway was read: the :data:`MAX_CHARTS` shortest runways, shortest first."""
    charted = [(o, o.balance, o.runway) for o in outcomes if o.runway is not None and o.balance is not None]
    if not charted:
        return ""

    def shortest_first(entry: tuple[Result, object, Runway]) -> tuple[bool, Decimal]:
        days = entry[2].runway_days
        return days is None, days if days is not None else Decimal(0)

    shown = sorted(charted, key=shortest_first)[:MAX_CHARTS]  # stable: input order among equal runways
    parts = ["#### Runway", ""]
    if len(charted) > len(shown):
        parts += [f"The {len(shown)} shortest runways of {len(charted)} accounts read.", ""]
    for outcome, balance, runway in shown:
        parts.append(runway_chart(outcome.ref.account_id, outcome.ref.label, balance.balance_usd, runway))
    return "\n".join(parts)
