"""Column detection and the scalar parsers behind it."""

from __future__ import annotations

from pathlib import Path

import pytest

from voc.errors import InputError
from voc.io.columns import ColumnOverrides, detect_columns, parse_score_option
from voc.io.readers import InputTable, read_table
from voc.io.values import jalali_to_gregorian, parse_date, parse_number

ANSWERS = [
    "The courier was late again and nobody answered the phone",
    "پیک خیلی دیر اومد و پشتیبانی هم جواب نداد",
    "Great prices but the app keeps crashing at checkout",
    "کیفیت محصول خوب بود ولی بسته‌بندی خراب شده بود",
    "I had to call three times to get my refund",
    "kheili dir resid vali ghimat monaseb bood",
]


def _table(columns: dict[str, list[object]]) -> InputTable:
    names = list(columns)
    count = len(next(iter(columns.values())))
    rows = [{name: columns[name][i] for name in names} for i in range(count)]
    return InputTable(source="survey.csv", format="csv", columns=names, rows=rows,
                      row_numbers=list(range(2, count + 2)))


def _survey() -> InputTable:
    return _table({
        "response_id": [f"R-{i}" for i in range(6)],
        "submitted_at": [f"2026-07-0{i + 1} 10:00" for i in range(6)],
        "channel": ["app", "web", "app", "store", "call_center", "app"],
        "tier": ["gold", "new", "new", "regular", "gold", "new"],
        "nps_score": ["9", "3", "7", "10", "0", "N/A"],
        "q1_reason": ANSWERS,
        "q2_improve": list(reversed(ANSWERS)),
    })


def test_survey_roles_are_detected() -> None:
    roles = detect_columns(_survey(), ColumnOverrides())
    assert roles.text == ["q1_reason", "q2_improve"]
    assert roles.id == "response_id"
    assert roles.date == "submitted_at"
    assert roles.channel == "channel"
    assert roles.scores == {"nps_score": "nps"}


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        ("csat", [1, 2, 5, 4, 3, 5], "csat"),
        ("rating", ["۵", "۴", "۱", "۲", "۳", "۵"], "csat"),
        ("customer_effort", [1, 7, 3, 2, 6, 5], "ces"),
        ("likelihood_to_recommend", [0, 10, 8, 9, 6, 7], "nps"),
    ],
)
def test_score_kinds_from_names_and_ranges(name: str, values: list[object], kind: str) -> None:
    roles = detect_columns(_table({name: values, "comment": ANSWERS}), ColumnOverrides())
    assert roles.scores == {name: kind}


def test_out_of_range_score_column_is_not_guessed() -> None:
    roles = detect_columns(_table({"rating": [1, 9, 10, 2, 3, 4], "comment": ANSWERS}),
                           ColumnOverrides())
    assert roles.scores == {}


def test_overrides_win_and_unknown_override_lists_columns() -> None:
    table = _survey()
    roles = detect_columns(table, ColumnOverrides(text=("q2_improve",), id="tier",
                                                  scores=(("nps_score", "nps"),)))
    assert roles.text == ["q2_improve"]
    assert roles.id == "tier"
    with pytest.raises(InputError, match=r"--text-col 'comments' is not a column.*q1_reason"):
        detect_columns(table, ColumnOverrides(text=("comments",)))


def test_no_text_column_lists_the_columns_found() -> None:
    table = _table({"id": ["1", "2"], "score": ["9", "10"]})
    with pytest.raises(InputError, match=r"no free-text column found.*columns found: id, score"):
        detect_columns(table, ColumnOverrides())


def test_persian_header_is_a_text_hint() -> None:
    roles = detect_columns(_table({"کد": ["1"] * 6, "نظر مشتری": ANSWERS}), ColumnOverrides())
    assert roles.text == ["نظر مشتری"]


