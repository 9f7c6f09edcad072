"""The DuckDB store behind incremental runs: analysed records, segments, embeddings, runs.

Tables (documented in the README, queryable with `voc query`):

* `runs`: one row per `voc analyze --store` run, with its config hash, row-local
  fingerprint, model ids, inputs and counts; `status` is `running`, `done` or
  `interrupted` (killed before it finished).
* `records`: one row per distinct analysed record content (`content_hash`) and row-local
  fingerprint, with every analysed column of `records.parquet` except the row position.
* `segments`: the segments of those records, with the encoder embedding (`embedding`,
  FLOAT[]) that corpus-level stages (themes, drivers) re-use on every run.
* `run_records`: which records made up each run (`row_id` is the run's row order).
* `run_groups`: per-run aggregates (volume, sentiment, NPS, pain points per theme,
  stage, touchpoint...) that run comparison and alerts read.

Every write happens in a transaction, so a run killed at any moment loses only its
uncommitted batch; DuckDB's write-ahead log replays what was committed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import duckdb
import numpy as np
import pyarrow as pa

from voc.errors import VocError
from voc.io.schema import records_schema, segments_schema
from voc.io.writers import rows_to_table
from voc.store.lock import StoreLock

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_URL_PREFIX = "duckdb:"
# Segment columns that belong to the run's position, not to the analysis.
_SEGMENT_POSITION = frozenset({"row_id", "segment_id"})
_RUN_STATUSES = ("running", "done", "interrupted")


class StoreError(VocError):
    """The store file is missing, damaged or not a voc store."""


def store_path(location: str | Path) -> Path:
    """A path, or a `duckdb:` URL (`duckdb:path`, `duckdb:///relative`, `duckdb:////abs`)."""
    text = str(location)
    if text.startswith(_URL_PREFIX):
        text = text[len(_URL_PREFIX):]
        text = text[3:] if text.startswith("///") else text.removeprefix("//")
    if not text or text == ":memory:":
        raise StoreError(f"store '{location}' names no file; pass a path such as voc.duckdb")
    return Path(text).expanduser()


_BASE_DDL = (
    "CREATE TABLE IF NOT EXISTS voc_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
        status VARCHAR, engine VARCHAR, config_hash VARCHAR, fingerprint VARCHAR,
        fingerprint_description JSON, models JSON, inputs JSON, config JSON,
        records_total BIGINT, records_new BIGINT, records_changed BIGINT,
        records_reused BIGINT, records_analyzed BIGINT, segments BIGINT,
        out_dir VARCHAR, manifest JSON)""",
    """CREATE TABLE IF NOT EXISTS run_records (
        run_id VARCHAR, row_id BIGINT, record_key VARCHAR, content_hash VARCHAR,
        fingerprint VARCHAR, source VARCHAR, source_row BIGINT, id VARCHAR,
        question VARCHAR, date VARCHAR, channel VARCHAR, nps DOUBLE, csat DOUBLE,
        ces DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS run_groups (
        run_id VARCHAR, dimension VARCHAR, key VARCHAR, label VARCHAR,
        records BIGINT, respondents BIGINT, segments BIGINT, sentiment_n BIGINT,
        sentiment_sum DOUBLE, sentiment_sumsq DOUBLE, nps_n BIGINT, promoters BIGINT,
        detractors BIGINT, pain_points BIGINT, new_theme BOOLEAN)""",
    # Added after schema 1 shipped: a store written before has no such column. Additive,
    # so the schema version stays (an older voc reads and writes the table by name); the
    # earlier runs' rows hold NULL.
    "ALTER TABLE run_groups ADD COLUMN IF NOT EXISTS respondents BIGINT",
)


def _duck_type(con: duckdb.DuckDBPyConnection, field: pa.Field) -> str:
    """DuckDB's name for an Arrow column type (null-only columns become VARCHAR)."""
    if pa.types.is_null(field.type):
        return "VARCHAR"
    con.register("type_probe", pa.table({"x": pa.array([], type=field.type)}))
    try:
        return str(con.execute("DESCRIBE SELECT x FROM type_probe").fetchall()[0][1])
    finally:
        con.unregister("type_probe")


def _plain(table: pa.Table) -> pa.Table:
    """Null-typed columns (all values missing) as strings, which DuckDB can store."""
    for index, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(index, pa.field(field.name, pa.string()),
                                     table.column(index).cast(pa.string()))
    return table


