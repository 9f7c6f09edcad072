"""Record-level sentiment and emotion from segment predictions (pure functions)."""

from __future__ import annotations

import numpy as np
import pytest

from voc.heads.component import aggregate_record, sentiment_score

NEG, NEU, POS = [0.9, 0.08, 0.02], [0.1, 0.8, 0.1], [0.03, 0.07, 0.9]
CALM = [0.02, 0.01, 0.01, 0.05, 0.01, 0.0, 0.9]
ANGRY = [0.7, 0.1, 0.0, 0.0, 0.1, 0.0, 0.1]
HAPPY = [0.0, 0.0, 0.0, 0.85, 0.0, 0.05, 0.1]


def _aggregate(sentiments: list[list[float]], emotions: list[list[float]],
               weights: list[float] | None = None) -> dict:
    weights = weights or [1.0] * len(sentiments)
    return aggregate_record(np.array(sentiments), np.array(emotions), np.array(weights))


def test_score_is_positive_minus_negative() -> None:
    assert sentiment_score(np.array(NEG)) == pytest.approx(-0.88)
    assert sentiment_score(np.array([POS, NEU])).tolist() == pytest.approx([0.87, 0.0])


def test_praise_and_complaint_make_a_mixed_record() -> None:
    result = _aggregate([POS, NEG], [HAPPY, ANGRY])
    assert result["sentiment"] == "mixed"
    assert result["sentiment_score"] == pytest.approx((0.87 - 0.88) / 2, abs=1e-4)


def test_agreeing_segments_keep_their_label_and_weights_count() -> None:
    assert _aggregate([NEG, NEG], [ANGRY, CALM])["sentiment"] == "negative"
    weighted = _aggregate([NEU, POS], [CALM, HAPPY], weights=[1.0, 3.0])
    assert weighted["sentiment"] == "positive"
    assert weighted["sentiment_score"] == pytest.approx(0.75 * 0.87, abs=1e-4)


def test_one_strong_emotion_among_neutral_segments_is_the_records_emotion() -> None:
    assert _aggregate([NEU, NEU, NEG], [CALM, CALM, ANGRY])["emotion"] == "anger"
    assert _aggregate([NEU, NEU], [CALM, CALM])["emotion"] == "neutral"
