"""The one definition of each metric: who a respondent is, how NPS, CSAT and CES scores
are coded, their 95% intervals, and the significance tests run on them. Every stage
(kpi, drivers, alerts, report) imports these instead of writing its own, so a threshold
or a variance formula cannot drift between two outputs of one run.

* NPS: share of promoters (9-10) minus share of detractors (0-6), in points (-100..100).
  Its standard error treats each answer as +1/0/-1: var = pP + pD - (pP - pD)^2.
* CSAT: top-2-box share (4 or 5 on a 1-5 scale), in percent, with a Wilson interval,
  which stays inside 0..100 for small groups unlike the normal approximation.
* CES: mean effort on a 1-7 scale (higher = harder) with a Student-t interval.
* Tests: the two-proportion z-test (pooled), the z-test on a difference of two NPS
  values, Welch's t-test from running sums, and Benjamini-Hochberg q-values (SciPy's
  `false_discovery_control`, not a hand-written copy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

# stats.norm.ppf(0.975), written out so that importing this module computes nothing.
Z95 = 1.959963984540054
PROMOTER_MIN = 9  # NPS 9-10
DETRACTOR_MAX = 6  # NPS 0-6
CSAT_SATISFIED_MIN = 4  # CSAT 4-5 on 1-5: top-2-box
CSAT_DISSATISFIED_MAX = 3  # CSAT 1-3: the "detractors" whose lift the drivers measure


def respondent_key(record: Mapping[str, Any]) -> tuple[Any, Any]:
    """Who answered: one input row (a survey response, a review, a ticket), whatever the
    number of questions it holds. Every count of customers and every NPS uses this: a
    two-question survey repeats its score on both answers, and counting answers would
    count its respondent twice. Ids are not keys: an export may repeat one for two
    different responses."""
    return (record.get("source"), record.get("source_row", record.get("row_id")))


def per_respondent(records: Iterable[Mapping[str, Any]],
                   value: str | Callable[[Mapping[str, Any]], Any]
                   ) -> dict[tuple[Any, Any], Any]:
    """Each respondent's value of a record field (or of `value(record)`), taken from
    their first record, as the kpis stage takes it: their answers repeat it, and one rule
    keeps kpis.json, changes.json and the report from picking different answers' values
    when an export does not repeat it faithfully."""
    of = (lambda record: record.get(value)) if isinstance(value, str) else value
    values: dict[tuple[Any, Any], Any] = {}
    for record in records:
        key = respondent_key(record)
        if key not in values:
            values[key] = of(record)
    return values


def nps_counts(scores: Iterable[float | None]) -> tuple[int, int, int]:
    """(answers with a score, promoters, detractors)."""
    values = _present(scores)
    return (len(values), sum(v >= PROMOTER_MIN for v in values),
            sum(v <= DETRACTOR_MAX for v in values))


def coded_scores(metric: str, values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Per-respondent coded score (its mean is the metric) and detractor flags: NPS
    promoter +100, passive 0, detractor -100; CSAT 100 for top-2-box, else 0."""
    raw = np.asarray(values, dtype=float)
    if metric == "nps":
        coded = np.where(raw >= PROMOTER_MIN, 100.0, np.where(raw <= DETRACTOR_MAX, -100.0, 0.0))
        return coded, raw <= DETRACTOR_MAX
    if metric == "csat":
        return np.where(raw >= CSAT_SATISFIED_MIN, 100.0, 0.0), raw <= CSAT_DISSATISFIED_MAX
    raise ValueError(f"drivers are computed for nps or csat, not {metric!r}")


def nps_estimate(n: int, promoters: int, detractors: int) -> tuple[float, float]:
    """NPS as a fraction (-1..1) and the variance of one respondent's score coded +1/0/-1
    (`n` > 0): var = pP + pD - (pP - pD)^2."""
    promoter_share, detractor_share = promoters / n, detractors / n
    value = promoter_share - detractor_share
    return value, promoter_share + detractor_share - value**2


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
    value, variance = nps_estimate(n, promoter_count, detractor_count)
    margin = Z95 * math.sqrt(variance / n) if n > 1 else float("nan")
    return Kpi("nps", round(100 * value, 2), round(100 * max(value - margin, -1), 2),
               round(100 * min(value + margin, 1), 2), n)


def csat(scores: Iterable[float | None]) -> Kpi:
    values = _present(scores)
    n = len(values)
    if not n:
        return Kpi("csat", None, None, None, 0)
    share = sum(v >= CSAT_SATISFIED_MIN for v in values) / n
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


def two_proportion_z(x1: int, n1: int, x0: int, n0: int) -> float | None:
    """z statistic (pooled variance) of the share x1/n1 against x0/n0; None when either
    group is empty or the pooled share is 0 or 1 (no variance to test against)."""
    if not n1 or not n0:
        return None
    pooled = (x1 + x0) / (n1 + n0)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    return (x1 / n1 - x0 / n0) / math.sqrt(variance) if variance > 0 else None


def proportion_growth_p(x1: int, n1: int, x0: int, n0: int) -> float | None:
    """One-sided p that the share x1/n1 is larger than x0/n0 only by chance."""
    z = two_proportion_z(x1, n1, x0, n0)
    return None if z is None else float(stats.norm.sf(z))


def nps_difference_p(now: tuple[int, int, int], before: tuple[int, int, int]
                     ) -> float | None:
    """Two-sided p of the difference between two NPS values, each given as
    (respondents, promoters, detractors) of independent groups: a z-test with each
    respondent scoring +1/0/-1. When neither group varies the difference is certain
    (p = 0) unless there is none (None: nothing to test)."""
    (value_now, variance_now), (value_before, variance_before) = (
        nps_estimate(*now), nps_estimate(*before))
    variance = variance_now / now[0] + variance_before / before[0]
    if variance == 0:
        return None if value_now == value_before else 0.0
    z = (value_now - value_before) / math.sqrt(variance)
    return float(2 * stats.norm.sf(abs(z)))


def mean_difference_p(now: tuple[int, float, float], before: tuple[int, float, float]
                      ) -> float | None:
    """Two-sided p of Welch's t-test between two means, each group given as running
    (n, sum, sum of squares) with n >= 2, so that stored aggregates suffice. Two constant
    groups differ for certain (p = 0) unless their means are equal (None)."""
    means, sds = [], []
    for n, total, squares in (now, before):
        mean = total / n
        variance = max(squares / n - mean ** 2, 0.0) * n / (n - 1)
        means.append(mean)
        sds.append(math.sqrt(variance))
    if sds[0] == 0 and sds[1] == 0:
        return None if means[0] == means[1] else 0.0
    result = stats.ttest_ind_from_stats(means[0], sds[0], now[0], means[1], sds[1], before[0],
                                        equal_var=False)
    return float(result.pvalue)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """q-values: the false discovery rate at which each test would be called significant."""
    return [float(q) for q in stats.false_discovery_control(np.asarray(p_values, dtype=float),
                                                            method="bh")]
