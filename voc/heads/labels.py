"""The label sets the shipped heads predict, in the order of their logits."""

from __future__ import annotations

from typing import Literal

SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
# GoEmotions' Ekman grouping plus neutral: the one scheme both languages' data sets map onto.
EMOTION_LABELS: tuple[str, ...] = (
    "anger",
    "disgust",
    "fear",
    "joy",
    "sadness",
    "surprise",
    "neutral",
)

Task = Literal["sentiment", "emotion"]
TASKS: tuple[Task, ...] = ("sentiment", "emotion")
TASK_LABELS: dict[Task, tuple[str, ...]] = {
    "sentiment": SENTIMENT_LABELS,
    "emotion": EMOTION_LABELS,
}


def labels_for(task: str) -> tuple[str, ...]:
    """The label names of ``task`` in logit order; ``ValueError`` for an unknown task."""
    try:
        return TASK_LABELS[task]  # type: ignore[index]
    except KeyError:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}") from None
