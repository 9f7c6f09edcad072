"""Tests for voc.privacy.pii: detection per kind, false positives, overlaps and the API."""

from __future__ import annotations

from collections import Counter

import pytest

from voc.privacy.pii import PII_KINDS, PiiMatch, PiiRedactor, RedactionResult, fold_digits

# Test numbers are constructed to pass (or, in *_BAD, fail) their checksums; the independent
# validators below guard against a typo silently turning a positive case into a negative one.
CARD = "6037991899999993"  # Bank Melli-style prefix 603799, Luhn-valid
CARD_BAD = "6037991899999994"  # same, last digit off -> Luhn fails
CARDS_IR = ("6104331234567890", "6274129876543219", "5892101111222234", "6219860000111121")
NID = "0012345679"
NID2 = "4987654326"
NID_BAD = "0012345678"
IBAN = "IR110170000000123456789001"
IBAN2 = "IR820540102680020817909002"
IBAN_BAD = "IR120170000000123456789001"

_FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def fa(s: str) -> str:
    """Persian-digit version of s."""
    return s.translate(_FA)


def ar(s: str) -> str:
    """Arabic-Indic-digit version of s."""
    return s.translate(_AR)


def grouped(digits: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(digits[i : i + size] for i in range(0, len(digits), size))


def _luhn(d: str) -> bool:
    s = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch) * (2 if i % 2 else 1)
        s += n - 9 if n > 9 else n
    return s % 10 == 0


def _nid(d: str) -> bool:
    s = sum(int(d[i]) * (10 - i) for i in range(9)) % 11
    return int(d[9]) == (s if s < 2 else 11 - s) and len(set(d)) > 1


def _iban(code: str) -> bool:
    return int(code[4:] + "1827" + code[2:4]) % 97 == 1


def test_fixture_numbers_have_the_intended_validity() -> None:
    assert all(_luhn(c) for c in (CARD, *CARDS_IR)) and not _luhn(CARD_BAD)
    assert _nid(NID) and _nid(NID2) and not _nid(NID_BAD)
    assert _iban(IBAN) and _iban(IBAN2) and not _iban(IBAN_BAD)


@pytest.fixture(scope="module")
def redactor() -> PiiRedactor:
    return PiiRedactor()


def spans(r: PiiRedactor, text: str) -> list[tuple[str, str]]:
    return [(m.kind, text[m.start : m.end]) for m in r.find(text)]


