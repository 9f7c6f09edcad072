# ruff: noqa: E501
"""Generate the bilingual (Persian + English) sample feedback shipped with voc.

Run from the repository root::

    python sample_feedback/generate.py

Writes, next to this script:

* ``survey_export.csv``   - NPS survey export (UTF-8 with BOM, CRLF, as Excel saves it)
* ``app_reviews.jsonl``   - app-store reviews, one JSON object per line
* ``support_tickets.xlsx`` - support tickets, one sheet named ``tickets``

and the evaluation truth file ``tests/data/sample_feedback_truth.jsonl``.

Everything is synthetic and written by the voc project (CC0). The text pools in
``pools/*.yaml`` were written by hand; a seeded RNG combines clauses into answers, so the output
is byte-for-byte reproducible. Only the standard library, PyYAML and openpyxl are used.

Conventions used in the text pools
----------------------------------
* A pool entry (``Clause``) is ``[text, stage, touchpoint, polarity]`` where polarity is
  ``"+"`` (praise), ``"-"`` (complaint) or ``"0"`` (neutral / plain request).
* In Persian pools ``_`` marks a zero-width non-joiner (half-space, U+200C); it is converted
  when the pools are loaded, and then sometimes dropped or replaced by a space on purpose.
* ``{order}``, ``{track}``, ``{price}``, ``{date}`` are non-PII numbers filled per answer;
  ``{agent}`` is a person's name (recorded as PII kind ``person_name``).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.writer.excel import ExcelWriter

SEED = 14050412
HERE = Path(__file__).resolve().parent
TRUTH_PATH = HERE.parent / "tests" / "data" / "sample_feedback_truth.jsonl"
FIXED_TIMESTAMP = datetime(2026, 11, 1, 9, 0, 0)
ZWNJ = "\u200c"

N_SURVEY = 320
N_REVIEWS = 200
N_TICKETS = 160

# (text, stage, touchpoint, polarity) and, for tickets, + agent-picked category
Clause = tuple[str, str | None, str | None, str]
TicketClause = tuple[str, str | None, str | None, str, str]

STAGES = ("discovery", "evaluation", "purchase", "delivery", "usage", "support", "returns", "loyalty")
TOUCHPOINTS = (
    "search_ads", "social_media", "website", "mobile_app", "product_page", "checkout",
    "payment_gateway", "email_sms", "call_center", "chat", "courier", "store", "returns_portal",
)

# =============================================================================================
# Text pools: written by hand, in pools/*.yaml beside this script (each file's header says what
# an entry is). Clauses become tuples: Decks and Text index, compare and hash them.
# =============================================================================================
POOLS = HERE / "pools"


def _load(name: str) -> dict:
    with (POOLS / f"{name}.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _clauses(pool: Sequence[Sequence]) -> list:
    return [tuple(entry) for entry in pool]


_REASONS = _load("reasons")
_IMPROVE = _load("improve")
_APP_REVIEWS = _load("app_reviews")
_TICKETS = _load("tickets")
_FRAMING = _load("framing")
_PERSONAL = _load("personal_data")

EMOJI_ONLY: list[tuple[str, str]] = _clauses(_REASONS["emoji_only"])
JUNK_ANSWERS: list[str] = _REASONS["junk"]

GREETINGS: dict[str, list[str]] = _FRAMING["greetings"]
REQUESTS: dict[str, list[str]] = _FRAMING["requests"]
OPENERS: dict[str, list[str]] = _FRAMING["openers"]
IMPROVE_OPENERS: dict[str, list[str]] = _FRAMING["improve_openers"]
CLOSERS: dict[tuple[str, str], list[str]] = {
    (lang, polarity): closers
    for lang, by_polarity in _FRAMING["closers"].items()
    for polarity, closers in by_polarity.items()
}
EMOJI_BY_POLARITY: dict[str, list[str]] = _FRAMING["emoji_by_polarity"]
EN_TYPOS: dict[str, str] = _FRAMING["en_typos"]
STRETCH: dict[str, str] = _FRAMING["stretch"]

RANTS: list[tuple[str, str, list[Clause]]] = [
    (rant["text"], rant["lang"], _clauses(rant["clauses"])) for rant in _load("rants")["rants"]
]

AGENT_NAMES: dict[str, list[str]] = _PERSONAL["agent_names"]
CUSTOMER_NAMES: dict[str, list[str]] = _PERSONAL["customer_names"]
SIGNATURES: dict[str, list[str]] = _PERSONAL["signatures"]
EMAIL_LOCALS: list[str] = _PERSONAL["email_locals"]
EMAIL_DOMAINS: list[str] = _PERSONAL["email_domains"]
URL_SLUGS: list[str] = _PERSONAL["url_slugs"]
CARD_BINS: list[str] = _PERSONAL["card_bins"]
IBAN_BANKS: list[str] = _PERSONAL["iban_banks"]
MOBILE_PREFIXES: list[str] = _PERSONAL["mobile_prefixes"]
LANDLINE_PREFIXES: list[str] = _PERSONAL["landline_prefixes"]
JALALI_MONTHS: list[str] = _PERSONAL["jalali_months"]
PII_TEMPLATES: dict[str, dict[str, list[str]]] = _PERSONAL["templates"]
COMPLAINT_TEMPLATES = set(_PERSONAL["complaint_templates"])
# Kinds of PII only an unhappy customer volunteers (a card or IBAN to refund to).
COMPLAINT_KINDS = {"card", "iban"}
PII_WEIGHTS = {
    "survey": {"email": 3, "mobile": 4, "landline": 2, "card": 3, "iban": 2, "national_id": 2, "url": 3},
    "reviews": {"email": 3, "mobile": 2, "landline": 1, "card": 1, "iban": 0.5, "national_id": 0.5, "url": 4},
    "tickets": {"email": 2, "mobile": 3, "landline": 2, "card": 3.5, "iban": 3, "national_id": 2.5, "url": 1},
}

_DIGITS = {"latin": "0123456789", "fa": "۰۱۲۳۴۵۶۷۸۹", "ar": "٠١٢٣٤٥٦٧٨٩"}
_ANY_DIGIT = {ord(ch): i for style in _DIGITS.values() for i, ch in enumerate(style)}


def to_digits(text: str, style: str) -> str:
    """Rewrite every Latin/Persian/Arabic-Indic digit in ``text`` in the given style."""
    target = _DIGITS[style]
    return text.translate({k: target[v] for k, v in _ANY_DIGIT.items()})


def only_digits(text: str) -> str:
    return "".join(to_digits(ch, "latin") for ch in text if ord(ch) in _ANY_DIGIT)


def luhn_check_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = only_digits(number)
    return len(digits) == 16 and luhn_check_digit(digits[:-1]) == digits[-1]


def iban_check_digits(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    compact = iban[:2] + only_digits(iban[2:])
    if not re.fullmatch(r"IR\d{24}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def national_id_check_digit(first9: str) -> str:
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(first9)) % 11
    return str(remainder if remainder < 2 else 11 - remainder)


def national_id_valid(code: str) -> bool:
    digits = only_digits(code)
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    return national_id_check_digit(digits[:9]) == digits[9]


def _native_digits(value: str, rng: random.Random, lang: str, share: float) -> str:
    """In Persian text, write ``share`` of the numbers in Persian (sometimes Arabic-Indic) digits."""
    if lang in ("fa", "mix") and rng.random() < share:
        return to_digits(value, "ar" if rng.random() < 0.25 else "fa")
    return value


def _group(digits: str, size: int, sep: str) -> str:
    return sep.join(digits[i:i + size] for i in range(0, len(digits), size))


def make_card(rng: random.Random, lang: str) -> str:
    """A Luhn-valid 16-digit card number: a real-looking BIN, then zeros (obviously fake)."""
    payload = rng.choice(CARD_BINS) + "0000" + "".join(rng.choice("0123456789") for _ in range(5))
    digits = payload + luhn_check_digit(payload)
    assert luhn_valid(digits)
    value = rng.choice([_group(digits, 4, " "), _group(digits, 4, "-"), digits, digits])
    return _native_digits(value, rng, lang, 0.4)


def make_iban(rng: random.Random, lang: str) -> str:
    """A mod-97-valid Iranian IBAN (IR + 2 check digits + 22 digits) with a run of zeros."""
    bban = rng.choice(IBAN_BANKS) + "0000000" + "".join(rng.choice("0123456789") for _ in range(12))
    iban = "IR" + iban_check_digits("IR", bban) + bban
    assert iban_valid(iban)
    return _group(iban, 4, " ") if rng.random() < 0.35 else iban


def make_national_id(rng: random.Random, lang: str) -> str:
    """A 10-digit national code that passes the checksum (prefix 00x, as Tehran codes)."""
    while True:
        first9 = "00" + str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(6))
        code = first9 + national_id_check_digit(first9)
        if national_id_valid(code):
            break
    return _native_digits(code, rng, lang, 0.4)


def make_mobile(rng: random.Random, lang: str) -> str:
    prefix = rng.choice(MOBILE_PREFIXES)
    rest = "000" + "".join(rng.choice("0123456789") for _ in range(4))
    number = prefix + rest
    value = rng.choice([
        number,
        f"{prefix} {rest[:3]} {rest[3:]}",
        f"+98 {prefix[1:]} {rest[:3]} {rest[3:]}",
        f"+98{number[1:]}",
        f"{prefix}-{rest[:3]}-{rest[3:]}",
    ])
    return _native_digits(value, rng, lang, 0.45)


def make_landline(rng: random.Random, lang: str) -> str:
    area = rng.choice(LANDLINE_PREFIXES)
    local = "8800" + "".join(rng.choice("0123456789") for _ in range(4))
    value = rng.choice([f"{area}-{local}", f"{area} {local[:4]} {local[4:]}", f"({area}) {local}", area + local])
    return _native_digits(value, rng, lang, 0.3)


def make_email(rng: random.Random, lang: str) -> str:
    return f"{rng.choice(EMAIL_LOCALS)}@{rng.choice(EMAIL_DOMAINS)}"


def make_url(rng: random.Random, lang: str) -> str:
    pid = rng.randint(1_000_000, 9_999_999)
    return rng.choice([
        f"https://www.kalano.ir/product/klp-{pid}/{rng.choice(URL_SLUGS)}/",
        f"https://kalano.ir/p/klp-{pid}",
        f"www.kalano.ir/product/klp-{pid}",
        f"https://www.kalano.ir/search/?q={rng.choice(URL_SLUGS)}",
    ])


PII_MAKERS: dict[str, Callable[[random.Random, str], str]] = {
    "email": make_email, "mobile": make_mobile, "landline": make_landline, "card": make_card,
    "iban": make_iban, "national_id": make_national_id, "url": make_url,
}


def gregorian_to_jalali(day: date) -> tuple[int, int, int]:
    gy, gm, gd = day.year, day.month, day.day
    cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
    gy2 = gy + 1 if gm > 2 else gy
    days = (355666 + 365 * gy + (gy2 + 3) // 4 - (gy2 + 99) // 100 + (gy2 + 399) // 400
            + gd + cumulative[gm - 1])
    jy = -1595 + 33 * (days // 12053)
    days %= 12053
    jy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        jy += (days - 1) // 365
        days = (days - 1) % 365
    if days < 186:
        return jy, 1 + days // 31, 1 + days % 31
    return jy, 7 + (days - 186) // 30, 1 + (days - 186) % 30


def make_price(rng: random.Random, lang: str) -> str:
    amount = rng.choice([rng.randint(8, 99) * 10_000, rng.randint(10, 250) * 50_000,
                         rng.randint(5, 90) * 1_000_000 + rng.choice([0, 250_000, 500_000])])
    if lang == "en":
        if amount >= 1_000_000 and rng.random() < 0.3:
            return f"{amount / 1_000_000:g}M toman"
        return f"{amount:,} " + rng.choice(["toman", "Toman", "tomans", "T"])
    sep = rng.choice([",", ",", "٬", "."])
    return f"{amount:,}".replace(",", sep) + " " + rng.choice(["تومان", "تومان", "تومن"])


def make_date(rng: random.Random, lang: str, when: date) -> str:
    day = when - timedelta(days=rng.randint(2, 25))
    if lang == "en":
        return rng.choice([day.strftime("%b %d").replace(" 0", " "), f"{day.day} {day.strftime('%B')}",
                           day.strftime("%d/%m")])
    jy, jm, jd = gregorian_to_jalali(day)
    if rng.random() < 0.3:
        return f"{jd} {JALALI_MONTHS[jm - 1]}"
    return rng.choice([f"{jy}/{jm:02d}/{jd:02d}", f"{jy}/{jm}/{jd}"])


def make_order(rng: random.Random, lang: str) -> str:
    number = str(rng.randint(10_000_000, 99_999_999))
    if lang == "en":
        return rng.choice([number, "#" + number, "KL-" + number])
    return number


def make_track(rng: random.Random, lang: str) -> str:
    return str(rng.randint(1, 8)) + "".join(rng.choice("0123456789") for _ in range(11))


# =============================================================================================
# Answers and their truth
# =============================================================================================
@dataclass
class Text:
    """One open-text answer plus everything the truth file records about it."""

    text: str
    lang: str  # fa | en | mixed | other
    lang_detail: str  # fa, en, fa+en, ar, tr, fr, de, ru, emoji, none
    finglish: bool = False
    kind: str = "text"  # text | emoji | junk | agent_note | long
    clauses: list[Clause] = field(default_factory=list)
    primary_index: int | None = None
    sentiment_override: str | None = None
    pii: list[str] = field(default_factory=list)
    pii_values: list[str] = field(default_factory=list)
    non_pii: list[str] = field(default_factory=list)
    non_pii_values: list[str] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    duplicate_of: str | None = None

    @property
    def sentiment(self) -> str:
        if self.sentiment_override:
            return self.sentiment_override
        pols = {c[3] for c in self.clauses}
        if "+" in pols and "-" in pols:
            return "mixed"
        return "positive" if "+" in pols else "negative" if "-" in pols else "neutral"

    def primary(self) -> Clause | None:
        if self.primary_index is not None:
            return self.clauses[self.primary_index]
        content = [c for c in self.clauses if c[1] or c[2]]
        if not content:
            return None
        wanted = {"negative": "-", "mixed": "-", "positive": "+"}.get(self.sentiment, "0")
        return min(content, key=lambda c: (c[3] != wanted, c[1] is None))

    def truth(self, file: str, row_id: str, question: str) -> dict[str, object]:
        main = self.primary()
        return {
            "file": file, "id": row_id, "question": question, "lang": self.lang,
            "finglish": self.finglish, "stage": main[1] if main else None,
            "touchpoint": main[2] if main else None, "sentiment": self.sentiment,
            "pii": self.pii, "pii_values": self.pii_values,
            "non_pii": self.non_pii, "non_pii_values": self.non_pii_values,
            "stages": sorted({c[1] for c in self.clauses if c[1]}, key=STAGES.index),
            "touchpoints": sorted({c[2] for c in self.clauses if c[2]}, key=TOUCHPOINTS.index),
            "aspects": [{"stage": c[1], "touchpoint": c[2], "polarity": POLARITY_NAMES[c[3]]}
                        for c in self.clauses if c[1] or c[2]],
            "lang_detail": self.lang_detail, "kind": self.kind, "noise": self.noise,
            "duplicate_of": self.duplicate_of,
        }


POLARITY_NAMES = {"+": "positive", "-": "negative", "0": "neutral"}


def _fa(pool: Sequence[Sequence]) -> list:
    """Turn the ``_`` half-space marker into a real zero-width non-joiner."""
    return [(entry[0].replace("_", ZWNJ), *entry[1:]) for entry in pool]


def _by_language(pools: dict[str, list]) -> dict[str, list]:
    """Clauses per language; Persian-script pools (fa, and mix: code-switched) get ZWNJs."""
    return {lang: _fa(pool) if lang in ("fa", "mix") else _clauses(pool)
            for lang, pool in pools.items()}


_BY_STAGE = _REASONS["by_stage"].values()
REASON: dict[str, list[Clause]] = {
    "en": _clauses([c for stage in _BY_STAGE for c in stage["en"]]),
    "fa": _fa([c for stage in _BY_STAGE for c in stage["fa"]]),
    **_by_language({"fin": _REASONS["fin"], "mix": _REASONS["mix"], **_REASONS["other"]}),
}
IMPROVE: dict[str, list[Clause]] = _by_language(_IMPROVE["improve"])
NOTHING: dict[str, list[Clause]] = _by_language(_IMPROVE["nothing"])
APP: dict[str, list[Clause]] = _by_language(_APP_REVIEWS["app"])
APP_CRASH: dict[str, list[Clause]] = _by_language(_APP_REVIEWS["app_crash"])
APP_FIXED: dict[str, list[Clause]] = _by_language(_APP_REVIEWS["app_fixed"])
TICKET: dict[str, list[TicketClause]] = _by_language(_TICKETS["ticket"])
AGENT_NOTES: dict[str, list[TicketClause]] = _by_language(_TICKETS["agent_notes"])
EFFORT: dict[str, list[Clause]] = _by_language(_TICKETS["effort"])
OTHER_LANGS = tuple(_REASONS["other"])
MIXED_TEXTS = {c[0] for pools in (REASON, IMPROVE, NOTHING, TICKET) for c in pools["mix"]}

ADDITIVE: dict[str, list[str]] = _FRAMING["additive"]
ADDITIVE["mix"] = ADDITIVE["fa"]
CONTRAST: dict[str, list[str]] = _FRAMING["contrast"]
LATIN_SCRIPT = {"en", "fin", "tr", "fr", "de", "ru"}
KEEP_CASE = {"I", "I'm", "I've", "I'll", "Kalano", "Instagram", "Google", "Telegram/Instagram",
             "Tehran", "Shiraz", "Tabriz", "Q&A", "T-shirt", "Die"}
SENTENCE_END = (".", "!", "?", "؟", "…")
PLACEHOLDER = re.compile(r"(\{\w+\})")


def _outside_placeholders(text: str, fn: Callable[[str], str]) -> str:
    parts = PLACEHOLDER.split(text)
    return "".join(p if PLACEHOLDER.fullmatch(p) else fn(p) for p in parts)


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if first in KEEP_CASE or first.startswith("{") or (len(first) > 1 and first.isupper()):
        return text
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


class Decks:
    """Shuffled decks per pool, so every clause is used before any is reused.

    Also remembers every answer written so far, so that no answer repeats by accident.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.queues: dict[str, list[tuple]] = {}
        self.seen: set[str] = set()

    def unique[R](self, make: Callable[..., R], *args: object) -> R:
        """Call ``make(*args)`` until its answer (a Text, None, or a tuple starting with a Text)
        was not written before; give up after 40 tries."""
        for _ in range(40):
            result = make(*args)
            t = result[0] if isinstance(result, tuple) else result
            if not isinstance(t, Text) or t.text not in self.seen:
                break
        if isinstance(t, Text):
            self.seen.add(t.text)
        return result

    def draw(self, name: str, pool: Sequence[tuple], pred: Callable[[tuple], bool]) -> tuple | None:
        queue = self.queues.setdefault(name, [])
        for refill in (False, True):
            if refill:
                fresh = list(pool)
                self.rng.shuffle(fresh)
                queue.extend(fresh)
            for i, item in enumerate(queue):
                if pred(item):
                    return queue.pop(i)
        return None


