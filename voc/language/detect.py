"""Rule-based language identification for one feedback record.

Customer feedback in this project is Persian (in Arabic script, or "Finglish": Persian typed
in Latin letters), English, a mix of the two, or occasionally something else (Arabic,
French, Turkish, ...). Records are short and noisy, so general-purpose character n-gram
models mislabel them often (Finglish looks like nothing they were trained on, and a brand
name flips a Persian sentence to English). This module instead combines:

* the writing system of each word (Arabic script, Latin, another script);
* for Arabic script, Persian-only letters (پ چ ژ گ, Persian ی/ک, ZWNJ) against Arabic-only
  letters (ة ى إ أ), Urdu letters and small Persian and Arabic function-word lists;
* for Latin script, compact English, Finglish and "other Latin language" lexicons plus a
  few spelling cues for words the lexicons do not know.

The word lists are data files in ``voc/language/data/`` (one word a line); the rules and
their weights are here.

Decision rules (thresholds are module constants):

1. No letters outside URLs, e-mails, @handles, Latin hashtags and placeholders ->
   ``other`` / script ``none`` / ``has_letters=False``.
2. An Arabic-script block is Persian unless its Arabic evidence (function words such as
   في/هذا/كان, letters ة/ى/إ/أ, Urdu letters) beats its Persian evidence *and* reaches
   ``MIN_ARABIC_EVIDENCE``; with no evidence either way it is Persian.
3. ``mixed`` when the Persian part (every word of a Persian Arabic-script block plus the
   Finglish votes) and the English part (English votes, leaving out tech loanwords such as
   "app", "update", "login" that Persian speakers use constantly) are each at least
   ``MIXED_MIN_WORDS`` (2) and each at least ``MIXED_MIN_SHARE`` (25%) of the identifiable
   words (Arabic-script and other-script words plus the Latin words that voted; brand names
   and other unrecognised Latin words are left out).
4. Otherwise the language with the most words wins. Unrecognised Latin words are shared out
   in proportion to the Latin votes, and ignored when no Latin word voted, so
   "اپ snapp خیلی کنده" stays Persian. Ties go to Persian when it has Arabic-script words,
   else to English.
5. A Latin block is Finglish (``lang="fa"``, ``finglish=True``) when its Finglish votes
   outnumber both its English and its other-language votes. A Latin-only text with no
   votes at all (a brand name, "xyz") is English with confidence 0.25.

``confidence`` is a heuristic ordering score in 0..1 (the winning language's share of the
words times a factor that grows with the amount of evidence), not a calibrated probability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from voc.data import word_list

Lang = Literal["fa", "en", "mixed", "other"]
Script = Literal["arabic", "latin", "mixed", "none"]

# Both languages must each contribute this many words and this share of the identifiable
# words before a record is called mixed; one brand name or a single "merci" never does.
MIXED_MIN_WORDS: Final = 2
MIXED_MIN_SHARE: Final = 0.25
# Arabic-script text is only called non-Persian with at least this much evidence (one
# Arabic function word or Arabic-only letter is worth 3), so a couple of ال- words
# ("فوق العاده") cannot flip a Persian record.
MIN_ARABIC_EVIDENCE: Final = 2.0
# The minority script must reach this share of the letters (and two words) for "mixed".
SCRIPT_MIXED_MIN_SHARE: Final = 0.25


@dataclass(frozen=True)
class LanguageGuess:
    """Language of one record.

    Attributes:
        lang: ``fa`` (Persian, either script), ``en``, ``mixed`` (Persian and English both
            substantial) or ``other`` (another language, or no letters at all).
        script: dominant writing system of the letters; ``none`` when there are no Arabic
            or Latin letters (also for text written only in another script).
        finglish: the Persian part is written in Latin letters.
        confidence: heuristic score in 0..1; higher means more evidence for ``lang``.
        has_letters: False for text made only of emoji, digits, punctuation, URLs, etc.
    """

    lang: Lang
    script: Script
    finglish: bool
    confidence: float
    has_letters: bool


# --------------------------------------------------------------------------------------
# Character classes, tokenisers and noise
# --------------------------------------------------------------------------------------

# Arabic-script letters only: digits (U+0660-9, U+06F0-9), punctuation (، ؛ ؟ ٪ ۔), tatweel
# and harakat are excluded so that "۱۲۳" or "؟؟" never count as Persian words.
_AR_LETTER = (
    "\u0621-\u063a\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc"
    "\u06ff\u0750-\u077f\u08a0-\u08c9\ufb50-\ufd3d\ufd50-\ufdfb\ufe70-\ufefc"
)
# ZWNJ, tatweel and harakat may sit inside a word; the ZWNJ keeps "می‌خوام" one token.
_AR_WORD_RE = re.compile(f"[{_AR_LETTER}][{_AR_LETTER}\u064b-\u065f\u0670\u0640\u200c]*")
# Matched on lower-cased text; U+00F7 (division sign) is carved out of the Latin-1 range.
_LAT = "a-z\u00df-\u00f6\u00f8-\u024f"
# Latin runs are matched together with digits so that codes and model numbers glued to
# letters ("SB98XRG1", "iphone13", "2nd") can be dropped whole afterwards; a pattern that
# excluded them inside the regex needs look-arounds that make the scan several times slower.
_LAT_RUN_RE = re.compile(f"[{_LAT}0-9]++(?:'[{_LAT}0-9]++)*+")
# Words in the other scripts likely in customer text: Greek, Cyrillic, Armenian, Hebrew,
# Indic, Thai, Georgian, kana, CJK, Hangul. (A positive class scans much faster than
# "any letter that is not Arabic or Latin".)
_OTHER_WORD_RE = re.compile(
    "[\u0370-\u03ff\u0400-\u052f\u0531-\u058f\u05d0-\u05ea\u0900-\u0dff\u0e01-\u0e5b"
    "\u10a0-\u10ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+"
)
# Things that contain letters but are not language: URLs, e-mail addresses, @handles, Latin
# hashtags (campaign and brand tags; Persian ones are often real phrases), anonymisation
# placeholders ([PHONE], <EMAIL>, {name}) and bare domains (snappfood.ir). Each pattern only
# runs when a cheap substring test says it can match.
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_AT_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@\w+")
_HASHTAG_RE = re.compile(r"#[A-Za-z0-9_]+")
_PLACEHOLDER_RE = re.compile(r"\[[A-Z][A-Z0-9_ ]*\]|<[A-Z][A-Z0-9_]*>|\{\{?\s*\w+\s*\}?\}")
_TLD = r"\.(?:com|ir|net|org|io|co|app|me|info|biz|uk|de)\b"
_DOMAIN_HINT_RE = re.compile(_TLD, re.IGNORECASE)
_DOMAIN_RE = re.compile(rf"[\w-]+(?:\.[\w-]+)*{_TLD}(?:/\S*)?", re.IGNORECASE)

# Persian-only letters: پ چ ژ گ and ۀ cannot be typed on an Arabic keyboard layout.
_FA_LETTER_RE = re.compile("[پچژگۀ]")
# Any letter that is evidence against Persian; a quick search before counting them.
_NON_FA_LETTER_RE = re.compile("[ةىإأٹڈڑںۓڵڕێۆټډړږښځڅۍېەہۃھے]")
# Arabic-only letters ة and إ are practically absent from Persian.
_AR_ONLY_LETTER_RE = re.compile("[ةإ]")
# Weak non-Persian letters, counted at a lower weight: أ is Arabic but Persian writes it in
# تأخیر and مأمور; ى is Arabic alef maksura but some Persian keyboards type it for final ی
# ("خیلى"); ە ہ ھ ے ۃ are Kurdish/Urdu letters that Persian writers on those keyboards,
# or for decoration, use for ه and ی ("کە", "کنندہ", "خیلے").
_WEAK_NON_FA_LETTER_RE = re.compile("[أىەہۃھے]")
# Urdu, Kurdish, Pashto and Sindhi letters that never stand in for a Persian letter.
_NON_FA_AR_LETTER_RE = re.compile("[ٹڈڑںۓڵڕێۆټډړږښځڅۍې]")
_ZWNJ = "\u200c"

# Elongated words ("goooood", "kheiliiii") are looked up again with letter runs squeezed.
# Only runs of three or more count as elongation: "hell" squeezed to "hel" would match the
# squeezed Dutch "heel".
_ELONGATED_RE = re.compile(r"(.)\1\1")
_REPEAT_RE = re.compile(r"(.)\1+")
# English inflections stripped from unknown words before a second lexicon look-up.
_EN_SUFFIXES = ("'s", "ing", "ers", "es", "ed", "er", "ly", "s", "d")


def _word_list(name: str) -> frozenset[str]:
    """The words of ``voc/language/data/<name>.txt`` (see `voc.data.word_list`)."""
    return word_list("voc.language", name)


# --------------------------------------------------------------------------------------
# Arabic-script lexicons
# --------------------------------------------------------------------------------------

# Persian function and feedback words that Arabic does not use, in Persian spelling (ی/ک);
# the Arabic-keyboard spellings are added below.
_FA_BASE = _word_list("persian")
# Arabic and Urdu function words: evidence that Arabic-script text is not Persian.
_AR_FUNCTION = _word_list("arabic_urdu")


def _arabic_keyboard_variants(words: frozenset[str]) -> frozenset[str]:
    """Add the spellings produced by Arabic keyboard layouts (ي for ی, ك for ک, ى final)."""
    out = set(words)
    for word in words:
        arabic = word.replace("ی", "ي").replace("ک", "ك")
        out.update((word.replace("ی", "ي"), word.replace("ک", "ك"), arabic))
        if word.endswith("ی"):
            out.update((word[:-1] + "ى", arabic[:-1] + "ى"))
    return frozenset(out)


_FA_WORDS = _arabic_keyboard_variants(_FA_BASE) - _AR_FUNCTION

# --------------------------------------------------------------------------------------
# Latin-script lexicons
# --------------------------------------------------------------------------------------

_EN_BASE = _word_list("english")
# English words Persian speakers use as loanwords ("app ro update kardam"): half an English
# vote, and never enough to make a Persian sentence "mixed".
_LOANWORDS = _word_list("loanwords")
# Persian words in their common Latin spellings (kheili/kheyli/khili, khoob/khub, ...).
_FI_BASE = _word_list("finglish")
# French, German, Spanish, Italian, Portuguese, Dutch, Turkish and Indonesian words.
_OT_BASE = _word_list("other_latin")
# Words of two or more of the Latin languages above: recognised, but they cast no vote.
_NEUTRAL_LATIN = _word_list("neutral_latin")

# Latin vote classes, indexes into the vote list.
_EN: Final = 0
_LOAN: Final = 1
_FI: Final = 2
_OT: Final = 3
_NONE: Final = 4


def _build_latin_lexicon() -> dict[str, int]:
    """Map every known Latin word to its vote class; words in several lexicons go neutral."""
    en = _EN_BASE | _LOANWORDS
    shared = (en & _FI_BASE) | (en & _OT_BASE) | (_FI_BASE & _OT_BASE) | _NEUTRAL_LATIN
    lexicon = dict.fromkeys(en - _LOANWORDS, _EN)
    lexicon.update(dict.fromkeys(_LOANWORDS, _LOAN))
    lexicon.update(dict.fromkeys(_FI_BASE, _FI))
    lexicon.update(dict.fromkeys(_OT_BASE, _OT))
    lexicon.update(dict.fromkeys(shared, _NONE))
    return lexicon


_LATIN_LEX: Final = _build_latin_lexicon()


def _build_squeezed() -> dict[str, int]:
    """Map lexicon words with repeated letters squeezed ("khoob" -> "khob") to their class.

    Squeezed forms claimed by two classes are dropped.
    """
    out: dict[str, int] = {}
    clashes: set[str] = set()
    for word, cls in _LATIN_LEX.items():
        if cls == _NONE:
            continue
        key = _REPEAT_RE.sub(r"\1", word)
        if out.get(key, cls) != cls:
            clashes.add(key)
        out[key] = cls
    return {k: v for k, v in out.items() if k not in clashes}


_SQUEEZED: Final = _build_squeezed()

# Spelling cues for Latin words no lexicon knows.
# Finglish: "kh"/"zh" (خ ژ), "gh" not preceded by i/u (English "gh" is in -igh/-ough/-augh),
# q without u (ق), x+vowel (خ as in "xeili"), mi-/nemi- verb prefixes on Persian stems,
# "ooz"/"oosh", "aa", "ey" before l/m/f/k/v (kheyli, gheymat, keyfiat, peyk) and typical
# Persian verb and pronoun endings (-dam/-tam/-ram, -esh, -etun, -emun ...).
_FI_CUE_RE = re.compile(
    r"kh|zh|(?:^|[^iu])gh|q(?!u)|^x[aeiou]|oo(?:z|sh|kh|gh)|aa|ey[lmfkv]"
    r"|^(?:ne|na)?mi(?:kh|sh|kon|kar|r[aei]|d[aeiu]|g[aei]|tun|toon|tav|z[ae]|y[aeiu]"
    r"|a[dymn]|bin|bar|fre|fer|por|res|duz|dun|doon|fah|gir|saz|pa|ne|de|kha)"
    r"|(?:[dt]am|[aeiou]ram|stam|[^fr]esh|etun|etoon|eshun|eshoon|emun|emoon)$"
)
# English: common suffixes and letter pairs Finglish spelling does not use.
_EN_CUE_RE = re.compile(
    r"(?:ing|tion|tions|ness|ment|ments|able|ible|ful|less|ly|ed|ies|ous|ity|ive|est)$"
    r"|th|wh|ck|ph|c(?!h)|[^aeiouy]y$"
)
# Other Latin languages: German, Turkish, Spanish and French word endings.
_OT_CUE_RE = re.compile(r"sch|(?:ung|heit|keit|lich|chen|iert|ieren|iyor|cion|mente|eux|euse)$")


@lru_cache(maxsize=1 << 16)
def _unknown_latin_vote(token: str) -> tuple[int, float]:
    """Vote of a Latin word missing from the lexicons, as (class, weight).

    Cached: unknown words follow a Zipf curve too, and the regexes below cost far more than
    a cache hit.
    """
    if not token.isascii():
        # Diacritics (é, ü, ş, ñ, ß ...) are not used in English or Finglish spelling.
        return _OT, 1.0
    if _ELONGATED_RE.search(token):
        token = _REPEAT_RE.sub(r"\1", token)
        cls = _SQUEEZED.get(token)
        if cls is not None:
            return cls, 1.0
    if token.endswith(_EN_SUFFIXES):
        for suffix in _EN_SUFFIXES:
            if not token.endswith(suffix):
                continue
            stem = token[: -len(suffix)]
            # Short stems match too much by accident ("hd" -> "h" + "e" = "he").
            if len(stem) >= 3 and (
                _LATIN_LEX.get(stem) == _EN or _LATIN_LEX.get(stem + "e") == _EN
            ):
                return _EN, 1.0
    if _FI_CUE_RE.search(token):
        return _FI, 0.75
    if _EN_CUE_RE.search(token):
        return _EN, 0.5
    if _OT_CUE_RE.search(token):
        return _OT, 0.5
    return _NONE, 0.0


def _latin_votes(tokens: list[str], use_cues: bool) -> list[float]:
    """Votes of Latin words per class: [english, loanword, finglish, other, none].

    With ``use_cues`` False only lexicon evidence counts (known words, their inflections and
    elongations, diacritics): inside Persian-script text the unknown Latin words are mostly
    brand and model names ("HTC", "amoled"), whose spelling says nothing about language.
    """
    votes = [0.0, 0.0, 0.0, 0.0, 0.0]
    lookup = _LATIN_LEX.get
    for token in tokens:
        cls = lookup(token)
        if cls is None:
            cls, weight = _unknown_latin_vote(token)
            if use_cues or weight >= 1.0:
                votes[cls] += weight
        else:
            votes[cls] += 1.0
    return votes


def _persian_vs_arabic(text: str, tokens: list[str]) -> tuple[float, float]:
    """Evidence that an Arabic-script block is Persian, and that it is Arabic/Urdu/..."""
    fa = 3.0 * len(_FA_LETTER_RE.findall(text))
    # Persian ی/ک are what every Persian keyboard types; Arabic layouts type ي/ك instead.
    fa += 0.5 * (text.count("ی") + text.count("ک"))
    fa += 2.0 * text.count(_ZWNJ)
    fa += 3.0 * sum(map(_FA_WORDS.__contains__, tokens))
    ar = 3.0 * sum(map(_AR_FUNCTION.__contains__, tokens))
    # The article ال- starts most Arabic nouns but only a handful of Persian words.
    ar += 0.5 * (text.count(" ال") + text.startswith("ال"))
    if _NON_FA_LETTER_RE.search(text):
        ar += 3.0 * len(_AR_ONLY_LETTER_RE.findall(text))
        ar += 3.0 * len(_NON_FA_AR_LETTER_RE.findall(text))
        # Per word, not per letter, so that an elongated "عالىىىىىى" counts once.
        ar += 0.5 * sum(1 for t in tokens if _WEAK_NON_FA_LETTER_RE.search(t))
    return fa, ar


def _strip_noise(text: str) -> str:
    """Blank out URLs, e-mails, @handles, Latin hashtags, placeholders and bare domains."""
    if "://" in text or "www." in text or "WWW." in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _AT_RE.sub(" ", text)
    if "#" in text:
        text = _HASHTAG_RE.sub(" ", text)
    if "[" in text or "<" in text or "{" in text:
        text = _PLACEHOLDER_RE.sub(" ", text)
    if "." in text and _DOMAIN_HINT_RE.search(text):
        text = _DOMAIN_RE.sub(" ", text)
    return text


def _latin_words(lowered: str) -> list[str]:
    """Latin words of lower-cased text, without digit-only runs and letter-digit codes."""
    return [
        run
        for run in _LAT_RUN_RE.findall(lowered)
        if run.isalpha() or ("'" in run and run.replace("'", "").isalpha())
    ]


def _script(ar_tokens: list[str], lat_tokens: list[str]) -> Script:
    """Dominant script; ``mixed`` when the minority has two words and a quarter of letters."""
    if not lat_tokens:
        return "arabic"
    if not ar_tokens:
        return "latin"
    ar_letters = sum(map(len, ar_tokens))
    lat_letters = sum(map(len, lat_tokens))
    majority: Script
    if ar_letters >= lat_letters:
        majority, minority_tokens, minority_letters = "arabic", len(lat_tokens), lat_letters
    else:
        majority, minority_tokens, minority_letters = "latin", len(ar_tokens), ar_letters
    total = ar_letters + lat_letters
    if minority_tokens >= 2 and minority_letters >= SCRIPT_MIXED_MIN_SHARE * total:
        return "mixed"
    return majority


def _confidence(winner: float, total: float, evidence: float) -> float:
    """Winner's share of the words, discounted when there is little evidence behind it."""
    share = winner / total if total > 0 else 0.0
    strength = evidence / (evidence + 2.0) if evidence > 0 else 0.0
    return round(share * (0.35 + 0.6 * strength), 3)


