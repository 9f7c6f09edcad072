"""Property-based tests of the readers `voc analyze` uses on hostile and careless inputs.

Whatever the bytes, reading ends in records with statuses or in a one-line `VocError`
(exit 2): never another exception, a hang, a surrogate or NUL in the output, or a row
that vanished without a word.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voc.errors import VocError
from voc.io.columns import ColumnOverrides, detect_columns
from voc.io.readers import InputTable, read_table
from voc.io.records import STATUSES, ValueProblems, iter_records

# Hypothesis: hundreds of generated files per property.
pytestmark = pytest.mark.slow

PROPERTIES = settings(max_examples=150, deadline=3000,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".jsonl", ".xlsx", ".parquet")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1256")

# Characters hostile exports are made of: delimiters, quotes, line breaks, NUL, BOMs,
# zero-width and bidi marks, Persian and Arabic letters, digits, emoji.
HOSTILE_TEXT = st.lists(
    st.sampled_from([*',;\t|"\'\r\n\x00 {}[]:\\', "\ufeff", "\u200b", "\u200c", "\u202e",
                     "sep=", "a", "Z", "0", "9", "ی", "ك", "۱", "😀", "\u2028", "\x85",
                     "\\ud800", "late delivery"]),
    max_size=60,
).map("".join)
WORDS = st.lists(st.sampled_from(["late", "delivery", "great", "app", "ارسال", "دیر",
                                  "پشتیبانی", "خوب", "refund", "😀"]), min_size=1, max_size=6)


def _write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def _strings(table: InputTable) -> Iterator[str]:
    yield from table.columns
    for row in table.rows:
        yield from row
        yield from (v for v in row.values() if isinstance(v, str))


def _read_records(path: Path) -> tuple[InputTable, list[dict[str, Any]]] | None:
    """What `voc analyze` does with one input, up to the records; None for a user error."""
    try:
        table = read_table(path)
    except VocError as exc:
        assert "\n" not in str(exc)
        return None
    assert len(table.row_numbers) == len(table.rows)
    assert set(table.row_errors) <= set(range(len(table.rows)))
    assert not any(_UNSAFE.search(s) for s in _strings(table))
    try:
        roles = detect_columns(table, ColumnOverrides())
    except VocError as exc:
        assert "\n" not in str(exc)
        return table, []
    records = list(iter_records(table, roles, 0, ValueProblems()))
    assert len(records) == len(table.rows) * len(roles.text)
    assert all(r["status"] in STATUSES for r in records)
    json.dumps(records, ensure_ascii=False).encode("utf-8")  # no surrogate anywhere
    return table, records


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@PROPERTIES
@given(data=st.binary(max_size=600), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_end_in_records_or_a_user_error(
    workdir: Path, data: bytes, suffix: str
) -> None:
    _read_records(_write(workdir, f"random{suffix}", data))


@PROPERTIES
@given(text=HOSTILE_TEXT, encoding=st.sampled_from(ENCODINGS),
       suffix=st.sampled_from((".csv", ".tsv", ".json", ".jsonl")))
def test_hostile_text_in_any_encoding_ends_in_records_or_a_user_error(
    workdir: Path, text: str, encoding: str, suffix: str
) -> None:
    data = text.encode(encoding, errors="replace")
    _read_records(_write(workdir, f"hostile{suffix}", data))


@st.composite
def survey_rows(draw: st.DrawFn) -> list[list[str]]:
    count = draw(st.integers(min_value=1, max_value=12))
    texts = draw(st.lists(WORDS.map(" ".join), min_size=count, max_size=count))
    scores = draw(st.lists(st.integers(0, 10), min_size=count, max_size=count))
    return [[f"R-{i}", text, str(score)] for i, (text, score) in enumerate(zip(texts, scores,
                                                                           strict=True))]


@PROPERTIES
@given(rows=survey_rows(), stray=st.integers(min_value=0), delimiter=st.sampled_from(",;\t|"))
def test_an_unbalanced_quote_never_loses_a_row(
    workdir: Path, rows: list[list[str]], stray: int, delimiter: str
) -> None:
    broken = stray % len(rows)
    lines = [delimiter.join(["id", "comment", "nps"])]
    for index, (row_id, text, score) in enumerate(rows):
        # An exporter that does not quote: the answer starts with a quote it never closes.
        text = f'"{text}' if index == broken else text
        lines.append(delimiter.join([row_id, text, score]))
    path = _write(workdir, "runaway.csv", "\n".join(lines).encode("utf-8"))
    result = _read_records(path)
    assert result is not None
    table, _ = result
    assert [row["id"] for row in table.rows] == [row[0] for row in rows]
    # The broken row's score may be lost inside its text, but then the row says so.
    for index, (row, expected) in enumerate(zip(table.rows, rows, strict=True)):
        assert row.get("nps") == expected[2] or "unbalanced quote" in table.row_errors[index]


@PROPERTIES
@given(rows=survey_rows(), encoding=st.sampled_from(ENCODINGS[:5]),
       texts=st.lists(HOSTILE_TEXT.filter(lambda t: "\x00" not in t and "\r" not in t),
                      min_size=1, max_size=12))
def test_properly_quoted_csv_round_trips(
    workdir: Path, rows: list[list[str]], encoding: str, texts: list[str]
) -> None:
    for row, text in zip(rows, texts, strict=False):
        row[1] = text.strip() or "empty answer"
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([["id", "comment", "nps"], *rows])
    table = read_table(_write(workdir, "quoted.csv", buffer.getvalue().encode(encoding)))
    assert [r["id"] for r in table.rows] == [r[0] for r in rows]
    assert [r["nps"] for r in table.rows] == [r[2] for r in rows]


@st.composite
def json_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = draw(survey_rows())
    surrogate = draw(st.sampled_from(["", "\ud800", "\udfff", "\ud83d"]))
    return [{"id": row_id, "comment": f"{text}{surrogate}", "nps": int(score)}
            for row_id, text, score in rows]


@st.composite
def json_layout(draw: st.DrawFn) -> tuple[str, str]:
    """One way exporters lay records out; the file's suffix and text."""
    records = draw(json_records())
    layout = draw(st.sampled_from(["array", "keyed", "wrapped", "jsonl"]))
    if layout == "array":
        return ".json", json.dumps(records)
    if layout == "keyed":
        return ".json", json.dumps({r["id"]: {k: v for k, v in r.items() if k != "id"}
                                    for r in records})
    if layout == "jsonl":
        return ".jsonl", "\n".join(json.dumps(r) for r in records)
    noise = draw(st.dictionaries(
        st.sampled_from(["notes", "errors", "tags", "meta", "warnings"]),
        st.sampled_from([[], ["delivery", "app"], {"n": 1},
                         ["exported by the admin team, every answer included"]]),
        max_size=3))
    key = draw(st.sampled_from(["feedback", "data", "responses", "export"]))
    return ".json", json.dumps({**noise, key: records})