# (text, expected [(kind, exact surface)])
POSITIVE: list[tuple[str, list[tuple[str, str]]]] = [
    # EMAIL
    ("mail me at ali.rezaei+shop@gmail.com.", [("EMAIL", "ali.rezaei+shop@gmail.com")]),
    ("ایمیلم ali.r@gmail.comهست", [("EMAIL", "ali.r@gmail.com")]),
    ("ایمیلمali_r@yahoo.co.uk رو چک کنید", [("EMAIL", "ali_r@yahoo.co.uk")]),
    (f"ایمیل: user{fa('12')}@mail.ir", [("EMAIL", f"user{fa('12')}@mail.ir")]),
    # URL
    ("see https://digikala.com/product/123.", [("URL", "https://digikala.com/product/123")]),
    ("لینک: https://example.ir/a?b=1، خرابه", [("URL", "https://example.ir/a?b=1")]),
    ("(https://x.com/a)", [("URL", "https://x.com/a")]),
    (
        "https://en.wikipedia.org/wiki/Foo_(bar) ok",
        [("URL", "https://en.wikipedia.org/wiki/Foo_(bar)")],
    ),
    ("سایت www.digikala.com عالیه", [("URL", "www.digikala.com")]),
    ("محصول digikala.com/product/dkp-123 خوب بود", [("URL", "digikala.com/product/dkp-123")]),
    ("کانال t.me/my_channel رو ببین", [("URL", "t.me/my_channel")]),
    ("پیج instagram.com/shop.ir!", [("URL", "instagram.com/shop.ir")]),
    # PHONE: Iranian mobiles in many groupings and digit systems
    ("شماره من 09121234567 است", [("PHONE", "09121234567")]),
    ("call 0912 123 4567 now", [("PHONE", "0912 123 4567")]),
    ("0912-123-45-67", [("PHONE", "0912-123-45-67")]),
    ("0912 - 123 - 4567", [("PHONE", "0912 - 123 - 4567")]),
    ("(0912) 123 4567", [("PHONE", "(0912) 123 4567")]),
    (f"موبایلم {fa('09121234567')} هست", [("PHONE", fa("09121234567"))]),
    (f"موبایلم {ar('0912')} {fa('123')} 4567", [("PHONE", f"{ar('0912')} {fa('123')} 4567")]),
    ("+98 912 123 4567", [("PHONE", "+98 912 123 4567")]),
    ("+989121234567", [("PHONE", "+989121234567")]),
    ("0098-912-123-4567", [("PHONE", "0098-912-123-4567")]),
    ("98 912 123 4567", [("PHONE", "98 912 123 4567")]),
    ("شماره‌ام 912 123 4567", [("PHONE", "912 123 4567")]),
    # PHONE: landlines and cue-gated local numbers
    ("تلفن دفتر 021-88776655", [("PHONE", "021-88776655")]),
    ("(021) 8877 6655", [("PHONE", "(021) 8877 6655")]),
    (f"دفتر: {fa('031')}-{fa('32221100')}", [("PHONE", fa("031-32221100"))]),
    ("تماس: 88776655", [("PHONE", "88776655")]),
    ("Tel. 8877 6655", [("PHONE", "8877 6655")]),
    ("88776655 شماره تلفن منه", [("PHONE", "88776655")]),
    # PHONE: international
    ("call me on +44 20 7946 0958 please", [("PHONE", "+44 20 7946 0958")]),
    ("+1 (555) 123-4567", [("PHONE", "+1 (555) 123-4567")]),
    # CARD
    (f"کارتم {CARD} هست", [("CARD", CARD)]),
    (f"card {grouped(CARD)}.", [("CARD", grouped(CARD))]),
    (f"شماره کارت {grouped(CARD, sep='-')}", [("CARD", grouped(CARD, sep="-"))]),
    (f"کارت {fa(grouped(CARD))} رو شارژ کردم", [("CARD", fa(grouped(CARD)))]),
    *[(f"واریز به {grouped(c)}", [("CARD", grouped(c))]) for c in CARDS_IR],
    ("amex 3782 822463 10005", [("CARD", "3782 822463 10005")]),
    (f"سفارشم رو با کارت {CARD} پرداخت کردم", [("CARD", CARD)]),
    # IBAN
    (f"شبا: {IBAN}", [("IBAN", IBAN)]),
    ("iban: IR11 0170 0000 0012 3456 7890 01.", [("IBAN", "IR11 0170 0000 0012 3456 7890 01")]),
    (f"واریز به {IBAN2.lower()}", [("IBAN", IBAN2.lower())]),
    (f"شبا IR{fa(IBAN[2:])}", [("IBAN", f"IR{fa(IBAN[2:])}")]),
    (f"شماره شبا {fa(IBAN[2:])}", [("IBAN", fa(IBAN[2:]))]),
    # NATIONAL_ID
    (f"کد ملی {NID}", [("NATIONAL_ID", NID)]),
    (f"کد ملیم {fa('001-234567-9')} هست", [("NATIONAL_ID", fa("001-234567-9"))]),
    (f"my national id is {NID2}", [("NATIONAL_ID", NID2)]),
    # several kinds in one sentence
    (
        f"سلام، من علی هستم، شماره 09121234567 و ایمیل a@b.io و کد ملی {NID}",
        [("PHONE", "09121234567"), ("EMAIL", "a@b.io"), ("NATIONAL_ID", NID)],
    ),
    ("0912 123 4567 - 0935 765 4321", [("PHONE", "0912 123 4567"), ("PHONE", "0935 765 4321")]),
]

