"""Pain points: segments that report a problem, with how severe and how effortful it was.

A CX team cares about more than negative tone: "I had to call three times to get it
fixed" or «سه بار زنگ زدم» can be classified neutral and still be the costliest problem
(effort drives churn more than disappointment does). So a segment is a pain point when
its sentiment is negative, or when it carries an effort/friction cue or an unmet
expectation ("it was supposed to arrive Monday", «قرار بود دوشنبه برسه») and is not
clearly positive.

Cues are regular expressions over the normalized segment text, in English, Persian and
Finglish. Each is pure and testable without models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

# A segment this positive is praise even with a cue ("I expected it late, it came early").
POSITIVE_OVERRIDE = 0.3
# At or below this sentiment score (P(positive) - P(negative)) a segment is negative. The
# score decides, not the argmax label: a clause the heads call negative by a hair ("Dessert
# was also to die for!", "Everything is very cheap.") was most of the praise flagged as
# pain. Chosen by bench/painpoint_transfer.py on data the heads never trained on: the
# lowest threshold that keeps recall on real complaint tweets >= 0.90 (issue 16): -0.25 since
# shouted text is read lower-cased (voc.encoder.text), on the half it was chosen on 0.921
# (-0.3: 0.898), reported on the other half 0.909, praise flagged 6.2% / 9.5%.
NEGATIVE_SCORE = -0.25
# How much each emotion adds to severity: anger and disgust weigh most (the rule),
# sadness and fear (worry about money, a lost parcel) a little less.
EMOTION_WEIGHTS: Mapping[str, float] = {
    "anger": 1.0, "disgust": 1.0, "sadness": 0.6, "fear": 0.6, "surprise": 0.2,
}
SEVERITY_WEIGHTS = {"negativity": 0.5, "emotion": 0.3, "effort": 0.2}

_NUMBER_EN = r"(?:two|three|four|five|six|seven|eight|nine|ten|several|multiple|many|\d+)"
_NUMBER_FA = r"(?:دو|سه|چهار|پنج|شش|هفت|هشت|ده|چند|چندین|\d+)"
# Persian has no \b that respects the half-space (ZWNJ): a cue must start a word.
_FA_START = r"(?<![\w\u200c])"


def _fa(pattern: str) -> str:
    return f"{_FA_START}(?:{pattern})"


def _cue_pattern(script: str, pattern: str) -> str:
    """A cue of `voc/journey/data/pain_cues.tsv` as the regular expression it stands for."""
    if script == "fa":
        return _fa(pattern.replace("<NUMBER>", _NUMBER_FA))
    return pattern.replace("<NUMBER>", _NUMBER_EN)


def _load_cues() -> tuple[tuple[tuple[str, float], ...], tuple[str, ...]]:
    """(effort cues with their weights, unmet-expectation cues), as data (issue 18): strong
    effort cues say outright that the customer had to work; weak ones only suggest it."""
    text = resources.files("voc.journey").joinpath("data/pain_cues.tsv").read_text(
        encoding="utf-8")
    effort: list[tuple[str, float]] = []
    unmet: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, script, weight, pattern = line.split("\t")
        if kind == "effort":
            effort.append((_cue_pattern(script, pattern), float(weight)))
        else:
            unmet.append(_cue_pattern(script, pattern))
    return tuple(effort), tuple(unmet)


_EFFORT_CUES, _UNMET_CUES = _load_cues()
_EFFORT = tuple((re.compile(p, re.IGNORECASE), w) for p, w in _EFFORT_CUES)
_UNMET = tuple(re.compile(p, re.IGNORECASE) for p in _UNMET_CUES)


@dataclass(frozen=True)
class PainAssessment:
    is_pain_point: bool
    severity: float  # 0..1; 0 for segments that are not pain points
    effort: float  # 0..1: how much work the customer reports having had to do
    cues: tuple[str, ...]  # negative, effort, unmet_expectation


def effort_score(text: str) -> float:
    """0..1 from the effort cues found: one strong cue 0.6, two about 0.84, and so on."""
    total = sum(weight for pattern, weight in _EFFORT if pattern.search(text))
    return round(1.0 - 0.4 ** total, 4) if total else 0.0


def has_unmet_expectation(text: str) -> bool:
    return any(pattern.search(text) for pattern in _UNMET)


def emotion_intensity(emotion_scores: Mapping[str, float] | None) -> float:
    """0..1: probability mass on negative emotions, anger and disgust weighing most."""
    if not emotion_scores:
        return 0.0
    value = sum(EMOTION_WEIGHTS.get(label, 0.0) * float(p or 0.0)
                for label, p in emotion_scores.items())
    return min(1.0, value)


def assess(text: str, sentiment: str | None, sentiment_score: float | None,
           emotion_scores: Mapping[str, float] | None) -> PainAssessment:
    """Decide whether a segment is a pain point and how severe it is."""
    score = float(sentiment_score) if sentiment_score is not None else 0.0
    effort = effort_score(text)
    cues: list[str] = []
    # Without a score (a caller that only has labels) the label decides.
    if (score <= NEGATIVE_SCORE if sentiment_score is not None
            else sentiment == "negative"):
        cues.append("negative")
    if score < POSITIVE_OVERRIDE:
        if effort > 0:
            cues.append("effort")
        if has_unmet_expectation(text):
            cues.append("unmet_expectation")
    if not cues:
        return PainAssessment(False, 0.0, effort, ())
    negativity = max(0.0, -score)
    # A neutral-toned effort or expectation complaint is still a real problem: give it a
    # floor of negativity so it does not rank below every mildly negative remark.
    if "negative" not in cues:
        negativity = max(negativity, 0.3)
    severity = (SEVERITY_WEIGHTS["negativity"] * negativity
                + SEVERITY_WEIGHTS["emotion"] * emotion_intensity(emotion_scores)
                + SEVERITY_WEIGHTS["effort"] * effort)
    return PainAssessment(True, round(min(1.0, severity), 4), effort, tuple(cues))


# Words that say something went wrong, as they appear in a segment's `terms` (English
# spaCy lemmas, lower-cased, alphabetic only: "n't" is not among them, but "can't" and
# "won't" leave "ca" and "wo", which nothing else does; Persian hazm tokens). A map
# keyword next to one of them is what the complaint is about ("the transfer never
# arrived", "card not working", «پرداخت انجام نشد»), so the linker can weigh it above
# the segment's other keywords (LinkSettings.pain_keyword_weight, measured in
# bench/linking_eval.py).
_FAILURE_WORDS = """
    not ca wo no never nothing nobody none without unable cannot fail failure error wrong
    broken break problem issue stuck still crash freeze glitch bug lose lost miss missing
    delay late decline reject refuse deny cancel overcharge double twice again wait
    bad terrible awful horrible worst poor useless ridiculous rude dirty slow
    نه نیست نبود نشد نشده نشدم نرسید نرسیده نداد ندادند نکرد نکرده نمیشه نمیکنه
    خطا مشکل ایراد خراب قطع تاخیر تأخیر دیر کند گم اشتباه بد افتضاح ضعیف هنوز بدون
"""
FAILURE_TERMS: frozenset[str] = frozenset(_FAILURE_WORDS.split())


def is_failure_term(term: str) -> bool:
    """Whether a `terms` token says something went wrong (see FAILURE_TERMS); a Persian
    verb negated with «نمی» counts too («نمی‌رسد», «نمیاد»)."""
    return term in FAILURE_TERMS or term.startswith("نمی")
