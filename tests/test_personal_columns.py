"""Issue #15: columns holding personal data are never questions, breakdowns or shown raw."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.test_report import synthetic_run
from voc.io.columns import ColumnOverrides, detect_columns, segment_columns
from voc.io.readers import InputTable
from voc.kpi.component import Respondent, kpi_document
from voc.privacy.columns import is_personal_column, redact_value
from voc.report.context import build_context
from voc.report.render import render_report

EMAILS = [f"customer{i}@gmail.com" for i in range(10)]
PHONES = [f"0912000000{i}" for i in range(10)]
NAMES = ["علی رضایی", "Sarah Johnson", "مریم احمدی", "John Smith", "زهرا محمدی"] * 2
TIERS = ["gold", "new", "new", "silver", "gold", "new", "silver", "new", "gold", "new"]


@pytest.mark.parametrize("name", ["email", "E-mail", "customer_email", "phone", "Mobile",
                                  "customer_phone", "tel", "name", "customer_name",
                                  "Full Name", "نام", "نام و نام خانوادگی", "تلفن", "موبایل",
                                  "ایمیل", "شماره تماس", "آدرس", "کد ملی"])
def test_personal_by_column_name(name: str) -> None:
    assert is_personal_column(name, ["x", "y"])


@pytest.mark.parametrize("values", [EMAILS, PHONES, NAMES])
def test_personal_by_content(values: list[str]) -> None:
    assert is_personal_column("c7", values)


@pytest.mark.parametrize(("name", "values"), [
    ("customer_tier", TIERS),
    ("product_name", ["Galaxy A54", "iPhone 13", "Galaxy A54"]),
    ("region", ["Tehran", "Shiraz", "تهران", "اصفهان"]),
    ("plan", ["طلایی", "نقره‌ای", "برنزی"]),
    ("order_count", [1, 2, 3, 2]),
    ("telecom_operator", ["MCI", "Irancell"]),
])
def test_segment_columns_are_not_personal(name: str, values: list[Any]) -> None:
    assert not is_personal_column(name, values)


def test_answers_that_mention_personal_data_are_still_answers() -> None:
    # pii.csv: nearly every answer holds a phone or an e-mail; it is still the question.
    answers = ["لطفا با شماره 09121234567 تماس بگیرید سفارشم نرسید",
               "email me at ali.rezaei@gmail.com about the refund please",
               "my number 0098-912-123-4567 and the refund never came"]
    assert not is_personal_column("feedback", answers)


def test_segment_columns_leave_out_personal_and_unique_columns() -> None:
    # tickets10.csv: every customer's e-mail and phone were printed as "By ..." tables.
    metas = [{"customer_email": e, "customer_phone": p, "contact": p, "who": n,
              "customer_tier": t, "ticket_ref": f"T{i}"}
             for i, (e, p, n, t) in enumerate(zip(EMAILS, PHONES, NAMES, TIERS, strict=True))]
    assert segment_columns(metas) == ["customer_tier"]
    # A column few respondents fill in says nothing about the rest.
    assert segment_columns([{"tier": "gold"}, {"tier": "new"}] + [{}] * 8) == []


def test_an_email_column_is_never_a_question() -> None:
    # pii_meta.csv: the e-mail column was taken as a second open-text question.
    feedback = ["سفارشم نرسید و پشتیبانی جواب نداد", "the delivery was late again",
                "app crashes at checkout every time", "پیک خیلی بد برخورد کرد",
                "refund took two weeks to arrive", "کیفیت کالا عالی بود ممنون"]
    columns = {"id": [f"P{i}" for i in range(6)], "feedback": feedback,
               "customer_email": ["ali.rezaei@gmail.com", "sara.k@yahoo.com",
                                  "m.hosseini@outlook.com"] * 2,
               "customer_name": ["علی رضایی", "Sarah Johnson", "مریم احمدی"] * 2}
    rows = [{c: v[i] for c, v in columns.items()} for i in range(6)]
    table = InputTable(source="s.csv", format="csv", columns=list(columns), rows=rows,
                       row_numbers=list(range(2, 8)))
    assert detect_columns(table, ColumnOverrides()).text == ["feedback"]


def test_kpis_json_has_no_personal_breakdown() -> None:
    people = [Respondent(scores={"nps": float(i), "csat": None, "ces": None}, channel=None,
                         meta={"customer_email": e, "customer_phone": p, "tier": t})
              for i, (e, p, t) in enumerate(zip(EMAILS, PHONES, TIERS, strict=True))]
    document = kpi_document(people, {}, min_support=1)
    assert [k for k in document["by"] if k.startswith("meta.")] == ["meta.tier"]
    text = json.dumps(document, ensure_ascii=False)
    assert not any(e in text or p in text for e, p in zip(EMAILS, PHONES, strict=True))


def test_meta_values_shown_are_redacted() -> None:
    assert redact_value("Tehran office, ask for 0912 123 4567") == "Tehran office, ask for [PHONE]"
    assert redact_value("gold") == "gold"
    assert redact_value(3) == "3"


def _run_with_meta() -> Any:
    run = synthetic_run()
    for k, record in enumerate(run.records):
        meta = json.loads(record["meta"])
        meta["customer_phone"] = PHONES[k % 10]
        meta["customer_email"] = EMAILS[k % 10]
        # One branch value in four names a person: the column stays, the name does not.
        meta["branch"] = "Tehran, manager Mr. Smith" if k % 4 == 0 else "Shiraz"
        record["meta"] = json.dumps(meta)
    return run


def test_report_breakdowns_leave_out_personal_columns_and_redact_values() -> None:
    run = _run_with_meta()
    breakdowns = build_context(run)["breakdowns"]
    assert list(breakdowns) == ["Channel", "Language", "Branch", "Customer tier"]
    assert {r["value"] for r in breakdowns["Branch"]} == {"Tehran, manager Mr. [NAME]",
                                                           "Shiraz"}
    html, markdown = render_report(run)
    for output in (html, markdown):
        assert not any(e in output or p in output for e, p in zip(EMAILS, PHONES, strict=True))
        assert "Smith" not in output


def test_report_states_exactly_what_was_redacted() -> None:
    run = synthetic_run()
    run.manifest["config"]["pipeline"] = ["language", "redact", "journey", "themes"]
    run.manifest["config"]["redact"] = {"kinds": ["EMAIL", "PHONE"]}
    html, markdown = render_report(run)
    for output in (html, markdown):
        assert "e-mail addresses; phone numbers" in output
        assert "person names" not in output and "Personal data redacted" not in output
    run.manifest["config"]["redact"] = {"kinds": ["EMAIL", "NAME"]}
    html, _ = render_report(run)
    assert "person names found from name lists and context" in html
    # Without the redact stage the report says quotes may hold personal data.
    html, markdown = render_report(synthetic_run())
    assert "Not redacted in this run" in html
    assert "Personal data was not redacted in this run" in markdown
