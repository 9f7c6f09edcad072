"""KPIs against values computed by hand."""

from __future__ import annotations

import math

import pytest

from voc.kpi.scores import ces, csat, nps


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
