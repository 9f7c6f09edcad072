"""Read labelled texts for training and evaluating the heads.

``load_labelled`` reads any table ``voc analyze`` reads (CSV, TSV, XLSX, JSON, JSONL,
Parquet; encoding detected) and returns ``(text, label)`` pairs. Column names that are all
digits (``text_col="0", label_col="1"``) mean 0-based positions in a *headerless* file, the
way GoEmotions and ArmanEmo ship; a headerless TSV is read one row per line with no quote
handling, because such files use tabs, not quotes, to delimit fields.

A label map renames raw labels (``HAPPY=positive``). Its keys are raw labels, ``*`` stands
for every label not listed, and a value of ``-``, empty or null drops the row, which is how
ambiguous or multi-label rows are left out. A raw label that already is one of the task's
labels (``positive``) needs no entry.

A label column may also name a field of a list of objects, ``opinions[].polarity``, as
aspect-based sentiment data (SemEval ABSA) holds its labels: the row's raw label is the
value they all agree on, ``mixed`` where they differ and ``none`` for an empty list, so the
map decides what an undivided or opinion-free sentence becomes.

Star ratings come as numbers (``4``, ``4.5``, ``3.75``): a key ``A..B`` maps every numeric
label from A to B inclusive (``1..2=negative,4..5=positive``), after exact keys and before
``*``. ``where`` keeps only rows whose other columns hold given values (Booking.com's
``placeholder=0`` parts, ITRC's rows whose two annotations agree).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import yaml

from voc.errors import ConfigError, InputError
from voc.heads.labels import TASKS
from voc.io.encoding import decode_bytes, physical_lines
from voc.io.readers import read_table
from voc.io.writers import atomic_write

logger = logging.getLogger(__name__)

LabelMap = dict[str, str | None]
DROP = "-"
OTHERS = "*"
_MAP_FILE_SUFFIXES = (".yaml", ".yml", ".json")
_HEADERLESS_FORMATS = (".csv", ".tsv", ".tab", ".txt")
_SHOWN_LABELS = 8
# "opinions[].polarity": the field ``polarity`` of every object in the list ``opinions``.
_EACH = "[]."
_MIXED_VALUES = "mixed"
_NO_VALUES = "none"
_RANGE = ".."


def parse_label_map(
    spec: str | Path | Mapping[str, Any] | None, task: str | None = None
) -> LabelMap | None:
    """Parse a label map from a mapping, a YAML/JSON file, or an ``A=x,B=y`` string.

    Values ``-``, empty or null mean "drop rows with this label". A file may hold one map
    per task (``sentiment: {...}``, ``emotion: {...}``); ``task`` picks the section, so one
    file can serve sentiment and emotion data at once. Raises ``ConfigError`` for a
    malformed map or an unreadable file.
    """
    if spec is None:
        return None
    if isinstance(spec, Mapping):
        return _section(spec, task, "label map")
    text = str(spec).strip()
    path = Path(text)
    if path.suffix.lower() in _MAP_FILE_SUFFIXES:
        if not path.is_file():
            raise ConfigError(f"label map file not found: {path}")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read label map {path}: {exc}") from exc
        if not isinstance(loaded, Mapping):
            raise ConfigError(f"label map {path} must be a mapping of raw label to label")
        return _section(loaded, task, str(path))
    mapping: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"bad label map entry {item.strip()!r}; write RAW=label pairs separated by "
                "commas, e.g. 'HAPPY=positive,SAD=negative'"
            )
        mapping[key.strip()] = value.strip()
    if not mapping:
        raise ConfigError("the label map is empty; write e.g. 'HAPPY=positive,SAD=negative'")
    return _normalise_map(mapping, "label map")


def _section(raw: Mapping[Any, Any], task: str | None, where: str) -> LabelMap | None:
    sectioned = bool(raw) and all(
        key in TASKS and (value is None or isinstance(value, Mapping))
        for key, value in raw.items()
    )
    if not sectioned:
        return _normalise_map(raw, where)
    if task is None:
        raise ConfigError(f"{where} has one map per task; say which task it is for")
    section = raw.get(task)
    return _normalise_map(section, f"{where} ({task})") if section else None


def _normalise_map(raw: Mapping[Any, Any], where: str) -> LabelMap:
    mapping: LabelMap = {}
    for key, value in raw.items():
        if isinstance(value, (Mapping, list)):
            raise ConfigError(f"{where}: the label for {key!r} must be a single name")
        name = None if value is None else str(value).strip()
        mapping[_label_text(key)] = None if name in (None, "", DROP) else name
    return mapping


def _label_text(value: Any) -> str:
    # Spreadsheets and JSON turn "1" into 1 or 1.0; all three must match the map key "1".
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def load_labelled(
    path: str | Path,
    text_col: str,
    label_col: str,
    label_map: LabelMap | str | Path | None = None,
    *,
    allowed_labels: Sequence[str] | None = None,
    task: str | None = None,
    encoding: str | None = None,
    where: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """Read ``(text, label)`` pairs from a labelled file, mapping labels through ``label_map``.

    Rows with an empty text, and rows whose label maps to "drop", are skipped (and counted
    in the log). ``task`` picks a section of a per-task label map file. With
    ``allowed_labels``, any (mapped) label outside that set raises ``InputError`` naming the
    offending labels, so a typo never trains a silent extra class. ``where`` keeps only the
    rows whose named columns hold the given values (compared as label text).
    """
    path = Path(path)
    mapping = label_map if isinstance(label_map, dict) else parse_label_map(label_map, task)
    if not path.is_file():
        raise InputError(f"labelled data file not found: {path}")
    rows = _read_pairs(path, text_col, label_col, encoding, where)
    allowed = set(allowed_labels) if allowed_labels is not None else None
    pairs: list[tuple[str, str]] = []
    unknown: Counter[str] = Counter()
    empty = dropped = 0
    for text, raw_label in rows:
        label = _map_label(raw_label, mapping)
        if label == "" and allowed is not None and raw_label in allowed:
            # Already a valid name: a map only needs to rename what differs.
            label = raw_label
        if label is None:
            dropped += 1
            continue
        if label == "" or (allowed is not None and label not in allowed):
            unknown[raw_label] += 1
            continue
        if not text:
            empty += 1
            continue
        pairs.append((text, label))
    if unknown:
        raise InputError(_unknown_message(path, label_col, unknown, mapping, allowed))
    if not pairs:
        raise InputError(f"{path} has no labelled rows in columns {text_col!r}/{label_col!r}")
    if empty or dropped:
        logger.info("%s: %d rows kept, %d with empty text and %d with dropped labels skipped",
                    path, len(pairs), empty, dropped)
    return pairs


def _map_label(raw: str, mapping: LabelMap | None) -> str | None:
    if mapping is None:
        return raw
    if raw in mapping:
        return mapping[raw]
    number = _as_number(raw)
    if number is not None:
        for key, value in mapping.items():
            low, sep, high = key.partition(_RANGE)
            bounds = (_as_number(low), _as_number(high)) if sep else (None, None)
            if None not in bounds and bounds[0] <= number <= bounds[1]:  # type: ignore[operator]
                return value
    if OTHERS in mapping:
        return mapping[OTHERS]
    # Not in the map at all: report it rather than guess.
    return ""


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _unknown_message(
    path: Path, label_col: str, unknown: Counter[str], mapping: LabelMap | None,
    allowed: set[str] | None,
) -> str:
    shown = ", ".join(repr(label) for label, _ in unknown.most_common(_SHOWN_LABELS))
    more = f" and {len(unknown) - _SHOWN_LABELS} more" if len(unknown) > _SHOWN_LABELS else ""
    expected = f" (labels must be one of {', '.join(sorted(allowed))})" if allowed else ""
    fix = "add them to --label-map" if mapping is not None else "map them with --label-map"
    return (f"{path}: unknown label(s) {shown}{more} in column {label_col!r}{expected}; "
            f"{fix}, e.g. 'RAW=label' or '{OTHERS}={DROP}' to drop the rest")


def _is_position(column: str) -> bool:
    return column.isdigit()


def _read_pairs(
    path: Path, text_col: str, label_col: str, encoding: str | None,
    where: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    if _is_position(text_col) != _is_position(label_col):
        raise InputError(
            "give both --text-col and --label-col as column names, or both as 0-based "
            "positions for a headerless file"
        )
    if _is_position(text_col):
        if where:
            raise InputError("row filters need named columns, not positions")
        return _read_headerless(path, int(text_col), int(label_col), encoding)
    table = read_table(path)
    label_column, _, label_field = label_col.partition(_EACH)
    missing = [c for c in (text_col, label_column, *(where or {})) if c not in table.columns]
    if missing:
        raise InputError(
            f"{path} has no column {missing[0]!r}; its columns are "
            f"{', '.join(repr(c) for c in table.columns)}"
        )
    if table.row_errors:
        logger.warning("%s: %d malformed rows read as best as possible", path,
                       len(table.row_errors))
    rows = [(number, row) for number, row in enumerate(table.rows, start=1)
            if all(_label_text("" if row.get(column) is None else row[column]) == value
                   for column, value in (where or {}).items())]
    if label_field:
        return [(_cell_text(row.get(text_col)),
                 _agreed_value(row.get(label_column), label_field, path, number, label_col))
                for number, row in rows]
    return [(_cell_text(row.get(text_col)), _label_text(row.get(label_col) or ""))
            for _, row in rows]


def _agreed_value(cell: Any, field: str, path: Path, number: int, label_col: str) -> str:
    """The value of ``field`` that every object in ``cell`` (a JSON list) agrees on."""
    try:
        items = json.loads(cell) if isinstance(cell, str) and cell.strip() else cell or []
    except json.JSONDecodeError:
        items = None
    if not isinstance(items, list) or not all(
        isinstance(item, Mapping) and field in item for item in items
    ):
        raise InputError(
            f"{path} record {number}: {label_col!r} needs a list of objects with a "
            f"{field!r} field, found {str(cell)[:60]!r}"
        )
    values = {_label_text(item[field]) for item in items}
    if not values:
        return _NO_VALUES
    return values.pop() if len(values) == 1 else _MIXED_VALUES


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _read_headerless(
    path: Path, text_index: int, label_index: int, encoding: str | None
) -> list[tuple[str, str]]:
    if path.suffix.lower() not in _HEADERLESS_FORMATS:
        raise InputError(
            f"column positions need a headerless CSV or TSV file; {path} is not one, so give "
            "--text-col and --label-col as column names"
        )
    text = decode_bytes(path.read_bytes(), str(path), encoding).text
    tsv = path.suffix.lower() in (".tsv", ".tab")
    records = _tsv_records(text) if tsv else csv.reader(io.StringIO(text, newline=""))
    width = max(text_index, label_index) + 1
    pairs: list[tuple[str, str]] = []
    for number, fields in enumerate(records, start=1):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) < width:
            raise InputError(
                f"{path} line {number} has {len(fields)} fields; column position "
                f"{width - 1} does not exist (positions are 0-based)"
            )
        cell = fields[text_index]
        pairs.append((_unquote(cell).strip() if tsv else cell.strip(),
                      _label_text(fields[label_index])))
    return pairs


def _tsv_records(text: str) -> Iterable[list[str]]:
    for line in physical_lines(text):
        yield line.split("\t")


def _unquote(cell: str) -> str:
    """Undo spreadsheet-style quoting (a cell of ``"a ""b"" c"``) some TSV exports carry.

    Only a cell that is exactly a valid quoted field is changed, so a text that merely
    starts or ends with a quotation mark keeps it.
    """
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        inner = cell[1:-1]
        if '"' not in inner.replace('""', ""):
            return inner.replace('""', '"')
    return cell


def write_labelled_jsonl(path: Path, pairs: Iterable[tuple[str, str]]) -> None:
    """Write pairs as JSONL (``text``/``label``), the format ``voc eval`` reads back as is;
    atomically, so an interrupted run leaves no truncated split to evaluate on."""

    def write(stream: IO[bytes]) -> None:
        for text, label in pairs:
            line = json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n"
            stream.write(line.encode("utf-8"))

    atomic_write(path, write)
