"""Read survey exports, reviews and tickets into plain tables of rows.

Each reader returns an `InputTable`: column names in file order and one dict per data
row. Rows are never dropped: a row that cannot be parsed (a broken JSON line, a CSV line
with too many fields) is kept with its problem in `row_errors`, so the run can account
for it. Wholly blank lines are not records; they are counted in `blank_rows`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc.errors import InputError
from voc.io.encoding import (
    decode_bytes,
    physical_lines,
    repair_unsafe_characters,
    sniff_binary,
)
from voc.io.values import parse_number

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_CSV_DELIMITERS = (",", ";", "\t", "|")
_JSON_LIST_KEYS = ("data", "records", "rows", "items", "results", "reviews", "responses",
                   "feedback", "answers", "comments", "tickets", "entries", "submissions")
# Excel writes "sep=;" as the first line of a CSV to name its delimiter.
_SEPARATOR_HINT = re.compile(r'^\ufeff?"?sep=(.)"?\s*$', re.IGNORECASE)
# Title lines ("Customer survey export, Q3") above the header row; more are not titles.
_MAX_TITLE_ROWS = 5
# A field is "token"-shaped (an id, a number, a date, a channel name) when it is one short
# word; a column whose values are mostly tokens lets a swallowed line be recognised as a row.
_TOKEN = re.compile(r"[^\s\"]{1,40}")

# csv's default field limit (128 KiB) rejects the very long answers some surveys hold.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class InputTable:
    """One input file (or sheet) as columns and rows of plain Python values."""

    source: str
    format: str
    columns: list[str]
    rows: list[dict[str, Any]]
    row_numbers: list[int]
    row_errors: dict[int, str] = field(default_factory=dict)
    blank_rows: int = 0
    title_rows: int = 0
    encoding: str | None = None
    replaced_bytes: int = 0
    sheet: str | None = None


@dataclass(frozen=True)
class ReadOptions:
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None


def expand_inputs(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """Expand directories into their supported files; return (files, skipped files)."""
    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"input not found: {path}")
        if path.is_dir():
            children = sorted(p for p in path.iterdir() if p.is_file())
            supported = [p for p in children if p.suffix.lower() in SUPPORTED_SUFFIXES]
            skipped.extend(p for p in children if p.suffix.lower() not in SUPPORTED_SUFFIXES
                           and not p.name.startswith("."))
            if not supported:
                raise InputError(
                    f"no readable files in directory {path} (expected "
                    f"{', '.join(sorted(set(SUPPORTED_SUFFIXES)))})"
                )
            files.extend(supported)
        else:
            files.append(path)
    return files, skipped


def detect_format(path: Path) -> str:
    fmt = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        if path.suffix.lower() == ".xls":
            raise InputError(f"{path} is an old Excel .xls workbook; save it as .xlsx or CSV")
        raise InputError(
            f"unsupported file type '{path.suffix or path.name}' for {path}; use CSV, TSV, "
            "XLSX, JSON, JSONL or Parquet"
        )
    return fmt


def read_table(path: Path, options: ReadOptions | None = None) -> InputTable:
    """Read one input file of any supported format."""
    options = options or ReadOptions()
    fmt = detect_format(path)
    if not path.is_file():
        raise InputError(f"input is not a file: {path}")
    try:
        reader = _READERS[fmt]
        table = reader(path, options)
    except PermissionError as exc:
        raise InputError(f"no permission to read {path}") from exc
    except IsADirectoryError as exc:
        raise InputError(f"input is a directory, not a file: {path}") from exc
    if not table.columns:
        raise InputError(f"{path} is empty: no header and no rows")
    _repair_unsafe_cells(table)
    return table


def _note_row_problem(table: InputTable, index: int, problem: str) -> None:
    earlier = table.row_errors.get(index)
    table.row_errors[index] = f"{earlier}; {problem}" if earlier else problem


def _repair_unsafe_cells(table: InputTable) -> None:
    """Repair NUL bytes and lone surrogates in every cell and column name, flagging the rows.

    Every format can carry them (a stray NUL in a CSV, "\\ud83d" in JSON, "_x0000_" in an
    XLSX string), and neither can be written to Parquet, CSV or the store; repairing them
    here, once, keeps them from every later stage.
    """
    renamed = {name: repair_unsafe_characters(name)[0] for name in table.columns}
    if any(old != new for old, new in renamed.items()):
        unique = dict(zip(table.columns, _unique_headers(renamed.values()), strict=True))
        table.columns = list(unique.values())
        table.rows = [{unique.get(k, k): v for k, v in row.items()} for row in table.rows]
    for index, row in enumerate(table.rows):
        for name, value in row.items():
            if isinstance(value, str):
                repaired, problem = repair_unsafe_characters(value)
                if problem:
                    row[name] = repaired
                    _note_row_problem(table, index, f"{name}: {problem}")


# --- CSV / TSV -------------------------------------------------------------------------


def _choose_delimiter(lines: Sequence[str], preferred: str | None) -> str:
    """Pick the delimiter that splits the first lines into the most consistent columns."""
    if preferred:
        return preferred
    sample = "".join(lines[:50])[:65536]
    best, best_score = ",", (-1.0, 0)
    for delimiter in _CSV_DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if r]
        if not rows:
            continue
        # The most common width, not the first row's: a title line may sit above the header.
        width = Counter(len(r) for r in rows).most_common(1)[0][0]
        if width < 2:
            continue
        consistency = sum(len(r) == width for r in rows) / len(rows)
        score = (consistency, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _separator_hint(first_line: str) -> str | None:
    match = _SEPARATOR_HINT.match(first_line.rstrip("\r\n"))
    return match.group(1) if match else None


def _is_filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _looks_like_header(row: Sequence[Any]) -> bool:
    """Every cell a distinct name that is not a number."""
    names = [str(v).strip() for v in row]
    return (len(names) >= 2 and all(names) and len(set(names)) == len(names)
            and all(parse_number(n) is None for n in names))


def _header_index(rows: Sequence[Sequence[Any]]) -> int:
    """Index of the header among a table's first rows: the first non-blank row, unless it
    is a title (one or two cells above a row of column names that is twice as wide)."""
    filled = [sum(_is_filled(v) for v in row) for row in rows]
    non_blank = [i for i, count in enumerate(filled) if count]
    for position, index in enumerate(non_blank[: _MAX_TITLE_ROWS + 1]):
        if position + 1 >= len(non_blank):
            return index
        following = non_blank[position + 1]
        next_row = [v for v in rows[following] if _is_filled(v)]
        is_title = (filled[index] <= 2 and 2 * filled[index] <= filled[following]
                    and _looks_like_header(next_row))
        if not is_title:
            return index
    return non_blank[0] if non_blank else 0


def _split_line(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])


def _is_token(value: str) -> bool:
    return _TOKEN.fullmatch(value.strip()) is not None


def _token_columns(rows: Iterable[list[str]], width: int) -> list[int]:
    """Columns whose values are mostly single short words (ids, numbers, dates, codes)."""
    sample = [r for r in rows if len(r) == width][:200]
    if not sample:
        return []
    columns = []
    for column in range(width):
        present = [r[column] for r in sample if r[column].strip()]
        if present and sum(_is_token(v) for v in present) / len(present) >= 0.8:
            columns.append(column)
    return columns


def _looks_like_row(fields: list[str], width: int, token_columns: list[int]) -> bool:
    if len(fields) != width:
        return False
    if not token_columns:
        return width >= 3
    # Most, not all: a small sample can take a column of one-word answers for tokens.
    return 2 * sum(_is_token(fields[c]) for c in token_columns) > len(token_columns)


@dataclass(frozen=True)
class _ParsedRow:
    fields: list[str]
    first_line: int
    last_line: int


def _parse_rows(lines: list[str], delimiter: str, first_line: int) -> Iterator[_ParsedRow]:
    reader = csv.reader(lines, delimiter=delimiter)
    consumed = 0
    try:
        for fields in reader:
            yield _ParsedRow(fields, first_line + consumed, first_line + reader.line_num - 1)
            consumed = reader.line_num
    except csv.Error as exc:
        raise csv.Error(f"near line {first_line + reader.line_num - 1}: {exc}") from exc


def _quoted_correctly(lines: list[str], delimiter: str) -> bool:
    """Whether the lines are one record whose quotes open and close where CSV allows."""
    try:
        return len(list(csv.reader(lines, delimiter=delimiter, strict=True))) <= 1
    except csv.Error:
        return False


def _split_runaway_quotes(
    parsed: list[_ParsedRow], lines: list[str], first_line: int, delimiter: str, width: int
) -> tuple[list[_ParsedRow], dict[int, str]]:
    """Undo what an unbalanced quote did: a badly quoted field that ran on over lines that
    look like rows of their own, or to the end of the file, is read again one row per line,
    its rows flagged.

    The csv module silently keeps reading a field whose closing quote is missing, to the
    next stray quote or the end of the file, so without this the rows in between vanish.
    Rows quoted as CSV allows (multi-line answers included) are never touched.
    """
    token_columns = _token_columns((r.fields for r in parsed if r.first_line == r.last_line),
                                   width)
    result: list[_ParsedRow] = []
    problems: dict[int, str] = {}
    for row in parsed:
        spanned = lines[row.first_line - first_line:row.last_line - first_line + 1]
        if not any('"' in line for line in spanned) or _quoted_correctly(spanned, delimiter):
            result.append(row)
            continue
        # Quotes pair up in a well-formed row; an odd count means one was never closed and
        # the csv module read on to the end of the file.
        unclosed = sum(line.count('"') for line in spanned) % 2 == 1
        swallowed_rows = sum(
            _looks_like_row(_split_line(line, delimiter), width, token_columns)
            for line in spanned[1:]
        )
        if len(spanned) == 1 or not (unclosed or swallowed_rows):
            if len(row.fields) < width:
                problems[len(result)] = (f"line {row.first_line} has an unbalanced quote; "
                                         "fields after it may be part of the text")
            result.append(row)
            continue
        problems[len(result)] = (
            f"line {row.first_line} has an unbalanced quote that ran over lines "
            f"{row.first_line + 1}-{row.last_line}; they were read one row per line"
        )
        for number in range(row.first_line, row.last_line + 1):
            line = lines[number - first_line]
            if number == row.last_line and '"' in line:
                problems[len(result)] = f"line {number} has an unbalanced quote"
            result.append(_ParsedRow(_split_line(line, delimiter), number, number))
    return result, problems


def _unique_headers(raw: Iterable[str]) -> list[str]:
    """Name blank headers and de-duplicate repeated ones, as spreadsheets allow both."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, value in enumerate(raw):
        name = (str(value).strip() if value is not None else "") or f"column_{index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return names


