"""Pipeline component: one encoder pass per segment, sentiment and emotion per segment and
per record, and the embeddings later stages (themes, journey linking) reuse.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from voc.errors import ConfigError
from voc.heads.labels import EMOTION_LABELS, SENTIMENT_LABELS
from voc.io.hashing import sha256_file
from voc.pipeline.base import Record, RunState, Segment, register
from voc.pipeline.fields import (
    Declares,
    Kind,
    record_field,
    record_fields,
    segment_field,
    segment_fields,
)
from voc.pipeline.resources import Resources
from voc.pipeline.settings import ClassifySettings

log = logging.getLogger(__name__)

# A record is "mixed" when it holds a clearly positive and a clearly negative segment
# ("great food but the courier was rude"): averaging would call it neutral.
MIXED_THRESHOLD = 0.35
# A record's emotion is its strongest non-neutral emotion when some segment shows it
# with at least this probability; one angry clause among neutral ones still counts.
EMOTION_THRESHOLD = 0.4


def sentiment_score(probs: np.ndarray, labels: Sequence[str] = SENTIMENT_LABELS) -> np.ndarray:
    """P(positive) - P(negative): -1 (surely negative) .. 1 (surely positive)."""
    return probs[..., labels.index("positive")] - probs[..., labels.index("negative")]


def aggregate_record(
    sentiment_probs: np.ndarray, emotion_probs: np.ndarray, weights: np.ndarray,
    sentiment_labels: Sequence[str] = SENTIMENT_LABELS,
    emotion_labels: Sequence[str] = EMOTION_LABELS,
) -> dict[str, Any]:
    """Record-level sentiment and emotion from its segments' probabilities.

    The score is the length-weighted mean of segment scores; the label is `mixed` when
    segments clearly disagree, else the label of the weighted mean probabilities.
    """
    scores = sentiment_score(sentiment_probs, sentiment_labels)
    weights = weights / weights.sum()
    score = float(np.dot(weights, scores))
    if scores.max() >= MIXED_THRESHOLD and scores.min() <= -MIXED_THRESHOLD:
        label = "mixed"
    else:
        label = sentiment_labels[int(np.argmax(weights @ sentiment_probs))]
    neutral = emotion_labels.index("neutral")
    strongest = emotion_probs.copy()
    strongest[:, neutral] = 0.0
    segment, emotion = np.unravel_index(int(np.argmax(strongest)), strongest.shape)
    if strongest[segment, emotion] >= EMOTION_THRESHOLD:
        emotion_label = emotion_labels[int(emotion)]
    else:
        emotion_label = emotion_labels[int(np.argmax(weights @ emotion_probs))]
    return {"sentiment": label, "sentiment_score": round(score, 4), "emotion": emotion_label}


class ClassifyComponent:
    """Adds sentiment/emotion to segments and records; keeps segment embeddings in memory."""

    name: ClassVar[str] = "classify"
    settings_model: ClassVar[type[ClassifySettings]] = ClassifySettings
    # A row stage although it batches across records: each segment's result depends on its
    # text only. Not parallel: one encoder per process, batched across the whole input.
    declares: ClassVar[Declares] = Declares(
        Kind.ROW,
        requires=(*record_fields("row_id"), *segment_fields("row_id", "text")),
        assigns=(
            segment_field("sentiment", pa.string(), "negative, neutral, positive or mixed"),
            segment_field("sentiment_score", pa.float64(), "-1 (negative) .. 1 (positive)"),
            segment_field("emotion", pa.string(), "the likeliest emotion, else neutral"),
            segment_field("emotion_scores",
                          pa.struct([(label, pa.float64()) for label in EMOTION_LABELS]),
                          "each emotion's probability"),
            # Held beside the segments (RunState.embeddings, one row per segment) for the
            # later stages, never written: no type.
            segment_field("embedding", None, "the encoder's vector of the text"),
            record_field("sentiment", pa.string(), "the answer's, from its segments'"),
            record_field("sentiment_score", pa.float64(), "the answer's, -1..1"),
            record_field("emotion", pa.string(), "the answer's dominant emotion"),
        ))

    def __init__(self, settings: ClassifySettings,
                 resources: Resources | None = None) -> None:
        # The encoder + heads are the run's shared resources, described by these settings
        # (their backend checked by the settings model, before any stage runs).
        self.resources = resources or Resources.from_settings(settings)
        self.heads_path = self.resources.heads_path()
        if not self.heads_path.is_file():
            raise ConfigError(f"heads file not found: {self.heads_path}; train one with "
                              "'voc train' or pass --heads")
        self.encoder = self.resources.encoder
        self.backend = self.resources.backend
        self.token_budget = settings.token_budget

    @property
    def classifier(self) -> Any:
        # Loaded on first use, not at construction (see Resources.classifier).
        return self.resources.classifier

    def identity(self) -> dict[str, Any]:
        """Which models this stage uses, without loading them (for incremental runs)."""
        from voc.encoder.cache import default_model_dir

        return {"encoder": self.encoder or default_model_dir().name,
                "heads_sha256": sha256_file(self.heads_path)}

    def models(self) -> dict[str, Any]:
        metadata = self.classifier.metadata
        return {
            "encoder": metadata.base_model,
            "encoder_sha256": metadata.base_model_sha256,
            "heads": str(self.heads_path),
            "heads_sha256": sha256_file(self.heads_path),
            "encoder_backend": self.classifier.backend,
        }

    def __call__(self, state: RunState) -> RunState:
        segments = state.segments
        predictions = self.classifier.run([s["text"] for s in segments], self.token_budget)
        sentiment_labels = predictions.sentiment_labels
        emotion_labels = predictions.emotion_labels
        scores = sentiment_score(predictions.sentiment_probs, sentiment_labels)
        for index, segment in enumerate(segments):
            segment["sentiment"] = sentiment_labels[int(predictions.sentiment_probs[index]
                                                        .argmax())]
            segment["sentiment_score"] = round(float(scores[index]), 4)
            segment["emotion"] = emotion_labels[int(predictions.emotion_probs[index].argmax())]
            segment["emotion_scores"] = {
                label: round(float(p), 4)
                for label, p in zip(emotion_labels, predictions.emotion_probs[index],
                                    strict=True)
            }
        state.embeddings = predictions.embeddings
        state.stats.encoder_cache = {"unique_texts": self.classifier.last_unique,
                                     "from_cache": self.classifier.last_cache_hits}
        _aggregate_records(state.records, segments, predictions, sentiment_labels,
                           emotion_labels)
        state.stats.models.update(self.models())
        return state


def _aggregate_records(
    records: list[Record], segments: list[Segment], predictions: Any,
    sentiment_labels: Sequence[str], emotion_labels: Sequence[str],
) -> None:
    by_row: dict[int, list[int]] = {}
    for index, segment in enumerate(segments):
        by_row.setdefault(segment["row_id"], []).append(index)
    for record in records:
        members = by_row.get(record["row_id"])
        if not members:
            record.update(sentiment=None, sentiment_score=None, emotion=None)
            continue
        weights = np.array([max(len(segments[i]["text"]), 1) for i in members], dtype=float)
        record.update(aggregate_record(
            predictions.sentiment_probs[members], predictions.emotion_probs[members], weights,
            sentiment_labels, emotion_labels))


register(ClassifyComponent.name)(ClassifyComponent)