class Store:
    """An open, locked store. Use `Store.open(...)` as a context manager."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, lock: StoreLock | None,
                 read_only: bool) -> None:
        self.path = path
        self.con = con
        self.lock = lock
        self.read_only = read_only

    # --- opening ---------------------------------------------------------------------
    @classmethod
    def open(cls, location: str | Path, *, wait: bool = False, read_only: bool = False,
             wait_timeout_s: float | None = None) -> Store:
        path = store_path(location)
        if read_only and not path.is_file():
            raise StoreError(f"store {path} does not exist; create it with "
                             f"'voc analyze ... --store {path}'")
        if not read_only:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store's folder {path.parent}: "
                                 f"{exc.strerror}") from exc
        lock = None
        if not read_only:
            _check_writable(path)
            try:
                lock = StoreLock(path.with_name(path.name + ".lock")).acquire(
                    wait=wait, timeout_s=wait_timeout_s)
            except OSError as exc:
                raise _unwritable(path, exc.strerror or str(exc)) from exc
        try:
            con = cls._connect(path, read_only)
            store = cls(path, con, lock, read_only)
            store._prepare()
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return store

    @staticmethod
    def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" in message.lower():
                raise StoreError(f"store {path} is open in another program (a running voc "
                                 "analyze or a DuckDB session); retry when it is closed"
                                 ) from exc
            if any(cause in message for cause in _ENVIRONMENT_CAUSES):
                raise _unwritable(path, _first_line(exc)) from exc
            raise _damaged(path, exc) from exc
        except duckdb.Error as exc:
            raise _damaged(path, exc) from exc

    def _prepare(self) -> None:
        try:
            tables = {row[0] for row in self.con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()}
            if tables and "voc_meta" not in tables:
                raise StoreError(f"{self.path} is a DuckDB database but not a voc store; "
                                 "pass another --store path")
            if not self.read_only:
                self._create_schema()
            version = next(iter(self.con.execute(
                "SELECT value FROM voc_meta WHERE key = 'schema_version'").fetchall()), None)
            if version is not None and int(version[0]) > SCHEMA_VERSION:
                raise StoreError(f"store {self.path} was written by a newer voc (schema "
                                 f"{version[0]}); upgrade voc to use it")
            problems = self.check()
        except duckdb.Error as exc:
            raise _damaged(self.path, exc) from exc
        if problems:
            raise StoreError(f"store {self.path} failed its integrity check ({problems[0]}); "
                             "restore it from a backup or move it aside to start afresh")
        if not self.read_only:
            # A run still marked running while we hold the lock was killed.
            self._exec("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")

    def _create_schema(self) -> None:
        self.con.begin()
        for statement in _BASE_DDL:
            self._exec(statement)
        self._exec("INSERT OR IGNORE INTO voc_meta VALUES ('schema_version', ?)",
                         [str(SCHEMA_VERSION)])
        self.con.commit()

    def check(self) -> list[str]:
        """Integrity problems found (empty when the store is sound).

        Reading every key column makes DuckDB verify the checksums of their blocks.
        """
        problems = []
        tables = self.table_names()
        if "runs" not in tables:
            return [] if self.read_only and not tables else ["the runs table is missing"]
        bad = self.con.execute(
            f"SELECT count(*) FROM runs WHERE status NOT IN {_RUN_STATUSES}").fetchall()[0][0]
        if bad:
            problems.append(f"{bad} runs have an unknown status")
        # Hashing every column of every table makes DuckDB read, and so verify the
        # checksum of, every block: a damaged block is found here, not mid-run.
        for name in sorted(tables & _DATA_TABLES):
            self.con.execute(f"SELECT bit_xor(hash(COLUMNS(*))) FROM {name}").fetchall()
        if "segments" in tables:
            orphans = self.con.execute(
                "SELECT count(*) FROM segments s ANTI JOIN records r "
                "USING (content_hash, fingerprint)").fetchall()[0][0]
            if orphans:
                problems.append(f"{orphans} segments belong to no stored record")
        return problems

    def _abort(self, exc: BaseException) -> None:
        """Roll a failed transaction back; a write that failed for want of space or
        permission becomes a one-line error naming that cause. A rollback that fails too
        (DuckDB's "cannot rollback" after a failed commit) must not hide the cause."""
        with contextlib.suppress(duckdb.Error):
            self.con.rollback()
        if isinstance(exc, duckdb.Error) and any(c in str(exc) for c in _ENVIRONMENT_CAUSES):
            raise _unwritable(self.path, _first_line(exc)) from exc

    def _exec(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement to completion (DuckDB keeps an unfetched result open)."""
        self.con.execute(sql, params).fetchall()

    def table_names(self) -> set[str]:
        return {row[0] for row in self.con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            if self.lock is not None:
                self.lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is not None and not self.read_only:
                self._mark_interrupted()
        finally:
            self.close()

    def _mark_interrupted(self) -> None:
        """A run stopped by an error or signal: what it committed stays, the batch in
        flight is rolled back, and the run is marked as the next run would mark it."""
        with contextlib.suppress(duckdb.Error):  # when no transaction was open
            self.con.rollback()
        try:
            self._exec("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
        except duckdb.Error as exc:  # the next open marks it instead
            log.warning("could not mark the run interrupted: %s", exc)

    # --- runs --------------------------------------------------------------------------
    def begin_run(self, run_id: str, *, started_at: dt.datetime, engine: str,
                  config: Mapping[str, Any], config_hash: str, fingerprint: str,
                  fingerprint_description: Mapping[str, Any]) -> None:
        self._exec(
            "INSERT INTO runs (run_id, started_at, status, engine, config, config_hash, "
            "fingerprint, fingerprint_description) VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
            [run_id, started_at, engine, _json(config), config_hash, fingerprint,
             _json(fingerprint_description)])

    def finish_run(self, run_id: str, *, records: Sequence[Mapping[str, Any]],
                   keys: Sequence[tuple[str, str]], fingerprint: str,
                   counts: Mapping[str, int], groups: Sequence[Mapping[str, Any]],
                   manifest: Mapping[str, Any], out_dir: Path) -> None:
        """Record the run's membership, aggregates and manifest, and mark it done."""
        members = pa.table({
            "run_id": pa.array([run_id] * len(records), pa.string()),
            "row_id": pa.array([r["row_id"] for r in records], pa.int64()),
            "record_key": pa.array([k[0] for k in keys], pa.string()),
            "content_hash": pa.array([k[1] for k in keys], pa.string()),
            "fingerprint": pa.array([fingerprint] * len(records), pa.string()),
            **{name: pa.array([r.get(name) for r in records],
                              _RECORDS_SCHEMA.field(name).type)
               for name in ("source", "source_row", "id", "question", "date", "channel",
                            "nps", "csat", "ces")},
        })
        group_table = _plain(rows_to_table([{"run_id": run_id, **g} for g in groups],
                                           _GROUPS_SCHEMA))
        self.con.begin()
        try:
            self.con.register("members_in", members)
            self._exec("INSERT INTO run_records BY NAME SELECT * FROM members_in")
            self.con.unregister("members_in")
            if groups:
                self.con.register("groups_in", group_table)
                self._exec("INSERT INTO run_groups BY NAME SELECT * FROM groups_in")
                self.con.unregister("groups_in")
            self._exec(
                "UPDATE runs SET status = 'done', finished_at = ?, models = ?, inputs = ?, "
                "records_total = ?, records_new = ?, records_changed = ?, "
                "records_reused = ?, records_analyzed = ?, segments = ?, out_dir = ?, "
                "manifest = ? WHERE run_id = ?",
                [dt.datetime.now(dt.UTC), _json(manifest.get("models")),
                 _json(manifest.get("inputs")), counts["total"], counts["new"],
                 counts["changed"], counts["reused"], counts["analyzed"], counts["segments"],
                 str(out_dir), _json(manifest), run_id])
            self.con.commit()
        except BaseException as exc:
            self._abort(exc)
            raise

    def previous_run(self, before: str | None = None) -> dict[str, Any] | None:
        """The latest finished run (other than `before`)."""
        row = self.con.sql(
            "SELECT * FROM runs WHERE status = 'done' AND run_id IS DISTINCT FROM ? "
            "ORDER BY started_at DESC, run_id DESC LIMIT 1", params=[before]).to_arrow_table()
        rows = row.to_pylist()
        return rows[0] if rows else None

    def runs(self) -> list[dict[str, Any]]:
        return self.con.sql("SELECT * FROM runs ORDER BY started_at, run_id"
                            ).to_arrow_table().to_pylist()

    def run(self, run_id: str) -> dict[str, Any]:
        """A run by id, by unique prefix, or `latest` / `previous`."""
        if run_id in ("latest", "previous"):
            done = [r for r in self.runs() if r["status"] == "done"]
            index = -1 if run_id == "latest" else -2
            if len(done) < -index:
                raise StoreError(f"the store has no {run_id} finished run")
            return done[index]
        rows = [r for r in self.runs() if r["run_id"].startswith(run_id)]
        if len(rows) != 1:
            what = "no run" if not rows else f"{len(rows)} runs"
            raise StoreError(f"{what} in {self.path} match '{run_id}'; see 'voc runs list'")
        return rows[0]

    def run_members(self, run_id: str) -> list[dict[str, Any]]:
        return self.con.sql("SELECT * FROM run_records WHERE run_id = ? ORDER BY row_id",
                            params=[run_id]).to_arrow_table().to_pylist()

    def run_groups(self, run_id: str) -> list[dict[str, Any]]:
        if "run_groups" not in self.table_names():
            return []
        return self.con.sql("SELECT * FROM run_groups WHERE run_id = ?",
                            params=[run_id]).to_arrow_table().to_pylist()

    # --- analyses -------------------------------------------------------------------
    def lookup(self, hashes: Iterable[str], fingerprint: str
               ) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]],
                          dict[str, list[np.ndarray | None]]]:
        """Stored analyses of these content hashes under this fingerprint: the analysed
        record fields, the segments and their embeddings, each keyed by content hash."""
        tables = self.table_names()
        if "records" not in tables:
            return {}, {}, {}
        wanted = pa.table({"content_hash": pa.array(sorted(set(hashes)), pa.string())})
        self.con.register("wanted", wanted)
        try:
            found = self.con.sql(
                "SELECT r.* EXCLUDE (fingerprint, record_key, run_id, analyzed_at) "
                "FROM records r SEMI JOIN wanted w USING (content_hash) "
                "WHERE r.fingerprint = ?", params=[fingerprint]).to_arrow_table()
            records = {row.pop("content_hash"): row for row in found.to_pylist()}
            segments: dict[str, list[dict[str, Any]]] = {}
            embeddings: dict[str, list[np.ndarray | None]] = {}
            if "segments" in tables and records:
                # One row per segment position even in a store written before duplicate
                # answers were stored once (those hold a copy per identical answer).
                stored = self.con.sql(
                    "SELECT s.* EXCLUDE (fingerprint) FROM segments s "
                    "SEMI JOIN wanted w USING (content_hash) WHERE s.fingerprint = ? "
                    "QUALIFY row_number() OVER (PARTITION BY s.content_hash, "
                    "s.segment_index) = 1 "
                    "ORDER BY s.content_hash, s.segment_index",
                    params=[fingerprint]).to_arrow_table()
                vectors = _vectors(stored.column("embedding"))
                stored = stored.drop_columns(["embedding"])
                for row, vector in zip(stored.to_pylist(), vectors, strict=True):
                    key = row.pop("content_hash")
                    segments.setdefault(key, []).append(row)
                    embeddings.setdefault(key, []).append(vector)
        finally:
            self.con.unregister("wanted")
        return records, segments, embeddings

    def save_analyses(self, run_id: str, fingerprint: str,
                      analysed: Sequence[tuple[str, str, Mapping[str, Any]]],
                      segments: Sequence[tuple[str, Mapping[str, Any]]],
                      embeddings: np.ndarray | None) -> int:
        """Store freshly analysed records (content hash, record key, record) and their
        segments (content hash, segment) in one transaction; return records stored."""
        # Identical answers ("thanks", «عالی») share one content hash: the store keeps one
        # record and the segments of that one copy. Keeping every copy's segments made the
        # next run's reuse join return N copies for each of N rows.
        seen: set[str] = set()
        rows = []
        for content, key, record in analysed:
            if content in seen:
                continue
            seen.add(content)
            rows.append({"content_hash": content, "fingerprint": fingerprint,
                         "record_key": key, "run_id": run_id,
                         **{k: v for k, v in record.items() if k not in _RECORD_POSITION}})
        if not rows:
            return 0
        segment_rows, vectors = [], []
        owner: dict[str, Any] = {}  # content hash -> the row whose segments are kept
        for index, (content, segment) in enumerate(segments):
            if content not in seen:
                continue
            if owner.setdefault(content, segment.get("row_id")) != segment.get("row_id"):
                continue
            segment_rows.append({"content_hash": content, "fingerprint": fingerprint,
                                 **{k: v for k, v in segment.items()
                                    if k not in _SEGMENT_POSITION}})
            vectors.append(None if embeddings is None else embeddings[index])
        record_table = _plain(rows_to_table(rows, _STORED_RECORDS_SCHEMA))
        record_table = record_table.append_column(
            "analyzed_at", pa.array([dt.datetime.now(dt.UTC)] * len(rows),
                                    pa.timestamp("us", tz="UTC")))
        segment_table = _plain(rows_to_table(segment_rows, _STORED_SEGMENTS_SCHEMA))
        segment_table = segment_table.append_column(
            "embedding", pa.array([None if v is None else v.astype(np.float32).tolist()
                                   for v in vectors], pa.list_(pa.float32())))
        self.con.begin()
        try:
            self._insert("records", record_table, ("content_hash", "fingerprint"))
            self._insert("segments", segment_table, ("content_hash", "fingerprint",
                                                    "segment_index"))
            self.con.commit()
        except BaseException as exc:
            self._abort(exc)
            raise
        return len(rows)

    def _insert(self, name: str, table: pa.Table, key: Sequence[str]) -> None:
        """Insert rows whose key is not stored yet, adding any new columns first."""
        self.con.register("incoming", table)
        try:
            if name not in self.table_names():
                self._exec(f"CREATE TABLE {name} AS SELECT * FROM incoming LIMIT 0")
            existing = {row[0] for row in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [name]).fetchall()}
            for field in table.schema:
                if field.name not in existing:
                    self._exec(f'ALTER TABLE {name} ADD COLUMN "{_ident(field.name)}" '
                                     f"{_duck_type(self.con, field)}")
            condition = " AND ".join(f"t.{k} = i.{k}" for k in key)
            self._exec(f"INSERT INTO {name} BY NAME SELECT * FROM incoming i "
                             f"WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE {condition})")
        finally:
            self.con.unregister("incoming")

    # --- read-only queries -------------------------------------------------------------
    def query(self, sql: str) -> pa.Table:
        """Run analysts' SQL; on a read-only store it can read no file but the store."""
        if self.read_only:
            self._exec("SET enable_external_access = false")
        return self.con.sql(sql).to_arrow_table()


