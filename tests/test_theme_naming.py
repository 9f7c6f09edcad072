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


@pytest.mark.parametrize(("text", "lang", "named", "not_named"), [
    # English drops the auxiliary a headline drops; a phrasal verb keeps its particle.
    ("My refund was not received yet", "en", "refund not received", "refund received"),
    ("the courier never showed up!", "en", "courier never showed up", "courier never showed"),
    ("even though the item was faulty.", "en", "faulty item", "item faulty"),
    ("the return pickup never showed up", "en", "return pickup never showed up",
     "pickup never showed up"),  # the subject starts at "return"
    # Persian names a compound verb by its infinitive before its noun.
    ("تماس قطع میشه", "fa", "قطع شدن تماس", "تماس قطع"),
    ("سفارش ثبت نشد", "fa", "ثبت نشدن سفارش", "سفارش ثبت"),
    ("پشتیبانی جواب نمیده", "fa", "جواب ندادن پشتیبانی", "پشتیبانی جواب"),
    ("سفارشم نرسیده", "fa", "نرسیدن سفارش", "سفارشم"),  # «م»: my; a negated simple verb
    ("نظرات فیک را پاک کنید!", "fa", "پاک کردن نظرات فیک", "فیک پاک"),
    ("کالا معیوب بود", "fa", "کالای معیوب", "معیوب بودن کالا"),
    # Colloquial and present forms of simple verbs, and a verb that came late.
    ("پیک نیومد", "fa", "نیامدن پیک", "پیک نیومد"),
    ("رمز پویا نمیاد", "fa", "نیامدن رمز پویا", "رمز پویا نمیاد"),
    ("سفارش دیر رسید", "fa", "دیر رسیدن سفارش", "رسیدن سفارش"),
    ("برنامه باز نمیشه", "fa", "باز نشدن برنامه", "برنامه باز"),  # «باز»: a stop word too
    # An intensifier may stand before the adjective, and then the copula may be dropped
    # (a third of SnappFood's cold-food complaints read «غذا خیلی سرد بود»).
    ("غذا خیلی سرد بود", "fa", "غذای سرد", "غذا خیلی"),
    ("بسته‌بندی بسیار ضعیف.", "fa", "بسته‌بندی ضعیف", "بسته‌بندی بسیار"),
    ("سبد خرید خالی شد", "fa", "خالی شدن سبد خرید", "خالی شدن خرید"),
    # An adjective under a negated copula: the infinitive of "not being", never the bare
    # adjective, which says the opposite («راضی»: satisfied).
    ("اصلا راضی نیستم", "fa", "راضی نبودن", "راضی"),
    ("Not happy at all.", "en", "not happy", "happy"),
    ("کالا اصل نیست", "fa", "اصل نبودن", "اصل"),
])
def test_a_problem_is_named_from_the_members_own_clause(
        text: str, lang: str, named: str, not_named: str, tokenizer: ThemeTokenizer) -> None:
    found = candidate_phrases(text, lang, tokenizer)
    assert named in found and not_named not in found


def test_the_object_of_a_preposition_is_no_subject(tokenizer: ThemeTokenizer) -> None:
    # «با تأخیر ارسال شد»: sent with a delay; «ارسال شدن تأخیر» (the delay's sending) is
    # nonsense.
    assert not any("شدن" in p for p in candidate_phrases("با تأخیر ارسال شد", "fa", tokenizer))


@pytest.mark.parametrize(("phrase", "is_name"), [
    ("refund not received", True), ("app keeps crashing", True), ("order cancelled", True),
    ("courier never showed up", True),
    ("courier showed", False),  # a past tense without a negation is a fragment
    ("help deleting", False), ("stop sending", False),  # a verb and its complement
    ("trying to pay", False), ("youre not helping", False), ("despite", False),
])
def test_headline_problem_names(phrase: str, is_name: bool, tokenizer: ThemeTokenizer) -> None:
    assert readable(phrase.split(), "en", tokenizer) is is_name


def test_a_time_noun_alone_names_nothing(tokenizer: ThemeTokenizer) -> None:
    # "Weeks" named a sample theme of waits; inside a longer name the word stays.
    assert not readable(["weeks"], "en", tokenizer) and not readable(["هفته"], "fa", tokenizer)
    assert readable(["minutes", "on", "hold"], "en", tokenizer)
    assert readable(["years"], "en", tokenizer)  # "for years" is loyalty: left out on purpose


def test_a_time_noun_with_only_its_modifiers_names_nothing(tokenizer: ThemeTokenizer) -> None:
    # «هفته دیرتر» (a week later) named the sample's top complaint theme in Persian.
    for phrase, lang in (("last week", "en"), ("whole day", "en"), ("هفته دیرتر", "fa"),
                         ("هفته گذشته", "fa")):
        assert not readable(phrase.split(), lang, tokenizer), phrase
    for phrase, lang in (("delivery day", "en"), ("ساعت تحویل", "fa")):
        assert readable(phrase.split(), lang, tokenizer), phrase


