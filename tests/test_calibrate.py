"""Dev-fitted logit offsets: they undo a prior bias and never make dev macro-F1 worse."""

from __future__ import annotations

import numpy as np

from voc.heads.calibrate import fit_offsets, macro_f1


def _biased_probs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three balanced classes seen through a head that over-predicts class 0."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 3, size=n)
    logits = rng.normal(0, 1.0, size=(n, 3))
    logits[np.arange(n), gold] += 1.5
    logits[:, 0] += 1.2
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probs, gold


def test_macro_f1_by_hand() -> None:
    gold = np.array([0, 0, 1, 1])
    predicted = np.array([0, 1, 1, 1])
    # class 0: P 1, R .5 -> 2/3; class 1: P 2/3, R 1 -> .8
    assert macro_f1(gold, predicted, 2) == (2 / 3 + 0.8) / 2


def test_offsets_undo_a_prior_bias_and_generalise() -> None:
    dev_probs, dev_gold = _biased_probs(3000, 0)
    test_probs, test_gold = _biased_probs(3000, 1)
    offsets = fit_offsets(dev_probs, dev_gold)
    assert offsets[0] < offsets[1] and offsets[0] < offsets[2]
    before = macro_f1(test_gold, test_probs.argmax(axis=1), 3)
    after = macro_f1(test_gold, np.argmax(np.log(test_probs) + offsets, axis=1), 3)
    assert after > before + 0.03


def test_no_gain_means_no_offsets() -> None:
    gold = np.array([0, 1, 2, 0, 1, 2])
    probs = np.eye(3)[gold] * 0.9 + 0.1 / 3
    np.testing.assert_array_equal(fit_offsets(probs, gold), np.zeros(3))
