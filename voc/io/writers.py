"""Write run outputs atomically: a crash never leaves a half-written file that looks complete.

Every file is written to a temporary name in the same directory, flushed to disk, then
renamed over the final name (rename is atomic on POSIX and Windows within one volume).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from voc.errors import OutputError

# Spreadsheet apps run a cell starting with these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# The longest path an output's temporary file gets below --out: the staging folder
# (".voc-staging-20261202T110000Z-abcd1234/", see staging_dir) and the file's temporary name
# (".segments_themes.parquet.abcd1234.tmp" and the like), with room to spare: checked
# before the analysis, not after it.
_LONGEST_OUTPUT_NAME = 110


def _shown(path: Path) -> str:
    """A path short enough for a one-line message."""
    text = str(path)
    return text if len(text) <= 120 else f"{text[:50]}...{text[-50:]} ({len(text)} characters)"


def prepare_output_dir(path: Path) -> Path:
    """Create the output directory and check that the run's files can be written in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputError(f"output path {_shown(path)} exists and is not a directory") from exc
    except OSError as exc:
        raise OutputError(
            f"cannot create output directory {_shown(path)}: {exc.strerror}; choose another --out"
        ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {_shown(path)} is not writable")
    try:
        # A directory path near the system's limit can be created while the files in it
        # cannot (ENAMETOOLONG): find out now, not after the whole analysis.
        with tempfile.NamedTemporaryFile(dir=path, prefix=".voc-write-check-".ljust(
                _LONGEST_OUTPUT_NAME - 12, "x")):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write files in output directory {_shown(path)}: "
                          f"{exc.strerror or exc}; choose a shorter or another --out") from exc
    return path


STAGING_PREFIX = ".voc-staging-"
MANIFEST_NAME = "run.json"


def staging_dir(out: Path, run_id: str) -> Path:
    """A fresh folder inside ``out`` where a run writes every file before it is published.

    Until :func:`publish_run` moves them, ``out`` still holds the previous run whole: a run
    that fails part-way (disk full, a signal) leaves it untouched. Staging folders that
    killed runs left behind are removed first (two runs writing one folder at the same time
    would overwrite each other's files anyway).
    """
    for leftover in out.glob(f"{STAGING_PREFIX}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
    staging = out / f"{STAGING_PREFIX}{run_id}"
    try:
        staging.mkdir()
    except OSError as exc:
        raise OutputError(f"cannot write in output directory {out}: {exc.strerror}") from exc
    return staging


@contextlib.contextmanager
def staged_run(out: Path, run_id: str) -> Iterator[Path]:
    """:func:`staging_dir` for the block, removed again if the block fails."""
    staging = staging_dir(out, run_id)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _listed_outputs(manifest_path: Path) -> set[str]:
    """The files an earlier run's manifest says it wrote, limited to plain names in its folder
    (a tampered manifest must not make voc delete anything else)."""
    try:
        listed = json.loads(manifest_path.read_text(encoding="utf-8")).get("outputs")
    except (OSError, ValueError, AttributeError):
        return set()
    if not isinstance(listed, list):
        return set()
    return {name for name in listed
            if isinstance(name, str) and name and Path(name).name == name
            and not name.startswith(".")}


def publish_run(staging: Path, out: Path, outputs: Sequence[str]) -> None:
    """Move a staged run's ``outputs`` into ``out``, replacing the previous run there.

    The old manifest goes first, so from then on the folder is no finished run until the new
    manifest (moved last) makes it one; files of the previous run that this one did not
    write (changes.json, alerts.json, CSV copies...) are removed, so no stale table can be
    read as this run's. Renames within one folder need no space, so a full disk cannot stop
    this half-way.
    """
    manifest = out / MANIFEST_NAME
    stale = _listed_outputs(manifest) - set(outputs)
    try:
        manifest.unlink(missing_ok=True)
        for name in stale:
            (out / name).unlink(missing_ok=True)
        for name in sorted(outputs, key=lambda n: n == MANIFEST_NAME):
            os.replace(staging / name, out / name)
        staging.rmdir()
    except OSError as exc:
        raise OutputError(f"cannot publish the run into {out}: {exc.strerror or exc}") from exc


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A unique temporary file beside ``path`` for writers that need a file name
    (safetensors, ONNX): renamed onto ``path`` when the block succeeds, removed when it
    fails. Unique, so two processes writing the same file never share a temporary one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    os.close(handle)
    try:
        # mkstemp creates the file private (0600); outputs get the usual umask permissions.
        os.chmod(temporary, 0o666 & ~_current_umask())
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Call `write` on a temporary file next to `path` (atomic_path), then rename it into
    place; a failure is an OutputError naming the file."""
    try:
        # The stream closes (and reaches the disk) before atomic_path renames the file.
        with atomic_path(path) as temporary, temporary.open("wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        raise OutputError(f"cannot write {_shown(path)}: {exc.strerror or exc}") from exc


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinity as None: JSON has no NaN, and a file holding one
    (Python writes a bare ``NaN``) is refused by strict readers and most other languages."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        # A file name that is not UTF-8 reaches the manifest with surrogate escapes, which
        # UTF-8 cannot encode: shown with U+FFFD instead of failing the run at its end.
        return value.encode("utf-8", "replace").decode("utf-8") if _SURROGATE.search(value) \
            else value
    if isinstance(value, Mapping):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    payload = json.dumps(json_safe(data), ensure_ascii=False, indent=2, default=str,
                         allow_nan=False).encode("utf-8")
    atomic_write(path, lambda stream: stream.write(payload + b"\n"))


def rows_to_table(rows: Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    """Build an Arrow table with the given column types (plus any extra columns, inferred)."""
    columns: dict[str, None] = dict.fromkeys(schema.names)
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    arrays, fields = [], []
    for name in columns:
        values = [row.get(name) for row in rows]
        field = schema.field(name) if name in schema.names else None
        array = pa.array(values, type=field.type if field else None)
        arrays.append(array)
        fields.append(field or pa.field(name, array.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_parquet(path: Path, table: pa.Table) -> None:
    atomic_write(path, lambda stream: pq.write_table(table, stream, compression="zstd"))


def neutralize_formula(value: Any) -> Any:
    """Prefix a quote to text a spreadsheet would otherwise execute as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(path: Path, table: pa.Table) -> None:
    """CSV copy for spreadsheet users: UTF-8 with BOM so Excel shows Persian correctly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow(
            neutralize_formula(json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict)
                               else v)
            for v in row.values()
        )
    payload = buffer.getvalue().encode("utf-8-sig")
    atomic_write(path, lambda stream: stream.write(payload))
