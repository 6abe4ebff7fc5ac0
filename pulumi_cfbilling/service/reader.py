"""The one read-and-judge service: every surface asks it, none reads or judges on its own.

A surface says what it wants of each account (an :class:`Ask`: a check, the runway, a usage read); the service
decides which routes to read (the usage history only when a guardrail or the runway needs it, or when it is
asked for), reads them once per run through a :class:`BalanceCache` (concurrent and repeated reads share one
request), judges the balance with the guardrails, and answers with one :class:`Result` per account. The surfaces
then only translate: :mod:`.documents` turns a result into its JSON document, and each surface puts that on its
wire (a table, annotations, a protocol value, a Pulumi output). So the same input gives the same verdict on every
surface, and a read that fails is an error of its account, never a silent pass.

Exit codes live here too, as the verdict of a run: 0 every account passes, 1 a guardrail failed, 2 a usage or
configuration error, 3 an account could not be read (it wins over 1).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal

from ..core.errors import CannotJudgeError, CfBillingError, InternalError
from ..core.records import EMPTY, Record
from ..core.secrets import redact
from ..core.settings import Settings, choose_account
from ..core.values import DEFAULT_DAYS
from ..guardrails.checks import Facts
from ..guardrails.rules import GATEWAYS_ROUTE, INVOICE_ROUTE, Policy, Verdict, judge
from .accounts import AccountRef
from .fleet import DEFAULT_CONCURRENCY, for_each

if TYPE_CHECKING:  # the models load pydantic: a surface that only validates needs none of them
    from ..api.budget import Budget
    from ..api.gateways import Gateways
    from ..api.invoices import InvoicePreview
    from ..api.models import CreditBalance
    from ..api.tokens import TokenVerification
    from ..api.usage import UsageHistory
    from ..guardrails.ladders import Ladder, Standing
    from ..guardrails.runway import Runway
    from ..guardrails.stops import FirstStop
    from .cache import BalanceCache

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Ask",
    "Result",
    "Service",
    "UsageRead",
    "exit_code",
]

logger = logging.getLogger("pulumi_cfbilling")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_API_ERROR = 3


class Ask(Record):
    """What a surface wants of each account. The balance is always read."""

    policy: Policy | None = None
    """The guardrails to judge (a check); ``None`` when nothing is judged."""
    runway: bool = False
    """Forecast the runway even when no guardrail needs it (a guardrail that judges it reads it anyway)."""
    usage_days: int | None = None
    """Also read the spend of this many whole UTC days (``cfbilling usage``, ``getUsageHistory``)."""
    usage_window: Literal["day", "hour"] = "day"
    """The bucket size of that usage read: ``day`` or ``hour``."""
    ladders: tuple[Ladder, ...] = ()
    """Guardrails with several rungs (``cfbilling watch``): where the account stands on each, judged at the same
    moment as the verdict. Their most lenient rungs belong in ``policy`` (``ladders.first_rungs``)."""
    routes: frozenset[str] = frozenset()
    """Other routes to read and show (``gateways``, ``invoice-preview``; :data:`rules.ROUTES`) even when no
    guardrail needs them. With the gateways and the runway both read, the result says what stops first."""

    @property
    def needs_runway(self) -> bool:
        """Whether the usage history must be read to forecast the runway."""
        return self.runway or (self.policy is not None and self.policy.needs_usage)

    @property
    def needs(self) -> frozenset[str]:
        """Every route besides the balance to read: asked for, or judged by a guardrail (the usage aside)."""
        judged = self.policy.needs if self.policy is not None else frozenset()
        laddered = frozenset(route for ladder in self.ladders for route in ladder.guardrail.needs)
        return self.routes | judged | laddered


class UsageRead(Record):
    """A usage read: the buckets as sent, the bucket size and the range asked for."""

    history: UsageHistory
    window: str
    start: datetime
    end: datetime


class Result(Record):
    """What the service found for one account: what it read, the verdict, or the error that stopped it.

    A balance read before a later read failed (the usage history, say) is kept, for the report.
    """

    ref: AccountRef
    balance: CreditBalance | None = None
    verdict: Verdict | None = None
    runway: Runway | None = None
    usage: UsageRead | None = None
    error: CfBillingError | None = None
    runway_error: CfBillingError | None = None
    """Why a runway asked for only to be shown could not be read (the rest of the result stands)."""
    cached_age: float | None = None
    """Seconds the oldest answer used had spent in the shared answer cache (``--max-age``); ``None``: all live."""
    standings: Mapping[str, Standing] = EMPTY
    """Where the account stands on each of the ask's ladders, by rule id (``min-balance``)."""
    read_at: datetime | None = None
    """When the account was judged (UTC)."""
    gateways: Gateways | None = None
    """Every gateway of the account, when read (asked for, or judged by a guardrail)."""
    invoice: InvoicePreview | None = None
    """The open period's invoice, when read."""
    first_stop: FirstStop | None = None
    """What stops first (credits or a gateway's limit), when both the runway and the gateways were read."""

    @property
    def status(self) -> Literal["pass", "fail", "error"]:
        """``error`` when unread, ``fail`` when a guardrail failed, else ``pass``."""
        if self.error is not None:
            return "error"
        return "fail" if self.verdict is not None and not self.verdict.ok else "pass"

    def unwrap(self) -> Result:
        """The result itself, or its error raised: for the surfaces that read one account and fail as a whole."""
        if self.error is not None:
            raise self.error
        return self


