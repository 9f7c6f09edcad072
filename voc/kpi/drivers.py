"""Key drivers: which themes and journey cells move NPS or CSAT, and by how much.

The unit is a respondent, not an answer: a survey with two open questions gives two
records that share one score, and counting both would weigh that person twice. A
respondent belongs to a group (a theme, a stage x touchpoint cell) when any of their
segments does.

Two estimates per group, both in score points of the overall metric:

* **impact** (as Thematic defines it): how much the overall score would rise if the
  group's detractors had scored like everyone outside the group, on average. With
  `N` respondents, `d` of the group's detractors, a detractor's coded score `y_d` and
  the mean coded score `m_rest` outside the group: `impact = d / N * (m_rest - y_d)`.
  95% interval by a seeded bootstrap over respondents.
* **regression**: least squares of each respondent's coded score on all groups'
  indicators at once (so overlapping groups don't share credit twice), the group's
  coefficient times its share, sign flipped so positive means "drags the score down";
  95% interval from the coefficient's standard error.

Scores are coded so that their mean is the metric (`voc.kpi.scores.coded_scores`): NPS
promoter +100, passive 0, detractor -100; CSAT 100 for 4-5 (top-2-box), else 0. Groups
smaller than the minimum support get figures but no rank, so a group of three angry
people never tops the list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from voc.kpi.scores import Z95, coded_scores
from voc.pipeline.settings import DriversSettings

BOOTSTRAP_SAMPLES = 400
BOOTSTRAP_CHUNK = 50
RIDGE = 1e-3  # keeps the least-squares fit solvable when two groups always co-occur


@dataclass(frozen=True)
class DriverEstimate:
    group: str
    n: int
    share: float
    score_group: float | None
    score_rest: float | None
    impact: float
    impact_low: float | None
    impact_high: float | None
    regression_impact: float | None
    regression_low: float | None
    regression_high: float | None
    supported: bool
    rank: int | None


def _impact(coded: np.ndarray, detractor: np.ndarray, members: np.ndarray,
            weights: np.ndarray) -> np.ndarray:
    """Impact per group (columns of `members`) under respondent weights (rows: samples)."""
    detractor_score = float(coded[detractor].min()) if detractor.any() else 0.0
    total = weights.sum(axis=1, keepdims=True)  # (B, 1)
    outside = weights @ (1.0 - members)  # (B, G)
    outside_sum = weights @ ((1.0 - members) * coded[:, None])
    rest_mean = np.divide(outside_sum, outside, out=np.full_like(outside_sum, np.nan),
                          where=outside > 0)
    group_detractors = weights @ (members * detractor[:, None])
    impact = group_detractors / total * (rest_mean - detractor_score)
    return np.where(group_detractors > 0, impact, 0.0)


def _regression(coded: np.ndarray, members: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray] | None:
    n, groups = members.shape
    if n <= groups + 1:
        return None
    design = np.hstack([np.ones((n, 1)), members])
    gram = design.T @ design + RIDGE * np.eye(groups + 1)
    inverse = np.linalg.inv(gram)
    beta = inverse @ design.T @ coded
    residual = coded - design @ beta
    sigma2 = float(residual @ residual) / (n - groups - 1)
    se = np.sqrt(np.maximum(np.diag(inverse) * sigma2, 0.0))
    return beta[1:], se[1:]


def key_drivers(values: Sequence[float],
                memberships: Mapping[str, Sequence[bool] | np.ndarray],
                metric: str = "nps",
                min_support: int = DriversSettings.model_fields["min_support"].default,
                seed: int = 0
                ) -> list[DriverEstimate]:
    """Drivers of `metric` for each group; `memberships[g][i]`: respondent i is in g.

    `values` are the raw scores of the respondents that have one (0-10 NPS, 1-5 CSAT).
    Returns one estimate per group, ranked (1 = biggest impact) among supported groups.
    """
    names = list(memberships)
    n = len(values)
    if n == 0 or not names:
        return []
    coded, detractor = coded_scores(metric, values)
    members = np.array([np.asarray(memberships[g], dtype=float) for g in names]).T
    if members.shape != (n, len(names)):
        raise ValueError("every membership list needs one flag per scored respondent")
    sizes = members.sum(axis=0).astype(int)
    impact = _impact(coded, detractor, members, np.ones((1, n)))[0]
    rng = np.random.default_rng(seed)
    # Resampling weights a chunk at a time: all 400 x 100k respondents at once took
    # 0.6 GB (the same random stream either way).
    boot = np.vstack([
        _impact(coded, detractor, members,
                rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(float))
        for size in _chunk_sizes(BOOTSTRAP_SAMPLES, BOOTSTRAP_CHUNK)])
    low = np.nanpercentile(boot, 2.5, axis=0)
    high = np.nanpercentile(boot, 97.5, axis=0)
    supported = sizes >= min_support
    regression: dict[str, tuple[float, float, float]] = {}
    fit_columns = [i for i in range(len(names)) if supported[i]]
    if fit_columns:
        fitted = _regression(coded, members[:, fit_columns])
        if fitted is not None:
            for (beta, se), column in zip(zip(*fitted, strict=True), fit_columns, strict=True):
                share = sizes[column] / n
                regression[names[column]] = (-beta * share, -(beta + Z95 * se) * share,
                                             -(beta - Z95 * se) * share)
    order = sorted((i for i in range(len(names)) if supported[i]), key=lambda i: -impact[i])
    ranks = {i: rank for rank, i in enumerate(order, start=1)}
    estimates = []
    for i, name in enumerate(names):
        inside = members[:, i] > 0
        reg = regression.get(name)
        estimates.append(DriverEstimate(
            group=name,
            n=int(sizes[i]),
            share=round(float(sizes[i]) / n, 4),
            score_group=_mean(coded[inside]),
            score_rest=_mean(coded[~inside]),
            impact=round(float(impact[i]), 3),
            impact_low=_rounded(low[i]),
            impact_high=_rounded(high[i]),
            regression_impact=_rounded(reg[0]) if reg else None,
            regression_low=_rounded(reg[1]) if reg else None,
            regression_high=_rounded(reg[2]) if reg else None,
            supported=bool(supported[i]),
            rank=ranks.get(i),
        ))
    return estimates


def _chunk_sizes(total: int, chunk: int) -> list[int]:
    return [min(chunk, total - start) for start in range(0, total, chunk)]


def _mean(values: np.ndarray) -> float | None:
    return round(float(values.mean()), 2) if len(values) else None


def _rounded(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, 3)