def test_one_short_answer_in_a_comment_column_is_the_question(tmp_path: Path) -> None:
    # Issue #19: a one-row JSONL export {"comment": "ok"} was refused ("no free-text column").
    path = tmp_path / "one.jsonl"
    path.write_text('{"comment": "ok"}\n', encoding="utf-8")
    roles = detect_columns(read_table(path), ColumnOverrides())
    assert roles.text == ["comment"]
    assert roles.detected["text"] == "comment"


@pytest.mark.parametrize("name", ["comment", "Feedback", "reviewText", "answer", "message",
                                  "body", "Customer comment", "نظر", "توضیحات", "پیام",
                                  "متن", "دیدگاه", "نظر مشتری", "پیام‌ها"])
def test_a_feedback_name_wins_over_short_repeated_values(name: str) -> None:
    # Short, repeated, one-word answers fail every value test; the name alone decides.
    table = _table({"id": [f"R-{i}" for i in range(6)],
                    name: ["ok", "خوب", "ok", "عالی", "bad", "ok"]})
    assert detect_columns(table, ColumnOverrides()).text == [name]


@pytest.mark.parametrize(("name", "values"), [
    ("message_type", ["email", "chat", "email", "chat", "call", "email"]),
    ("comment_count", [1, 0, 3, 2, 0, 1]),
    ("review_date", ["2026-07-01", "2026-07-02", "2026-07-03", "2026-07-04", "2026-07-05",
                     "2026-07-06"]),
    ("تاریخ نظر", ["1403/05/12", "1403/05/13", "1403/05/14", "1403/05/15", "1403/05/16",
                   "1403/05/17"]),
    ("text", ["12", "7", "3", "5", "9", "10"]),
])
def test_named_columns_that_describe_or_do_not_hold_answers_are_not_questions(
        name: str, values: list[object]) -> None:
    roles = detect_columns(_table({name: values, "notes": ANSWERS}), ColumnOverrides())
    assert roles.text == ["notes"]


def test_named_and_value_detected_answer_columns_are_kept_in_file_order() -> None:
    table = _table({"q1_reason": ANSWERS, "comment": ["ok", "no", "ok", "bad", "ok", "-"]})
    assert detect_columns(table, ColumnOverrides()).text == ["q1_reason", "comment"]


@pytest.mark.parametrize("value", ["nps", "score:xyz", ":nps", "rating:stars"])
def test_bad_score_option(value: str) -> None:
    with pytest.raises(InputError, match="--score-col"):
        parse_score_option(value)


def test_score_option_name_may_contain_colon() -> None:
    assert parse_score_option("Q3: effort:ces") == ("Q3: effort", "ces")


@pytest.mark.parametrize(
    ("jalali", "gregorian"),
    [((1399, 1, 1), "2020-03-20"), ((1403, 12, 30), "2025-03-20"),
     ((1402, 5, 12), "2023-08-03"), ((1375, 10, 11), "1996-12-31")],
)
def test_jalali_conversion(jalali: tuple[int, int, int], gregorian: str) -> None:
    assert jalali_to_gregorian(*jalali).isoformat() == gregorian


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-07-03 14:22", "2026-07-03T14:22:00"), ("۱۴۰۳/۰۱/۰۱", "2024-03-20"),
     ("1403-01-01", "2024-03-20"), ("31/12/2025", "2025-12-31"), ("12/31/2025", "2025-12-31"),
     ("2026-02-30", None), ("soon", None), (12, None),
     # Solar Hijri in day/month/year order: 12 Mordad 1403, like 1403-05-12.
     ("12/05/1403", "2024-08-02"), ("۱۲/۰۵/۱۴۰۳", "2024-08-02"), ("1403-05-12", "2024-08-02"),
     ("31/12/1403", None)],
)
def test_parse_date(value: object, expected: str | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("9", 9.0), ("۹", 9.0), ("٧", 7.0), ("9/10", 9.0), ("4 stars", 4.0), ("4,5", 4.5),
     (3, 3.0), ("", None), ("abc", None), (True, None), (float("nan"), None)],
)
def test_parse_number(value: object, expected: float | None) -> None:
    assert parse_number(value) == expected