def exit_code(results: Sequence[Result], *, advisory: bool = False) -> int:
    """3 if any account is unreadable, else 1 if any guardrail failed (unless advisory), else 0."""
    statuses = {result.status for result in results}
    if "error" in statuses:
        return EXIT_API_ERROR
    if "fail" in statuses and not advisory:
        return EXIT_FAILED
    return EXIT_OK


class Service:
    """Reads and judges accounts for one surface's settings; shares every read through its cache.

    ``cache`` is the run's (a Pulumi program's, a plugin's, a Terraform provider's); without one the service
    keeps its own for its lifetime (a CLI command). ``now`` pins the clock, for tests and for one run's reads.
    """

    def __init__(self, settings: Settings, cache: BalanceCache | None = None, *, now: datetime | None = None) -> None:
        if cache is None:
            from .cache import BalanceCache  # loaded with the client, on first use

            cache = BalanceCache()
            self._owned: BalanceCache | None = cache
        else:
            self._owned = None
        self.settings = settings
        self._cache = cache
        self._now = now

    def account(self, account_id: str | None) -> AccountRef:
        """``account_id`` validated, or the surface's configured account; the one message when there is neither."""
        return AccountRef(choose_account(self.settings, account_id, self.settings.surface))

    def read(self, ref: AccountRef | str | None, ask: Ask) -> Result:
        """Read and judge one account; every ``CfBillingError`` is the result's ``error``, never raised."""
        if not isinstance(ref, AccountRef):
            given = ref
            try:
                ref = self.account(given)
            except CfBillingError as error:
                return Result(AccountRef(given or ""), error=error)
        balance = None
        try:
            balance = self._cache.get(self.settings, ref.account_id)
            now = self._now or datetime.now(timezone.utc)
            usage = self._usage(ref, ask, now) if ask.usage_days is not None else None
            days = ask.usage_days or DEFAULT_DAYS
            policy = ask.policy or Policy()
            daily = self._daily(ref, usage, days)
            facts = self._facts(ref, ask.needs)
            runway_error = None
            try:
                verdict, runway = judge(
                    balance, policy, daily, now=now, runway=ask.needs_runway, days=days, facts=facts
                )
            except CfBillingError as error:
                # A runway only asked for to be shown (`balance --runway`, the charts of `check --runway`) is not
                # a guardrail: its failure is reported beside the balance. One a guardrail judges fails closed.
                if policy.needs_usage or ask.usage_days is not None or isinstance(error, CannotJudgeError):
                    raise
                verdict = judge(balance, policy, daily, now=now, days=days, facts=facts)[0]
                runway, runway_error = None, error
        except CfBillingError as error:
            return Result(ref, balance=balance, error=error)
        except Exception as unexpected:  # a bug of ours: it stays this account's error, never the run's
            logger.debug("unexpected failure reading %s:\n%s", ref.account_id, redact(traceback.format_exc()))
            return Result(ref, balance=balance, error=InternalError(ref.account_id, type(unexpected).__name__))
        age = self._age(ref, runway, usage, ask.needs)
        # The ladders by the same rule functions, at the same moment, on the same reads as the verdict.
        known = facts._replace(runway=runway)
        standings = {ladder.guardrail.rule: ladder.standing(balance, now, known) for ladder in ask.ladders}
        judged = verdict if ask.policy is not None else None
        stop = None
        if runway is not None and facts.gateways is not None:
            from ..guardrails.stops import first_stop

            stop = first_stop(balance.balance_usd, runway, facts.gateways, now)
        return Result(
            ref,
            balance,
            judged,
            runway,
            usage,
            runway_error=runway_error,
            cached_age=age,
            standings=standings,
            read_at=now,
            gateways=facts.gateways,
            invoice=facts.invoice,
            first_stop=stop,
        )

    def _facts(self, ref: AccountRef, needs: frozenset[str]) -> Facts:
        """The gateways and the invoice preview, each read only when asked for or judged."""
        gateways = self._cache.get_gateways(self.settings, ref.account_id) if GATEWAYS_ROUTE in needs else None
        invoice = self._cache.get_invoice_preview(self.settings, ref.account_id) if INVOICE_ROUTE in needs else None
        return Facts(gateways=gateways, invoice=invoice)

    def read_all(
        self,
        refs: Sequence[AccountRef],
        ask: Ask,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Result]:
        """Read and judge every account, ``concurrency`` at a time; results in input order, one per account."""
        return for_each(refs, lambda ref: self.read(ref, ask), concurrency=concurrency, progress=progress)

    def budget(self) -> Budget:
        """The request budget these settings send under (a display watches its waits)."""
        return self._cache.client(self.settings).budget

    def verify_token(self, account_id: str | None = None) -> TokenVerification:
        """Verify the API token (``cfbilling doctor``); raises the API's error."""
        return self._cache.client(self.settings).verify_token(account_id)

    def _age(
        self, ref: AccountRef, runway: Runway | None, usage: UsageRead | None, needs: frozenset[str]
    ) -> float | None:
        """The oldest cached answer among the routes read (``None`` when every one was live)."""
        iso = datetime.isoformat
        keys: list[tuple[str, ...]] = [("credit-balance", ref.account_id)]
        keys += [(route, ref.account_id) for route in sorted(needs & {GATEWAYS_ROUTE, INVOICE_ROUTE})]
        if runway is not None:
            keys.append(("usage-history", ref.account_id, "day", iso(runway.window_start), iso(runway.window_end)))
        if usage is not None:
            keys.append(("usage-history", ref.account_id, usage.window, iso(usage.start), iso(usage.end)))
        ages = [age for key in keys if (age := self._cache.age(self.settings, *key)) is not None]
        return max(ages, default=None)

    def _usage(self, ref: AccountRef, ask: Ask, now: datetime) -> UsageRead:
        from ..guardrails.runway import window

        start, end = window(now, ask.usage_days or DEFAULT_DAYS)
        history = self._cache.get_usage(self.settings, ref.account_id, start, end, ask.usage_window)
        # Only the buckets that start inside the range asked for: totals and tables count what was asked, whatever
        # else a server sends (today's partial bucket, a neighbouring day).
        inside = [bucket for bucket in history.history if start <= bucket.start < end]
        if len(inside) < len(history.history):
            logger.debug("usage of %s: %d bucket(s) outside the range left out", ref.account_id,
                         len(history.history) - len(inside))  # fmt: skip
            history = history.model_copy(update={"history": inside})
        return UsageRead(history, ask.usage_window, start, end)

    def _daily(
        self, ref: AccountRef, usage: UsageRead | None, days: int
    ) -> Callable[[datetime, datetime], UsageHistory]:
        """The daily spend the forecast reads: the usage read itself when it is daily, else a read of its own."""

        def read(start: datetime, end: datetime) -> UsageHistory:
            if usage is not None and usage.window == "day" and (usage.start, usage.end) == (start, end):
                return usage.history
            return self._cache.get_usage(self.settings, ref.account_id, start, end)

        return read

    def close(self) -> None:
        """Close the clients of a cache this service made itself (a run's cache is its owner's to clear)."""
        if self._owned is not None:
            self._owned.clear()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
