"""Parse the scalar values found in exports: numbers, scores and dates.

Iranian exports write digits in Persian (۰-۹) or Arabic-Indic (٠-٩) form and dates in the
Solar Hijri (Jalali) calendar (۱۴۰۳/۰۵/۱۲); both are converted here so that scores and
trends work whatever tool produced the file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

# Persian and Arabic-Indic digits, and the Arabic decimal and thousands separators.
# Every pair maps one character to one, so offsets into folded text hold for the original.
_FOLD_PAIRS: tuple[tuple[str, str], ...] = (
    *((chr(base + i), str(i)) for base in (0x06F0, 0x0660) for i in range(10)),
    ("٫", "."),
    ("٬", ","),
)
_FOLDABLE = re.compile("[\u06f0-\u06f9\u0660-\u066c]")

_NUMBER = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(?:/\s*(\d+))?\s*[^\d]{0,12}$")
_ISO_DATE = re.compile(
    r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?[^\d]*)?"
)
_DMY_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:\s+(\d{1,2}):(\d{2}))?")
# Solar Hijri years in feedback exports fall in this window; Gregorian years never do.
_JALALI_YEARS = range(1300, 1500)


def fold_digits(text: str) -> str:
    """Map Persian and Arabic-Indic digits (and their separators) to ASCII, 1:1."""
    if text.isascii() or _FOLDABLE.search(text) is None:
        return text
    # str.translate is ~10x slower than a few replace() calls on non-ASCII text (it boxes
    # every code point), and this runs on every record.
    for source, target in _FOLD_PAIRS:
        if source in text:
            text = text.replace(source, target)
    return text


def parse_number(value: Any) -> float | None:
    """Read a number from a cell: 9, '9', '۹', '9/10' (-> 9), '4 stars'; else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    match = _NUMBER.match(fold_digits(str(value)))
    if not match:
        return None
    return float(match.group(1).replace(",", "."))


def jalali_to_gregorian(year: int, month: int, day: int) -> dt.date:
    """Convert a Solar Hijri date to Gregorian (the arithmetic algorithm, valid 1300-1500)."""
    if not (1 <= month <= 12 and 1 <= day <= 31) or (month > 6 and day > 30):
        raise ValueError(f"invalid Jalali date {year}/{month}/{day}")
    # Days from 1 Farvardin 979 (= 20 March 1600), counting 33-year leap cycles.
    jy = year - 979
    days = 365 * jy + (jy // 33) * 8 + ((jy % 33) + 3) // 4
    days += (month - 1) * 31 if month <= 7 else 6 * 31 + (month - 7) * 30
    days += day - 1
    return dt.date(1600, 3, 20) + dt.timedelta(days=days)


def parse_date(value: Any) -> str | None:
    """Return an ISO 8601 date or datetime string for a date cell, else None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return None
    text = fold_digits(str(value).strip())
    if not text:
        return None
    try:
        match = _ISO_DATE.match(text)
        if match:
            year, month, day = (int(match.group(i)) for i in (1, 2, 3))
            date = (jalali_to_gregorian(year, month, day) if year in _JALALI_YEARS
                    else dt.date(year, month, day))
            if match.group(4):
                stamp = dt.datetime.combine(date, dt.time(
                    int(match.group(4)), int(match.group(5)), int(match.group(6) or 0)))
                return stamp.isoformat()
            return date.isoformat()
        match = _DMY_DATE.match(text)
        if match:
            day, month, year = (int(match.group(i)) for i in (1, 2, 3))
            if month > 12:  # US month/day/year order
                day, month = month, day
            # 12/05/1403 is 12 Mordad 1403, not a day in the Gregorian year 1403.
            date = (jalali_to_gregorian(year, month, day) if year in _JALALI_YEARS
                    else dt.date(year, month, day))
            return date.isoformat()
    except ValueError:
        return None
    return None
