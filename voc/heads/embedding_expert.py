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
from voc.heads.transfer import FrozenLR, apply_neutral_offset

TENSOR_PREFIX = "embedding."


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