def _read_delimited(path: Path, options: ReadOptions, default_delimiter: str | None) -> InputTable:
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path} is empty: no header and no rows")
    decoded = decode_bytes(data, str(path), options.encoding)
    # The lines the csv module sees (it splits at \r, \n and \r\n), kept for re-reading
    # a runaway quoted field line by line.
    lines = io.StringIO(decoded.text, newline="").readlines()
    hint = None if options.delimiter else _separator_hint(lines[0]) if lines else None
    skip = 1 if hint else 0
    delimiter = hint or _choose_delimiter(lines[skip:], options.delimiter or default_delimiter)
    first_line = skip + 1
    try:
        parsed = list(_parse_rows(lines[skip:], delimiter, first_line))
    except csv.Error as exc:
        raise InputError(f"{path} is not valid CSV {exc}") from exc
    header_at = _header_index([r.fields for r in parsed[: 2 * _MAX_TITLE_ROWS + 2]])
    title_rows = sum(any(f.strip() for f in r.fields) for r in parsed[:header_at])
    fmt = "tsv" if delimiter == "\t" else "csv"
    if not parsed[header_at:] or not any(f.strip() for f in parsed[header_at].fields):
        return InputTable(source=str(path), format=fmt, columns=[], rows=[], row_numbers=[])
    header = _unique_headers(parsed[header_at].fields)
    body, errors_by_position = _split_runaway_quotes(
        parsed[header_at + 1:], lines[skip:], first_line, delimiter, len(header))
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    errors: dict[int, str] = {}
    blank = 0
    for position, parsed_row in enumerate(body):
        fields = parsed_row.fields
        if not any(f.strip() for f in fields):
            blank += 1
            continue
        problems = [errors_by_position[position]] if position in errors_by_position else []
        if len(fields) > len(header):
            problems.append(f"line {parsed_row.last_line} has {len(fields)} fields but the "
                            f"header has {len(header)}; extra fields ignored")
        if problems:
            errors[len(rows)] = "; ".join(problems)
        rows.append(dict(zip(header, fields, strict=False)))
        numbers.append(parsed_row.last_line)
    return InputTable(
        source=str(path), format=fmt, columns=header or [], rows=rows, row_numbers=numbers,
        row_errors=errors, blank_rows=blank, title_rows=title_rows, encoding=decoded.encoding,
        replaced_bytes=decoded.replaced_bytes,
    )


