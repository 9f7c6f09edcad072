"""Normalization rules for Persian (hazm) and English, and placeholder safety."""

from __future__ import annotations

import pytest

from voc.normalize.component import NormalizeComponent, truncate_at_word
from voc.normalize.english import EnglishNormalizer, load_english_pipeline
from voc.normalize.persian import PersianNormalizer
from voc.normalize.unicode import clean_unicode
from voc.pipeline.settings import NormalizeSettings

ZWNJ = "\u200c"


@pytest.fixture(scope="module")
def persian() -> PersianNormalizer:
    return PersianNormalizer()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("كيفيت", "کیفیت"),  # Arabic kaf/yeh typed on an Arabic keyboard
        ("ميخواستم", f"می{ZWNJ}خواستم"),  # missing half-space after the mi- prefix
        ("می خواهم", f"می{ZWNJ}خواهم"),  # a space where the half-space belongs
        ("نمیدانم", f"نمی{ZWNJ}دانم"),
        ("کتاب ها", f"کتاب{ZWNJ}ها"),  # plural suffix
        (f"کتاب{ZWNJ}{ZWNJ}ها", f"کتاب{ZWNJ}ها"),  # doubled half-space
        ("خیییییلی", "خیلی"),  # letters stretched for emphasis
        ("قیمت ۱۲۵۰۰۰ تومان و ٣ روز", "قیمت 125000 تومان و 3 روز"),  # Persian/Arabic digits
        ("سَلامٌ", "سلام"),  # diacritics
        ("سلام  \n\n  دنیا", "سلام\nدنیا"),  # whitespace, line breaks kept once
    ],
)
def test_persian_rules(persian: PersianNormalizer, raw: str, expected: str) -> None:
    assert persian.normalize(raw) == expected


def test_informal_lexicon_and_off_mode() -> None:
    assert PersianNormalizer("lexicon").normalize("اون یه روز دیر اومد") == "آن یک روز دیر آمد"
    assert PersianNormalizer("off").normalize("اون یه روز") == "اون یه روز"
    with pytest.raises(ValueError, match="informal must be one of"):
        PersianNormalizer("sometimes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Soooo goooood!!!!!!", "Soo good!!!"),
        ("“smart quotes” ’", "\"smart quotes\" '"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("I  love\u200b it", "I love it"),
        ("ALL CAPS STAYS", "ALL CAPS STAYS"),
    ],
)
def test_english_rules(raw: str, expected: str) -> None:
    assert EnglishNormalizer().normalize(raw) == expected


def test_bidi_controls_and_control_characters_are_removed() -> None:
    assert clean_unicode("abc\u202edef\x07 ghi\u200f") == "abcdef ghi"
    assert clean_unicode(f"نیم{ZWNJ}فاصله") == f"نیم{ZWNJ}فاصله"  # ZWNJ is spelling


@pytest.fixture(scope="module")
def component() -> NormalizeComponent:
    return NormalizeComponent(NormalizeSettings(max_chars=200))


def test_placeholders_survive_persian_normalization(component: NormalizeComponent) -> None:
    record = {"text_redacted": "شماره من [PHONE] هست و ايميلم [EMAIL]", "lang": "fa"}
    assert component.normalize(record)["text_normalized"] == \
        "شماره من [PHONE] هست و ایمیلم [EMAIL]"


def test_long_answers_are_truncated_and_flagged(component: NormalizeComponent) -> None:
    record = {"text_redacted": "word " * 100, "lang": "en"}
    fields = component.normalize(record)
    assert fields["status"] == "too_long"
    assert len(fields["text_normalized"]) <= 200
    assert fields["text_normalized"].endswith("word")


def test_truncate_at_word() -> None:
    assert truncate_at_word("short", 10) == "short"
    assert truncate_at_word("alpha beta gamma", 12) == "alpha beta"
    assert truncate_at_word("x" * 30, 10) == "x" * 10


def test_blank_spacy_pipeline_has_sentences_and_lookup_lemmas() -> None:
    nlp = load_english_pipeline("blank")
    doc = nlp("The couriers were late. Refunds took weeks.")
    assert [s.text for s in doc.sents] == ["The couriers were late.", "Refunds took weeks."]
    assert [t.lemma_ for t in doc if t.is_alpha][:3] == ["The", "courier", "be"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("good\u200bservice", "good service"), ("late\u200b \u200bdelivery", "late delivery"),
     ("سفارش\u200bدیر\u200bرسید", "سفارش دیر رسید"), ("end\u200b", "end")],
)
def test_a_zero_width_space_between_words_becomes_a_space(raw: str, expected: str) -> None:
    assert clean_unicode(raw) == expected


def test_persian_normalization_keeps_zwnj_and_splits_at_zero_width_spaces() -> None:
    normalized = PersianNormalizer(informal="off").normalize(
        f"بسته{ZWNJ}بندی\u200bخوب بود")
    assert normalized == f"بسته{ZWNJ}بندی خوب بود"


def test_shared_hazm_objects_are_built_once_and_equal_hazms_own() -> None:
    """hazm's Normalizer and Lemmatizer are built on one shared WordTokenizer and one read
    of words.dat (issue 14), and hold what hazm builds on its own."""
    import hazm

    from voc.language.lexicon import hazm_word_rows
    from voc.normalize.persian import (
        _verb_joining_tokenizer,
        hazm_normalizer,
        persian_lemmatizer,
        persian_word_tokenizer,
    )

    normalizer, lemmatizer = hazm_normalizer(), persian_lemmatizer()
    assert normalizer._tokenizer is persian_word_tokenizer()
    assert lemmatizer.words is _verb_joining_tokenizer().words
    assert PersianNormalizer()._hazm is normalizer
    assert list(hazm_word_rows()) == hazm.utils.words_list()

    own = hazm.Normalizer(persian_numbers=False)
    assert normalizer._words == own._words
    assert normalizer._verbs == own._verbs  # the unjoined verbs, derived from the shared table
    own_lemmatizer = hazm.Lemmatizer()
    assert lemmatizer.verbs == own_lemmatizer.verbs
    text = "اِعلاممممم کَرد : « زمین لرزه ای به بُزرگیِ 6 دهم ریشتر ...» می خواهم کتاب ها را"
    assert normalizer.normalize(text) == own.normalize(text)
    assert [lemmatizer.lemmatize(w) for w in ("کتاب‌ها", "می‌روم", "رفته_است")] == \
        [own_lemmatizer.lemmatize(w) for w in ("کتاب‌ها", "می‌روم", "رفته_است")]
