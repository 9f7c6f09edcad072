"""Leave-one-source-out (LOSO) evaluation: how a recipe transfers to feedback it never saw.

Splits of one file share its source, its phrasing and often near-duplicate texts with the
training rows, so in-split figures overstate what a model does on another company's
feedback (issue 16: by 2 to 11 points, and 31 on the complaint proxy). LOSO trains without
source S and scores on S, for every customer source S; training rows with a near-duplicate
twin in S are dropped too (voc.heads.dedup), so S is unseen in substance, not only in name.

The model here is the cheap one: logistic regression on frozen e5 embeddings, which the
encoder pass computes anyway. It is what ``bench/sentiment_transfer.py`` uses to choose the
recipe (label mappings, source weights) and decision offsets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from voc.heads.labels import SENTIMENT_LABELS


def loso_train_mask(sources: np.ndarray, groups: np.ndarray, held: int,
                    trainable: np.ndarray, held_groups: np.ndarray | None = None) -> np.ndarray:
    """Rows that may train a model scored on source ``held``: trainable, from another
    source, and with no near-duplicate (same group) among ``held``'s rows or among
    ``held_groups`` (the groups of its scored texts, when those are kept apart)."""
    banned = groups[sources == held]
    if held_groups is not None:
        banned = np.concatenate([banned, held_groups])
    return trainable & (sources != held) & ~np.isin(groups, np.unique(banned))


def row_weights(sources: np.ndarray, power: float,
                multipliers: Mapping[int, float] | None = None) -> np.ndarray:
    """Per row, ``rows of its source ** -power`` times the source's multiplier, scaled to
    mean 1: at power 0 every row counts the same, at 1 every source does."""
    _, inverse, counts = np.unique(sources, return_inverse=True, return_counts=True)
    weights = counts[inverse].astype(np.float64) ** -power
    if multipliers:
        weights *= np.array([multipliers.get(int(s), 1.0) for s in sources])
    return weights / weights.mean()


@dataclass
class FrozenLR:
    """Multinomial logistic regression over embeddings with class-balanced row weights.

    ``neutral_offset`` is added to the neutral log-probability at prediction time: the
    decision rule LOSO tunes, since the share of neutral text differs most between sources.
    """

    c: float = 1.0
    neutral_offset: float = 0.0
    max_iter: int = 500
    seed: int = 13

    def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
            ) -> FrozenLR:
        from sklearn.linear_model import LogisticRegression

        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        # Balance classes on top of the row weights (sklearn's "balanced" ignores them).
        totals = np.bincount(y, weights=weight, minlength=len(SENTIMENT_LABELS))
        present = totals > 0
        class_w = np.where(present, weight.sum() / (present.sum() * np.maximum(totals, 1e-9)),
                           0.0)
        clf = LogisticRegression(C=self.c, max_iter=self.max_iter, random_state=self.seed)
        clf.fit(x, y, sample_weight=weight * class_w[y])
        self.classes_ = clf.classes_
        self.coef_ = clf.coef_
        self.intercept_ = clf.intercept_
        self._clf = clf
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities over all sentiment labels (absent classes get 0)."""
        probs = np.zeros((len(x), len(SENTIMENT_LABELS)))
        probs[:, self.classes_] = self._clf.predict_proba(x)
        return apply_neutral_offset(probs, self.neutral_offset)


def apply_neutral_offset(probs: np.ndarray, offset: float) -> np.ndarray:
    """Shift the neutral log-probability by ``offset`` and renormalise."""
    if offset == 0.0:
        return probs
    neutral = SENTIMENT_LABELS.index("neutral")
    scaled = probs.copy()
    scaled[:, neutral] *= np.exp(offset)
    return scaled / scaled.sum(axis=1, keepdims=True)


def summarize(per_source: Mapping[str, Mapping[str, float]], names: Sequence[str],
              key: str = "accuracy") -> float:
    """Mean of ``key`` over the named sources that were scored."""
    values = [per_source[n][key] for n in names if n in per_source]
    return float(np.mean(values)) if values else float("nan")
