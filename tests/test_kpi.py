"""KPIs against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from voc.kpi.scores import (
    benjamini_hochberg,
    ces,
    coded_scores,
    csat,
    mean_difference_p,
    nps,
    nps_difference_p,
    nps_estimate,
    proportion_growth_p,
    two_proportion_z,
)


def test_nps_hand_computed() -> None:
    # 4 promoters, 3 passives, 3 detractors out of 10: NPS = 40 - 30 = 10.
    kpi = nps([10, 9, 9, 10, 7, 8, 7, 0, 6, 3])
    assert kpi.value == 10.0
    assert kpi.n == 10
    # answers as +1/0/-1: mean 0.1, population variance 0.7 - 0.01 = 0.69
    margin = 1.959963984540054 * math.sqrt(0.69 / 10)
    assert kpi.low == pytest.approx(100 * (0.1 - margin), abs=0.01)
    assert kpi.high == pytest.approx(100 * (0.1 + margin), abs=0.01)


def test_nps_ignores_missing_and_handles_empty() -> None:
    assert nps([None, 10, float("nan")]).n == 1
    assert nps([]).value is None


def test_csat_top_two_box_with_wilson_interval() -> None:
    kpi = csat([5, 4, 3, 1, 5])
    assert kpi.value == 60.0
    # Wilson 95% interval for 3/5
    assert kpi.low == pytest.approx(23.07, abs=0.01)
    assert kpi.high == pytest.approx(88.24, abs=0.01)


def test_ces_mean_with_t_interval() -> None:
    kpi = ces([2, 4, 6])
    assert kpi.value == 4.0
    # sd = 2, t(0.975, 2) = 4.302653, margin = 4.302653 * 2 / sqrt(3)
    assert kpi.low == pytest.approx(4 - 4.968275, abs=0.001)
    assert kpi.high == pytest.approx(4 + 4.968275, abs=0.001)
    assert ces([5]).low is None


def test_csat_coding_matches_the_kpi() -> None:
    # The drivers' coding and the KPI share one threshold: the coded mean is the CSAT.
    values = [5, 4, 3, 1, 5]
    coded, dissatisfied = coded_scores("csat", values)
    assert coded.tolist() == [100, 100, 0, 0, 100]
    assert dissatisfied.tolist() == [False, False, True, True, False]
    assert coded.mean() == csat(values).value
    assert coded_scores("nps", [10, 9, 9, 10, 7, 8, 7, 0, 6, 3])[0].mean() == 10.0


def test_nps_estimate_is_the_mean_and_variance_of_plus_one_zero_minus_one() -> None:
    value, variance = nps_estimate(10, 4, 3)
    coded = np.array([1] * 4 + [0] * 3 + [-1] * 3)
    assert value == pytest.approx(coded.mean()) and variance == pytest.approx(coded.var())


def test_two_proportion_z_hand_computed() -> None:
    # 30/100 against 10/100: pooled 0.2, z = 0.2 / sqrt(0.2 * 0.8 * 2 / 100)
    z = two_proportion_z(30, 100, 10, 100)
    assert z == pytest.approx(0.2 / math.sqrt(0.2 * 0.8 * 0.02), rel=1e-12)
    assert proportion_growth_p(30, 100, 10, 100) == pytest.approx(
        0.5 * math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert two_proportion_z(0, 100, 0, 50) is None  # no variance to test against
    assert two_proportion_z(3, 0, 1, 10) is None


def test_nps_difference_p_hand_computed() -> None:
    # NPS -30 (20 P, 50 D of 100) against 40 (50 P, 10 D of 100).
    variance = (0.7 - 0.3 ** 2) / 100 + (0.6 - 0.4 ** 2) / 100
    expected = math.erfc(0.7 / math.sqrt(variance) / math.sqrt(2))
    assert nps_difference_p((100, 20, 50), (100, 50, 10)) == pytest.approx(expected, rel=1e-9)
    assert nps_difference_p((10, 10, 0), (20, 20, 0)) is None  # unanimous and equal
    assert nps_difference_p((10, 10, 0), (20, 0, 20)) == 0.0


def test_mean_difference_p_from_sums_is_welch() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.1, 0.3, 40), rng.normal(-0.2, 0.6, 25)
    sums = [(len(x), float(x.sum()), float((x * x).sum())) for x in (a, b)]
    assert mean_difference_p(*sums) == pytest.approx(
        stats.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-6)
    assert mean_difference_p((3, 3.0, 3.0), (4, 4.0, 4.0)) is None
    assert mean_difference_p((3, 3.0, 3.0), (4, 0.0, 0.0)) == 0.0


def _hand_written_bh(p_values: list[float]) -> list[float]:
    """The step-up procedure voc used before SciPy's, kept to check the two agree."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    q = [0.0] * len(p_values)
    running = 1.0
    for rank in range(len(order), 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * len(p_values) / rank)
        q[index] = running
    return q


@pytest.mark.parametrize("p_values", [
    [0.01, 0.04, 0.03, 0.005],
    [0.5],
    [],
    [0.2, 0.2, 0.01, 0.9, 1.0],  # ties and a p of 1
    [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216],
])
def test_benjamini_hochberg_via_scipy_equals_the_hand_written_step_up(
        p_values: list[float]) -> None:
    assert benjamini_hochberg(p_values) == pytest.approx(_hand_written_bh(p_values),
                                                         rel=1e-12)
    assert all(isinstance(q, float) for q in benjamini_hochberg(p_values))


def test_every_stage_takes_a_respondents_score_from_the_same_answer() -> None:
    """kpis.json and changes.json count one respondent once and read their score by one
    rule (their first answer), even when an export does not repeat it; the report shows
    kpis.json's figures and computes none."""
    from voc.alerts.changes import run_groups
    from voc.kpi.component import kpi_document, respondents
    from voc.kpi.scores import per_respondent
    from voc.pipeline.base import RunState

    records, segments = [], []
    # Person 0 answers two questions; the export left the score on the first one only.
    for person, scores in enumerate([(3, None), (10, 10), (9,), (6,)]):
        for question, score in enumerate(scores):
            row_id = len(records)
            records.append({"row_id": row_id, "source": "s.csv", "source_row": person + 2,
                            "question": f"q{question}", "nps": score, "csat": None,
                            "ces": None, "status": "ok"})
            segments.append({"row_id": row_id, "segment_id": f"{row_id}-0"})
    assert per_respondent(records, "nps") == {("s.csv", 2): 3, ("s.csv", 3): 10,
                                              ("s.csv", 4): 9, ("s.csv", 5): 6}
    people, _ = respondents(records, segments)
    from_kpis = kpi_document(people, {}, 1)["overall"]["nps"]
    overall = next(g for g in run_groups(RunState(records=records, segments=segments))
                   if g["dimension"] == "overall")
    assert (from_kpis["n"], from_kpis["value"]) == (4, 0.0)  # 2 promoters, 2 detractors
    assert (overall["nps_n"], overall["promoters"], overall["detractors"]) == (4, 2, 2)