# Issue #15: refund complaints put cards, phones and ids right next to money and order words.
CARD_WINS: list[tuple[str, list[tuple[str, str]]]] = [
    # a Luhn-valid card is a card next to any cue: money, order, '#', amounts
    (f"مبلغ رو به {CARD} برگردونید، دو هفته است منتظرم", [("CARD", CARD)]),
    (f"refund total to {CARD} please", [("CARD", CARD)]),
    (f"هزینه رو به حساب {CARD} واریز کنید لطفا", [("CARD", CARD)]),
    (f"#{CARD} was charged twice", [("CARD", CARD)]),
    (f"order 4512 — refund to {grouped(CARD)} never arrived", [("CARD", grouped(CARD))]),
    (f"order 4512 — refund to {grouped(CARD, sep='-')}", [("CARD", grouped(CARD, sep="-"))]),
    (f"شماره سفارش {CARD}", [("CARD", CARD)]),
    (f"order #{CARD}", [("CARD", CARD)]),
    (f"{CARD} شماره سفارشمه", [("CARD", CARD)]),
    # a mistyped card (Luhn fails) right after a card cue is still a card
    (f"شماره کارت {CARD_BAD} اشتباه وارد کردم", [("CARD", CARD_BAD)]),
    (f"card number {grouped(CARD_BAD)} refund not received", [("CARD", grouped(CARD_BAD))]),
    (f"کارتم {fa(grouped(CARD_BAD, sep='-'))}", [("CARD", fa(grouped(CARD_BAD, sep="-")))]),
    # dotted mobiles and landlines with an area code, whatever cue precedes them
    ("call me on 0912.123.4567 the courier never came", [("PHONE", "0912.123.4567")]),
    ("0912.123.45.67", [("PHONE", "0912.123.45.67")]),
    ("+98.912.123.4567", [("PHONE", "+98.912.123.4567")]),
    (f"موبایل {fa('0912.123.4567')}", [("PHONE", fa("0912.123.4567"))]),
    ("021.8877.6655", [("PHONE", "021.8877.6655")]),
    ("invoice to 021-88776655 was never sent", [("PHONE", "021-88776655")]),
    ("ticket 021 8877 6655", [("PHONE", "021 8877 6655")]),
    ("فاکتور رو به 021-88776655 فکس کنید", [("PHONE", "021-88776655")]),
    # a price cue describes its own number, not the id after it; "id" is an id cue
    ("price was 200$ my id 0017474590 and the checkout failed",
     [("NATIONAL_ID", "0017474590")]),
    (f"قیمت 200 تومان بود، کد ملی {NID}", [("NATIONAL_ID", NID)]),
    (f"my id {NID}", [("NATIONAL_ID", NID)]),
]