def test_clitic_and_ezafe_forms_and_colloquial_function_words_are_not_names(
        tokenizer: ThemeTokenizer) -> None:
    # «اگه» (if), «صدای» (sound-of) and «امروز به دستم» (today to my hand) named Digikala
    # themes in bench/theme_names_eval.py; the bare nouns stay names.
    for phrase in ("اگه", "صدای", "امروز به دستم", "قیمتش"):
        assert not readable(phrase.split(), "fa", tokenizer), phrase
    for phrase in ("صدا", "کیفیت صدا", "پشتیبانی", "کالای معیوب", "بسته‌بندی"):
        assert readable(phrase.split(), "fa", tokenizer), phrase
    # hazm reads «گوشی» (the phone) as a verb form; a run that writes it names it.
    assert readable(["قاب", "گوشی"], "fa", tokenizer, frozenset({"گوشی"}))


def test_a_noun_that_says_only_that_something_is_there_names_nothing(
        tokenizer: ThemeTokenizer) -> None:
    # "Problem" named a SemEval theme of anecdotes, "Mind" a Bitext theme of accounts.
    # "Customer" and «آدم» (a person) named the sample's chatbot theme: who, not what.
    for phrase, lang in (("problem", "en"), ("issues", "en"), ("mind", "en"), ("مشکل", "fa"),
                         ("customer", "en"), ("آدم", "fa")):
        assert not readable([phrase], lang, tokenizer), phrase
    assert readable(["payment", "problem"], "en", tokenizer)
    assert not readable(["big", "problem"], "en", tokenizer)  # a modifier alone adds no what


def test_a_noun_verb_in_a_verbs_place_is_no_candidate(tokenizer: ThemeTokenizer) -> None:
    # "Change" and "Check" named Bitext themes of "I want to change my order".
    assert "change" not in candidate_phrases("I want to change my order", "en", tokenizer)
    assert "check" not in candidate_phrases("please check the status", "en", tokenizer)
    assert "change" in candidate_phrases("the price change was a surprise", "en", tokenizer)


def test_two_themes_never_get_one_name(tokenizer: ThemeTokenizer) -> None:
    # "item" is the best phrase of themes 0 and 1 alike (score 1.63 and 1.21 by the
    # module's weights); theme 0 fits it better, so theme 1 takes its next, "box" (0.44).
    docs = ["the item", "item again", "an item",
            "item and box", "box item", "box with item",
            "the food", "food again", "cold food"]
    labels = np.array([0] * 3 + [1] * 3 + [2] * 3)
    centres = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], dtype=np.float32)
    model = _fake_model({"item": [1, 0.1, 0], "box": [0.3, 0.3, 0.9]}, {})
    names = name_themes(docs, ["en"] * 9, labels, [0, 1, 2], centres,
                        {"en": np.zeros(3, dtype=np.float32)}, model, [0.0] * 3,
                        tokenizer)["en"]
    assert names[0].name == "Item"
    assert names[1].name == "Box"


def test_a_complaint_theme_prefers_its_problem_to_a_bare_noun(
        tokenizer: ThemeTokenizer) -> None:
    # 2 of 30 members say the courier never showed up: under the 5% a name needs, over
    # half of it; a problem phrase says more than "Courier" (every member's word).
    docs = (["the courier never showed up"] * 2 + ["courier was rude"] * 28)
    model = _fake_model({"courier": [1, 0, 0], "courier never showed up": [0.9, 0.3, 0],
                         "rude courier": [0.8, 0.2, 0.1]},
                        {"courier never showed up": 0.95, "rude courier": 0.3})
    names = name_themes(docs, ["en"] * 30, np.zeros(30, dtype=np.int64), [0],
                        np.array([[1, 0, 0]], dtype=np.float32),
                        {"en": np.zeros(3, dtype=np.float32)}, model, [1.0], tokenizer)
    assert names["en"][0].name == "Courier never showed up"


def test_a_problem_another_theme_fits_better_does_not_name_this_one(
        tokenizer: ThemeTokenizer) -> None:
    # «گیج شدن آدم»-like: "customer confused" reads negative and 3 of 6 members say it,
    # but it sits nearer theme 1's centre; theme 0 is named by its own "robot".
    docs = ["robot, customer confused", "robot loop, customer confused",
            "the robot again, customer confused", "robot answers",
            "robot links", "the robot", "price high", "high price", "the price"]
    model = _fake_model({"robot": [1, 0, 0], "customer confused": [0.2, 0.9, 0.3],
                         "customer": [0.2, 0.9, 0.3], "price": [0, 1, 0]},
                        {"customer confused": 0.9, "robot": 0.2})
    names = name_themes(docs, ["en"] * 9, np.array([0] * 6 + [1] * 3), [0, 1],
                        np.eye(2, 3, dtype=np.float32), {"en": np.zeros(3, dtype=np.float32)},
                        model, [1.0, 0.0], tokenizer)["en"]
    assert names[0].name == "Robot"


