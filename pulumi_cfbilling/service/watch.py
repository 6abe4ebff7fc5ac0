"""``cfbilling watch``: tell people when an account crosses a rung of a ladder, once, and when it recovers.

A run reads the accounts through the one service (an :class:`~.reader.Ask` whose ladders the service judges with
the guardrails' own rules), compares where each account stands with what the state file says was last told
(:mod:`.watch_state`), and makes one :class:`Alert` per account whose standing changed in a way worth a message:

- a rung crossed downwards (``crossed``): the account is below more rungs than it was;
- back above every rung of a ladder (``resolved``);
- the account cannot be read (``unreadable``, with the reason), and can again (``readable``).

Climbing one rung without clearing the ladder is recorded but not told (crossing it again later is). A changed
ladder (other rungs) forgets the old standing on it: a current crossing is told again, nothing is "resolved".
Alerts are queued per notification URL in the state, the state is saved, then delivered (:mod:`.notify`); what
a URL did not take stays queued for the next run. A run killed after queueing sends the queue next time: at
least once, never lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from ..core.amounts import format_usd
from ..core.text import neutralize
from ..guardrails.ladders import Ladder, first_rungs
from .accounts import AccountRef
from .notify import Outlet, check_outlets, deliver
from .reader import Ask, Result, Service
from .watch_state import MAX_PENDING, Pending, WatchState, locked

__all__ = ["READ_RULE", "Alert", "Change", "WatchRun", "dashboard_url", "watch"]

READ_RULE = "read"
"""The standing of an account that cannot be read, beside the guardrails' rule ids."""

ChangeKind = Literal["crossed", "resolved", "unreadable", "readable"]


def dashboard_url(account_id: str) -> str:
    """The AI Gateway page of the account's dashboard (its Credits Available card: Manage, Top-up)."""
    return f"https://dash.cloudflare.com/{account_id}/ai/ai-gateway"


@dataclass(frozen=True)
class Change:
    """One thing worth telling about one account."""

    rule: str
    kind: ChangeKind
    depth: int
    rungs: tuple[object, ...]
    message: str

    def line(self) -> str:
        """The change in words, one line."""
        ladder = ", ".join(f"{rung:g}" if isinstance(rung, float) else str(rung) for rung in self.rungs)
        if self.kind == "crossed":
            if len(self.rungs) > 1:
                return f"{self.message} [{self.rule}, rung {self.depth} of {len(self.rungs)}: {ladder}]"
            return f"{self.message} [{self.rule}]"
        if self.kind == "resolved":
            return f"resolved: {self.rule} passes again" + (f" (every rung: {ladder})" if len(self.rungs) > 1 else "")
        if self.kind == "unreadable":
            return f"cannot read the account: {self.message}"
        return "the account can be read again"


@dataclass(frozen=True)
class Alert:
    """One message about one account: every change of this run, and where the account stands now."""

    result: Result
    changes: tuple[Change, ...]

    @property
    def ref(self) -> AccountRef:
        """The account."""
        return self.result.ref

    @property
    def kind(self) -> Literal["failure", "warning", "success"]:
        """``failure`` when unreadable or at a ladder's last rung, ``success`` when all is well again."""
        if any(c.kind == "unreadable" or (c.kind == "crossed" and c.depth == len(c.rungs)) for c in self.changes):
            return "failure"
        return "warning" if any(c.kind == "crossed" for c in self.changes) else "success"

    @property
    def title(self) -> str:
        """``AI Gateway credits: staging: balance $3.13 is below the minimum of $20.00`` (and how many more)."""
        first = self.changes[0]
        headline = {
            "crossed": first.message,
            "resolved": f"resolved ({first.rule})",
            "unreadable": "cannot read the account",
            "readable": "can be read again",
        }[first.kind]
        more = f" (+{len(self.changes) - 1} more)" if len(self.changes) > 1 else ""
        return neutralize(f"AI Gateway credits: {_name(self.ref)}: {headline}{more}", 200)

    @property
    def body(self) -> str:
        """The account, each change, where it stands now, and the dashboard page to act on."""
        who = f"{self.ref.label} ({self.ref.account_id})" if self.ref.label else self.ref.account_id
        lines = [neutralize(who, 200)]
        lines += [f"- {neutralize(change.line(), 600)}" for change in self.changes]
        now = _now_line(self.result)
        if now:
            lines.append(now)
        lines.append(f"Dashboard: {dashboard_url(self.ref.account_id)} (Credits Available > Manage)")
        return "\n".join(lines)


def _name(ref: AccountRef) -> str:
    return ref.label or ref.account_id


def _now_line(result: Result) -> str:
    balance, runway = result.balance, result.runway
    if balance is None:
        return ""
    parts = [f"balance {format_usd(balance.balance_usd)}"]
    if runway is not None and runway.runway_days is None:
        parts.append("runway: no spend in the window")
    elif runway is not None:
        empty = runway.projected_empty_at
        when = f", credits run out around {empty:%Y-%m-%d %H:00} UTC" if empty is not None else ""
        parts.append(f"runway {runway.runway_days} days at {format_usd(runway.burn_usd_per_day)} a day{when}")
    parts.append(f"automatic top-up {'on' if balance.auto_topup_enabled else 'off'}")
    return "Now: " + ", ".join(parts)


