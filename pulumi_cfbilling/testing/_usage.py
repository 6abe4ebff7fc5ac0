"""The emulator's usage-history route: spend per day or hour, from a per-account series relative to ``now``.

An account's ``usage`` in a fixture::

    "usage": {"daily_cents": [310, 295, 330], "today_cents": 120}

``daily_cents`` are the whole UTC days before today, oldest first (the last one is yesterday); ``today_cents`` is
today's partial bucket (default 0, left out when 0). With ``value_grouping_window=hour`` each day is spread over
its 24 hours (today's over the hours begun so far). Buckets are answered when they start within
``[start_time, end_time)``; without bounds, the 30 days before ``now``, as we do not know the API's default. A
missing or unknown ``value_grouping_window``, or a bound that is not a number of milliseconds, is a 400 with
Cloudflare's envelope (code 10001, our choice: the real code for it is not documented).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from ._answers import Answer, error

__all__ = ["check_usage", "usage_result", "utc_now"]

_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_DEFAULT_RANGE_MS = 30 * _DAY_MS


def check_usage(spec: Any) -> str | None:
    """What is wrong with a fixture's ``usage`` spec, or ``None``."""
    if not isinstance(spec, dict) or set(spec) - {"daily_cents", "today_cents"}:
        return 'must be {"daily_cents": [numbers, oldest first], "today_cents": number}'
    daily, today = spec.get("daily_cents", []), spec.get("today_cents", 0)
    numbers = [*daily, today] if isinstance(daily, list) else [None]
    if any(isinstance(n, bool) or not isinstance(n, (int, float)) for n in numbers):
        return "daily_cents must be a list of numbers and today_cents a number"
    return None


def _buckets(spec: Mapping[str, Any], now: datetime, window: str) -> list[tuple[int, int, float]]:
    """Every bucket of the series as (start ms, end ms, cents), oldest first."""
    midnight = int(now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()) * 1000
    daily = list(spec.get("daily_cents", []))
    days = [(midnight - (len(daily) - i) * _DAY_MS, value) for i, value in enumerate(daily)]
    today = spec.get("today_cents", 0)
    now_ms = int(now.timestamp() * 1000)
    if window == "day":
        found = [(start, start + _DAY_MS, float(value)) for start, value in days]
        return [*found, (midnight, midnight + _DAY_MS, float(today))] if today else found
    hours = [(start + h * _HOUR_MS, value / 24) for start, value in days for h in range(24)]
    begun = max(1, -(-(now_ms - midnight) // _HOUR_MS))  # hours of today begun so far
    if today:
        hours += [(midnight + h * _HOUR_MS, today / begun) for h in range(begun)]
    return [(start, start + _HOUR_MS, float(value)) for start, value in hours]


def usage_result(
    spec: Mapping[str, Any] | None, now: datetime, query: str, account_id: str
) -> tuple[dict[str, Any] | None, Answer | None]:
    """The healthy ``result`` for this query, or the 400 a bad query gets."""
    params = parse_qs(query, keep_blank_values=True)
    window = (params.get("value_grouping_window") or [""])[-1]
    if window not in ("day", "hour"):
        return None, error(400, 10001, "value_grouping_window must be one of: day, hour")
    now_ms = int(now.timestamp() * 1000)
    bounds = []
    for name, default in (("start_time", now_ms - _DEFAULT_RANGE_MS), ("end_time", now_ms)):
        raw = (params.get(name) or [""])[-1]
        if raw == "":
            bounds.append(default)
            continue
        try:
            bounds.append(int(float(raw)))
        except (ValueError, OverflowError):
            return None, error(400, 10001, f"{name} must be a unix time in milliseconds")
    start, end = bounds
    history = [
        {"id": f"{account_id[:8]}-{window}-{first}", "aggregated_value": cents, "start_time": first, "end_time": last}
        for first, last, cents in _buckets(spec or {}, now, window)
        if start <= first < end
    ]
    return {"history": history}, None


def utc_now() -> datetime:
    """The emulator's default clock."""
    return datetime.now(timezone.utc)
