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
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc.errors import InputError
from voc.io.encoding import decode_bytes, physical_lines, sniff_binary

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
_JSON_LIST_KEYS = ("data", "records", "rows", "items", "results", "reviews", "responses")

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
    return table


# --- CSV / TSV -------------------------------------------------------------------------


def _choose_delimiter(text: str, preferred: str | None) -> str:
    """Pick the delimiter that splits the first lines into the most consistent columns."""
    if preferred:
        return preferred
    sample_lines = text[:65536].splitlines()[:50]
    sample = "\n".join(sample_lines)
    best, best_score = ",", (-1.0, 0)
    for delimiter in _CSV_DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistency = sum(len(r) == width for r in rows) / len(rows)
        score = (consistency, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


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
    text = decoded.text
    delimiter = _choose_delimiter(text, options.delimiter or default_delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    errors: dict[int, str] = {}
    blank = 0
    try:
        for fields in reader:
            if header is None:
                if not any(f.strip() for f in fields):
                    continue
                header = _unique_headers(fields)
                continue
            if not any(f.strip() for f in fields):
                blank += 1
                continue
            row = dict(zip(header, fields, strict=False))
            if len(fields) > len(header):
                errors[len(rows)] = (
                    f"line {reader.line_num} has {len(fields)} fields but the header has "
                    f"{len(header)}; extra fields ignored"
                )
            rows.append(row)
            numbers.append(reader.line_num)
    except csv.Error as exc:
        raise InputError(f"{path} is not valid CSV near line {reader.line_num}: {exc}") from exc
    fmt = "tsv" if delimiter == "\t" else "csv"
    return InputTable(
        source=str(path), format=fmt, columns=header or [], rows=rows, row_numbers=numbers,
        row_errors=errors, blank_rows=blank, encoding=decoded.encoding,
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


def _read_xlsx(path: Path, options: ReadOptions) -> InputTable:
    import openpyxl  # imported here: only XLSX inputs pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    if not zipfile.is_zipfile(path):
        binary = sniff_binary(path.read_bytes()[:16])
        hint = f" (it looks like {binary})" if binary else ""
        raise InputError(f"{path} is not a valid .xlsx workbook{hint}; it may be corrupt")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{path} is not a valid .xlsx workbook (corrupt or truncated)") from exc
    try:
        if options.sheet:
            if options.sheet not in workbook.sheetnames:
                raise InputError(
                    f"sheet '{options.sheet}' not found in {path}; sheets: "
                    f"{', '.join(workbook.sheetnames)}"
                )
            sheet = workbook[options.sheet]
        else:
            sheet = workbook.worksheets[0]
        header: list[str] | None = None
        rows: list[dict[str, Any]] = []
        numbers: list[int] = []
        blank = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if header is None:
                if not any(v not in (None, "") for v in values):
                    continue
                header = _unique_headers(values)
                continue
            if not any(v not in (None, "") for v in values):
                blank += 1
                continue
            rows.append({name: _cell_value(v) for name, v in zip(header, values, strict=False)})
            numbers.append(number)
        title = sheet.title
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"{path} is not a valid .xlsx workbook (corrupt or truncated)") from exc
    finally:
        workbook.close()
    return InputTable(
        source=str(path), format="xlsx", columns=header or [], rows=rows, row_numbers=numbers,
        blank_rows=blank, sheet=title,
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


def _read_json(path: Path, options: ReadOptions) -> InputTable:
    text = _decode_json_text(path, options)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if "\n{" in text.strip():
            # One object per line saved with a .json extension: read it as JSONL.
            return _read_jsonl(path, options)
        raise InputError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    items: list[Any] | None = None
    if isinstance(document, list):
        items = document
    elif isinstance(document, dict):
        for key in (*_JSON_LIST_KEYS, *document.keys()):
            value = document.get(key)
            if isinstance(value, list):
                items = value
                break
        if items is None:
            items = [document]
    if items is None:
        raise InputError(f"{path} holds no list of records (expected a JSON array of objects)")
    rows = [_as_row(item) for item in items]
    return InputTable(
        source=str(path), format="json", columns=_columns_in_order(rows), rows=rows,
        row_numbers=list(range(1, len(rows) + 1)),
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
            rows.append(_as_row(json.loads(line)))
        except json.JSONDecodeError as exc:
            errors[len(rows)] = f"line {number} is not valid JSON: {exc.msg}"
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
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    rows = [{k: _cell_value(v) for k, v in row.items()} for row in table.to_pylist()]
    return InputTable(
        source=str(path), format="parquet", columns=list(table.column_names), rows=rows,
        row_numbers=list(range(1, len(rows) + 1)),
    )


_READERS: dict[str, Callable[[Path, ReadOptions], InputTable]] = {
    "csv": _read_csv,
    "tsv": _read_tsv,
    "xlsx": _read_xlsx,
    "json": _read_json,
    "jsonl": _read_jsonl,
    "parquet": _read_parquet,
}