def join_clauses(texts: list[str], pols: list[str], lang: str, rng: random.Random) -> str:
    out = texts[0]
    for prev_pol, text, pol in zip(pols, texts[1:], pols[1:], strict=False):
        contrast = {prev_pol, pol} == {"+", "-"}
        conn = rng.choice((CONTRAST if contrast else ADDITIVE)[lang])
        if out.endswith(SENTENCE_END):
            word = conn.strip(",. ،؛")
            conn = " " + (_upper_first(word) + " " if word else "")
            if lang in LATIN_SCRIPT and not word:
                text = _upper_first(text)
        if lang in LATIN_SCRIPT and not conn.rstrip().endswith("."):
            text = _lower_first(text)
        out += conn + text
    return out


def noise_en(text: str, rng: random.Random, t: Text, angry: bool) -> str:
    if rng.random() < 0.12:
        present = [w for w in EN_TYPOS if re.search(rf"\b{w}\b", text)]
        if present:
            word = rng.choice(present)
            text = re.sub(rf"\b{word}\b", EN_TYPOS[word], text, count=1)
            t.noise.append("typo")
    if rng.random() < 0.05:
        words = [w for w in re.findall(r"\b[a-z]{5,}\b", PLACEHOLDER.sub("", text))]
        if words:
            word = rng.choice(words)
            i = rng.randrange(len(word) - 1)
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            text = re.sub(rf"\b{word}\b", swapped, text, count=1)
            t.noise.append("typo")
    if angry and rng.random() < 0.12:
        text = _outside_placeholders(text, str.upper)
        t.noise.append("all_caps")
    elif rng.random() < 0.07:
        text = _outside_placeholders(text, str.lower)
        t.noise.append("lowercase")
    if rng.random() < 0.05 and " I " in text:
        text = text.replace(" I ", " i ")
        t.noise.append("lowercase_i")
    return text


