"""The one definition of a reporting period and of "rising" or "falling" across periods.

The kpis stage (NPS per period), the themes stage (each theme's share per period and its
latest-period test) and the report (sentiment per period) all place a row in a period
with these functions, over the same grid: every record with a date. A grid drawn from
analysed records only could differ from the one kpis.json uses (an unanalysed answer with
a score and a date still counts in NPS), and the report's rows would not line up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voc.kpi.scores import Z95, two_proportion_z

# Weeks for data spanning under 13 weeks, else months: enough points either way.
WEEKLY_SPAN_DAYS = 91


def parse_date(value: Any) -> dt.date | None:
    """A record's `date` (ISO, as the reader writes it) as a date; None when absent."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def period_unit(dates: Iterable[dt.date]) -> str:
    known = sorted(dates)
    if not known:
        return "month"
    return "week" if (known[-1] - known[0]).days < WEEKLY_SPAN_DAYS else "month"


def period_of(date: dt.date, unit: str) -> str:
    if unit == "week":
        year, week, _ = date.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{date:%Y-%m}"


@dataclass(frozen=True)
class PeriodGrid:
    """The run's periods in time order and the period of each dated record (row id)."""

    unit: str
    periods: list[str]
    of_row: dict[int, str]


def period_grid(records: Iterable[Mapping[str, Any]]) -> PeriodGrid:
    """The grid over every record with a date (its own answer row's date)."""
    dates = {int(r["row_id"]): d for r in records if (d := parse_date(r.get("date")))}
    unit = period_unit(dates.values())
    of_row = {row_id: period_of(date, unit) for row_id, date in dates.items()}
    return PeriodGrid(unit, sorted(set(of_row.values())), of_row)


def latest_change(counts: Mapping[str, int], totals: Mapping[str, int],
                  periods: Sequence[str]) -> tuple[float, float | None]:
    """The latest period's share (counts / totals) against all earlier periods together:
    the change as a fraction (0.05 = 5 points) and its two-proportion z statistic (None:
    fewer than two periods, or too few to test)."""
    if len(periods) < 2:
        return 0.0, None
    recent, before = periods[-1], periods[:-1]
    x_recent, n_recent = counts.get(recent, 0), totals.get(recent, 0)
    x_before = sum(counts.get(p, 0) for p in before)
    n_before = sum(totals.get(p, 0) for p in before)
    if not n_recent or not n_before:
        return 0.0, None
    return (x_recent / n_recent - x_before / n_before,
            two_proportion_z(x_recent, n_recent, x_before, n_before))


def direction(z: float | None, change: float) -> str:
    """rising / falling when the change is unlikely to be chance (|z| > 1.96), else stable."""
    if z is None:
        return "not enough data"
    if abs(z) <= Z95:
        return "stable"
    return "rising" if change > 0 else "falling"