def _read_csv(path: Path, options: ReadOptions) -> InputTable:
    return _read_delimited(path, options, None)


def _read_tsv(path: Path, options: ReadOptions) -> InputTable:
    return _read_delimited(path, options, "\t")


# --- XLSX ------------------------------------------------------------------------------


def _cell_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


# A corrupt workbook fails inside openpyxl in many ways: a broken zip member (zlib.error,
# BadZipFile, EOFError; NotImplementedError or RuntimeError for a damaged header that reads
# as an unknown compression or encryption), malformed XML (ParseError, a SyntaxError) or
# odd values.
_CORRUPT_XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                        RuntimeError, KeyError, ValueError, TypeError, IndexError, OSError,
                        SyntaxError)


def _sheet_cells(workbook: Any, sheet: Any) -> Iterator[tuple[int, dict[int, Any]]]:
    """(row number, {column number: value}) for the rows holding a value, from the cells
    the sheet really stores.

    openpyxl's iter_rows pads every row to the sheet's declared dimension and yields every
    missing row: a 5 KB file declaring A1:XFD1048576 then costs 17 billion cells. Its
    parser (internal, stable across 3.x) yields only the stored cells.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    with sheet._get_source() as source:
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=True,
                                 epoch=workbook.epoch, date_formats=workbook._date_formats,
                                 timedelta_formats=workbook._timedelta_formats)
        for number, cells in parser.parse():
            values = {cell["column"]: cell["value"] for cell in cells
                      if _is_filled(cell["value"])}
            if values:
                yield number, values


def _as_list(values: dict[int, Any], width: int) -> list[Any]:
    return [values.get(column) for column in range(1, width + 1)]


def _open_sheet(workbook: Any, path: Path, name: str | None) -> Any:
    if not name:
        return workbook.worksheets[0]
    if name not in workbook.sheetnames:
        raise InputError(
            f"sheet '{name}' not found in {path}; sheets: {', '.join(workbook.sheetnames)}"
        )
    return workbook[name]


def _read_xlsx(path: Path, options: ReadOptions) -> InputTable:
    import openpyxl  # imported here: only XLSX inputs pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    if not zipfile.is_zipfile(path):
        binary = sniff_binary(path.read_bytes()[:16])
        hint = f" (it looks like {binary})" if binary else ""
        raise InputError(f"{path} is not a valid .xlsx workbook{hint}; it may be corrupt")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *_CORRUPT_XLSX_ERRORS) as exc:
        raise InputError(f"{path} is not a valid .xlsx workbook (corrupt or truncated)") from exc
    try:
        sheet = _open_sheet(workbook, path, options.sheet)
        stored = list(_sheet_cells(workbook, sheet))
        title = sheet.title
    except _CORRUPT_XLSX_ERRORS as exc:
        raise InputError(f"{path} is not a valid .xlsx workbook (corrupt or truncated)") from exc
    finally:
        workbook.close()
    if not stored:
        return InputTable(source=str(path), format="xlsx", columns=[], rows=[], row_numbers=[],
                          sheet=title)
    first_rows = stored[: 2 * _MAX_TITLE_ROWS + 2]
    first_width = max(max(values) for _, values in first_rows)
    header_at = _header_index([_as_list(values, first_width) for _, values in first_rows])
    header_number, header_cells = stored[header_at]
    # The header's last named column bounds the table: cells far to the right of it are
    # stray values, not columns.
    header = _unique_headers(_as_list(header_cells, max(header_cells)))
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    errors: dict[int, str] = {}
    for number, values in stored[header_at + 1:]:
        extra = [column for column in values if column > len(header)]
        if extra:
            errors[len(rows)] = (f"row {number} has {len(extra)} value(s) right of the last "
                                 f"header column; ignored")
        rows.append({name: _cell_value(values.get(column))
                     for column, name in enumerate(header, start=1)})
        numbers.append(number)
    last_number = numbers[-1] if numbers else header_number
    return InputTable(
        source=str(path), format="xlsx", columns=header, rows=rows, row_numbers=numbers,
        row_errors=errors, blank_rows=last_number - header_number - len(rows),
        title_rows=header_at, sheet=title,
    )


# --- JSON / JSONL ----------------------------------------------------------------------


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested objects to dotted keys; lists become JSON text."""
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = json.dumps(value, ensure_ascii=False)
        else:
            flat[name] = value
    return flat