def noise_fa(text: str, rng: random.Random, t: Text) -> str:
    roll = rng.random()
    if roll < 0.14:
        if roll < 0.07:
            text = text.replace("ی", "ي").replace("ک", "ك")
        elif roll < 0.11:
            text = text.replace("ی", "ي")
        else:
            text = text.replace("ک", "ك")
        t.noise.append("arabic_letters")
    if ZWNJ in text:
        roll = rng.random()
        if roll < 0.22:
            text = text.replace(ZWNJ, " ")
            t.noise.append("zwnj_as_space")
        elif roll < 0.38:
            text = text.replace(ZWNJ, "")
            t.noise.append("no_zwnj")
    text = stretch(text, rng, t, 0.15)
    if "،" in text and rng.random() < 0.12:
        text = text.replace("،", ",")
        t.noise.append("latin_comma")
    return text


def stretch(text: str, rng: random.Random, t: Text, chance: float) -> str:
    if rng.random() >= chance:
        return text
    present = [w for w in STRETCH if re.search(rf"(?<!\w){w}(?!\w)", text)]
    if not present:
        return text
    word = rng.choice(present)
    t.noise.append("stretched")
    return re.sub(rf"(?<!\w){word}(?!\w)", STRETCH[word], text, count=1)


def fill_placeholders(text: str, t: Text, rng: random.Random, lang: str, when: date, digits: str) -> str:
    value_lang = "en" if lang in LATIN_SCRIPT else "fa"
    name_lang = lang if lang in ("en", "fa", "fin") else ("en" if value_lang == "en" else "fa")

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "agent":
            value = rng.choice(AGENT_NAMES[name_lang])
            t.pii.append("person_name")
            t.pii_values.append(value)
            return value
        makers: dict[str, Callable[[], str]] = {
            "order": lambda: make_order(rng, value_lang),
            "track": lambda: make_track(rng, value_lang),
            "price": lambda: make_price(rng, value_lang),
            "date": lambda: make_date(rng, value_lang, when),
        }
        value = to_digits(makers[key](), digits)
        t.non_pii.append({"order": "order_id", "track": "tracking_code"}.get(key, key))
        t.non_pii_values.append(value)
        return value

    return re.sub(r"\{(\w+)\}", replace, text)


