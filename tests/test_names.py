"""Tests for voc.privacy.names: person names from name lists and context, no NER model."""

from __future__ import annotations

import pytest

from voc.pipeline.resources import Resources
from voc.pipeline.settings import RedactSettings
from voc.privacy.names import find_names, looks_like_person_name
from voc.privacy.pii import PiiRedactor


def names(text: str) -> list[str]:
    return [text[s:e] for s, e in find_names(text)]


# Issue #15: these reached the report unredacted (a surname even became a theme label).
FOUND: list[tuple[str, list[str]]] = [
    # titles and forms of address
    ("آقای محمدی از پشتیبانی خیلی بی‌ادب بود", ["محمدی"]),
    ("خانم رضایی خیلی کمک کرد، ممنون", ["رضایی"]),
    ("سرکار خانم صبا احمدی پاسخ داد", ["صبا احمدی"]),
    ("جناب دکتر محمدی", ["محمدی"]),
    ("dear Dr. Ahmad Karimi, the app crashed", ["Ahmad Karimi"]),
    ("Mr. Smith was rude", ["Smith"]),
    ("mrs jones never called back", ["jones"]),
    # introductions
    ("my name is John Smith and my order is late", ["John Smith"]),
    ("my name is sarah", ["sarah"]),
    ("this is Sarah from support", ["Sarah"]),
    ("اسمم علی رضایی هست و سفارشم گم شده", ["علی رضایی"]),
    ("من مریم احمدی هستم و راضی نیستم", ["مریم احمدی"]),
    # signatures
    ("Thanks for nothing.\n\nRegards,\nSarah Johnson\nCustomer since 2019", ["Sarah Johnson"]),
    ("Great app. Thanks, Sarah", ["Sarah"]),
    ("با تشکر، مریم احمدی", ["مریم احمدی"]),
    ("ممنون، مریم", ["مریم"]),
    # a signature line of its own: an everyday first name and a surname made from another
    # («شیرین مرادی» under a message became a theme label in the sample report)
    ("با سلام و احترام،\nفقط خواستم تشکر کنم\n\nشیرین مرادی", ["شیرین مرادی"]),
    # a first name with a listed or capitalised surname, or a surname-shaped word
    ("The agent, Michael Brown, hung up on me", ["Michael Brown"]),
    ("Will Smith answered", ["Will Smith"]),
    ("همکارتون رضا محمدپور جواب نداد", ["رضا محمدپور"]),
    # an everyday first name is a name when context marks it
    ("آقای امید رضایی", ["امید رضایی"]),
    ("Thanks, Grace", ["Grace"]),
    # Arabic-keyboard spellings of Persian letters
    ("خانم رضايي خيلي کمک کرد", ["رضايي"]),
]


@pytest.mark.parametrize(("text", "expected"), FOUND, ids=[t for t, _ in FOUND])
def test_names_found_from_lists_and_context(text: str, expected: list[str]) -> None:
    assert names(text) == expected


# Everyday words that are also names stay, as do titles without a name after them.
KEPT: list[str] = [
    "امید دارم زودتر درست بشه",
    "مهر امسال سفارش دادم",
    "نور صفحه خیلی کمه",
    "بهار امسال خرید کردم",
    "صبا باد ملایمی است",
    "Will you fix this?",
    "May I ask why the refund is late",
    "Grace period expired",
    "Bill was wrong again",
    "Mark my words",
    "Hope this helps",
    "آقای پیک خیلی بد برخورد کرد",
    "یه خانم جواب داد",
    "I am happy with the app",
    "this is great",
    "Thanks for nothing",
    "با تشکر از پیک",
    "ممنون از پشتیبانی",
    "کیفیت عالی و قیمت خوب بود",
    "ارسال ایرانی و خوبی داشت",
    "من خیلی ناراحت هستم",
    "شیرینی خوشمزه بود",
    "راه آزادی را بستند",  # «آزادی» is surname-shaped, but not on a line of its own
]


@pytest.mark.parametrize("text", KEPT)
def test_everyday_words_that_are_names_stay(text: str) -> None:
    assert find_names(text) == []


def test_names_are_redacted_by_default() -> None:
    result = PiiRedactor(name_finder=find_names).redact(
        "خانم رضایی گفت با 09121234567 تماس بگیرید. Regards,\nSarah Johnson")
    assert result.text == "خانم [NAME] گفت با [PHONE] تماس بگیرید. Regards,\n[NAME]"
    assert result.counts == {"NAME": 2, "PHONE": 1}


def test_redact_component_finds_names_without_an_ner_model() -> None:
    from voc.privacy.component import RedactComponent

    redactor = RedactComponent(RedactSettings(), Resources(spacy_model="blank")).redactor
    assert redactor.redact("آقای محمدی بی‌ادب بود").text == "آقای [NAME] بی‌ادب بود"
    assert redactor.redact("my name is John Smith").text == "my name is [NAME]"


@pytest.mark.parametrize("value", ["علی رضایی", "Sarah Johnson", "مریم احمدی", "john smith"])
def test_person_name_values(value: str) -> None:
    assert looks_like_person_name(value)


@pytest.mark.parametrize("value", ["gold", "Tehran", "تهران", "طلایی", "app", "new customer",
                                   "09121234567", "امید"])
def test_segment_values_are_not_person_names(value: str) -> None:
    assert not looks_like_person_name(value)
