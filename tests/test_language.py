"""Tests for voc.language.detect: per-record language identification."""

from __future__ import annotations

import dataclasses
import time

import pytest

from voc.language import LanguageGuess, detect_language
from voc.language.detect import MIXED_MIN_SHARE, MIXED_MIN_WORDS

# (text, lang, script, finglish)
CASES: list[tuple[str, str, str, bool]] = [
    # Persian, formal and informal, ZWNJ, Arabic-keyboard letters.
    ("این محصول کیفیت بسیار خوبی دارد و ارسال آن سریع بود.", "fa", "arabic", False),
    ("خیلی کند بود، دیگه ازشون سفارش نمیدم", "fa", "arabic", False),
    ("نمی‌تونم وارد حسابم بشم، پشتیبانی هم جواب نمیده", "fa", "arabic", False),
    ("اين محصول خيلي خوب است", "fa", "arabic", False),
    ("كيفيت غذا خيلي بد بود و دير رسيد", "fa", "arabic", False),
    ("فوق العاده سالم و خوشمزه", "fa", "arabic", False),
    ("مخزن آب جدا", "fa", "arabic", False),
    ("آثار بزرگ علوے خیلے ارزشمنده", "fa", "arabic", False),
    # Persian with brand names, loanwords or codes in Latin letters: still Persian. Two
    # Latin words holding a quarter of the letters make the *script* mixed, though.
    ("اپ snapp خیلی کنده", "fa", "arabic", False),
    ("سفارشم از Snapp Food خیلی دیر رسید", "fa", "mixed", False),
    ("اپ رو update کردم ولی باز crash میکنه", "fa", "mixed", False),
    ("کد تخفیف SB98XRG1YC3DC1 کار نمیکنه", "fa", "arabic", False),
    # Very short texts.
    ("عالی", "fa", "arabic", False),
    ("مرسی", "fa", "arabic", False),
    ("ok", "en", "latin", False),
    ("thanks!", "en", "latin", False),
    ("merci", "fa", "latin", True),
    # Arabic and Urdu are Arabic script but not Persian.
    ("هذا المنتج جيد جدا ولكن التوصيل كان متأخرا", "other", "arabic", False),
    ("شكرا على التوصيل السريع", "other", "arabic", False),
    ("الخدمة سيئة جداً ولم يرد علي أحد", "other", "arabic", False),
    ("آرڈر بہت دیر سے پہنچا", "other", "arabic", False),
    # English.
    ("The food was cold and the driver was rude", "en", "latin", False),
    ("Great app, works perfectly!", "en", "latin", False),
    ("I've been waiting for my refund for two weeks", "en", "latin", False),
    ("VERY GOOD", "en", "latin", False),
    ("sooo goood", "en", "latin", False),
    # Finglish, several spellings, short and long.
    ("kheili bad bood, ersal dir shod", "fa", "latin", True),
    ("khili khub bud, mamnoon", "fa", "latin", True),
    ("xeili xub bud", "fa", "latin", True),
    ("Kheyli khoob bood merci", "fa", "latin", True),
    ("kheiliii khoooob", "fa", "latin", True),
    ("salam, sefaresham hanooz naresid", "fa", "latin", True),
    ("chera pool ro bargasht nemidid?", "fa", "latin", True),
    ("app ro update kardam vali baz crash mikone", "fa", "latin", True),
    (
        "az vaghti barname ro update kardam har bar ke mikham sefaresh bedam error mide va "
        "pardakht anjam nemishe",
        "fa",
        "latin",
        True,
    ),
    # Mixed, both ways and both Persian scripts.
    ("سفارشم دیر رسید and the food was cold", "mixed", "mixed", False),
    ("The app keeps crashing، لطفا درستش کنید", "mixed", "mixed", False),
    ("kheili khoob bood but the delivery was late", "mixed", "latin", True),
    ("I waited for an hour va hanooz ghaza naresid", "mixed", "latin", True),
    # One Persian word in English, or one English word in Persian, is not mixed.
    ("Great service, merci!", "en", "latin", False),
    ("The courier was really late again خیلی", "en", "latin", False),
    ("سلام، my refund has not arrived yet", "en", "latin", False),
    ("غذا خیلی سرد بود، really", "fa", "arabic", False),
    # Other Latin-script languages.
    ("Le produit est arrivé en retard, très déçu", "other", "latin", False),
    ("Die Lieferung war sehr langsam", "other", "latin", False),
    ("El pedido llegó tarde y frío", "other", "latin", False),
    ("Ürün çok kötü, kargo geç geldi", "other", "latin", False),
    ("Il prodotto è arrivato rotto", "other", "latin", False),
    ("Não recebi meu reembolso ainda", "other", "latin", False),
    # Other scripts.
    ("Доставка была очень медленной", "other", "none", False),
    ("送货太慢了", "other", "none", False),
    # URLs, e-mails, handles and placeholders are ignored.
    (
        "سفارشم رو از https://www.digikala.com/product/123 خریدم ولی خراب بود",
        "fa",
        "arabic",
        False,
    ),
    ("please contact me at ali.rezaei@gmail.com about my order", "en", "latin", False),
    ("[PHONE] لطفا با من تماس بگیرید", "fa", "arabic", False),
    ("@snappfood_support kheili dir javab midid", "fa", "latin", True),
]