def pick_digit_style(rng: random.Random, lang: str) -> str:
    if lang == "fa":
        return rng.choices(["fa", "latin", "ar"], [52, 36, 12])[0]
    if lang == "mix":
        return rng.choices(["fa", "latin"], [45, 55])[0]
    return "latin"


def finish(t: Text, body: str, rng: random.Random, lang: str, when: date, *,
           target: str, decorate: bool = True, openers: dict[str, list[str]] = OPENERS,
           opener_rate: float = 0.12) -> None:
    """Punctuation, openers/closers, noise and numbers; sets ``t.text``."""
    key = "fa" if lang == "mix" else lang
    angry = target == "-"
    if decorate and key in openers and rng.random() < opener_rate:
        body = rng.choice(openers[key]) + (_lower_first(body) if key in LATIN_SCRIPT else body)
    if decorate and not body.endswith(SENTENCE_END):
        body += rng.choices(["", ".", "!", "!!!"], [30, 55, 10, 5 if angry else 0])[0]
        if (key, target) in CLOSERS and rng.random() < 0.15:
            if not body.endswith(SENTENCE_END):
                body += "."
            body += rng.choice(CLOSERS[(key, target)])
    if lang == "en":
        body = _upper_first(body)
        body = noise_en(body, rng, t, angry)
    elif lang in ("fa", "mix"):
        body = noise_fa(body, rng, t)
    elif lang == "fin":
        body = stretch(body, rng, t, 0.1)
        if rng.random() < 0.3:
            body = _upper_first(body)
    else:
        body = _upper_first(body)
    digits = pick_digit_style(rng, lang)
    body = to_digits(body, digits) if digits != "latin" else body
    if digits != "latin" and any(ch.isdigit() for ch in body):
        t.noise.append(f"{digits}_digits")
    t.text = fill_placeholders(body, t, rng, lang, when, digits)


def add_emoji(t: Text, rng: random.Random, polarity: str) -> None:
    emoji = "".join(rng.choice(EMOJI_BY_POLARITY[polarity]) for _ in range(rng.choice([1, 1, 2, 3])))
    t.text = t.text.rstrip() + rng.choice([" ", "", " "]) + emoji
    t.noise.append("emoji")


def add_sentence(t: Text, sentence: str, lang: str, rng: random.Random) -> None:
    text = t.text.rstrip()
    if not text.endswith(SENTENCE_END):
        text += "." if lang in LATIN_SCRIPT else rng.choice([".", ".", "،", ""])
    t.text = text + rng.choice([" ", " ", "\n"]) + sentence


def add_pii(t: Text, rng: random.Random, lang: str, weights: dict[str, float], n: int = 1) -> None:
    key = lang if lang in PII_TEMPLATES else "fa"
    happy = t.sentiment == "positive"
    # Card/IBAN sentences talk about money taken or refunds: keep them out of praise.
    kinds = [k for k in weights if not (happy and k in COMPLAINT_KINDS)]
    for _ in range(n):
        kind = rng.choices(kinds, [weights[k] for k in kinds])[0]
        value = PII_MAKERS[kind](rng, key if key != "fin" else "en")
        templates = [x for x in PII_TEMPLATES[key][kind] if not (happy and x in COMPLAINT_TEMPLATES)]
        sentence = rng.choice(templates).format(v=value)
        if rng.random() < 0.4 and key != "fa":
            sentence += "."
        add_sentence(t, sentence, lang, rng)
        t.pii.append(kind)
        t.pii_values.append(value)


def lang_info(lang: str) -> tuple[str, str, bool]:
    """Profile key -> (truth lang, lang_detail, finglish)."""
    if lang == "fin":
        return "fa", "fa-latn", True
    if lang == "mix":
        return "mixed", "fa+en", False
    if lang in ("fa", "en"):
        return lang, lang, False
    return "other", lang, False


def plan_polarities(target: str, rng: random.Random) -> list[str]:
    if target == "+":
        return ["+"] * rng.choices([1, 2, 3], [50, 40, 10])[0]
    if target == "-":
        return ["-"] * rng.choices([1, 2, 3], [45, 40, 15])[0]
    if target == "mixed":
        return rng.choice([["+", "-"], ["+", "-"], ["-", "+"], ["+", "-", "-"], ["-", "-", "+"]])
    return ["0"] * rng.choice([1, 1, 2])