def _as_row(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return _flatten(item)
    # A bare string is a feedback text with no metadata (a JSON list of answers).
    return {"text": item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)}


def _columns_in_order(rows: Iterable[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    return list(columns)


def _decode_json_text(path: Path, options: ReadOptions) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path} is empty: no records")
    return decode_bytes(data, str(path), options.encoding).text


def _is_text_like(value: Any) -> bool:
    return isinstance(value, str) and len(value.split()) >= 2


def _is_keyed_collection(document: dict[str, Any]) -> bool:
    """{"R-1": {...}, "R-2": {...}}: records keyed by their id, sharing some fields.

    A lone {"R-1": {...}} counts too: read either way it is one record, and this way its
    key is kept as the id rather than spread into every column name.
    """
    values = list(document.values())
    if not values or not all(isinstance(v, dict) and v for v in values):
        return False
    return bool(set(values[0]).intersection(*values[1:]))


def _keyed_records(document: dict[str, Any]) -> list[dict[str, Any]]:
    fields = {name for value in document.values() for name in value}
    id_name = "id" if "id" not in fields else "key"
    while id_name in fields:
        id_name = f"_{id_name}"
    return [{id_name: key, **value} for key, value in document.items()]


def _record_list_score(key: str, items: list[Any]) -> tuple[int, int, bool, int]:
    """How much a list looks like the file's records: lists of objects with a free-text
    field first, then any objects, then lists of sentences; then the most such items."""
    objects = [item for item in items if isinstance(item, dict)]
    known = key.lower() in _JSON_LIST_KEYS
    if objects and len(objects) * 2 >= len(items):
        with_text = sum(any(_is_text_like(v) for v in item.values()) for item in objects)
        return (3 if with_text else 2), with_text, known, len(items)
    sentences = sum(_is_text_like(item) for item in items)
    if sentences and sentences * 2 >= len(items):
        return 1, sentences, known, len(items)
    return 0, 0, known, len(items)


def _json_record_items(document: Any) -> list[Any]:
    """The records of a JSON document: an array, an id-keyed object, the record list of a
    wrapper object (chosen by content, not position: a leading "notes" or "errors" list is
    not the data), or the object itself as one record."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        return [document]
    candidates: list[tuple[str, list[Any]]] = []
    if _is_keyed_collection(document):
        candidates.append(("", _keyed_records(document)))
    for key, value in document.items():
        if isinstance(value, list):
            candidates.append((key, value))
        elif isinstance(value, dict):
            if _is_keyed_collection(value):
                candidates.append((key, _keyed_records(value)))
            candidates.extend((inner, v) for inner, v in value.items() if isinstance(v, list))
    if not candidates:
        return [document]
    key, items = max(candidates, key=lambda c: _record_list_score(*c))
    rank, _, known, _ = _record_list_score(key, items)
    if rank >= 2 or known:
        return items
    # A lone object with a list of sentences in it ("replies") is one record, unless it
    # holds nothing else that reads as text.
    if rank == 1 and not any(_is_text_like(v) for v in document.values()):
        return items
    return [document]


def _json_error(path: Path, text: str, exc: json.JSONDecodeError) -> InputError:
    truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated")
    advice = ("the file is cut short (truncated); export it again" if truncated
              else "fix the file or export it again")
    problem = exc.msg.removesuffix(" at")  # "Unterminated string starting at"
    return InputError(f"{path} is not valid JSON ({problem} at line {exc.lineno}, column "
                      f"{exc.colno}); {advice}")


def _looks_like_json_lines(text: str) -> bool:
    """One object per line saved with a .json extension (the first line is whole JSON)."""
    lines = [line for line in physical_lines(text) if line.strip()]
    if len(lines) < 2:
        return False
    try:
        return isinstance(json.loads(lines[0], strict=False), dict | list)
    except (ValueError, RecursionError):
        return False


_TOO_DEEP = "is nested too deeply to read (hundreds of levels of brackets); flatten it"


def _read_json(path: Path, options: ReadOptions) -> InputTable:
    text = _decode_json_text(path, options)
    try:
        # strict=False: exporters write raw tabs and line breaks inside strings.
        document = json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        if _looks_like_json_lines(text):
            return _read_jsonl(path, options)
        raise _json_error(path, text, exc) from exc
    except RecursionError as exc:
        raise InputError(f"{path} {_TOO_DEEP}") from exc
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise InputError(f"{path} is not valid JSON ({exc})") from exc
    rows: list[dict[str, Any]] = []
    errors: dict[int, str] = {}
    for number, item in enumerate(_json_record_items(document), start=1):
        try:
            rows.append(_as_row(item))
        except (RecursionError, ValueError):
            errors[len(rows)] = f"record {number} {_TOO_DEEP}"
            rows.append({})
    return InputTable(
        source=str(path), format="json", columns=_columns_in_order(rows), rows=rows,
        row_numbers=list(range(1, len(rows) + 1)), row_errors=errors,
    )


def _read_jsonl(path: Path, options: ReadOptions) -> InputTable:
    text = _decode_json_text(path, options)
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    errors: dict[int, str] = {}
    blank = 0
    for number, line in enumerate(physical_lines(text), start=1):
        if not line.strip():
            blank += 1
            continue
        try:
            rows.append(_as_row(json.loads(line, strict=False)))
        except json.JSONDecodeError as exc:
            errors[len(rows)] = f"line {number} is not valid JSON: {exc.msg}"
            rows.append({})
        except (RecursionError, ValueError):
            errors[len(rows)] = f"line {number} {_TOO_DEEP}"
            rows.append({})
        numbers.append(number)
    return InputTable(
        source=str(path), format="jsonl", columns=_columns_in_order(rows), rows=rows,
        row_numbers=numbers, row_errors=errors, blank_rows=blank,
    )


# --- Parquet ---------------------------------------------------------------------------


def _read_parquet(path: Path, options: ReadOptions) -> InputTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path} is not a valid Parquet file (corrupt or truncated)") from exc
    return _arrow_input(table, str(path), "parquet")


def _arrow_input(table: Any, source: str, fmt: str) -> InputTable:
    """An Arrow table as plain rows: nested structs flattened, dates as ISO text."""
    import pyarrow as pa

    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    rows = [{k: _cell_value(v) for k, v in row.items()} for row in table.to_pylist()]
    return InputTable(
        source=source, format=fmt, columns=list(table.column_names), rows=rows,
        row_numbers=list(range(1, len(rows) + 1)),
    )


def read_frame(frame: Any, source: str = "DataFrame") -> InputTable:
    """A pandas DataFrame read like a Parquet file (the notebook API's in-memory input).

    Row numbers count data rows from 1, as for Parquet; the index is not a column (reset it
    first to keep it). Columns mixing types (numbers and text) are read as text.
    """
    import pyarrow as pa

    if frame.columns.has_duplicates:
        duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InputError(f"the {source} has duplicate column names: {', '.join(duplicated)}")
    frame = frame.rename(columns=str)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        mixed = frame.select_dtypes(include="object").columns
        frame = frame.astype({c: "string" for c in mixed})
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise InputError(f"the {source} cannot be read: {exc}") from exc
    result = _arrow_input(table, source, "dataframe")
    if not result.columns:
        raise InputError(f"the {source} is empty: no columns")
    _repair_unsafe_cells(result)
    return result


_READERS: dict[str, Callable[[Path, ReadOptions], InputTable]] = {
    "csv": _read_csv,
    "tsv": _read_tsv,
    "xlsx": _read_xlsx,
    "json": _read_json,
    "jsonl": _read_jsonl,
    "parquet": _read_parquet,
}
