"""The n-gram experts mixed into the heads (voc.heads.lexical): fitting, mixing, storage."""

from __future__ import annotations

import numpy as np
import pytest

from voc.heads.labels import EMOTION_LABELS, SENTIMENT_LABELS, TASKS
from voc.heads.lexical import (
    LexicalModel,
    LexicalOptions,
    lexical_text,
    mix_probs,
    script_group,
)

POSITIVE = ["غذا عالی بود", "خیلی خوشمزه و گرم", "great food, thanks", "loved the service",
            "پیک مودب و سریع", "fast and friendly", "کیفیت عالی", "excellent quality"]
NEGATIVE = ["غذا سرد بود", "خیلی دیر رسید", "cold food again", "rude courier",
            "کیفیت افتضاح", "awful and late", "پیک بی ادب", "terrible quality"]
SMALL = LexicalOptions(min_df=1)


def _targets(sentiment: list[int], emotion: list[int]) -> np.ndarray:
    return np.array([sentiment, emotion]).T


def _toy_model() -> tuple[LexicalModel, list[str], np.ndarray]:
    texts = POSITIVE + NEGATIVE
    sentiment = [SENTIMENT_LABELS.index("positive")] * 8 + [SENTIMENT_LABELS.index("negative")] * 8
    # Emotion labels only on some rows, and only two of the seven classes.
    joy, anger = EMOTION_LABELS.index("joy"), EMOTION_LABELS.index("anger")
    emotion = [joy] * 4 + [-1] * 4 + [anger] * 4 + [-1] * 4
    targets = _targets(sentiment, emotion)
    return LexicalModel.fit(texts, targets, SMALL), texts, targets


def test_lexical_text_unifies_letters_digits_and_half_spaces() -> None:
    assert lexical_text("كيفيت") == "کیفیت"
    assert lexical_text("می\u200cخواهم") == "می خواهم"
    assert lexical_text("۱۲۳ Great") == "123 great"
    assert script_group("خیلی good") == "persian" and script_group("so good") == "latin"


def test_fit_learns_both_tasks_and_never_predicts_unseen_labels() -> None:
    model, _, _ = _toy_model()
    probs = model.probs(["غذا عالی و گرم بود", "rude and late"])
    assert set(probs) == set(TASKS)
    np.testing.assert_allclose(probs["sentiment"].sum(axis=1), 1.0, atol=1e-5)
    assert [SENTIMENT_LABELS[i] for i in probs["sentiment"].argmax(axis=1)] == [
        "positive", "negative"]
    emotion = probs["emotion"]
    assert [EMOTION_LABELS[i] for i in emotion.argmax(axis=1)] == ["joy", "anger"]
    unseen = [EMOTION_LABELS.index(label) for label in ("fear", "surprise", "neutral")]
    assert emotion[:, unseen].max() < 1e-9
    assert model.probs([])["sentiment"].shape == (0, 3)


def test_a_task_without_two_labels_gets_no_expert() -> None:
    texts = POSITIVE[:4] + NEGATIVE[:4]
    model = LexicalModel.fit(texts, _targets([2] * 4 + [0] * 4, [-1] * 8), SMALL)
    assert set(model.coef) == {"sentiment"} and set(model.coef["sentiment"]) == {
        "persian", "latin"}
    neural = {"sentiment": np.full((2, 3), 1 / 3), "emotion": np.full((2, 7), 1 / 7)}
    model.weights = {"sentiment": {"persian": 1.0, "latin": 1.0}}
    mixed = model.mix(neural, ["great", "عالی"])
    assert mixed["emotion"] is neural["emotion"]
    assert not np.allclose(mixed["sentiment"], neural["sentiment"])


def test_mix_probs_endpoints_and_product() -> None:
    neural = np.array([[0.7, 0.2, 0.1]])
    lexical = np.array([[0.2, 0.2, 0.6]])
    np.testing.assert_allclose(mix_probs(neural, lexical, 0.0), neural, atol=1e-6)
    np.testing.assert_allclose(mix_probs(neural, lexical, 1.0), lexical, atol=1e-6)
    half = np.sqrt(neural * lexical)
    np.testing.assert_allclose(mix_probs(neural, lexical, 0.5), half / half.sum(), atol=1e-6)
    rows = mix_probs(np.vstack([neural, neural]), np.vstack([lexical, lexical]),
                     np.array([0.0, 1.0]))
    np.testing.assert_allclose(rows, np.vstack([neural, lexical]), atol=1e-6)