def _changes(result: Result, ladders: Sequence[Ladder], told: dict[str, dict[str, object]]) -> list[Change]:
    """What changed since ``told`` (an account's rules in the state), which is updated to the present."""
    found: list[Change] = []
    was_unreadable = _depth(told.get(READ_RULE), []) > 0
    if result.error is not None:
        if not was_unreadable:
            found.append(Change(READ_RULE, "unreadable", 1, (), neutralize(str(result.error), 400)))
        told[READ_RULE] = {"depth": 1, "rungs": []}
        return found  # where it stands on the ladders is unknown: their standings are kept as they were
    if was_unreadable:
        found.append(Change(READ_RULE, "readable", 0, (), ""))
    told[READ_RULE] = {"depth": 0, "rungs": []}
    for ladder in ladders:
        rule, rungs = ladder.guardrail.rule, ladder.plain_rungs()
        standing = result.standings[rule]
        before = _depth(told.get(rule), rungs)
        if standing.depth > before and standing.violation is not None:
            found.append(Change(rule, "crossed", standing.depth, tuple(rungs), standing.violation.message))
        elif standing.depth == 0 and before > 0:
            found.append(Change(rule, "resolved", 0, tuple(rungs), ""))
        told[rule] = {"depth": standing.depth, "rungs": rungs}
    return found


def _depth(entry: object, rungs: list[object]) -> int:
    """The depth last told on a ladder; 0 when never told, or told for other rungs (a changed ladder)."""
    if not isinstance(entry, dict) or entry.get("rungs") != rungs:
        return 0
    depth = entry.get("depth")
    return depth if isinstance(depth, int) else 0


@dataclass
class WatchRun:
    """What one run found, told and could not tell."""

    results: list[Result]
    alerts: list[Alert]
    state_problem: str | None = None
    """Why the state file could not be used (a fresh start), if it could not."""
    delivered: dict[int, int] = field(default_factory=dict)
    """Messages each URL (by position) took in this run."""
    failed: dict[int, int] = field(default_factory=dict)
    """Messages left queued for each URL (by position) that refused or could not be reached."""
    dropped: dict[int, int] = field(default_factory=dict)
    """The oldest queued messages dropped per URL beyond :data:`~.watch_state.MAX_PENDING`."""


def watch(
    service: Service,
    refs: Sequence[AccountRef],
    ladders: Sequence[Ladder],
    outlets: Sequence[Outlet],
    state_path: Path,
    *,
    dry_run: bool = False,
    concurrency: int,
    progress: Callable[[int, int], None] | None = None,
    label: str = "--notify",
) -> WatchRun:
    """Read, compare with the state, queue and deliver; see the module's docstring. A dry run writes nothing."""
    if dry_run:
        state, problem = WatchState.load(state_path)
        return _observe(service, refs, ladders, state, problem, concurrency, progress)
    # The whole run holds the lock: a second run at once waits, then sees what this one told.
    with locked(state_path, timeout=service.settings.deadline):
        state, problem = WatchState.load(state_path)
        loaded = state.to_document() if problem is None and state_path.exists() else None
        prints = [state.fingerprint(outlet.url.reveal()) for outlet in outlets]
        new = [outlet for outlet, mark in zip(outlets, prints, strict=True) if mark not in state.known_urls]
        if new:
            check_outlets(new, label)  # before anything is read: a typo in a URL is found now, not at the first alert
        state.known_urls = prints
        run = _observe(service, refs, ladders, state, problem, concurrency, progress)
        _queue(run, state, outlets, prints)
        if not any(state.pending.values()) and state.to_document() == loaded:
            return run  # a quiet run of a schedule: nothing changed, nothing to send, nothing to write
        state.save(state_path)  # queued before delivery: a run killed while sending loses nothing
        for outlet, mark in zip(outlets, prints, strict=True):
            queue = state.pending.get(mark, [])
            sent = 0
            while sent < len(queue) and deliver(outlet, queue[sent].title, queue[sent].body, queue[sent].kind):
                sent += 1
            run.delivered[outlet.position] = sent
            state.pending[mark] = queue[sent:]
            if queue[sent:]:
                run.failed[outlet.position] = len(queue) - sent
        state.pending = {mark: queue for mark, queue in state.pending.items() if queue}
        state.save(state_path)
    return run


def _observe(
    service: Service,
    refs: Sequence[AccountRef],
    ladders: Sequence[Ladder],
    state: WatchState,
    problem: str | None,
    concurrency: int,
    progress: Callable[[int, int], None] | None,
) -> WatchRun:
    ask = Ask(first_rungs(ladders), ladders=tuple(ladders))
    results = service.read_all(refs, ask, concurrency=concurrency, progress=progress)
    alerts = []
    watched = {ref.account_id for ref in refs}
    for result in results:
        told = state.standings.setdefault(result.ref.account_id, {})
        changes = _changes(result, ladders, told)
        if changes:
            alerts.append(Alert(result, tuple(changes)))
    # Accounts no longer watched are forgotten: watched again later, they start afresh.
    state.standings = {account: rules for account, rules in state.standings.items() if account in watched}
    return WatchRun(results, alerts, problem)


def _queue(run: WatchRun, state: WatchState, outlets: Sequence[Outlet], prints: Sequence[str]) -> None:
    """Every alert onto every URL's queue; the queues of URLs no longer given are dropped with them."""
    queued_at = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    messages = [Pending(a.ref.account_id, a.title, a.body, a.kind, queued_at) for a in run.alerts]
    pending = {}
    for outlet, mark in zip(outlets, prints, strict=True):
        queue = [*state.pending.get(mark, []), *messages]
        if len(queue) > MAX_PENDING:
            run.dropped[outlet.position] = len(queue) - MAX_PENDING
            queue = queue[-MAX_PENDING:]
        pending[mark] = queue
    state.pending = pending