def compose(decks: Decks, rng: random.Random, lang: str, target: str, when: date, *,
            pools: dict[str, list[Clause]] | None = None, pool_name: str = "reason",
            first: list[Clause] | None = None, want_tp: str | None = None,
            n: int | None = None, context: bool = True) -> Text:
    """Build one answer in profile ``lang`` with overall sentiment ``target``."""
    pools = pools or REASON
    truth_lang, detail, finglish = lang_info(lang)
    t = Text("", truth_lang, detail, finglish)
    pols = plan_polarities(target, rng)[: n or None]
    clauses: list[Clause] = [c[:4] for c in first or []]
    for c in clauses:
        if c[3] in pols:
            pols.remove(c[3])
    used_stages = {c[1] for c in clauses}
    for i, pol in enumerate(pols):
        src_lang = lang
        if lang == "mix" and (clauses or i > 0) and rng.random() < 0.5:
            src_lang = "fa"
        pool = pools.get(src_lang) or REASON[src_lang]
        deck = f"{pool_name}:{src_lang}" if src_lang in pools else f"reason:{src_lang}"
        tp = want_tp if (i == 0 and not clauses) else None

        def ok(c: tuple, pol: str = pol, tp: str | None = tp) -> bool:
            return c[3] == pol and (tp is None or c[2] == tp) and (c[1] is None or c[1] not in used_stages)

        clause = decks.draw(deck, pool, ok)
        if clause is None and tp is not None:
            clause = decks.draw(deck, pool, lambda c, p=pol: c[3] == p)
        if clause is None:
            clause = decks.draw(f"reason:{src_lang}", REASON[src_lang], lambda c, p=pol: c[3] == p)
        if clause is None and src_lang == "mix":
            clause = decks.draw("reason:fa", REASON["fa"], lambda c, p=pol: c[3] == p)
        if clause is None:
            continue
        clauses.append(clause[:4])
        used_stages.add(clause[1])
    if not clauses:  # e.g. no neutral clause exists in this language: take any
        clauses.append(decks.draw(f"reason:{lang}", REASON[lang], lambda c: True)[:4])  # type: ignore[index]
    if (context and target in ("+", "-") and lang in ("en", "fa") and pool_name == "reason"
            and rng.random() < 0.12):
        ctx = decks.draw(f"neutral:{lang}", REASON[lang], lambda c: c[3] == "0" and c[1] is not None)
        if ctx:
            clauses.insert(0, ctx)
    t.clauses = clauses
    if lang == "mix" and not any(c[0] in MIXED_TEXTS for c in clauses):
        t.lang, t.lang_detail = "fa", "fa"
    body = join_clauses([c[0] for c in clauses], [c[3] for c in clauses], lang, rng)
    improve = pool_name == "improve"
    finish(t, body, rng, lang, when, target="+" if target == "+" else "-" if target in ("-", "mixed") else "0",
           openers=IMPROVE_OPENERS if improve else OPENERS, opener_rate=0.35 if improve else 0.12)
    return t


def emoji_only(rng: random.Random) -> Text:
    text, pol = rng.choice(EMOJI_ONLY)
    return Text(text, "other", "emoji", kind="emoji", clauses=[("", None, None, pol)])


def junk(rng: random.Random) -> Text:
    return Text(rng.choice(JUNK_ANSWERS), "other", "none", kind="junk", sentiment_override="neutral")


def rant(rng: random.Random, which: int, when: date) -> Text:
    body, lang, labels = RANTS[which]
    t = Text("", lang, lang, kind="long", clauses=list(labels), primary_index=0,
             sentiment_override="negative")
    body = body.replace("_", ZWNJ)
    digits = "fa" if lang == "fa" else "latin"
    t.text = fill_placeholders(body, t, rng, lang, when, digits)
    return t


# =============================================================================================
# survey_export.csv
# =============================================================================================
SURVEY_CHANNELS = (["website", "mobile_app", "call_center", "store", "email", "chat", "social"],
                   [22, 25, 15, 10, 8, 12, 8])
CHANNEL_TOUCHPOINT = {"website": "website", "mobile_app": "mobile_app", "call_center": "call_center",
                      "store": "store", "email": "email_sms", "chat": "chat", "social": "social_media"}
TIERS = (["new", "regular", "gold"], [30, 50, 20])
SURVEY_PROFILES = (["fa", "en", "fin", "mix", "other", "emoji"], [44, 35.5, 8, 7, 3, 2.5])
# A payment-gateway outage: complaints about the bank gateway spike in these days.
GATEWAY_OUTAGE = (date(2026, 9, 14), date(2026, 9, 18))
PERIOD = (datetime(2026, 7, 1, 0, 0), datetime(2026, 10, 31, 23, 59))
SKIPPED_SHARE = 0.06


@dataclass
class SurveyRow:
    response_id: str
    submitted_at: datetime
    channel: str
    tier: str
    score: int
    q1: Text | None
    q2: Text | None


def random_times(rng: random.Random, n: int, hours: Sequence[float]) -> list[datetime]:
    """``n`` sorted minute-resolution timestamps in PERIOD, hour of day weighted by ``hours``."""
    days = (PERIOD[1].date() - PERIOD[0].date()).days + 1
    out = []
    for _ in range(n):
        day = PERIOD[0] + timedelta(days=rng.randrange(days))
        hour = rng.choices(range(24), hours)[0]
        out.append(day.replace(hour=hour, minute=rng.randrange(60)))
    return sorted(out)


DAY_HOURS = [1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7, 6, 6, 6, 6, 6, 6, 7, 8, 9, 9, 7, 4]


def rotation(rng: random.Random, names: Sequence[str]) -> Iterator[str]:
    """Endless round-robin over ``names`` in a shuffled order (every language shows up)."""
    order = list(names)
    rng.shuffle(order)
    return itertools.cycle(order)


def quota(rng: random.Random, names: Sequence[str], weights: Sequence[float], n: int) -> list[str]:
    """Exactly proportional assignment of ``names`` to ``n`` slots, shuffled."""
    counts = [int(w / sum(weights) * n) for w in weights]
    for i in sorted(range(len(names)), key=lambda i: -weights[i])[: n - sum(counts)]:
        counts[i] += 1
    out = [name for name, c in zip(names, counts, strict=True) for _ in range(c)]
    rng.shuffle(out)
    return out


def nps_score(rng: random.Random, tier: str, channel: str) -> int:
    weights = [5, 3, 4, 4, 5, 7, 8, 13, 14, 16, 21]
    if tier == "gold":
        weights = [w * (1.6 if s >= 9 else 1) for s, w in enumerate(weights)]
    if channel in ("call_center", "social"):
        weights = [w * (1.5 if s <= 6 else 1) for s, w in enumerate(weights)]
    return rng.choices(range(11), weights)[0]


def target_for_score(score: int, rng: random.Random) -> str:
    if score <= 4:
        return rng.choices(["-", "mixed", "+"], [85, 12, 3])[0]
    if score <= 6:
        return rng.choices(["-", "mixed", "0", "+"], [55, 35, 7, 3])[0]
    if score <= 8:
        return rng.choices(["mixed", "+", "0", "-"], [40, 35, 15, 10])[0]
    return rng.choices(["+", "mixed", "0", "-"], [80, 13, 5, 2])[0]


def emoji_for(rng: random.Random, target: str) -> Text:
    pol = {"mixed": "0"}.get(target, target)
    options = [e for e in EMOJI_ONLY if e[1] == pol] or EMOJI_ONLY
    text, pol = rng.choice(options)
    return Text(text, "other", "emoji", kind="emoji", clauses=[("", None, None, pol)])


def decorate(t: Text, rng: random.Random, lang: str, file: str, emoji_rate: float, pii_rate: float) -> Text:
    if lang not in OTHER_LANGS and rng.random() < pii_rate:
        add_pii(t, rng, lang, PII_WEIGHTS[file], n=rng.choice([1, 1, 1, 2]))
    if rng.random() < emoji_rate:
        pol = {"positive": "+", "negative": "-"}.get(t.sentiment, "0")
        add_emoji(t, rng, pol)
    return t