@pytest.mark.parametrize(("text", "expected"), CARD_WINS, ids=[t for t, _ in CARD_WINS])
def test_structured_numbers_beat_order_and_price_cues(
    redactor: PiiRedactor, text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(redactor, text) == expected


@pytest.mark.parametrize(("text", "expected"), POSITIVE, ids=[t for t, _ in POSITIVE])
def test_detects(redactor: PiiRedactor, text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(redactor, text) == expected


# Each of these must come back untouched (and as the very same string object).
NEGATIVE: list[str] = [
    "ارسال سریع بود و بسته‌بندی عالی. ممنون!",
    "The app is great, five stars.",
    # order / tracking numbers, including checksum-valid national codes and 16-digit
    # numbers that fail Luhn after an order cue (a Luhn-valid card is a card anywhere)
    "کد پیگیری 12345678 هنوز نرسیده",
    f"شماره سفارش {CARD_BAD}",
    f"سفارش شماره {CARD_BAD} نرسید",
    f"order #{CARD_BAD}",
    f"tracking {NID}",
    f"order number {NID}",
    f"order id {NID}",
    f"{CARD_BAD} شماره سفارشمه",
    "سفارش #98765432",
    "order #123456789012 was late, price 450000 toman, date 2024-05-12",
    "کد پیگیری ۹۸۷۶۵۴۳۲۱۰۱۲ سفارش دیر رسید",
    # a failed checksum is not a card without a card cue, nor is a card cue's 15-digit number
    f"refund to {CARD_BAD}",
    f"شماره کارت {CARD_BAD[:15]}",
    # a decimal, a dotted date and a version are not dotted phones
    "0.9121234567",
    "09.12.2023",
    "1402.05.12",
    "v9.123.4567",
    # prices
    "قیمت 1,250,000 تومان بود",
    "۲۵۰ هزار تومان گرون بود",
    "only $49.99",
    "price 12500000",
    "2500000000 ریال",
    f"مبلغ {NID} ریال",
    # dates, times, versions, percentages, ranges
    "1402/05/12",
    "۱۴۰۲/۰۵/۱۲ ساعت ۱۴:۳۰",
    "2024-03-15",
    "at 14:30",
    "v2.3.1 crashes",
    "25% off, ۳۰٪ تخفیف",
    "مشتری 1399-1402",
    "تماس گرفتم 2023-2024",
    # checksum failures and digit-run boundaries
    NID_BAD,
    "1111111111",
    CARD_BAD,
    grouped(CARD_BAD),
    f"{CARD}1234",  # 20-digit number does not contain a card
    f"{grouped(CARD)} 1234",  # a longer grouped number does not either
    "3.1234567891",
    IBAN_BAD,
    IBAN[2:],  # bare 24 digits without a «شبا» cue
    # local numbers and short codes without a phone cue
    "88776655",
    "با 1500 تماس گرفتم",
    "کد تایید 4821",
    # domains without a path, file names, tech terms
    "از digikala.com خرید کردم",
    "ASP.NET/C# and Node.js/React",
    "report.pdf/final",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_false_positives_are_left_alone(redactor: PiiRedactor, text: str) -> None:
    assert redactor.find(text) == []
    result = redactor.redact(text)
    assert result.text is text
    assert result.counts == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # digits inside an e-mail or URL are not phones
        ("ali09121234567@gmail.com", [("EMAIL", "ali09121234567@gmail.com")]),
        ("https://wa.me/989121234567", [("URL", "https://wa.me/989121234567")]),
        (f"https://bank.ir/pay?card={CARD}", [("URL", f"https://bank.ir/pay?card={CARD}")]),
        # an e-mail in a URL-ish string stays an EMAIL; the domain is not a URL start
        ("ali.r@gmail.com/profile", [("EMAIL", "ali.r@gmail.com")]),
        ("www.ali@gmail.com", [("EMAIL", "www.ali@gmail.com")]),
    ],
)
def test_overlaps_prefer_longer_and_more_specific(
    redactor: PiiRedactor, text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(redactor, text) == expected


def test_redact_replaces_and_counts(redactor: PiiRedactor) -> None:
    text = f"شماره 09121234567 و 0935 765 4321، ایمیل a@b.io، کارت {grouped(CARD)}"
    result = redactor.redact(text)
    assert result == RedactionResult(
        "شماره [PHONE] و [PHONE]، ایمیل [EMAIL]، کارت [CARD]",
        {"PHONE": 2, "EMAIL": 1, "CARD": 1},
    )


def test_offsets_point_into_original_text(redactor: PiiRedactor) -> None:
    text = f"کد ملی {fa(NID)} و موبایل {fa('09121234567')}"
    matches = redactor.find(text)
    assert [(m.kind, text[m.start : m.end]) for m in matches] == [
        ("NATIONAL_ID", fa(NID)),
        ("PHONE", fa("09121234567")),
    ]
    assert all(isinstance(m, PiiMatch) for m in matches)
    assert matches == sorted(matches, key=lambda m: m.start)


def test_fold_digits_is_one_to_one() -> None:
    text = "کد ۰۱۲۳٤٥٦789 ok"
    folded = fold_digits(text)
    assert folded == "کد 0123456789 ok"
    assert len(folded) == len(text)
    plain = "no digits here"
    assert fold_digits(plain) is plain


@pytest.mark.parametrize("text", [POSITIVE[i][0] for i in range(0, len(POSITIVE), 3)])
def test_redaction_is_idempotent(redactor: PiiRedactor, text: str) -> None:
    once = redactor.redact(text).text
    assert once != text
    twice = redactor.redact(once)
    assert twice.text == once
    assert twice.counts == {}


def test_kinds_filter_restricts_output() -> None:
    text = f"ایمیل a@b.io تلفن 09121234567 کارت {CARD}"
    r = PiiRedactor(kinds=["PHONE"])
    assert r.redact(text).text == f"ایمیل a@b.io تلفن [PHONE] کارت {CARD}"
    assert r.kinds == frozenset({"PHONE"})
    assert PiiRedactor(kinds="EMAIL").redact(text).counts == {"EMAIL": 1}
    assert PiiRedactor(kinds=[]).find(text) == []


def test_disabled_kinds_still_shadow_overlapping_matches() -> None:
    # Only PHONE enabled: the digits belong to an e-mail, so nothing is redacted.
    text = "ali09121234567@gmail.com"
    assert PiiRedactor(kinds=["PHONE"]).redact(text).text is text


def test_unknown_kind_raises_naming_valid_ones() -> None:
    with pytest.raises(ValueError, match="SSN") as excinfo:
        PiiRedactor(kinds=["EMAIL", "SSN"])
    assert all(kind in str(excinfo.value) for kind in PII_KINDS)


def _fake_names(text: str) -> list[tuple[int, int]]:
    found = []
    for name in ("Ali Rezaei", "مریم احمدی"):
        i = text.find(name)
        if i >= 0:
            found.append((i, i + len(name)))
    return found


def test_name_finder_hook() -> None:
    text = "Ali Rezaei گفت مریم احمدی با 09121234567 تماس بگیرد"
    result = PiiRedactor(name_finder=_fake_names).redact(text)
    assert result.text == "[NAME] گفت [NAME] با [PHONE] تماس بگیرد"
    assert result.counts == {"NAME": 2, "PHONE": 1}


def test_names_need_a_finder_and_the_kind() -> None:
    text = "Ali Rezaei was rude"
    assert PiiRedactor().redact(text).text is text
    assert PiiRedactor(kinds=["EMAIL"], name_finder=_fake_names).redact(text).text is text
    assert PiiRedactor(kinds=["NAME"], name_finder=_fake_names).redact(text).text == (
        "[NAME] was rude"
    )


def test_name_overlapping_email_loses_to_longer_email() -> None:
    text = "ali.rezaei@gmail.com"
    r = PiiRedactor(name_finder=lambda t: [(0, 10)])
    assert r.redact(text).text == "[EMAIL]"


def test_name_finder_with_bad_span_raises() -> None:
    with pytest.raises(ValueError, match="invalid span"):
        PiiRedactor(name_finder=lambda t: [(0, len(t) + 5)]).find("Ali")


def test_redact_many_matches_redact(redactor: PiiRedactor) -> None:
    texts = [t for t, _ in POSITIVE[:12]] + NEGATIVE[:8]
    out, totals = redactor.redact_many(iter(texts))
    singles = [redactor.redact(t) for t in texts]
    assert out == [s.text for s in singles]
    expected: Counter[str] = Counter()
    for s in singles:
        expected.update(s.counts)
    assert totals == expected
    assert all(o is t for o, t in zip(out[12:], texts[12:], strict=True))


def test_empty_text(redactor: PiiRedactor) -> None:
    assert redactor.find("") == []
    assert redactor.redact("") == RedactionResult("", {})
    assert redactor.redact_many([]) == ([], Counter())
