"""Pain points: negative tone, effort and unmet-expectation cues, severity and effort."""

from __future__ import annotations

import pytest

from voc.journey.painpoints import assess, effort_score, emotion_intensity, has_unmet_expectation

NEUTRAL_EMOTIONS = {"anger": 0.0, "disgust": 0.0, "fear": 0.0, "joy": 0.0, "sadness": 0.0,
                    "surprise": 0.0, "neutral": 1.0}


@pytest.mark.parametrize("text", [
    "I had to call three times to get my refund",
    "I called them again and again",
    "Was on hold for 40 minutes",
    "سه بار زنگ زدم تا جواب دادند",
    "مجبور شدم دوباره تماس بگیرم",
    "نیم ساعت پشت خط بودم",
    "chand bar zang zadam",
])
def test_effort_cues_make_a_neutral_segment_a_pain_point(text: str) -> None:
    result = assess(text, "neutral", 0.0, NEUTRAL_EMOTIONS)
    assert result.is_pain_point
    assert "effort" in result.cues
    assert result.effort >= 0.6
    assert 0 < result.severity <= 1


@pytest.mark.parametrize("text", [
    "It was supposed to arrive on Monday",
    "The colour is not as described",
    "قرار بود دوشنبه برسه",
    "با عکس سایت خیلی فرق داشت",
])
def test_unmet_expectations_are_pain_points(text: str) -> None:
    assert has_unmet_expectation(text)
    result = assess(text, "neutral", 0.05, NEUTRAL_EMOTIONS)
    assert result.is_pain_point and "unmet_expectation" in result.cues


@pytest.mark.parametrize("text", [
    "The courier was friendly and on time",
    "بسته‌بندی عالی بود و سریع رسید",
    "The hardware feels solid",  # "hard" inside a word is no effort cue
    "سخت‌افزار گوشی خوبه",
])
def test_plain_or_positive_segments_are_not_pain_points(text: str) -> None:
    assert effort_score(text) == 0.0
    assert not assess(text, "positive", 0.8, NEUTRAL_EMOTIONS).is_pain_point
    assert not assess(text, "neutral", 0.0, NEUTRAL_EMOTIONS).is_pain_point


def test_clear_praise_with_a_cue_is_not_a_pain_point() -> None:
    # "expected" is an expectation cue, but the customer is delighted.
    result = assess("Arrived earlier than I expected, great!", "positive", 0.9,
                    NEUTRAL_EMOTIONS)
    assert not result.is_pain_point and result.severity == 0.0


def test_negative_sentiment_alone_is_a_pain_point() -> None:
    result = assess("The shoes look cheap", "negative", -0.7, NEUTRAL_EMOTIONS)
    assert result.is_pain_point and result.cues == ("negative",)
    # 0.5 * 0.7 negativity, no emotion, no effort
    assert result.severity == pytest.approx(0.35)


def test_anger_and_disgust_weigh_more_than_sadness() -> None:
    angry = dict(NEUTRAL_EMOTIONS, neutral=0.2, anger=0.8)
    sad = dict(NEUTRAL_EMOTIONS, neutral=0.2, sadness=0.8)
    assert emotion_intensity(angry) == pytest.approx(0.8)
    assert emotion_intensity(sad) == pytest.approx(0.48)
    text = "The courier threw the parcel"
    assert assess(text, "negative", -0.6, angry).severity > assess(text, "negative", -0.6,
                                                                   sad).severity


def test_severity_grows_with_effort_and_stays_within_bounds() -> None:
    worst = dict(NEUTRAL_EMOTIONS, neutral=0.0, anger=0.5, disgust=0.5)
    plain = assess("Refund is slow", "negative", -0.9, worst)
    effortful = assess("Refund is slow, I had to call three times and was on hold", "negative",
                       -0.9, worst)
    assert effortful.severity > plain.severity
    assert effortful.severity <= 1.0
    assert effortful.effort > effort_score("I had to call")


def test_the_score_decides_not_a_narrow_negative_label() -> None:
    # "Dessert was also to die for!" came out negative by a hair: not a pain point.
    assert not assess("Dessert was also to die for!", "negative", -0.1,
                      NEUTRAL_EMOTIONS).is_pain_point
    assert assess("Over an hour delayed", "neutral", -0.3, NEUTRAL_EMOTIONS).is_pain_point
    # Without a score, the label is all there is.
    assert assess("Over an hour delayed", "negative", None, NEUTRAL_EMOTIONS).is_pain_point


def test_pain_cues_are_data_with_numbers_in_each_scripts_words() -> None:
    from voc.journey.painpoints import _cue_pattern, _load_cues

    effort, unmet = _load_cues()
    assert len(effort) >= 30 and len(unmet) >= 10
    assert all(0 < weight <= 1 for _, weight in effort)
    assert "three" in _cue_pattern("latin", r"\b<NUMBER> times\b")
    persian = _cue_pattern("fa", "<NUMBER> بار")
    assert "سه" in persian and persian.startswith("(?<!")