def survey_q1(decks: Decks, rng: random.Random, profile: str, score: int, channel: str,
              ts: datetime) -> Text | None:
    if rng.random() < 0.02:
        return junk(rng)
    target = target_for_score(score, rng)
    if profile == "emoji":
        return emoji_for(rng, target)
    first = None
    want_tp = CHANNEL_TOUCHPOINT[channel] if rng.random() < 0.4 else None
    outage = GATEWAY_OUTAGE[0] <= ts.date() <= GATEWAY_OUTAGE[1]
    if outage and target in ("-", "mixed") and profile in ("en", "fa", "fin", "mix") and rng.random() < 0.7:
        pool = REASON[profile]
        first = [decks.draw(f"reason:{profile}", pool, lambda c: c[3] == "-" and c[2] == "payment_gateway")]
        want_tp = None
    t = compose(decks, rng, profile, target, ts.date(), first=first, want_tp=want_tp)
    return decorate(t, rng, profile, "survey", 0.11, 0.11)


def survey_q2(decks: Decks, rng: random.Random, profile: str, score: int, ts: datetime) -> Text | None:
    if rng.random() < 0.02:
        return junk(rng)
    if profile == "emoji":
        return emoji_for(rng, target_for_score(score, rng)) if rng.random() < 0.4 else None
    when = ts.date()
    if profile in OTHER_LANGS:
        if rng.random() < 0.5:
            return None
        return compose(decks, rng, profile, target_for_score(score, rng), when, n=1)
    if score >= 9 and rng.random() < 0.4:
        t = compose(decks, rng, profile, rng.choice(["+", "+", "0"]), when, pools=NOTHING,
                    pool_name="nothing", n=1)
    elif rng.random() < 0.12:
        t = compose(decks, rng, profile, "-", when, n=1, context=False)
    else:
        t = compose(decks, rng, profile, rng.choice(["-", "0"]), when, pools=IMPROVE,
                    pool_name="improve", n=rng.choice([1, 1, 1, 2]))
    return decorate(t, rng, profile, "survey", 0.08, 0.05)


def copy_text(t: Text, duplicate_of: str) -> Text:
    return Text(**{**t.__dict__, "duplicate_of": duplicate_of,
                   **{k: list(v) for k, v in t.__dict__.items() if isinstance(v, list)}})


def gen_survey(decks: Decks, rng: random.Random) -> list[SurveyRow]:
    times = random_times(rng, N_SURVEY, DAY_HOURS)
    rant_slots = sorted(rng.sample(range(40, N_SURVEY - 10), len(RANTS)))
    profiles = quota(rng, *SURVEY_PROFILES, N_SURVEY)
    others = rotation(rng, OTHER_LANGS)
    # Skipped questions: an exact share of the cells (emoji-only and other-language respondents
    # also skip q2 now and then, which adds about one point).
    cells = [(i, q) for i in range(N_SURVEY) for q in ("q1", "q2") if not (i in rant_slots and q == "q1")]
    skipped = set(rng.sample(cells, round(SKIPPED_SHARE * 2 * N_SURVEY)))
    rows = []
    for i, ts in enumerate(times):
        channel = rng.choices(*SURVEY_CHANNELS)[0]
        tier = rng.choices(*TIERS)[0]
        score = nps_score(rng, tier, channel)
        profile = profiles[i]
        if profile == "other":
            profile = next(others)
        if i in rant_slots:
            which = rant_slots.index(i)
            profile, score = RANTS[which][1], rng.randint(0, 2)
            q1: Text | None = rant(rng, which, ts.date())
        else:
            q1 = None if (i, "q1") in skipped else decks.unique(survey_q1, decks, rng, profile, score, channel, ts)
        q2 = None if (i, "q2") in skipped else decks.unique(survey_q2, decks, rng, profile, score, ts)
        if q1 and q2 and profile in OTHER_LANGS and q1.clauses[:1] == q2.clauses[:1]:
            q2 = None  # tiny pools: don't let the second answer repeat the first
        rows.append(SurveyRow(f"R-{10001 + i}", ts, channel, tier, score, q1, q2))
    # People sometimes paste the same text into both questions.
    pasted = [r for r in rows if r.q1 and r.q1.kind == "text" and r.q1.sentiment == "negative"]
    for row in rng.sample(pasted, 2):
        assert row.q1 is not None
        row.q2 = copy_text(row.q1, f"survey_export.csv:{row.response_id}:q1_reason")
    return rows


# =============================================================================================
# app_reviews.jsonl
# =============================================================================================
STORES = (["google_play", "app_store", "cafebazaar", "myket"], [35, 20, 30, 15])
STORE_PROFILES = {
    "google_play": [35, 43, 10, 8, 2, 2],
    "app_store": [28, 60, 3, 4, 3, 2],
    "cafebazaar": [72, 10, 8, 8, 0, 2],
    "myket": [72, 10, 8, 8, 0, 2],
}
PROFILE_NAMES = ["fa", "en", "fin", "mix", "other", "emoji"]
STORE_PREFIX = {"google_play": "gp", "app_store": "as", "cafebazaar": "cb", "myket": "mk"}
VERSIONS = [
    ("5.9.2", date(2026, 6, 10)), ("5.10.0", date(2026, 7, 8)), ("5.10.3", date(2026, 7, 22)),
    ("5.11.0", date(2026, 8, 5)), ("5.12.0", date(2026, 8, 20)), ("5.12.1", date(2026, 9, 2)),
    ("5.13.0", date(2026, 9, 24)), ("5.13.2", date(2026, 10, 12)),
]
CRASH_VERSION, FIX_VERSION = "5.12.0", "5.12.1"
RATING = {
    "positive": ([5, 4, 3], [70, 27, 3]), "negative": ([1, 2, 3], [65, 25, 10]),
    "mixed": ([2, 3, 4], [25, 45, 30]), "neutral": ([3, 4, 2], [50, 30, 20]),
}


@dataclass
class Review:
    review_id: str
    day: date
    store: str
    version: str
    rating: int
    text: Text


def app_version(rng: random.Random, day: date) -> str:
    released = [v for v, d in VERSIONS if d <= day]
    if len(released) > 1 and rng.random() < 0.2:
        return released[-2]
    return released[-1]


def review_text(decks: Decks, rng: random.Random, profile: str, version: str, day: date) -> Text:
    if version == CRASH_VERSION:
        target = rng.choices(["-", "mixed", "+", "0"], [70, 15, 10, 5])[0]
    else:
        target = rng.choices(["+", "-", "mixed", "0"], [45, 30, 17, 8])[0]
    if profile == "emoji":
        return emoji_for(rng, target)
    first = None
    if profile in ("en", "fa") and target != "0":
        pol = "+" if target == "+" else "-" if target == "-" else rng.choice("+-")
        if version == CRASH_VERSION and pol == "-" and rng.random() < 0.75:
            first = [decks.draw(f"crash:{profile}", APP_CRASH[profile], lambda c: True)]
        elif version == FIX_VERSION and pol == "+" and rng.random() < 0.5:
            first = [decks.draw(f"fixed:{profile}", APP_FIXED[profile], lambda c: True)]
        elif rng.random() < 0.55:
            first = [decks.draw(f"app:{profile}", APP[profile], lambda c, p=pol: c[3] == p)]
    t = compose(decks, rng, profile, target, day, first=first)
    return decorate(t, rng, profile, "reviews", 0.14, 0.07)


