"""Columns that hold personal data (e-mail, phone, customer name...) and values shown safely.

Exports carry contact details next to the answers. Such a column must never become a
question, a report "By ..." table or a kpis.json breakdown: each of its values is one
person. A column is personal when its name says so (in English or Persian) or when most of
its values are personal data: they are mostly a match of the PII patterns of voc.privacy.pii,
or they look like a person's name (voc.privacy.names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from voc.privacy.names import find_names, looks_like_person_name
from voc.privacy.pii import PiiRedactor

__all__ = ["is_personal_column", "redact_value"]

_PERSONAL_NAME = re.compile(
    r"e-?mail|phone|mobile|whatsapp|telegram|(^|[\W_])(tel|cell|fax|sms)([\W_]|$)|address"
    r"|iban|sheba|shaba|card.?(number|no)|national.?(id|code)|passport|ssn|username|login"
    r"|^name$|(^|[\W_])(full|first|last|given|family|sur|middle|customer|client|user|contact"
    r"|person|respondent|agent|sender|author|reviewer|caller)[\W_]?name$"
    r"|ایمیل|پست.?الکترونیک|تلفن|موبایل|همراه|شماره.?تماس|آدرس|نشانی|کد.?ملی|شبا"
    r"|شماره.?کارت|^نام$|نام.?و.?نام.?خانوادگی|نام.?خانوادگی|نام.?مشتری|نام.?کاربر"
    r"|نام.?شخص|نام.?پاسخ",
    re.IGNORECASE,
)
_SAMPLE = 200
# Share of a column's values that must be personal data for the column to be personal.
_MOST = 0.5


@cache
def _redactor() -> PiiRedactor:
    return PiiRedactor(name_finder=find_names)


def _personal_value(value: str) -> bool:
    """The value *is* personal data (mostly a match), not an answer that mentions some: a
    feedback column full of phone numbers is still a question, only redacted."""
    covered = sum(m.end - m.start for m in _redactor().find(value))
    return covered >= 0.5 * len(value.replace(" ", "")) or looks_like_person_name(value)


def is_personal_column(name: str, values: Iterable[Any]) -> bool:
    """True when the column's name or most of its (first 200 non-empty) values are
    personal data."""
    if _PERSONAL_NAME.search(name.strip()):
        return True
    sample: list[str] = []
    for value in values:
        text = str(value).strip() if value is not None else ""
        if text:
            sample.append(text)
            if len(sample) == _SAMPLE:
                break
    if not sample:
        return False
    return sum(_personal_value(v) for v in sample) / len(sample) >= _MOST


def redact_value(value: Any) -> str:
    """A meta value as it may be shown: personal data replaced by [EMAIL], [NAME]..."""
    return _redactor().redact(str(value)).text
