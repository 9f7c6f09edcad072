"""NPS, CSAT and CES with 95% confidence intervals.

* NPS: share of promoters (9-10) minus share of detractors (0-6), in points (-100..100).
  Its standard error treats each answer as +1/0/-1: var = pP + pD - (pP - pD)^2.
* CSAT: top-2-box share (4 or 5 on a 1-5 scale), in percent, with a Wilson interval,
  which stays inside 0..100 for small groups unlike the normal approximation.
* CES: mean effort on a 1-7 scale (higher = harder) with a Student-t interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

Z95 = 1.959963984540054
PROMOTER_MIN = 9  # NPS 9-10
DETRACTOR_MAX = 6  # NPS 0-6


def respondent_key(record: Mapping[str, Any]) -> tuple[Any, Any]:
    """Who answered: one input row (a survey response, a review, a ticket), whatever the
    number of questions it holds. Every count of customers and every NPS uses this: a
    two-question survey repeats its score on both answers, and counting answers would
    count its respondent twice. Ids are not keys: an export may repeat one for two
    different responses."""
    return (record.get("source"), record.get("source_row", record.get("row_id")))


def nps_counts(scores: Iterable[float | None]) -> tuple[int, int, int]:
    """(answers with a score, promoters, detractors)."""
    values = _present(scores)
    return (len(values), sum(v >= PROMOTER_MIN for v in values),
            sum(v <= DETRACTOR_MAX for v in values))


@dataclass(frozen=True)
class Kpi:
    name: str
    value: float | None
    low: float | None
    high: float | None
    n: int

    def as_dict(self) -> dict[str, float | int | str | None]:
        return asdict(self)


def _present(values: Iterable[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(v)]


def nps(scores: Iterable[float | None]) -> Kpi:
    n, promoter_count, detractor_count = nps_counts(scores)
    if not n:
        return Kpi("nps", None, None, None, 0)
    promoters = promoter_count / n
    detractors = detractor_count / n
    value = promoters - detractors
    variance = promoters + detractors - value**2
    margin = Z95 * math.sqrt(variance / n) if n > 1 else float("nan")
    return Kpi("nps", round(100 * value, 2), round(100 * max(value - margin, -1), 2),
               round(100 * min(value + margin, 1), 2), n)


def csat(scores: Iterable[float | None]) -> Kpi:
    values = _present(scores)
    n = len(values)
    if not n:
        return Kpi("csat", None, None, None, 0)
    share = sum(v >= 4 for v in values) / n
    centre = (share + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(share * (1 - share) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    return Kpi("csat", round(100 * share, 2), round(100 * (centre - half), 2),
               round(100 * (centre + half), 2), n)


def ces(scores: Iterable[float | None]) -> Kpi:
    values = _present(scores)
    n = len(values)
    if not n:
        return Kpi("ces", None, None, None, 0)
    mean = sum(values) / n
    if n < 2:
        return Kpi("ces", round(mean, 3), None, None, n)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    margin = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return Kpi("ces", round(mean, 3), round(mean - margin, 3), round(mean + margin, 3), n)


KPI_FUNCTIONS = {"nps": nps, "csat": csat, "ces": ces}