def gen_reviews(decks: Decks, rng: random.Random) -> list[Review]:
    days = [t.date() for t in random_times(rng, N_REVIEWS - 1, DAY_HOURS)]
    others = rotation(rng, OTHER_LANGS)
    reviews = []
    for day in days:
        store = rng.choices(*STORES)[0]
        profile = rng.choices(PROFILE_NAMES, STORE_PROFILES[store])[0]
        if profile == "other":
            profile = next(others)
        version = app_version(rng, day)
        text = decks.unique(review_text, decks, rng, profile, version, day)
        rating = rng.choices(*RATING[text.sentiment])[0]
        if rng.random() < 0.04:
            rating = rng.randint(1, 5)  # mis-taps happen
        review_id = f"{STORE_PREFIX[store]}-{rng.getrandbits(40):010x}"
        reviews.append(Review(review_id, day, store, version, rating, text))
    # The same review posted on both Iranian stores.
    source = rng.choice([r for r in reviews if r.store == "cafebazaar" and r.text.kind == "text"])
    dup = Review(f"mk-{rng.getrandbits(40):010x}", source.day + timedelta(days=1), "myket",
                 source.version, source.rating, copy_text(source.text, f"app_reviews.jsonl:{source.review_id}:review"))
    reviews.append(dup)
    reviews.sort(key=lambda r: (r.day, r.review_id))
    return reviews


# =============================================================================================
# support_tickets.xlsx
# =============================================================================================
TICKET_CHANNELS = (["call_center", "chat", "email", "social"], [30, 30, 25, 15])
TICKET_PROFILES = (["fa", "en", "fin", "mix", "other"], [48, 35, 8, 7, 2])
# Extra reference numbers a customer adds, by ticket category (all non-PII).
DETAILS = {
    "en": {"order": ["Order number: {order}", "Order {order}"], "track": ["Tracking code: {track}"],
           "paid": ["Paid {price} on {date}", "Amount: {price}"]},
    "fa": {"order": ["کد سفارش: {order}", "شماره سفارش {order}"], "track": ["کد رهگیری: {track}"],
           "paid": ["مبلغ {price} در تاریخ {date}", "مبلغ: {price}"]},
    "fin": {"order": ["code sefaresh {order}"], "track": ["code rahgiri {track}"], "paid": ["mablagh {price}"]},
}
DETAILS_FOR_CATEGORY = {
    "delivery": ["order", "track"], "order": ["order"], "payment": ["order", "paid"],
    "refund": ["order", "paid"], "returns": ["order", "track"], "product": ["order"],
    "warranty": ["order"],
}
CATEGORY_CONFUSIONS = {"refund": "returns", "returns": "refund", "delivery": "order", "order": "delivery",
                       "product": "warranty", "warranty": "product", "payment": "order", "account": "app",
                       "app": "account", "other": "delivery"}


@dataclass
class Ticket:
    created_at: datetime
    channel: str
    category: str
    text: Text
    csat: int | None
    ces: int | None
    ticket_id: str = ""


def category_for(clause: Clause) -> str:
    text, stage, tp, _ = clause
    lowered = text.lower()
    if tp in ("payment_gateway", "checkout"):
        return "payment"
    if stage == "returns":
        return "returns" if tp in ("returns_portal", "courier", "store") else "refund"
    if stage == "delivery":
        return "delivery"
    if stage in ("usage", "evaluation"):
        return "product"
    if stage == "support" and any(w in lowered for w in ("warrant", "گارانتی", "garanti")):
        return "warranty"
    if stage == "loyalty" or tp == "email_sms":
        return "account"
    if tp in ("mobile_app", "website"):
        return "app"
    return "other"


def end_sentence(text: str, lang: str, rng: random.Random) -> str:
    if text.endswith(SENTENCE_END) or not text:
        return text
    return text + ("." if lang in LATIN_SCRIPT or rng.random() < 0.6 else "")


def compose_ticket(decks: Decks, rng: random.Random, lang: str, channel: str,
                   when: date) -> tuple[Text, str, bool]:
    """Return (text, agent-picked category, repeated-contact flag)."""
    if lang in OTHER_LANGS:
        t = compose(decks, rng, lang, "-", when, n=2, context=False)
        main = t.primary()
        return t, category_for(main) if main else "other", False
    truth_lang, detail, finglish = lang_info(lang)
    key = "fa" if lang == "mix" else lang
    t = Text("", truth_lang, detail, finglish)
    if channel == "call_center" and lang in AGENT_NOTES and rng.random() < 0.3:
        note = decks.draw(f"note:{lang}", AGENT_NOTES[lang], lambda c: True)
        assert note is not None
        t.kind, t.clauses, t.primary_index = "agent_note", [note[:4]], 0
        finish(t, note[0] + ".", rng, lang, when, target=note[3], decorate=False)
        return t, note[4], "بار سوم" in note[0] or "4th call" in note[0]
    roll = rng.random()
    pol = "0" if roll < 0.14 else "+" if roll < 0.19 else "-"
    if pol == "-" and rng.random() < 0.45:
        reason = decks.draw(f"reason:{lang}", REASON[lang], lambda c: c[3] == "-" and c[1] is not None)
        assert reason is not None
        main, category = reason, category_for(reason)
    else:
        picked = decks.draw(f"ticket:{lang}", TICKET[lang], lambda c, p=pol: c[3] == p)
        if picked is None:  # small pools (Finglish, mixed) lack some polarities
            picked = decks.draw(f"reason:{lang}", REASON[lang], lambda c, p=pol: c[3] == p and c[1] is not None)
            assert picked is not None
            picked = (*picked, category_for(picked))
        main, category = picked[:4], picked[4]
    effort = pol == "-" and lang in EFFORT and rng.random() < 0.3
    parts: list[str] = []
    if effort:
        e = decks.draw(f"effort:{lang}", EFFORT[lang], lambda c: True)
        assert e is not None
        t.clauses.append(e)
        parts.append(e[0])
    t.clauses.append(main)
    t.primary_index = len(t.clauses) - 1
    parts.append(main[0])
    if pol == "-" and rng.random() < 0.2:
        extra = decks.draw(f"reason:{lang}", REASON[lang], lambda c: c[3] == "-" and c[1] not in (None, main[1]))
        if extra:
            t.clauses.append(extra)
            parts.append(extra[0])
    if "{" not in main[0] and category in DETAILS_FOR_CATEGORY and rng.random() < 0.4:
        parts.append(rng.choice(DETAILS[key][rng.choice(DETAILS_FOR_CATEGORY[category])]))
    if pol != "+" and rng.random() < 0.5:
        parts.append(rng.choice(REQUESTS[key]).replace("_", ZWNJ))
    body = " ".join(end_sentence(p, lang, rng) for p in parts)
    greeting = rng.choice(GREETINGS[key]) if rng.random() < (0.8 if channel == "email" else 0.45) else ""
    if greeting:
        body = greeting + ("\n\n" if channel == "email" else " ") + body
    finish(t, body, rng, lang, when, target=pol, decorate=False)
    if rng.random() < 0.3:
        add_pii(t, rng, lang, ticket_pii_weights(category), n=rng.choice([1, 1, 2]))
    if rng.random() < (0.35 if channel == "email" else 0.1):
        name = rng.choice(CUSTOMER_NAMES[key])
        sep = "\n\n" if channel == "email" else rng.choice([" ", "\n"])
        t.text = t.text.rstrip() + sep + rng.choice(SIGNATURES[key]).format(name=name)
        t.pii.append("person_name")
        t.pii_values.append(name)
    if rng.random() < 0.05:
        add_emoji(t, rng, {"positive": "+", "negative": "-"}.get(t.sentiment, "0"))
    return t, category, effort