_NO_LETTERS: Final = LanguageGuess("other", "none", False, 1.0, False)


def detect_language(text: str) -> LanguageGuess:
    """Guess the language of one feedback record.

    Args:
        text: raw or normalised record text; URLs, e-mails, @handles, placeholders such as
            ``[PHONE]``, digits, emoji and punctuation are ignored.

    Returns:
        A :class:`LanguageGuess`; the module docstring documents the decision rules.
    """
    if not text:
        return _NO_LETTERS
    text = _strip_noise(text)
    ar_tokens: list[str] = _AR_WORD_RE.findall(text)
    lowered = text.lower()
    if "’" in lowered:
        lowered = lowered.replace("’", "'")
    lat_tokens = _latin_words(lowered)
    n_other = 0 if lowered.isascii() else len(_OTHER_WORD_RE.findall(lowered))
    n_ar = len(ar_tokens)
    n_lat = len(lat_tokens)
    if not n_ar and not n_lat:
        # Letters of a script not listed in _OTHER_WORD_RE still make it "other"; Latin
        # letters left here belong to codes such as "SB98XRG1" and do not.
        if n_other or any(ch.isalpha() and ch > "\u024f" for ch in lowered):
            return LanguageGuess("other", "none", False, 0.9, True)
        return _NO_LETTERS

    script = _script(ar_tokens, lat_tokens)

    fa_ev = ar_ev = 0.0
    if n_ar:
        fa_ev, ar_ev = _persian_vs_arabic(text, ar_tokens)
    persian_ar = n_ar if fa_ev >= ar_ev or ar_ev < MIN_ARABIC_EVIDENCE else 0
    arabic_ar = n_ar - persian_ar

    en_core = loan = fi_w = ot_w = 0.0
    if n_lat:
        en_core, loan, fi_w, ot_w, _ = _latin_votes(lat_tokens, use_cues=not persian_ar)
    # Loanwords are half an English vote: Finglish and Persian text use them constantly.
    en_w = en_core + 0.5 * loan

    persian_part = persian_ar + fi_w
    identifiable = n_ar + n_other + en_w + fi_w + ot_w
    if (
        persian_part >= MIXED_MIN_WORDS
        and en_core >= MIXED_MIN_WORDS
        and persian_part >= MIXED_MIN_SHARE * identifiable
        and en_core >= MIXED_MIN_SHARE * identifiable
    ):
        balance = min(persian_part, en_core) / (persian_part + en_core)
        confidence = round(min(0.95, 0.5 + balance), 3)
        return LanguageGuess("mixed", script, fi_w > persian_ar, confidence, True)

    lat_votes = en_w + fi_w + ot_w
    if lat_votes <= 0 and not n_ar and not n_other:
        # Only unknown Latin words (brand names, typos): English is the likeliest
        # Latin-script language in this project's data, but say so weakly.
        return LanguageGuess("en", script, False, 0.25, True)
    # In Latin-only text, share unrecognised Latin words out in proportion to the recognised
    # ones; next to Arabic-script words they are mostly names and stay out of the count.
    scale = 1.0 if n_ar else (n_lat / lat_votes if lat_votes > 0 else 0.0)
    fa_n = persian_ar + fi_w * scale
    en_n = en_w * scale
    ot_n = arabic_ar + n_other + ot_w * scale
    total = fa_n + en_n + ot_n
    # Ties go to Persian when it has Arabic-script words, else to English: "Great service,
    # merci!" is English with a Persian courtesy word, "عالی thanks" is Persian.
    if fa_n >= ot_n and (fa_n > en_n or (fa_n == en_n and persian_ar > 0)):
        finglish = fi_w * scale > persian_ar
        evidence = fi_w if finglish else fa_ev - ar_ev + fi_w
        return LanguageGuess("fa", script, finglish, _confidence(fa_n, total, evidence), True)
    if en_n >= ot_n:
        return LanguageGuess("en", script, False, _confidence(en_n, total, en_w), True)
    evidence = (ar_ev - fa_ev if arabic_ar else 0.0) + ot_w + n_other
    return LanguageGuess("other", script, False, _confidence(ot_n, total, evidence), True)
