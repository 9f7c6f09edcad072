"""Emotion decisions under class-mix shift (voc.heads.priors), on hand-built numbers."""

from __future__ import annotations

import numpy as np
import pytest

from voc.heads.priors import (
    PriorCorrection,
    class_mixes,
    macro_f1_under,
    reweighting,
    shift_report,
)


def test_reweighting_turns_the_class_mix_into_the_target() -> None:
    gold = np.array([0, 0, 0, 1, 2, 2])
    target = np.array([0.2, 0.5, 0.3])
    weights = reweighting(gold, target)
    mix = np.bincount(gold, weights=weights, minlength=3)
    np.testing.assert_allclose(mix / mix.sum(), target)


def test_class_mixes_start_with_own_and_uniform_and_skip_absent_classes() -> None:
    gold = np.array([0, 0, 0, 2])
    mixes = class_mixes(gold, 3, draws=5, seed=1)
    np.testing.assert_allclose(mixes[0], [0.75, 0.0, 0.25])
    np.testing.assert_allclose(mixes[1], [0.5, 0.0, 0.5])
    assert len(mixes) == 7
    for mix in mixes[2:]:
        assert mix[1] == 0 and mix.sum() == pytest.approx(1.0) and mix.min() >= 0


def test_macro_f1_under_a_mix_weighs_rows_by_class() -> None:
    gold = np.array([0, 0, 0, 1])
    predicted = np.array([0, 0, 1, 1])
    # As is: class 0 P=1 R=2/3 F1=0.8; class 1 P=0.5 R=1 F1=2/3.
    assert macro_f1_under(predicted, gold, np.array([0.75, 0.25])) == pytest.approx(
        (0.8 + 2 / 3) / 2)
    # Uniform: class-0 rows weigh 2/3 each, class-1 row weighs 2: class 1 P = 2/(2+2/3).
    p1 = 2 / (2 + 2 / 3)
    f1_1 = 2 * p1 / (p1 + 1)
    assert macro_f1_under(predicted, gold, np.array([0.5, 0.5])) == pytest.approx(
        (0.8 + f1_1) / 2)


def _biased_model(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A model trained on a 80/20 mix: its probabilities lean to class 0 by a factor 4."""
    rng = np.random.default_rng(seed)
    gold = (rng.random(n) < 0.2).astype(int)
    evidence = rng.normal(np.where(gold == 1, 1.0, -1.0), 1.0)
    likelihood = np.stack([np.exp(-evidence), np.exp(evidence)], axis=1)
    probs = likelihood * np.array([0.8, 0.2])
    return probs / probs.sum(axis=1, keepdims=True), gold


def test_correction_chosen_for_shift_helps_the_shifted_mix() -> None:
    probs, gold = _biased_model(4000, seed=3)
    groups = np.array(["latin"] * len(gold))
    correction = PriorCorrection(seed=3).fit(probs, gold, groups)
    assert correction.alpha_["latin"] > 0
    assert set(correction.search_["latin"]) == {"0.0", "0.25", "0.5", "0.75", "1.0"}
    fresh_probs, fresh_gold = _biased_model(4000, seed=4)
    corrected = correction.transform(fresh_probs, groups)
    np.testing.assert_allclose(corrected.sum(axis=1), 1.0, rtol=1e-6)
    before = shift_report(fresh_probs, fresh_gold)
    after = shift_report(corrected, fresh_gold)
    assert after["uniform"] > before["uniform"]
    assert after["shifted_mean"] > before["shifted_mean"]


def test_an_unbiased_model_keeps_its_decisions() -> None:
    # Balanced classes, probabilities already centred: any correction can only tie or hurt,
    # and a tie keeps the model as trained.
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]] * 50)
    gold = np.array([0, 1, 0, 1] * 50)
    correction = PriorCorrection().fit(probs, gold, np.array(["persian"] * len(gold)))
    assert correction.alpha_ == {"persian": 0.0}


def test_transform_skips_unlabelled_rows_and_unseen_groups_and_round_trips() -> None:
    probs, gold = _biased_model(2000, seed=5)
    groups = np.array(["latin"] * len(gold))
    gold_with_gaps = gold.copy()
    gold_with_gaps[::3] = -1  # rows labelled for the other task only
    correction = PriorCorrection().fit(probs, gold_with_gaps, groups)
    mixed_groups = ["latin", "persian"]
    rows = probs[:2].astype(np.float32)
    out = correction.transform(rows, mixed_groups)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[1], rows[1])
    again = PriorCorrection.from_json(correction.to_json())
    np.testing.assert_allclose(again.transform(rows, mixed_groups), out, rtol=1e-5)
