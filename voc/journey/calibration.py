"""Choosing the link-confidence threshold from labelled sets, so that it transfers.

A threshold tuned on one set fits that set's encoder similarity level and its map's
number of stages; on another business's text it can assign almost everything (issue 17:
0.32 from the synthetic sample left 5% of real airline complaints unassigned at 0.55
accuracy). So the threshold is fitted on several sets at once, each with its own map,
and must keep EVERY one of them within the unassigned budget; bench/linking_eval.py
scores it on a set left out of the fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Steps of 0.005: the choice is made on a few hundred pain points per set.
DEFAULT_GRID = tuple(round(x / 200, 3) for x in range(0, 200))


@dataclass(frozen=True)
class Scores:
    n: int
    assigned: int
    accuracy: float | None  # on assigned links; None when nothing is assigned

    @property
    def unassigned_share(self) -> float:
        return 1 - self.assigned / self.n if self.n else 0.0

    def as_dict(self) -> dict[str, float | int | None]:
        return {"n": self.n, "assigned": self.assigned,
                "unassigned_share": round(self.unassigned_share, 4),
                "accuracy": None if self.accuracy is None else round(self.accuracy, 4)}


def assigned_scores(confidence: np.ndarray, correct: np.ndarray, threshold: float) -> Scores:
    """Accuracy of the links at or above `threshold`, and how many those are.

    `correct` says whether each link's top stage is right, whatever its confidence; a
    link the linker itself left unassigned has confidence below every threshold."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    kept = confidence >= threshold
    assigned = int(kept.sum())
    accuracy = float(correct[kept].mean()) if assigned else None
    return Scores(len(confidence), assigned, accuracy)


class ThresholdCalibrator:
    """Fits one confidence threshold to several labelled sets (sklearn style).

    The threshold is the grid value with the best mean assigned accuracy over the sets
    among those that leave at most `max_unassigned` of EVERY set unassigned (a mean
    could hide one set left mostly unlinked); ties go to the lower threshold. With no
    threshold inside the budget, the one leaving the fewest unassigned in the worst set.
    """

    def __init__(self, max_unassigned: float = 0.2,
                 grid: Sequence[float] = DEFAULT_GRID) -> None:
        self.max_unassigned = max_unassigned
        self.grid = tuple(grid)

    def fit(self, sets: Sequence[tuple[np.ndarray, np.ndarray]]) -> ThresholdCalibrator:
        """`sets`: per labelled set, (confidence, correct) arrays of its links."""
        if not sets:
            raise ValueError("fit needs at least one labelled set")
        best: tuple[float, float] | None = None  # (mean accuracy, -threshold)
        fallback: tuple[float, float] | None = None  # (-worst unassigned, -threshold)
        for threshold in self.grid:
            scores = [assigned_scores(c, k, threshold) for c, k in sets]
            worst = max(s.unassigned_share for s in scores)
            candidate = (-worst, -threshold)
            fallback = candidate if fallback is None or candidate > fallback else fallback
            if worst <= self.max_unassigned and all(s.accuracy is not None for s in scores):
                mean = float(np.mean([s.accuracy for s in scores]))
                if best is None or (mean, -threshold) > best:
                    best = (mean, -threshold)
        self.within_budget_ = best is not None
        self.threshold_ = -best[1] if best is not None else -fallback[1]  # type: ignore[index]
        self.mean_accuracy_ = best[0] if best is not None else None
        return self

    def score(self, confidence: np.ndarray, correct: np.ndarray) -> Scores:
        """The fitted threshold applied to another set (the transfer figure)."""
        return assigned_scores(confidence, correct, self.threshold_)
