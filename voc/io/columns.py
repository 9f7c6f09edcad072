"""Decide which column holds what: free text, id, date, channel and score columns.

Exports name their columns in English, Persian or not at all, so detection looks at both
the header (name hints) and the values (length, words, uniqueness, numeric range). A column
named like a feedback column ("comment", «نظر») is a question on its name alone, whatever
its values look like: a short export ("ok", "👍") would otherwise have no question at all.
Every guess can be overridden from the command line, and the manifest records what was used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from voc.errors import InputError
from voc.io.readers import InputTable
from voc.io.values import parse_date, parse_number
from voc.privacy.columns import is_personal_column

ScoreKind = Literal["nps", "csat", "ces"]
SCORE_KINDS: tuple[ScoreKind, ...] = ("nps", "csat", "ces")
SCORE_RANGES: dict[str, tuple[float, float]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}

_TEXT_HINTS = re.compile(
    r"text|comment|review|feedback|verbatim|description|message|answer|reason|improve|why|"
    r"opinion|remark|note|body|content|complaint|suggest|open|^q\d|"
    r"نظر|توضیح|پیام|متن|دلیل|پیشنهاد|شکایت|بازخورد|دیدگاه|چرا",
    re.IGNORECASE,
)
# Words that name a feedback column outright, matched against the words of a column name
# (split at case changes and non-letters, so "reviewText", "Customer comment" and «نظر مشتری»
# count); names that also hold a word of _NOT_TEXT_WORDS ("message_type", "comment_id",
# «تاریخ نظر») describe the answer rather than hold it.
_FEEDBACK_WORDS = frozenset({
    "comment", "comments", "feedback", "feedbacks", "text", "review", "reviews", "answer",
    "answers", "response", "responses", "message", "messages", "body", "verbatim",
    "verbatims", "remark", "remarks", "opinion", "opinions", "complaint", "complaints",
    "suggestion", "suggestions", "description",
    # A half-space splits words here, so «پیام‌ها» is found by «پیام».
    "نظر", "نظرات", "نظرها", "نظرتان", "نظرت", "توضیح", "توضیحات", "پیام", "پیامها", "متن",
    "دیدگاه", "دیدگاهها", "بازخورد", "بازخوردها", "شکایت", "پیشنهاد", "پیشنهادات", "پاسخ",
})
_NOT_TEXT_WORDS = frozenset({
    "id", "ids", "key", "type", "kind", "category", "status", "date", "time", "count",
    "length", "len", "lang", "language", "score", "rating", "title", "subject", "url",
    "link", "code", "number", "no", "channel", "source",
    "نوع", "تاریخ", "زمان", "شناسه", "وضعیت", "دسته", "کد", "عنوان", "شماره", "امتیاز",
})
_NAME_WORD = re.compile(r"[^\W\d_]+")
_CASE_CHANGE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ID_HINTS = re.compile(r"(^|_|\b)(id|uuid|key|ticket|number|no)$|شناسه|^id", re.IGNORECASE)
_DATE_HINTS = re.compile(r"date|time|created|submitted|updated|_at$|^at$|day|تاریخ|زمان",
                         re.IGNORECASE)
_CHANNEL_HINTS = re.compile(r"channel|source|platform|store|medium|via|touchpoint|کانال|منبع",
                            re.IGNORECASE)
_SCORE_HINTS: dict[ScoreKind, re.Pattern[str]] = {
    "nps": re.compile(r"nps|recommend|likelihood|likely|توصیه|معرفی", re.IGNORECASE),
    "csat": re.compile(r"csat|satisf|rating|stars?$|rate$|score$|رضایت|امتیاز", re.IGNORECASE),
    "ces": re.compile(r"\bces\b|^ces|effort|ease|easy|سهولت|تلاش", re.IGNORECASE),
}
# A meta column is a segment to break results down by (a CRM tier, a region) when it has
# 2..MAX_SEGMENT_VALUES distinct values, fewer than the respondents that have one, and a
# value for at least MIN_SEGMENT_COVERAGE of them; and never when it holds personal data.
MAX_SEGMENT_VALUES = 20
MIN_SEGMENT_COVERAGE = 0.3
_WORD = re.compile(r"[^\W\d_]{2,}")
_SAMPLE = 500
_NO_SCORE = frozenset({"n/a", "na", "-", "nan", "null", "none", "?"})


@dataclass(frozen=True)
class ColumnOverrides:
    """Column names the user gave on the command line."""

    text: tuple[str, ...] = ()
    id: str | None = None
    date: str | None = None
    channel: str | None = None
    scores: tuple[tuple[str, ScoreKind], ...] = ()


@dataclass(frozen=True)
class ColumnRoles:
    text: list[str]
    id: str | None = None
    date: str | None = None
    channel: str | None = None
    scores: dict[str, ScoreKind] = field(default_factory=dict)
    detected: dict[str, str] = field(default_factory=dict)

    @property
    def metadata(self) -> set[str]:
        return {c for c in (self.id, self.date, self.channel) if c} | set(self.scores)


def parse_score_option(value: str) -> tuple[str, ScoreKind]:
    """Parse `NAME:nps|csat|ces` from --score-col (the name may itself contain ':')."""
    name, sep, kind = value.rpartition(":")
    kind = kind.strip().lower()
    score_kind = next((k for k in SCORE_KINDS if k == kind), None)
    if not sep or not name.strip() or score_kind is None:
        raise InputError(
            f"--score-col '{value}' must look like NAME:nps, NAME:csat or NAME:ces"
        )
    return name.strip(), score_kind


def _values(table: InputTable, column: str) -> list[Any]:
    return [row.get(column) for row in table.rows[:_SAMPLE]]


def _non_empty(values: Sequence[Any]) -> list[Any]:
    return [v for v in values if v is not None and str(v).strip() != ""]


def _text_score(name: str, values: Sequence[Any]) -> float:
    """How much a column looks like free-text answers (0 = not at all)."""
    present = [str(v).strip() for v in _non_empty(values)]
    if not present:
        return 0.0
    numeric = sum(parse_number(v) is not None for v in present) / len(present)
    if numeric > 0.5:
        return 0.0
    mean_length = sum(len(v) for v in present) / len(present)
    multiword = sum(len(_WORD.findall(v)) >= 2 for v in present) / len(present)
    unique = len(set(present)) / len(present)
    dates = sum(parse_date(v) is not None for v in present[:50]) / min(len(present), 50)
    if dates > 0.5 or multiword < 0.2 or unique < 0.3:
        return 0.0
    score = min(mean_length / 40.0, 2.0) + multiword + unique
    if _TEXT_HINTS.search(name):
        score += 1.0
    return score


def is_feedback_name(name: str) -> bool:
    """True when a column's name says it holds the customers' answers."""
    words = {w.lower() for w in _NAME_WORD.findall(_CASE_CHANGE.sub(" ", name))}
    return bool(words & _FEEDBACK_WORDS) and not words & _NOT_TEXT_WORDS


def _holds_text(values: Sequence[Any]) -> bool:
    """Some values, and mostly neither numbers nor dates: what a named answer column needs."""
    present = [str(v).strip() for v in _non_empty(values)]
    if not present:
        return False
    numeric = sum(parse_number(v) is not None for v in present) / len(present)
    dates = sum(parse_date(v) is not None for v in present[:50]) / min(len(present), 50)
    return numeric <= 0.5 and dates <= 0.5


def _looks_like_id(name: str, values: Sequence[Any]) -> bool:
    present = [str(v).strip() for v in _non_empty(values)]
    if not present or not _ID_HINTS.search(name.strip()):
        return False
    return len(set(present)) / len(present) > 0.95 and max(len(v) for v in present) <= 64


def _looks_like_date(values: Sequence[Any]) -> bool:
    present = _non_empty(values)[:100]
    return bool(present) and sum(parse_date(v) is not None for v in present) / len(present) > 0.8


def _looks_like_channel(values: Sequence[Any]) -> bool:
    present = [str(v).strip().lower() for v in _non_empty(values)]
    if not present:
        return False
    distinct = set(present)
    return len(distinct) <= max(30, len(present) // 20) and max(len(v) for v in distinct) <= 40


def _score_kind(name: str, values: Sequence[Any]) -> ScoreKind | None:
    numbers = [parse_number(v) for v in _non_empty(values)
               if str(v).strip().lower() not in _NO_SCORE]
    # Exports mark skipped scores in many ways ("N/A", "-", "x"); tolerate a few.
    if not numbers or sum(n is not None for n in numbers) / len(numbers) < 0.8:
        return None
    present = [n for n in numbers if n is not None]
    for kind in ("nps", "ces", "csat"):
        if _SCORE_HINTS[kind].search(name):
            low, high = SCORE_RANGES[kind]
            # A stray typo (an 11 on a 0-10 scale) must not hide the column; a column
            # mostly outside the scale is some other number.
            if sum(low <= n <= high for n in present) / len(present) >= 0.8:
                return kind
    return None


def detect_columns(table: InputTable, overrides: ColumnOverrides) -> ColumnRoles:
    """Assign roles to the columns of one table, honouring the user's overrides."""
    columns = table.columns
    missing = [
        (option, name)
        for option, names in (
            ("--text-col", overrides.text),
            ("--id-col", (overrides.id,) if overrides.id else ()),
            ("--date-col", (overrides.date,) if overrides.date else ()),
            ("--channel-col", (overrides.channel,) if overrides.channel else ()),
            ("--score-col", tuple(name for name, _ in overrides.scores)),
        )
        for name in names
        if name not in columns
    ]
    if missing:
        option, name = missing[0]
        raise InputError(
            f"{option} '{name}' is not a column of {table.source}; columns found: "
            f"{', '.join(columns)}"
        )

    detected: dict[str, str] = {}
    taken: set[str] = set(overrides.text)
    taken.update(c for c in (overrides.id, overrides.date, overrides.channel) if c)
    taken.update(name for name, _ in overrides.scores)

    def pick(role: str, given: str | None, test: Any) -> str | None:
        if given:
            return given
        for column in columns:
            if column not in taken and test(column, _values(table, column)):
                taken.add(column)
                detected[role] = column
                return column
        return None

    id_column = pick("id", overrides.id, _looks_like_id)
    date_column = pick(
        "date", overrides.date,
        lambda c, v: bool(_DATE_HINTS.search(c)) and _looks_like_date(v),
    )
    channel_column = pick(
        "channel", overrides.channel,
        lambda c, v: bool(_CHANNEL_HINTS.search(c)) and _looks_like_channel(v),
    )

    scores: dict[str, ScoreKind] = dict(overrides.scores)
    if not overrides.scores:
        for column in columns:
            if column in taken:
                continue
            kind = _score_kind(column, _values(table, column))
            if kind and kind not in scores.values():
                scores[column] = kind
                taken.add(column)
                detected[f"score:{kind}"] = column

    if overrides.text:
        text_columns = list(overrides.text)
    else:
        # An e-mail or name column can look like short free text; it is never a question.
        candidates = [(c, values) for c in columns if c not in taken
                      for values in (_values(table, c),) if not is_personal_column(c, values)]
        named = {c for c, values in candidates if is_feedback_name(c) and _holds_text(values)}
        scored = {c: s for c, values in candidates
                  if (s := _text_score(c, values)) > 0}
        if not named and not scored:
            raise InputError(
                f"no free-text column found in {table.source}; columns found: "
                f"{', '.join(columns)}; name one with --text-col"
            )
        best = max(scored.values(), default=0.0)
        # Multi-question surveys have several answer columns of similar shape; keep every
        # column named as one or clearly text by its values, in file order, not only the
        # single best one.
        text_columns = [c for c, _ in candidates
                        if c in named or scored.get(c, 0.0) >= max(1.5, best * 0.5)]
        detected["text"] = ", ".join(text_columns)

    return ColumnRoles(
        text=text_columns, id=id_column, date=date_column, channel=channel_column,
        scores=scores, detected=detected,
    )


def meta_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's `meta` (the input's other columns) as a dict; {} when absent or broken."""
    raw = record.get("meta")
    if not raw:
        return {}
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def segment_columns(metas: Sequence[Mapping[str, Any]]) -> list[str]:
    """The meta columns to break KPIs and the report down by, from one meta per respondent:
    few distinct values shared by several respondents, and no personal data."""
    values: dict[str, list[str]] = {}
    for meta in metas:
        for column, value in meta.items():
            if isinstance(value, str | int | float | bool) and str(value).strip():
                values.setdefault(column, []).append(str(value))
    return sorted(
        column for column, present in values.items()
        if 1 < len(set(present)) <= MAX_SEGMENT_VALUES and len(set(present)) < len(present)
        and len(present) >= MIN_SEGMENT_COVERAGE * len(metas)
        and not is_personal_column(column, present))
