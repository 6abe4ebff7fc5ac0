"""The accounts as Prometheus metrics (``cfbilling metrics``, ``cfbilling exporter``), in the text format.

One table, :data:`METRICS`, names every metric, its help and how it is read from a :class:`~.reader.Result`;
the Grafana dashboard in ``examples/grafana`` queries exactly these names (a test keeps them equal). Names follow
Prometheus' conventions as ``promtool check metrics`` enforces them: a ``cfbilling_`` prefix, the unit last, in
base units (``_usd``, ``_seconds``, ``_timestamp_seconds``: a runway is seconds, not days), 0/1 gauges for
yes/no. Every series has the labels ``account_id`` and ``label`` (the accounts file's label, or empty). A value
that is unknown (the account could not be read; no runway without spend) is left out, never written as 0: an
alert on ``cfbilling_runway_seconds < 7 * 86400`` must not fire for an account that spends nothing. The text is
made by ``prometheus_client`` (loaded only here), which escapes label values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..core.text import neutralize
from .reader import Result

__all__ = ["METRICS", "Metric", "render"]


@dataclass(frozen=True)
class Metric:
    """One gauge: its name, its help text, and its value for a result (``None``: no sample)."""

    name: str
    help: str
    value: Callable[[Result], float | None]


def _balance(read: Callable[[Any], Any]) -> Callable[[Result], float | None]:
    def value(result: Result) -> float | None:
        found = read(result.balance) if result.balance is not None and result.error is None else None
        return None if found is None else float(found)

    return value


def _runway(read: Callable[[Any], Any]) -> Callable[[Result], float | None]:
    def value(result: Result) -> float | None:
        found = read(result.runway) if result.runway is not None and result.error is None else None
        return None if found is None else float(found)

    return value


def _days(days: Decimal | None) -> float | None:
    # Prometheus' base unit of time is the second (promtool refuses a _days metric); dashboards show it in days.
    return None if days is None else float(days) * 86400


def _timestamp(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _read_at(result: Result) -> float | None:
    if result.read_at is None or result.error is not None:
        return None
    # An answer from the shared cache (--max-age) was read when it was stored, not now.
    return result.read_at.timestamp() - (result.cached_age or 0.0)


METRICS: tuple[Metric, ...] = (
    Metric("cfbilling_up", "1 when the account's last read succeeded, 0 when it failed.",
           lambda result: 0.0 if result.error is not None else 1.0),
    Metric("cfbilling_balance_usd", "AI Gateway credit balance, US dollars (may be negative).",
           _balance(lambda b: b.balance_usd)),
    Metric("cfbilling_runway_seconds", "Time until the credits run out at the last 7 days' rate of spend, seconds "
           "(86400 a day); absent when nothing is spent.", _runway(lambda r: _days(r.runway_days))),
    Metric("cfbilling_burn_usd_per_day", "Spend per day over the last 7 whole UTC days, US dollars.",
           _runway(lambda r: r.burn_usd_per_day)),
    Metric("cfbilling_projected_empty_timestamp_seconds", "When the credits run out at that rate, unix time; "
           "absent when nothing is spent.", _runway(lambda r: _timestamp(r.projected_empty_at))),
    Metric("cfbilling_auto_topup_enabled", "1 when automatic top-up is on, else 0.",
           _balance(lambda b: int(b.auto_topup_enabled))),
    Metric("cfbilling_topup_threshold_usd", "Balance below which automatic top-up buys credits, US dollars; absent "
           "when not set.", _balance(lambda b: b.topup_threshold_usd)),
    Metric("cfbilling_topup_amount_usd", "Credits each automatic top-up buys, US dollars; absent when not set.",
           _balance(lambda b: b.topup_amount_usd)),
    Metric("cfbilling_default_payment_method", "1 when a default payment method is on file, else 0.",
           _balance(lambda b: int(b.has_default_payment_method))),
    Metric("cfbilling_topup_last_failed_timestamp_seconds", "When the last automatic top-up failed, unix time; "
           "absent when none did.", _balance(lambda b: _timestamp(b.topup_last_failed_at))),
    Metric("cfbilling_last_read_timestamp_seconds", "When the account was read, unix time.", _read_at),
)  # fmt: skip
"""Every metric, in the order they are written. The one place to add one."""


def render(results: Sequence[Result]) -> bytes:
    """The Prometheus text exposition of ``results`` (one series per metric and account)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    class _Snapshot:
        def collect(self) -> Any:
            for metric in METRICS:
                family = GaugeMetricFamily(metric.name, metric.help, labels=["account_id", "label"])
                for result in results:
                    value = metric.value(result)
                    if value is not None:
                        label = neutralize(result.ref.label, 200) if result.ref.label else ""
                        family.add_metric([result.ref.account_id, label], value)
                yield family

        def describe(self) -> Any:
            return []  # collected on demand only: the registry must not collect at registration

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot())
    data: bytes = generate_latest(registry)
    return data
