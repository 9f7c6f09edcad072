"""Sentiment from the plain e5 embeddings: a third expert mixed into the sentiment head.

Issue 16 measured that logistic regression on the frozen e5 embeddings, trained on customer
feedback, transfers to other sources' customer feedback better than the tuned layer
trained mostly on GoEmotions (whose ``neutral`` means "no emotion", not "no judgement").
The encoder pass computes these embeddings anyway (themes and linking use them), so the
expert costs one 384 x 3 product per text. Its share of the mix (per script group) and a
neutral offset are chosen by leave-one-source-out transfer (bench/sentiment_transfer.py),
not on a split of the training files.

Stored in the heads file as ``embedding.*`` tensors (fp32) with JSON metadata; no pickle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voc.heads.labels import SENTIMENT_LABELS
from voc.heads.lexical import _softmax, mix_probs, script_group

TENSOR_PREFIX = "embedding."


@dataclass
class FrozenLR:
    """Multinomial logistic regression over embeddings with class-balanced row weights.

    ``neutral_offset`` is added to the neutral log-probability at prediction time: the
    decision rule LOSO tunes, since the share of neutral text differs most between sources.
    It fits :class:`EmbeddingExpert` and is the model leave-one-source-out transfer scores
    (voc.training.transfer); it lives beside the expert so that the runtime never imports
    the training package.
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


@dataclass
class EmbeddingExpert:
    """``softmax(embeddings @ coef.T + intercept)`` over the sentiment labels, neutral
    shifted by ``neutral_offset``; ``weights[group]`` is its share of the sentiment mix."""

    coef: np.ndarray
    intercept: np.ndarray
    neutral_offset: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)

    @classmethod
    def fit(cls, embeddings: np.ndarray, targets: np.ndarray,
            sample_weight: np.ndarray | None = None, *, c: float = 1.0,
            neutral_offset: float = 0.0, weights: Mapping[str, float] | None = None,
            seed: int = 13) -> EmbeddingExpert:
        """Class-balanced logistic regression on rows with a sentiment label (>= 0)."""
        keep = targets >= 0
        model = FrozenLR(c=c, seed=seed).fit(
            embeddings[keep], targets[keep],
            None if sample_weight is None else sample_weight[keep])
        coef = np.full((len(SENTIMENT_LABELS), embeddings.shape[1]), 0.0)
        # A label never seen in training keeps a very low intercept: never predicted.
        intercept = np.full(len(SENTIMENT_LABELS), -30.0)
        if len(model.classes_) == 2:
            # Binary regressions keep one row: the logit of the second class.
            coef[model.classes_[1]] = model.coef_[0]
            intercept[model.classes_] = [0.0, model.intercept_[0]]
        else:
            coef[model.classes_] = model.coef_
            intercept[model.classes_] = model.intercept_
        return cls(coef.astype(np.float32), intercept.astype(np.float32), neutral_offset,
                   dict(weights or {}))

    def probs(self, embeddings: np.ndarray) -> np.ndarray:
        logits = np.asarray(embeddings, dtype=np.float32) @ self.coef.T + self.intercept
        return apply_neutral_offset(_softmax(logits.astype(np.float64)), self.neutral_offset)

    def mix(self, sentiment: np.ndarray, embeddings: np.ndarray, texts: Sequence[str]
            ) -> np.ndarray:
        """The sentiment probabilities with this expert mixed in at its per-script share."""
        if not any(self.weights.values()) or not len(texts):
            return sentiment
        weight = np.array([self.weights.get(script_group(t), 0.0) for t in texts])
        return mix_probs(sentiment, self.probs(embeddings), weight)

    def to_tensors(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        tensors = {f"{TENSOR_PREFIX}coef": self.coef.astype(np.float32),
                   f"{TENSOR_PREFIX}intercept": self.intercept.astype(np.float32)}
        return tensors, {"neutral_offset": self.neutral_offset, "weights": self.weights}

    @classmethod
    def from_tensors(cls, tensors: Mapping[str, Any], meta: Mapping[str, Any]
                     ) -> EmbeddingExpert:
        def array(name: str) -> np.ndarray:
            value = tensors[f"{TENSOR_PREFIX}{name}"]
            return np.asarray(value.numpy() if hasattr(value, "numpy") else value,
                              dtype=np.float32)

        return cls(array("coef"), array("intercept"), float(meta.get("neutral_offset", 0.0)),
                   {g: float(w) for g, w in meta.get("weights", {}).items()})
