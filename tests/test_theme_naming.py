"""Theme names (voc.themes.naming): noun phrases from the theme's own words, never
Finglish, placeholders, bare verbs or fragments; complaint themes name the problem."""

from __future__ import annotations

import numpy as np
import pytest

from voc.themes.naming import PhraseOutputs, candidate_phrases, name_themes, readable
from voc.themes.vectorizer import ThemeTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> ThemeTokenizer:
    return ThemeTokenizer()


@pytest.mark.parametrize(("phrase", "lang"), [
    ("late delivery", "en"), ("refund delays", "en"), ("card number", "en"),
    ("app crashes", "en"), ("shipping", "en"), ("prices", "en"), ("refund", "en"),
    ("تأخیر در ارسال", "fa"), ("کیفیت غذا", "fa"), ("جنس تقلبی", "fa"), ("پشتیبانی", "fa"),
    ("بسته آسیب‌دیده", "fa"),  # the package: shaped like a participle, listed as a noun
    ("درگاه پرداخت", "fa"), ("سبد خرید", "fa"),  # past stems that are nouns too
])
def test_noun_phrases_are_names(phrase: str, lang: str, tokenizer: ThemeTokenizer) -> None:
    assert readable(phrase.split(), lang, tokenizer)


@pytest.mark.parametrize(("phrase", "lang"), [
    ("poshtibani", "en"), ("pool marjooi", "en"),  # Finglish
    ("doing", "en"), ("arrived", "en"), ("did", "en"),  # bare verbs
    ("late", "en"), ("actually", "en"), ("stop sending", "en"),
    ("زده", "fa"), ("خریدم", "fa"), ("نرسیده", "fa"), ("برگردونید", "fa"),  # verbs
    ("راضی نیستم", "fa"), ("عالیه", "fa"), ("سریع", "fa"),
    ("فروشگاه‌های", "fa"), ("ایمیل‌ها جواب", "fa"),  # fragments
    ("بزن آخرش قطع", "fa"), ("بخر", "fa"),  # imperatives (named a sample theme)
    ("وقت بخیر", "fa"), ("regards", "en"), ("درود", "fa"),  # greetings and sign-offs
    ("want", "en"), ("lost", "en"), ("remove", "en"), ("think", "en"),  # verbs, alone
    ("want to cancel", "en"),  # a verb and its object
    ("clickbait ads make", "en"), ("aug", "en"), ("تحویل‌شده", "fa"), ("منقضی نشه", "fa"),
    ("متأسفانه درگاه پرداخت", "fa"),  # verbs, a month, an adverb (sample report names)
    ("مبلغ برگشت", "fa"), ("مشکل داشت", "fa"),  # a clause ending on a past stem
    ("سفارش", "en"), ("delivery", "fa"),  # wrong script for the language
])
def test_verbs_finglish_and_fragments_are_not_names(phrase: str, lang: str,
                                                    tokenizer: ThemeTokenizer) -> None:
    assert not readable(phrase.split(), lang, tokenizer)


def test_candidates_never_span_placeholders_or_punctuation(tokenizer: ThemeTokenizer) -> None:
    found = candidate_phrases("[NAME] said the delivery, late delivery again", "en", tokenizer)
    assert "late delivery" in found and "delivery" in found
    assert not any("name" in p or "," in p for p in found)
    # Surface words, never the lemmatizer's truncations («عالی» -> «عال»).
    assert not {p for p in candidate_phrases("عالیه، محصولات عالی", "fa", tokenizer)
                if "عال" in p.split()}


def _fake_model(vectors: dict[str, list[float]], negative: dict[str, float]):
    def model(phrases: list[str]) -> PhraseOutputs:
        embeddings = np.array([vectors.get(p, [0.0, 0.0, 1.0]) for p in phrases],
                              dtype=np.float32)
        embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
        return PhraseOutputs(embeddings, np.array([negative.get(p, 0.1) for p in phrases]))
    return model


