"""Issue #15: columns holding personal data are never questions, breakdowns or shown raw."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.test_report import synthetic_run
from voc.io.columns import ColumnOverrides, detect_columns, segment_columns
from voc.io.readers import InputTable
from voc.kpi.component import Respondent, kpi_document, pain_rows_of, respondents
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
    # The groups as the drivers stage writes them for these records: the report reads them.
    people, _ = respondents(run.records, run.segments)
    run.kpis["by"] = kpi_document(people, {}, 1, None, run.records,
                                  pain_rows_of(run.segments), run.segments)["by"]
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


def test_no_personal_data_of_the_input_reaches_any_output_file(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """records.parquet/csv carried the original answer and the raw extra columns: a ticket
    export's e-mails, phones and the cards in its answers, in every run's tables."""
    import pyarrow.parquet as pq

    from tests.conftest import write_csv

    rows = [["ticket", "message", "customer_email", "customer_phone", "csat"],
            ["T1", "refund to card 6037991899123453 never arrived", "ana.k@example.org",
             "09121112233", "1"],
            ["T2", "آقای محمدی از پشتیبانی بی‌ادب بود، شماره من 09351234567", "b.r@example.org",
             "09124445566", "2"],
            ["T3", "my name is John Smith and the order is late", "john.s@example.org",
             "09127778899", "3"]]
    data = write_csv(tmp_path / "tickets.csv", rows)
    out = tmp_path / "out"
    store = tmp_path / "voc.duckdb"
    assert run_cli("analyze", data, "--out", out, "--format", "csv", "--store", store,
                   "-q").code == 0
    secrets = ["6037991899123453", "ana.k@example.org", "09121112233", "محمدی",
               "09351234567", "b.r@example.org", "09124445566", "John Smith",
               "john.s@example.org", "09127778899"]
    for path in out.iterdir():
        text = (str(pq.read_table(path).to_pylist()) if path.suffix == ".parquet"
                else path.read_text(encoding="utf-8-sig", errors="replace"))
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, (path.name, leaked)
    from voc.store.store import Store

    with Store.open(store, read_only=True) as opened:
        for table in opened.table_names():
            text = str(opened.query(f"SELECT * FROM {table}").to_pylist())
            assert not [s for s in secrets if s in text], table

    # Analysts allowed to see personal data can keep the answers as written.
    config = tmp_path / "keep.yaml"
    config.write_text("redact:\n  keep_original: true\n", encoding="utf-8")
    assert run_cli("analyze", data, "--out", tmp_path / "kept", "--config", config,
                   "-q").code == 0
    kept = pq.read_table(tmp_path / "kept" / "records.parquet").to_pylist()
    assert kept[0]["text"] == rows[1][1] and "ana.k@example.org" in kept[0]["meta"]