def ticket_pii_weights(category: str) -> dict[str, float]:
    weights = dict(PII_WEIGHTS["tickets"])
    if category in ("refund", "payment", "returns"):
        weights["card"] *= 2
        weights["iban"] *= 2
    if category in ("warranty", "account"):
        weights["national_id"] *= 2.5
    return weights


def satisfaction(rng: random.Random, sentiment: str, category: str, effort: bool) -> tuple[int | None, int | None]:
    """CSAT 1-5 and CES 1-7 (high = hard) given after the ticket was handled."""
    if sentiment == "positive":
        csat, ces = rng.choice([5, 5, 5, 4]), rng.choice([1, 1, 2, 2, 3])
    elif sentiment == "neutral":
        csat, ces = rng.choices([3, 4, 5], [2, 4, 5])[0], rng.choices([1, 2, 3, 4], [3, 4, 2, 1])[0]
    else:
        csat, ces = rng.choices([1, 2, 3, 4, 5], [24, 22, 20, 19, 15])[0], rng.randint(2, 6)
    if effort:
        csat, ces = min(csat, rng.randint(1, 3)), rng.choice([5, 6, 7, 7])
    if category in ("refund", "returns") and sentiment != "positive":
        csat = max(1, csat - 1)
    return (None if rng.random() < 0.05 else csat), (None if rng.random() < 0.05 else ces)


def gen_tickets(decks: Decks, rng: random.Random) -> list[Ticket]:
    n_duplicates = 3
    times = random_times(rng, N_TICKETS - n_duplicates, DAY_HOURS)
    profiles = quota(rng, *TICKET_PROFILES, len(times))
    others = rotation(rng, ["ar", "fr", "tr"])
    tickets = []
    for ts, profile in zip(times, profiles, strict=True):
        channel = rng.choices(*TICKET_CHANNELS)[0]
        if profile == "other":
            profile = next(others)
        text, category, effort = decks.unique(compose_ticket, decks, rng, profile, channel, ts.date())
        if rng.random() < 0.06:
            category = CATEGORY_CONFUSIONS[category]
        csat, ces = satisfaction(rng, text.sentiment, category, effort)
        tickets.append(Ticket(ts, channel, category, text, csat, ces))
    # Customers re-open the same complaint by pasting it again a few hours later.
    pairs = []
    for source in rng.sample([t for t in tickets if t.text.kind == "text" and t.text.sentiment == "negative"],
                             n_duplicates):
        later = source.created_at + timedelta(hours=rng.randint(2, 30), minutes=rng.randrange(60))
        dup = Ticket(later, rng.choice(TICKET_CHANNELS[0]), source.category, copy_text(source.text, ""),
                     rng.choice([1, 2]), rng.choice([6, 7]))
        tickets.append(dup)
        pairs.append((source, dup))
    tickets.sort(key=lambda t: t.created_at)
    next_id = 26_000
    for t in tickets:
        next_id += rng.randint(1, 9)
        t.ticket_id = f"TCK-{next_id:06d}"
    for source, dup in pairs:
        dup.text.duplicate_of = f"support_tickets.xlsx:{source.ticket_id}:description"
    return tickets


# =============================================================================================
# Writers
# =============================================================================================
def cell(t: Text | None) -> str:
    return t.text if t else ""


def write_survey(rows: list[SurveyRow], path: Path) -> list[dict[str, object]]:
    truth = []
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["response_id", "submitted_at", "channel", "customer_tier", "nps_score",
                         "q1_reason", "q2_improve"])
        for r in rows:
            writer.writerow([r.response_id, r.submitted_at.strftime("%Y-%m-%d %H:%M"), r.channel, r.tier,
                             r.score, cell(r.q1), cell(r.q2)])
            for question, t in (("q1_reason", r.q1), ("q2_improve", r.q2)):
                if t is not None:
                    truth.append(t.truth(path.name, r.response_id, question))
    return truth


def write_reviews(reviews: list[Review], path: Path) -> list[dict[str, object]]:
    truth = []
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for r in reviews:
            record = {"review_id": r.review_id, "date": r.day.isoformat(), "store": r.store,
                      "app_version": r.version, "rating": r.rating, "review": r.text.text}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            truth.append(r.text.truth(path.name, r.review_id, "review"))
    return truth


def write_tickets(tickets: list[Ticket], path: Path) -> list[dict[str, object]]:
    wb = Workbook()
    ws = wb.active
    ws.title = "tickets"
    header = ["ticket_id", "created_at", "channel", "category", "description", "csat_score", "ces_score"]
    ws.append(header)
    for c in ws[1]:
        c.font = Font(bold=True)
    truth = []
    for t in tickets:
        ws.append([t.ticket_id, t.created_at, t.channel, t.category, t.text.text, t.csat, t.ces])
        truth.append(t.text.truth(path.name, t.ticket_id, "description"))
    for row in ws.iter_rows(min_row=2):
        row[1].number_format = "yyyy-mm-dd hh:mm"
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFG", [13, 17, 12, 11, 80, 11, 10], strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    wb.properties.creator = "voc sample data generator"
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    # openpyxl's save() stamps "modified" with now() and the zip entries with the wall clock;
    # write through ExcelWriter and re-pack with fixed entry times so the bytes are stable.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return truth


def check_pii(truth: list[dict[str, object]]) -> None:
    validators = {"card": luhn_valid, "iban": iban_valid, "national_id": national_id_valid}
    for row in truth:
        for kind, value in zip(row["pii"], row["pii_values"], strict=True):  # type: ignore[call-overload]
            if kind in validators:
                assert validators[kind](value), (kind, value)


def main() -> None:
    decks = Decks(random.Random(SEED))
    survey = gen_survey(decks, random.Random(SEED + 1))
    reviews = gen_reviews(decks, random.Random(SEED + 2))
    tickets = gen_tickets(decks, random.Random(SEED + 3))
    truth = (write_survey(survey, HERE / "survey_export.csv")
             + write_reviews(reviews, HERE / "app_reviews.jsonl")
             + write_tickets(tickets, HERE / "support_tickets.xlsx"))
    check_pii(truth)
    TRUTH_PATH.parent.mkdir(parents=True, exist_ok=True)
    with TRUTH_PATH.open("w", encoding="utf-8", newline="\n") as f:
        for row in truth:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"survey_export.csv: {len(survey)} rows; app_reviews.jsonl: {len(reviews)} lines; "
          f"support_tickets.xlsx: {len(tickets)} rows; truth: {len(truth)} answers")


if __name__ == "__main__":
    main()