@PROPERTIES
@given(layout=json_layout())
def test_every_json_layout_gives_one_record_per_entry_with_repaired_text(
    workdir: Path, layout: tuple[str, str]
) -> None:
    suffix, text = layout
    expected = [match for match in re.findall(r'"(R-\d+)"', text)]
    result = _read_records(_write(workdir, f"layout{suffix}", text.encode("utf-8")))
    assert result is not None
    table, _ = result
    assert [row["id"] for row in table.rows] == expected
    assert all(row["comment"] for row in table.rows)


@PROPERTIES
@given(records=json_records(), cut=st.floats(min_value=0.05, max_value=0.95))
def test_a_truncated_json_array_is_a_one_line_error(
    workdir: Path, records: list[dict[str, Any]], cut: float
) -> None:
    text = json.dumps(records, indent=1)
    path = _write(workdir, "trunc.json", text[: int(len(text) * cut)].encode("utf-8"))
    with pytest.raises(VocError, match=r"not valid JSON .*line \d+, column \d+"):
        read_table(path)


def _workbook_bytes(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in [["id", "comment", "nps"], *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@PROPERTIES
@given(rows=survey_rows(), position=st.integers(min_value=0), junk=st.binary(min_size=1,
                                                                              max_size=8))
def test_a_damaged_workbook_ends_in_records_or_a_user_error(
    workdir: Path, rows: list[list[str]], position: int, junk: bytes
) -> None:
    data = bytearray(_workbook_bytes(rows))
    at = position % len(data)
    data[at:at + len(junk)] = junk
    _read_records(_write(workdir, "damaged.xlsx", bytes(data)))


@PROPERTIES
@given(rows=survey_rows(), text=HOSTILE_TEXT)
def test_damaged_sheet_xml_ends_in_records_or_a_user_error(
    workdir: Path, rows: list[list[str]], text: str
) -> None:
    """Valid zip, hostile XML: cut, spliced or full of escapes like _x0000_ and _xD800_."""
    source = zipfile.ZipFile(io.BytesIO(_workbook_bytes(rows)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                middle = len(content) // 2
                splice = text.replace("\ud800", "_xD800_").encode("utf-8", errors="replace")
                content = content[:middle] + splice + content[middle:]
            elif info.filename == "xl/sharedStrings.xml":
                content = content.replace(b"<t>", b"<t>_x0000__xD83D_", 1)
            target.writestr(info, content)
    _read_records(_write(workdir, "xml.xlsx", buffer.getvalue()))