@pytest.mark.parametrize(("text", "lang", "script", "finglish"), CASES)
def test_detect_language(text: str, lang: str, script: str, finglish: bool) -> None:
    guess = detect_language(text)
    assert (guess.lang, guess.script, guess.finglish) == (lang, script, finglish), guess
    assert guess.has_letters
    assert 0.0 < guess.confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀👍",
        "12345",
        "۱۲۳۴۵",
        "!!! ??? ...",
        "؟؟؟ ،،",
        "10/10",
        "https://snappfood.ir/order/123",
        "info@example.com",
        "@user_1 #Hashtag2024",
        "[PHONE] [EMAIL]",
    ],
)
def test_no_letters(text: str) -> None:
    guess = detect_language(text)
    assert guess == LanguageGuess("other", "none", False, 1.0, False)


def test_guess_is_frozen() -> None:
    guess = detect_language("khoob bood")
    with pytest.raises(dataclasses.FrozenInstanceError):
        guess.lang = "en"  # type: ignore[misc]


def test_more_evidence_means_more_confidence() -> None:
    short = detect_language("عالی")
    long = detect_language("این محصول خیلی عالی بود و ارسالش هم سریع بود، ممنون از پشتیبانی")
    assert short.lang == long.lang == "fa"
    assert long.confidence > short.confidence


def test_mixed_thresholds_documented_values() -> None:
    # The rule the docstring promises; changing it is a behaviour change.
    assert MIXED_MIN_WORDS == 2
    assert MIXED_MIN_SHARE == 0.25


def test_throughput_smoke() -> None:
    # Loose bound so a busy CI machine does not fail; bench/langid_eval.py measures properly.
    texts = [
        "سفارشم خیلی دیر رسید و غذا کاملا سرد بود، پشتیبانی هم جواب نداد اصلا",
        "The delivery was late again and the food was cold, support never answered me",
        "kheili dir resid va ghaza sard bood, poshtibani ham javab nadad aslan",
    ] * 700
    start = time.perf_counter()
    for text in texts:
        detect_language(text)
    assert len(texts) / (time.perf_counter() - start) > 5_000


def test_one_definition_of_persian_script_for_the_later_stages() -> None:
    from voc.language.script import has_persian_letter

    assert has_persian_letter("سفارش") and has_persian_letter("order ۱۲ رسید")
    assert not has_persian_letter("sefaresh nareside") and not has_persian_letter("")


def test_persian_script_includes_presentation_forms_and_supplement() -> None:
    # Text copied from PDFs and old Windows apps arrives in presentation forms; the heads'
    # script groups and the themes must agree that it is Persian script.
    from voc.heads.lexical import script_group
    from voc.language.script import has_persian_letter

    for text in ("\ufb8e\ufee0", "la \ufefb", "\u0750", "\ufdf2"):
        assert has_persian_letter(text) and script_group(text) == "persian"
    assert not has_persian_letter("caf\u00e9 \u05d0") and script_group("order 12") == "latin"


def test_where_a_text_first_turns_to_persian_script_for_the_reports_direction() -> None:
    from voc.language.script import first_persian_script
    from voc.report.stats import script_lang

    assert first_persian_script("order ۱۲ رسید") == 6
    # Presentation forms (text copied from PDFs) and Arabic Supplement letters count too.
    assert first_persian_script("\ufee1\ufeb3") == 0 and first_persian_script("x \u0750") == 2
    assert first_persian_script("no persian here") is None
    # The report's quotes: the first letter's script decides, as before (#18).
    assert script_lang("سفارش late") == "fa" and script_lang("late سفارش") == "en"
    assert script_lang("\ufee1\ufeb3") == "fa" and script_lang("123", "fa") == "fa"