def test_complaint_theme_names_the_problem_praise_theme_the_topic(
        tokenizer: ThemeTokenizer) -> None:
    # Theme 0 (complaints) and theme 1 (praise) both talk about refunds; theme 2 about food.
    docs = (["my refund is late, refund delay again"] * 3 + ["the refund never came"] * 3
            + ["quick refund, thanks"] * 6 + ["the food was cold"] * 6)
    labels = np.array([0] * 6 + [1] * 6 + [2] * 6)
    centres = np.array([[1, 0, 0], [0.7, 0.7, 0], [0, 0, 1]], dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    model = _fake_model({"refund": [0.8, 0.6, 0], "refund delay": [0.9, 0.3, 0],
                         "food": [0, 0, 1], "cold": [0.3, 0.3, 0.9],
                         "cold food": [0.3, 0.3, 0.9]},
                        {"refund delay": 0.9, "refund": 0.2})
    names = name_themes(docs, ["en"] * len(docs), labels, [0, 1, 2], centres,
                        {"en": np.zeros(3, dtype=np.float32)}, model, [1.0, 0.0, 0.0],
                        tokenizer)["en"]
    assert names[0].name == "Refund delay"
    assert names[1].name == "Refund"
    assert names[2].name == "Food"


def test_finglish_members_are_named_through_the_persian_script_ones(
        tokenizer: ThemeTokenizer) -> None:
    docs = ["poshtibani javab nemide", "poshtibani kheili bade",
            "پشتیبانی جواب نمیده", "پشتیبانی خیلی کنده", "پشتیبانی تلفنی ضعیف است"]
    names = name_themes(docs, ["fa"] * 5, np.zeros(5, dtype=np.int64), [0],
                        np.ones((1, 3), dtype=np.float32) / np.sqrt(3), {}, None, [1.0],
                        tokenizer)
    assert set(names) == {"fa"}
    assert names["fa"][0].name.startswith("پشتیبانی")


def test_a_single_member_does_not_name_a_theme_in_its_language(
        tokenizer: ThemeTokenizer) -> None:
    docs = ["پیک گفت پنج طبقه بیام پایین", "پیک دیر رسید", "پیک بی‌ادب بود",
            "the courier asked me to come down five floors"]
    names = name_themes(docs, ["fa", "fa", "fa", "en"], np.zeros(4, dtype=np.int64), [0],
                        np.ones((1, 3), dtype=np.float32) / np.sqrt(3), {}, None, [1.0],
                        tokenizer)
    assert 0 not in names.get("en", {})
    assert names["fa"][0].name == "پیک"


def test_a_theme_no_phrase_names_is_named_by_a_quote_not_a_placeholder() -> None:
    from voc.themes.describe import quoted_label

    assert quoted_label(["Fix it please.", "Please fix this ASAP."]) == "“Fix it please.”"
    assert quoted_label(["one two three four five six seven eight"]) == \
        "“one two three four five six …”"
    assert quoted_label([]) is None


def test_keyword_fallback_label_is_one_readable_phrase(tokenizer: ThemeTokenizer) -> None:
    from voc.themes.describe import _label

    # "tomans, paid" (two keywords, the second a bare verb) named a sample theme.
    assert _label([], ["paid", "price"], "en", tokenizer) == "Price"
    assert _label(["card number"], ["paid"], "en", tokenizer) == "Card number"
    assert _label([], ["paid", "did"], "en", tokenizer) is None


def test_a_finglish_theme_is_named_in_persian_script_read_from_its_words(
        tokenizer: ThemeTokenizer) -> None:
    # Theme 0 is all Finglish; the run's Persian words (theme 1) say how to spell them.
    docs = ["pool marjooi ro kei mirizid", "pool marjooi hanooz nayoomade",
            "pool marjooi kojast", "پول مرجوعی من کجاست", "پیک دیر رسید", "پیک دیر اومد"]
    labels = np.array([0, 0, 0, 1, 1, 1])
    centres = np.eye(2, 3, dtype=np.float32)
    names = name_themes(docs, ["fa"] * 6, labels, [0, 1], centres, {}, None, [1.0, 1.0],
                        tokenizer)
    assert names["fa"][0].name == "پول مرجوعی"


def test_finglish_words_are_read_in_persian_script_the_runs_own_spelling_first() -> None:
    from voc.language.finglish import FinglishReader

    reader = FinglishReader({"مرجوعی": 3, "شعبه": 2})
    assert reader.word("marjooi") == "مرجوعی"  # not in hazm's lexicon: the run's word
    assert reader.word("tahvil") == "تحویل"
    assert reader.word("shobe") == "شعبه"  # not «شب»: no unwritten vowel after the end
    assert reader.word("sefaresh") == "سفارش"
    assert reader.word("oomad") != "احمد"  # ح is always written; names are never readings
    assert reader.word("ok") is None  # too short to tell
    assert reader.text("pool marjooi xqzt") == "پول مرجوعی \n"


def test_the_noun_of_a_compound_verb_does_not_end_a_name(tokenizer: ThemeTokenizer) -> None:
    found = candidate_phrases("سفارش ثبت نشد و درگاه پرداخت قطع شد", "fa", tokenizer)
    assert "سفارش ثبت" not in found and "درگاه پرداخت قطع" not in found
    assert {"سفارش", "درگاه"} <= found
