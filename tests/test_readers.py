"""Readers: every format, the encodings Persian exports use, and broken files."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import write_csv
from voc.errors import InputError
from voc.io.encoding import decode_bytes
from voc.io.readers import ReadOptions, expand_inputs, read_table

# Windows-1256 has no Persian yeh (ی): files in it carry the Arabic ي, as here.
ROWS = [
    ["id", "comment", "nps"],
    ["1", "سفارش خيلي دير رسيد، ولي پيک مؤدب بود", "6"],
    ["2", "Great prices, slow delivery", "8"],
]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # Excel "Unicode text" writes a BOM
        ("utf-16-le", "utf-16-le"),  # and some tools do not
        ("cp1256", "cp1256"),  # Windows Arabic/Persian code page
    ],
)
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    path = write_csv(tmp_path / "survey.csv", ROWS, encoding=encoding)
    table = read_table(path)
    assert table.encoding == expected
    assert table.columns == ["id", "comment", "nps"]
    assert table.rows[0]["comment"] == ROWS[1][1]
    assert table.rows[1]["comment"] == ROWS[2][1]


def test_explicit_encoding_overrides_detection(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "survey.csv", ROWS, encoding="cp1256")
    table = read_table(path, ReadOptions(encoding="cp1256"))
    assert table.rows[0]["comment"] == ROWS[1][1]


def test_unknown_encoding_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "french.csv"
    path.write_bytes("id,comment\n1,café crème très sucré à éviter\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"could not tell the text encoding.*--encoding"):
        read_table(path)


def test_a_few_broken_utf8_bytes_are_repaired_and_reported() -> None:
    data = ("id,comment\n" + "1,خوب بود\n" * 200).encode("utf-8") + b"2,bad \xff byte\n"
    decoded = decode_bytes(data, "x.csv")
    assert decoded.encoding == "utf-8"
    assert decoded.replaced_bytes == 1


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "survey.csv", ROWS, delimiter=delimiter)
    table = read_table(path)
    assert table.columns == ["id", "comment", "nps"]
    assert table.rows[1]["comment"] == "Great prices, slow delivery"


def test_tsv_and_quoted_multiline_fields(tmp_path: Path) -> None:
    path = tmp_path / "tickets.tsv"
    path.write_text('id\ttext\n1\t"line one\nline two"\n2\tsecond\n', encoding="utf-8")
    table = read_table(path)
    assert table.format == "tsv"
    assert table.rows[0]["text"] == "line one\nline two"
    assert table.row_numbers == [3, 4]


def test_blank_lines_are_counted_ragged_rows_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("id,comment\n1,first\n\n2,second,EXTRA\n3\n", encoding="utf-8")
    table = read_table(path)
    assert [r["id"] for r in table.rows] == ["1", "2", "3"]
    assert table.blank_rows == 1
    assert "3 fields" in table.row_errors[1]
    assert table.rows[2].get("comment") is None


def test_duplicate_and_blank_headers_get_unique_names(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("comment,comment,\na,b,c\n", encoding="utf-8")
    assert read_table(path).columns == ["comment", "comment_2", "column_3"]


def test_xlsx_reads_first_sheet_and_named_sheet(tmp_path: Path) -> None:
    import datetime as dt

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "tickets"
    sheet.append(["ticket_id", "created_at", "description", "csat"])
    sheet.append([101, dt.datetime(2026, 8, 1, 9, 30), "پشتیبانی عالی بود", 5])
    sheet.append([None, None, None, None])
    sheet.append([102, dt.datetime(2026, 8, 2), "Refund took weeks", 1.0])
    other = workbook.create_sheet("summary")
    other.append(["total", 2])
    path = tmp_path / "tickets.xlsx"
    workbook.save(path)

    table = read_table(path)
    assert table.sheet == "tickets"
    assert table.rows[0] == {"ticket_id": 101, "created_at": "2026-08-01T09:30:00",
                             "description": "پشتیبانی عالی بود", "csat": 5}
    assert table.rows[1]["csat"] == 1
    assert table.blank_rows == 1
    assert read_table(path, ReadOptions(sheet="summary")).columns == ["total", "2"]
    with pytest.raises(InputError, match=r"sheet 'nope' not found.*tickets, summary"):
        read_table(path, ReadOptions(sheet="nope"))


def test_corrupt_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(InputError, match=r"not a valid .xlsx"):
        read_table(path)


def test_json_array_and_wrapped_list_with_nested_fields(tmp_path: Path) -> None:
    items = [{"id": 1, "review": "عالی", "user": {"tier": "gold"}, "tags": ["a"]},
             {"id": 2, "review": "bad"}]
    plain = tmp_path / "a.json"
    plain.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    wrapped = tmp_path / "b.json"
    wrapped.write_text(json.dumps({"meta": {"n": 2}, "reviews": items}), encoding="utf-8")
    for path in (plain, wrapped):
        table = read_table(path)
        assert table.columns == ["id", "review", "user.tier", "tags"]
        assert table.rows[0]["user.tier"] == "gold"
        assert table.rows[0]["tags"] == '["a"]'


def test_jsonl_keeps_invalid_lines_as_rows(tmp_path: Path) -> None:
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"id": 1, "review": "good"}\n{broken\n\n{"id": 3, "review": "bad"}\n',
                    encoding="utf-8")
    table = read_table(path)
    assert len(table.rows) == 3
    assert table.rows[1] == {}
    assert "line 2 is not valid JSON" in table.row_errors[1]
    assert table.blank_rows == 1
    assert table.row_numbers == [1, 2, 4]


def test_jsonl_text_may_hold_unicode_line_separators(tmp_path: Path) -> None:
    """JSON strings may hold U+2028/U+2029/U+0085 unescaped (json.dumps with
    ensure_ascii=False writes them so); only newlines end a JSONL record."""
    texts = ["first line\u2028second line", "The script is\x85was there a script?",
             "پاراگراف\u2029دوم", "form\x0cfeed"]
    path = tmp_path / "pasted.jsonl"
    path.write_text("".join(json.dumps({"review": t}, ensure_ascii=False) + "\r\n"
                            for t in texts), encoding="utf-8")
    table = read_table(path)
    assert [row["review"] for row in table.rows] == texts
    assert table.row_errors == {} and table.row_numbers == [1, 2, 3, 4]


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "export.parquet"
    pq.write_table(pa.table({"id": [1, 2], "text": ["خوب", "bad"],
                             "meta": [{"tier": "gold"}, {"tier": "new"}]}), path)
    table = read_table(path)
    assert table.columns == ["id", "text", "meta.tier"]
    assert table.rows[1] == {"id": 2, "text": "bad", "meta.tier": "new"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("spaces.csv", b"  \n\n", "is empty"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file: it looks like a PNG"),
        ("binary.csv", b"id,text\x00\x01\x02\x03\xfe\x00\x00\x07", "binary file"),
        ("book.xls", b"\xd0\xcf\x11\xe0", "old Excel .xls"),
        ("notes.docx", b"PK", "unsupported file type"),
        ("empty.jsonl", b"\n", "is empty"),
        ("bad.json", b"{not json", "not valid JSON"),
        ("broken.parquet", b"PAR1 nope", "not a valid Parquet"),
    ],
)
def test_unreadable_inputs_raise_actionable_errors(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table(path)


def test_directories_expand_to_supported_files(tmp_path: Path) -> None:
    write_csv(tmp_path / "b.csv", ROWS)
    write_csv(tmp_path / "a.csv", ROWS)
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    files, skipped = expand_inputs([tmp_path])
    assert [f.name for f in files] == ["a.csv", "b.csv"]
    assert [f.name for f in skipped] == ["README.md"]
    with pytest.raises(InputError, match="input not found"):
        expand_inputs([tmp_path / "missing.csv"])


# --- Issue #15: hostile and careless inputs -----------------------------------------------


def _feedback_lines(count: int) -> list[str]:
    return [f"{i},{'great prices' if i % 2 else 'پشتیبانی عالی بود'} {i}" for i in range(count)]


@pytest.mark.parametrize("nul_line", [3, 150])
def test_a_few_stray_nuls_are_removed_and_flagged_wherever_they_are(
    tmp_path: Path, nul_line: int
) -> None:
    lines = ["id,feedback", *_feedback_lines(200)]
    lines[nul_line] = lines[nul_line].replace("great", "gr\x00eat").replace("عالی", "عا\x00لی")
    path = tmp_path / "survey.csv"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    table = read_table(path)
    assert len(table.rows) == 200
    assert "\x00" not in table.rows[nul_line - 1]["feedback"]
    assert table.row_errors == {nul_line - 1: "feedback: removed 1 NUL byte"}


def test_a_binary_file_full_of_nuls_is_refused_with_a_utf16_hint(tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(InputError, match=r"binary file.*--encoding utf-16-le"):
        read_table(path)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_bom_less_utf16_persian_with_little_ascii_is_read(tmp_path: Path, encoding: str) -> None:
    answers = ["سفارشم با تاخیر زیادی رسید و بسته\u200cبندی هم آسیب دیده بود",
               "کیفیت محصولات عالیه ولی قیمت\u200cها نسبتا بالاست"]
    path = tmp_path / "persian.csv"
    path.write_bytes("\n".join(["نظر", *answers]).encode(encoding))
    table = read_table(path)
    assert table.encoding == encoding
    assert [row["نظر"] for row in table.rows] == answers


def test_an_unbalanced_quote_does_not_swallow_the_rows_after_it(tmp_path: Path) -> None:
    path = tmp_path / "runaway.csv"
    path.write_text('id,feedback\n1,good service\n2,"the app said ""error 5"" and\n'
                    "3,late delivery\n4,ارسال دیر بود\n5,refund took a week\n6,great prices\n",
                    encoding="utf-8")
    table = read_table(path)
    assert [row["id"] for row in table.rows] == ["1", "2", "3", "4", "5", "6"]
    assert table.rows[1]["feedback"] == 'the app said "error 5" and'
    assert table.rows[3]["feedback"] == "ارسال دیر بود"
    assert table.row_numbers == [2, 3, 4, 5, 6, 7]
    assert list(table.row_errors) == [1]
    assert "line 3 has an unbalanced quote" in table.row_errors[1]


def test_a_quote_closed_by_a_later_stray_quote_flags_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "runaway.csv"
    path.write_text('id,date,feedback\n1,2026-01-01,"broken\n2,2026-01-02,late\n'
                    '3,2026-01-03,slow\n4,2026-01-04,he said "ok\n5,2026-01-05,fine\n',
                    encoding="utf-8")
    table = read_table(path)
    assert [row["id"] for row in table.rows] == ["1", "2", "3", "4", "5"]
    assert set(table.row_errors) == {0, 3}
    assert "line 5 has an unbalanced quote" in table.row_errors[3]


def test_multiline_answers_with_commas_are_not_taken_for_a_runaway_quote(
    tmp_path: Path
) -> None:
    path = tmp_path / "survey.csv"
    path.write_text('id,comment\n1,"Hi,\nI ordered, but\nthe courier, was late"\n2,ok\n'
                    '3,"line one\nline two\nline three"\n', encoding="utf-8")
    table = read_table(path)
    assert [row["id"] for row in table.rows] == ["1", "2", "3"]
    assert table.rows[0]["comment"] == "Hi,\nI ordered, but\nthe courier, was late"
    assert table.row_errors == {}


def test_excel_separator_hint_line_names_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "sephint.csv"
    path.write_text("sep=;\nid;feedback;nps\n1;good, fast delivery, nice;9\n"
                    "2;ارسال دیر بود، خیلی بد;2\n3;the app, the site, the support: all bad;1\n",
                    encoding="utf-8")
    table = read_table(path)
    assert table.columns == ["id", "feedback", "nps"]
    assert [row["nps"] for row in table.rows] == ["9", "2", "1"]
    assert table.row_numbers == [3, 4, 5] and table.row_errors == {}


def test_title_lines_above_a_csv_header_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Customer survey export\n\nid;nps;comment\n1;9;fast delivery\n"
                    "2;3;ارسال خیلی دیر رسید\n", encoding="utf-8")
    table = read_table(path)
    assert table.columns == ["id", "nps", "comment"]
    assert [row["nps"] for row in table.rows] == ["9", "3"]
    assert table.title_rows == 1


def test_a_header_with_a_blank_first_cell_is_still_the_header(tmp_path: Path) -> None:
    """pandas writes its index column with an empty header cell."""
    path = tmp_path / "pandas.csv"
    path.write_text(",comment\n0,great service\n1,slow delivery\n", encoding="utf-8")
    table = read_table(path)
    assert table.columns == ["column_1", "comment"]
    assert len(table.rows) == 2 and table.title_rows == 0


def _write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_an_id_keyed_json_object_is_one_record_per_entry(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "keyed.json", {
        "R-1": {"comment": "The delivery was very late", "nps": 2},
        "R-2": {"comment": "great prices and fast shipping", "nps": 10},
        "R-3": {"comment": "پشتیبانی جواب نداد", "nps": 1},
    })
    table = read_table(path)
    assert table.columns == ["id", "comment", "nps"]
    assert [(row["id"], row["nps"]) for row in table.rows] == [("R-1", 2), ("R-2", 10),
                                                                ("R-3", 1)]


def test_keyed_records_that_have_an_id_field_keep_it(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "keyed.json", {"a": {"id": 7, "comment": "late again"},
                                                 "b": {"id": 8, "comment": "fine thanks"}})
    assert [row["key"] for row in read_table(path).rows] == ["a", "b"]


@pytest.mark.parametrize(
    "leading",
    [{"errors": [], "tags": ["delivery", "app"]},
     {"notes": ["exported by the admin team from the CRM, includes every answer",
                "contains the answers of the July campaign, handle with care"]},
     {"errors": [{"code": 3, "message": "one answer failed validation"}]}],
)
def test_the_record_list_of_a_wrapper_is_chosen_by_content(
    tmp_path: Path, leading: dict[str, object]
) -> None:
    feedback = [{"id": "F1", "comment": "The delivery was very late", "nps": 2},
                {"id": "F2", "comment": "great prices and fast shipping", "nps": 10},
                {"id": "F3", "comment": "پشتیبانی جواب نداد", "nps": 1}]
    table = read_table(_write_json(tmp_path / "wrapped.json", {**leading, "feedback": feedback}))
    assert [row["id"] for row in table.rows] == ["F1", "F2", "F3"]


def test_a_lone_record_with_a_list_of_replies_stays_one_record(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "one.json", {"id": 1, "comment": "the app keeps crashing",
                                                "replies": ["sorry about that", "fixed now"]})
    assert len(read_table(path).rows) == 1


def test_a_truncated_json_array_is_reported_as_truncated(tmp_path: Path) -> None:
    path = tmp_path / "trunc.json"
    path.write_text('[\n{"id":1,"text":"great app"},\n{"id":2,"text":"ارسال دیر بود"},\n'
                    '{"id":3,"text":"refund took a we', encoding="utf-8")
    with pytest.raises(InputError, match=r"not valid JSON \(Unterminated string starting at "
                                         r"line 4, column 16\); the file is cut short") as info:
        read_table(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_lone_surrogates_are_replaced_and_the_row_flagged(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"surrogate{suffix}"
    path.write_text('{"id":1,"text":"good \\ud800 service","\\udfffkey":"x"}\n'
                    '{"id":2,"text":"fine \\ud83d\\ude00"}\n', encoding="utf-8")
    if suffix == ".json":
        path.write_text("[" + ",".join(path.read_text().splitlines()) + "]", encoding="utf-8")
    table = read_table(path)
    assert table.rows[0]["text"] == "good \ufffd service"
    assert table.rows[1]["text"] == "fine \U0001f600"  # a whole pair is a real emoji
    assert table.columns == ["id", "text", "\ufffdkey"]
    assert list(table.row_errors) == [0] and "surrogate" in table.row_errors[0]
    for row in table.rows:
        for key, value in row.items():
            f"{key}{value}".encode()  # raises on a surrogate


def test_deeply_nested_json_is_a_one_line_error_or_a_flagged_line(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.json"
    path.write_text(f'[{{"text":"ok good"}},{deep}]', encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply"):
        read_table(path)
    lines = tmp_path / "deep.jsonl"
    lines.write_text(f'{{"text":"ok good"}}\n{deep}\n', encoding="utf-8")
    table = read_table(lines)
    assert len(table.rows) == 2 and "nested too deeply" in table.row_errors[1]


def test_records_never_carry_a_surrogate_even_from_an_undecodable_file_name(
    tmp_path: Path
) -> None:
    import os

    from voc.io.columns import ColumnOverrides, detect_columns
    from voc.io.records import ValueProblems, iter_records

    name = os.fsdecode(b"export-\xff.json")  # surrogateescape: "export-\udcff.json"
    path = tmp_path / name
    path.write_text('[{"id": 1, "comment": "good \\ud800 service overall"},'
                    '{"id": 2, "comment": "the refund took two weeks"}]', encoding="utf-8")
    table = read_table(path)
    records = list(iter_records(table, detect_columns(table, ColumnOverrides()), 0,
                                ValueProblems()))
    assert len(records) == 2 and records[0]["source"] == "export-\ufffd.json"
    json.dumps(records, ensure_ascii=False).encode("utf-8")  # raises on a surrogate
    pa.Table.from_pylist(records)


def _rewrite_zip_member(path: Path, member: str, change: object) -> None:
    import zipfile

    with zipfile.ZipFile(path) as source:
        contents = {info.filename: source.read(info) for info in source.infolist()}
    contents[member] = change(contents[member])  # type: ignore[operator]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in contents.items():
            target.writestr(name, data)


def test_a_sparse_sheet_declaring_the_whole_grid_is_read_in_seconds(tmp_path: Path) -> None:
    import signal
    import time

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "feedback"])
    sheet.append([1, "the delivery was late"])
    sheet.append([2, "good service"])
    sheet["XFD1048576"] = "x"  # the used range becomes A1:XFD1048576
    path = tmp_path / "sparse.xlsx"
    workbook.save(path)

    def too_slow(signum: int, frame: object) -> None:
        raise TimeoutError("reading a 5 KB sparse sheet took over 20 s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    started = time.perf_counter()
    try:
        table = read_table(path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert time.perf_counter() - started < 10
    assert table.columns == ["id", "feedback"]
    assert [row["feedback"] for row in table.rows[:2]] == ["the delivery was late",
                                                            "good service"]
    assert table.row_numbers[-1] == 1048576 and "right of the last header" in table.row_errors[2]


def test_a_title_row_above_the_xlsx_header_is_skipped(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Customer survey export — Q3 1403"])
    sheet.append([])
    sheet.append(["id", "nps", "comment"])
    sheet.append([1, 9, "the delivery was fast"])
    sheet.append([2, 3, "ارسال خیلی دیر رسید"])
    path = tmp_path / "title.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert table.columns == ["id", "nps", "comment"]
    assert [row["nps"] for row in table.rows] == [9, 3]
    assert table.title_rows == 1 and table.row_numbers == [4, 5]


def test_malformed_xml_inside_an_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "feedback"])
    workbook.active.append([1, "fine"])
    path = tmp_path / "badxml.xlsx"
    workbook.save(path)
    _rewrite_zip_member(path, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])
    with pytest.raises(InputError, match=r"not a valid .xlsx workbook"):
        read_table(path)


def test_user_errors_stay_on_one_line_whatever_the_input_names_hold() -> None:
    error = InputError("no free-text column found; columns found: How likely\n(0-10), a\r\nb")
    assert str(error) == ("no free-text column found; columns found: How likely\\n(0-10), "
                          "a\\r\\nb")


def test_a_quote_left_open_to_the_end_of_the_file_loses_no_row(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_text('id,comment\nR-0,"late delivery\nR-1,good service', encoding="utf-8")
    table = read_table(path)
    assert [row["id"] for row in table.rows] == ["R-0", "R-1"]
    assert "unbalanced quote" in table.row_errors[0]
    single = tmp_path / "single.csv"
    single.write_text('id,comment,nps\nR-0,"late,0\n', encoding="utf-8")
    table = read_table(single)
    assert table.rows[0]["id"] == "R-0" and "unbalanced quote" in table.row_errors[0]