def test_a_common_phrase_nearer_another_theme_yields_to_one_of_this_themes(
        tokenizer: ThemeTokenizer) -> None:
    # 2 of 60 praise members say "quick and friendly" (under the 5% a name needs); 12 say
    # "courier", which sits nearer the delivery theme's centre: the theme's own phrase
    # names it ("Courier" named the sample's theme of praise).
    docs = (["quick and friendly"] * 2 + ["courier was nice"] * 12 + ["great, thanks"] * 46
            + ["the courier was late"] * 3 + ["late again"] * 57)
    model = _fake_model({"quick and friendly": [1, 0, 0], "courier": [0.3, 1, 0]}, {})
    names = name_themes(docs, ["en"] * 120, np.array([0] * 60 + [1] * 60), [0, 1],
                        np.eye(2, 3, dtype=np.float32), {"en": np.zeros(3, dtype=np.float32)},
                        model, [0.0, 1.0], tokenizer)["en"]
    assert names[0].name == "Quick and friendly"


def test_the_two_languages_names_name_one_thing(tokenizer: ThemeTokenizer) -> None:
    # On the centre alone «قیمت» (price) wins by 0.009 (0.835 to 0.826); «ارسال» is the
    # English name's ("delivery") translation, 0.8 similar to it against 0.6, and the
    # agreement (W_AGREE 0.2 x 0.2 = 0.04) makes it the Persian name.
    docs = ["delivery was slow", "slow delivery again", "the delivery took ages",
            "ارسال و قیمت", "قیمت و ارسال", "ارسال کند و قیمت"]
    vectors = {"delivery": [1, 0, 0], "slow delivery": [0.9, 0.1, 0],
               "ارسال": [0.8, 0, 0.6], "قیمت": [0.6, 0.8, 0]}
    centre = np.array([[0.6, 0.46, 0.4]], dtype=np.float32)
    names = name_themes(docs, ["en"] * 3 + ["fa"] * 3, np.zeros(6, dtype=np.int64), [0],
                        centre / np.linalg.norm(centre),
                        {"en": np.zeros(3, dtype=np.float32),
                         "fa": np.zeros(3, dtype=np.float32)},
                        _fake_model(vectors, {}), [0.0], tokenizer)
    assert names["en"][0].name == "Delivery"
    assert names["fa"][0].name == "ارسال"


def test_a_lone_complaint_word_of_every_theme_does_not_name_one(
        tokenizer: ThemeTokenizer) -> None:
    # "issue" reads as negative but sits nearer the food theme's centre (margin < 0 for
    # theme 0): it says something is wrong, not what. "Refund" names theme 0.
    docs = ["refund issue", "refund issue again", "the refund issue",
            "food issue", "cold food", "food"]
    model = _fake_model({"issue": [0.3, 0.9, 0.1], "refund": [1, 0, 0], "food": [0, 1, 0]},
                        {"issue": 0.9, "refund": 0.1, "refund issue": 0.3})
    names = name_themes(docs, ["en"] * 6, np.array([0, 0, 0, 1, 1, 1]), [0, 1],
                        np.eye(2, 3, dtype=np.float32), {"en": np.zeros(3, dtype=np.float32)},
                        model, [1.0, 0.5], tokenizer)["en"]
    assert names[0].name == "Refund"


@pytest.mark.parametrize(("text", "lang", "absent", "present"), [
    ("Nothing special, it's ok.", "en", "special", None),
    ("It isn't really special at all", "en", "special", None),
    ("Two months of daily use, no issues", "en", "issues", "daily use"),
    ("اصلاً راضی نیستم.", "fa", "راضی", None),
    ("کیفیت خوب نبود", "fa", "خوب", "کیفیت"),
    ("The special offer was great", "en", None, "special offer"),
])
def test_a_phrase_in_a_negations_scope_is_no_candidate(tokenizer: ThemeTokenizer, text: str,
                                                       lang: str, absent: str | None,
                                                       present: str | None) -> None:
    # Named from such an occurrence, a 50%-negative theme of "Nothing special" and «راضی
    # نیستم» was called "Special · «راضی»" (satisfied): the opposite of its members.
    found = candidate_phrases(text, lang, tokenizer)
    assert absent is None or absent not in found
    assert present is None or present in found


def test_a_keyword_label_is_not_taken_from_words_the_members_negate(
        tokenizer: ThemeTokenizer) -> None:
    from voc.themes.describe import _label
    from voc.themes.naming import mostly_affirmed

    members = ["Nothing special, it's ok.", "To be honest, nothing special", "Delivery was ok"]
    assert not mostly_affirmed("special", members, "en", tokenizer)
    assert mostly_affirmed("special", ["Special offers every week", "nothing special"], "en",
                           tokenizer)
    assert _label([], ["special", "delivery"], "en", tokenizer, members) == "Delivery"
    assert _label([], ["راضی"], "fa", tokenizer, ["اصلاً راضی نیستم", "راضی نیستم"]) is None
