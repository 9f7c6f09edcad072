"""Leave-one-source-out (LOSO) evaluation: how a recipe transfers to feedback it never saw.

Splits of one file share its source, its phrasing and often near-duplicate texts with the
training rows, so in-split figures overstate what a model does on another company's
feedback (issue 16: by 2 to 11 points, and 31 on the complaint proxy). LOSO trains without
source S and scores on S, for every customer source S; training rows with a near-duplicate
twin in S are dropped too (voc.training.dedup), so S is unseen in substance, not only in name.

The model here is the cheap one: logistic regression on frozen e5 embeddings
(``voc.heads.embedding_expert.FrozenLR``), which the encoder pass computes anyway. It is
what ``bench/sentiment_transfer.py`` uses to choose the recipe (label mappings, source
weights) and decision offsets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


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


def summarize(per_source: Mapping[str, Mapping[str, float]], names: Sequence[str],
              key: str = "accuracy") -> float:
    """Mean of ``key`` over the named sources that were scored."""
    values = [per_source[n][key] for n in names if n in per_source]
    return float(np.mean(values)) if values else float("nan")