def test_dev_weights_follow_the_better_expert_per_script() -> None:
    model, texts, targets = _toy_model()
    gold = targets[:, 0]
    n = len(texts)
    # Neural: right with confidence on Latin rows, confidently wrong on Persian ones.
    neural = np.full((n, 3), 0.05)
    persian = np.array([script_group(t) == "persian" for t in texts])
    right = np.where(persian, 2 - gold, gold)  # swaps negative (0) and positive (2)
    neural[np.arange(n), right] = 0.9
    weights = model.fit_weights(texts, {"sentiment": neural,
                                        "emotion": np.full((n, 7), 1 / 7)}, targets)
    assert weights["sentiment"]["persian"] >= 0.8
    assert weights["sentiment"]["latin"] <= 0.3
    assert set(weights["emotion"]) == {"persian", "latin"}


def test_tensors_round_trip_gives_the_same_probabilities() -> None:
    model, _, _ = _toy_model()
    model.weights = {"sentiment": {"persian": 0.5, "latin": 0.25},
                     "emotion": {"persian": 0.4, "latin": 0.6}}
    tensors, meta = model.to_tensors()
    assert all(name.startswith("lexical.") for name in tensors)
    assert tensors["lexical.sentiment.persian.coef"].dtype == np.int8
    assert set(meta["regressions"]["emotion"]) == {"persian", "latin"}
    loaded = LexicalModel.from_tensors(tensors, meta)
    assert loaded.char_vocab == model.char_vocab and loaded.weights == model.weights
    probe = ["غذا سرد و دیر", "Great, friendly courier", "something unseen", ""]
    for task, probs in model.probs(probe).items():
        np.testing.assert_allclose(loaded.probs(probe)[task], probs, atol=0.01)
    neural = {"sentiment": np.full((4, 3), 1 / 3), "emotion": np.full((4, 7), 1 / 7)}
    mixed = loaded.mix(neural, probe)
    np.testing.assert_allclose(mixed["sentiment"].sum(axis=1), 1.0, atol=1e-5)
    broken = dict(tensors)
    broken["lexical.sentiment.latin.coef"] = broken["lexical.sentiment.latin.coef"][:, :-1]
    with pytest.raises(ValueError, match="do not match"):
        LexicalModel.from_tensors(broken, meta)


def test_too_little_text_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too few texts for the lexical expert"):
        LexicalModel.fit(["a b", "c d"], _targets([0, 2], [-1, -1]))


def test_a_script_without_training_rows_keeps_the_neural_probabilities() -> None:
    english = [t for t in POSITIVE + NEGATIVE if script_group(t) == "latin"]
    labels = [2 if t in POSITIVE else 0 for t in english]
    texts = [*english, "غذا", "غذا خوب"]
    model = LexicalModel.fit(texts, _targets([*labels, -1, -1], [-1] * len(texts)), SMALL)
    assert set(model.coef["sentiment"]) == {"latin"}
    model.weights = {"sentiment": {"latin": 1.0, "persian": 1.0}}
    neural = {"sentiment": np.array([[0.6, 0.3, 0.1], [0.6, 0.3, 0.1]], dtype=np.float32)}
    mixed = model.mix(neural, ["غذا سرد بود", "great food"])
    np.testing.assert_allclose(mixed["sentiment"][0], neural["sentiment"][0], atol=1e-6)
    assert SENTIMENT_LABELS[int(mixed["sentiment"][1].argmax())] == "positive"


def test_each_script_keeps_its_most_weighted_ngrams() -> None:
    texts = POSITIVE + NEGATIVE
    targets = _targets([2] * 8 + [0] * 8, [-1] * 16)
    full = LexicalModel.fit(texts, targets, LexicalOptions(min_df=1, kept_features=None))
    small = LexicalModel.fit(texts, targets, LexicalOptions(min_df=1, kept_features=5))
    vocabulary = small.char_vocab + small.word_vocab
    assert 2 <= len(vocabulary) <= 10 < len(full.char_vocab) + len(full.word_vocab)
    assert any(script_group(term) == "persian" for term in vocabulary)
    assert any(script_group(term) == "latin" for term in vocabulary)
    # The refitted regressions still separate the training texts.
    predicted = small.probs(texts)["sentiment"].argmax(axis=1)
    assert (predicted == targets[:, 0]).mean() >= 0.75
