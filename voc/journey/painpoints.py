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

# A segment this positive is praise even with a cue ("I expected it late, it came early").
POSITIVE_OVERRIDE = 0.3
# At or below this sentiment score (P(positive) - P(negative)) a segment is negative. The
# score decides, not the argmax label: a clause the heads call negative by a hair ("Dessert
# was also to die for!", "Everything is very cheap.") was most of the praise flagged as
# pain. Chosen by bench/painpoint_transfer.py on data the heads never trained on: the
# lowest threshold that keeps recall on real complaint tweets >= 0.90 (issue 16).
NEGATIVE_SCORE = -0.3
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


# (pattern, weight): strong cues say outright that the customer had to work; weak ones
# only suggest friction.
_EFFORT_CUES: tuple[tuple[str, float], ...] = (
    # English
    (rf"\b{_NUMBER_EN} times\b", 1.0),
    (r"\b(?:twice|again and again|over and over|back and forth|repeatedly)\b", 1.0),
    (r"\bhad to (?:call|contact|ring|phone|email|e-mail|write|chase|go|visit|wait|ask|"
     r"explain|repeat|send|return|restart|reinstall|re-?enter|try)\b", 1.0),
    (r"\b(?:called|contacted|emailed|e-mailed|messaged|asked|tried|wrote)\b[^.!?]{0,30}"
     r"\b(?:again|several|multiple|many|every day|each time)\b", 1.0),
    (r"\bon hold\b", 1.0),
    (r"\b(?:transferred|passed) (?:me )?(?:around|between|from one)\b", 1.0),
    (r"\b(?:kept|keep) (?:asking|calling|telling|getting|sending|waiting|trying)\b", 1.0),
    (r"\brepeat(?:ed|ing)? (?:my|the|myself)\b", 1.0),
    (r"\b(?:still|yet to)\b[^.!?]{0,25}\b(?:waiting|no |not |haven'?t|hasn'?t|didn'?t)\b", 0.8),
    (r"\b(?:waited|waiting|wait) (?:for )?(?:over |more than |almost )?(?:\d+|an?|two|three|"
     r"several|many) (?:minutes?|hours?|days?|weeks?)\b", 0.8),
    (r"\btook (?:forever|ages|so long|too long|\d+ (?:days?|hours?|weeks?))\b", 0.8),
    (r"\b(?:no one|nobody|never) (?:answers?|answered|replied|responds?|responded|"
     r"called back|got back)\b", 0.8),
    (r"\b(?:hard|difficult|impossible|confusing|complicated) to\b", 0.6),
    (r"\b(?:couldn'?t|could not|can'?t|cannot) (?:find|reach|get through|log ?in|figure)\b",
     0.6),
    (r"\btoo many (?:steps|screens|forms|clicks)\b", 0.6),
    # Persian
    (_fa(rf"{_NUMBER_FA} (?:بار|دفعه|مرتبه)(?![\w\u200c]{3})"), 1.0),
    (_fa(r"بارها|هر دفعه|هر بار|چندبار|چند بار"), 1.0),
    (_fa(r"(?:دوباره|مجدد|باز هم)\s*(?:زنگ|تماس|توضیح|پیگیری|درخواست|ثبت)"), 1.0),
    (_fa(r"مجبور (?:شدم|شدیم|شدند|شدن|می‌شوم)"), 1.0),
    (_fa(r"پشت خط|پاس[\s\u200c]?کاری"), 1.0),
    (_fa(r"هنوز[^.!?؟]{0,30}(?:نرسیده|نشده|منتظر|خبری|جواب|نیامده|برنگشته|ندادند|ندادن)"), 0.8),
    (_fa(r"(?:ساعت|روز|هفته)(?:\s*ها|‌ها)? (?:معطل|منتظر|طول کشید)"), 0.8),
    (_fa(r"معطل|علاف|سرگردان"), 0.8),
    (_fa(r"(?:کسی|هیچ ?کس)[^.!?؟]{0,15}(?:جواب|پاسخ)"), 0.8),
    (_fa(r"جواب (?:نمی|نداد|ندادند|ندادن)|پاسخگو نبود|پاسخگو نیست"), 0.8),
    (_fa(r"پیگیری (?:کردم|کردیم|کرده‌ام)"), 0.6),
    (_fa(r"(?:سخت|دشوار|پیچیده|گیج)(?:ه|ی)?(?![\w\u200c])"), 0.6),
    (_fa(r"پیدا (?:نکردم|نمی‌کنم|نشد)"), 0.6),
    # Finglish (Persian typed in Latin letters)
    (r"\b(?:chand|se|do|char|panj) (?:bar|dafe)\b", 1.0),
    (r"\b(?:majbur|majboor) (?:shodam|shodim)\b", 1.0),
    (r"\bposht e? ?khat\b", 1.0),
)

_UNMET_CUES: tuple[str, ...] = (
    r"\b(?:supposed to|was promised|were promised|promised|was told|were told|expected|"
    r"expecting)\b",
    r"\bshould (?:have|'ve) (?:been|arrived|come|worked|got)\b",
    r"\bnot (?:as|what) (?:described|advertised|shown|promised|expected|i ordered)\b",
    r"\bdifferent from (?:the )?(?:picture|photo|description|ad)\b",
    r"\b(?:never|hasn'?t|has not|didn'?t|did not|still not) (?:arrived|came|come|received|"
    r"got|been (?:delivered|refunded|fixed))\b",
    r"\binstead of\b",
    r"\b(?:false|misleading|fake)\b",
    _fa(r"قرار بود|انتظار داشتم|توقع داشتم|وعده|قول (?:داده|دادند|دادن|داد)"),
    _fa(r"با (?:عکس|تصویر|توضیحات|تبلیغ)[^.!?؟]{0,20}(?:فرق|متفاوت|فرق داشت)"),
    _fa(r"(?:نرسید|نرسیده|دریافت نکردم|به دستم نرسید|برنگشت|واریز نشد|برگشت نخورد)"),
    _fa(r"به جای"),
    _fa(r"(?:دروغ|کذب|فیک|تقلبی)"),
    r"\b(?:gharar bud|ghrar bood|gharar bood)\b",
)

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