_RECORD_POSITION = frozenset({"row_id", "source", "source_row"})
# The default contract's columns: a field only an extra stage of a custom pipeline
# assigns is not stored (its reused records lack it).
_RECORDS_SCHEMA = records_schema()
_STORED_RECORDS_SCHEMA = pa.schema(
    [("content_hash", pa.string()), ("fingerprint", pa.string()), ("record_key", pa.string()),
     ("run_id", pa.string())]
    + [f for f in _RECORDS_SCHEMA if f.name not in _RECORD_POSITION])
_STORED_SEGMENTS_SCHEMA = pa.schema(
    [("content_hash", pa.string()), ("fingerprint", pa.string())]
    + [f for f in segments_schema() if f.name not in _SEGMENT_POSITION])
_GROUPS_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("dimension", pa.string()), ("key", pa.string()),
    ("label", pa.string()), ("records", pa.int64()), ("respondents", pa.int64()),
    ("segments", pa.int64()),
    ("sentiment_n", pa.int64()), ("sentiment_sum", pa.float64()),
    ("sentiment_sumsq", pa.float64()), ("nps_n", pa.int64()), ("promoters", pa.int64()),
    ("detractors", pa.int64()), ("pain_points", pa.int64()), ("new_theme", pa.bool_()),
])


def _vectors(column: pa.ChunkedArray) -> list[np.ndarray | None]:
    """Embedding rows as float32 arrays, without a Python float per value when all have
    the same length."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if len(array) and array.null_count == 0:
        lengths = np.asarray(array.value_lengths())
        if (lengths == lengths[0]).all():
            flat = np.asarray(array.flatten(), dtype=np.float32)
            return list(flat.reshape(len(array), int(lengths[0])))
    return [None if v is None else np.asarray(v, dtype=np.float32)
            for v in array.to_pylist()]


def _ident(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise StoreError(f"column name {name!r} cannot be stored")
    return name


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


_DATA_TABLES = frozenset({"runs", "records", "segments", "run_records", "run_groups"})
# Messages of errors that come from the machine (space, permissions), not from the store.
_ENVIRONMENT_CAUSES = ("No space left on device", "Disk quota exceeded", "Permission denied",
                       "Read-only file system")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _check_writable(path: Path) -> None:
    """A store voc may not write is not damaged: say so before DuckDB calls it corrupt."""
    if path.exists() and not os.access(path, os.W_OK):
        raise _unwritable(path, "the file is read-only")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise _unwritable(path, f"its folder {path.parent} is read-only")


def _unwritable(path: Path, detail: str) -> StoreError:
    return StoreError(f"cannot write to store {path} ({detail}); the store itself is intact: "
                      "free space or fix the permissions and run again, or read it with "
                      "'voc runs'/'voc query'")


def _damaged(path: Path, exc: Exception) -> StoreError:
    detail = _first_line(exc)
    return StoreError(f"store {path} is damaged or not a DuckDB database ({detail}); restore "
                      "it from a backup, or move it aside and re-run to build a new store "
                      "(everything is analysed again)")
