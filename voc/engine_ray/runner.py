"""`--engine ray`: the row stages on Ray Data, so one command scales to a cluster.

`RayExecutor` is an Executor (voc.pipeline.executor): it names no stage, only kinds and
the corpus protocol (voc.pipeline.base.CorpusComponent).

1. The driver writes the records to analyse as Parquet parts; Ray Data streams them
   (`read_parquet`, a block per part) through `map_batches` with one model-holding actor
   per worker (spaCy, hazm, the encoder and heads load once per worker). Each actor runs
   the row stages on its batch and, for every corpus stage given, collects the batch's
   share of that stage's fit (`collect`: e.g. keyword anchor sums, or the segments a
   theme sample is drawn from). Each finished batch streams back, is written as a Parquet
   part of analysed records, segments and embeddings, and is committed to the store, so
   a killed run resumes after its last finished batch.
2. The driver fits each corpus stage on its shares (`fit_shares`); a second Ray pass
   (`read_parquet` of the analysed parts, `map_batches`, `write_parquet`) applies every
   fit that needs applying to each batch (`transform`: fields per segment). Each stage
   `adopt`s its result, which the corpus stage keeps instead of fitting again.
3. The corpus and aggregate stages then run on the driver, as with the local executor.

Ray connects to the cluster in `RAY_ADDRESS` when it is set (e.g. `ray://head:10001` or
`auto` on a node of a `ray start` / KubeRay cluster), else starts a local Ray with
`--workers` CPUs for the actors and one for Parquet reading and writing. The Parquet
parts go under `VOC_RAY_STAGING` (on a cluster: a folder every node mounts), else the
system's temporary folder, and are removed after the run.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq

from voc.engine_ray.staging import (
    ANALYSED_SCHEMA,
    analysed_columns,
    part_files,
    read_transformed,
    records_from_batch,
    run_state_from_columns,
    staging_folder,
    write_input,
)
from voc.errors import ConfigError
from voc.pipeline.base import (
    AdoptedFit,
    Component,
    CorpusComponent,
    CorpusFit,
    Record,
    RunState,
    RunStats,
)

log = logging.getLogger(__name__)


def _build(config: Mapping[str, Any], rows: list[str], corpus: list[str]
           ) -> tuple[list[Component], list[CorpusComponent]]:
    """The named stages, built in this worker with one shared Resources."""
    import voc.pipeline.run as pipeline_run
    from voc.pipeline.base import create_component
    from voc.pipeline.resources import Resources

    resources = Resources.from_config(config)
    built = pipeline_run.build_components({**config, "pipeline": rows}, resources) \
        if rows else []
    # Corpus stages alone would fail the order check (they need the row stages' fields).
    others = [cast(CorpusComponent, create_component(name, config.get(name), resources))
              for name in corpus]
    return built, others


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


@dataclass(frozen=True)
class BatchReport:
    """What an actor's batch hands the driver besides its rows: its statistics (a local
    worker hands them in the batch's RunState) and its share of each corpus stage's fit,
    by stage name."""

    stats: RunStats
    shares: dict[str, Any]


def report_column(report: BatchReport, rows: int) -> list[bytes | None]:
    """`report` as a column of a batch of `rows` rows. Ray Data's batches are tables, so
    the report rides pickled on the first row and the others hold None; a block that
    joins several actor batches then holds several reports (`batch_reports`)."""
    return [_pickled(report), *[None] * (rows - 1)]


def batch_reports(column: Sequence[bytes | None]) -> list[BatchReport]:
    """The reports of the actor batches a block joined (see `report_column`)."""
    return [pickle.loads(payload) for payload in column if payload is not None]


class RowActor:
    """One per Ray worker: builds the row stages once, then runs them on each batch, and
    collects the batch's share of each corpus stage's fit."""

    def __init__(self, config: Mapping[str, Any], stages: list[str],
                 corpus: list[str]) -> None:
        self.components, self.corpus = _build(config, stages, corpus)

    def __call__(self, batch: pa.Table) -> dict[str, list[Any]]:
        from voc.pipeline.run import run_components

        state = run_components(self.components,
                               RunState(records=records_from_batch(batch.to_pydict())))
        columns: dict[str, list[Any]] = analysed_columns(state)
        report = BatchReport(state.stats, {c.name: c.collect(state) for c in self.corpus})
        columns["report"] = report_column(report, len(state.records))
        return columns


class TransformActor:
    """One per Ray worker, after the driver fitted the corpus stages: applies each fit to
    a batch, and returns the fields it gives each segment, by stage."""

    def __init__(self, config: Mapping[str, Any], fits: dict[str, CorpusFit]) -> None:
        _, self.corpus = _build(config, [], list(fits))
        self.fits = fits

    def __call__(self, batch: pa.Table) -> dict[str, list[Any]]:
        columns = batch.to_pydict()
        state = run_state_from_columns(columns)
        by_row: dict[int, dict[str, list[dict[str, Any]]]] = {
            row_id: {} for row_id in columns["row_id"]}
        for component in self.corpus:
            fields = component.transform(state, self.fits[component.name]) \
                if state.segments else []
            for segment, values in zip(state.segments, fields, strict=True):
                by_row[segment["row_id"]].setdefault(component.name, []).append(
                    {"segment_index": segment["segment_index"], **values})
        return {"row_id": columns["row_id"],
                "transformed": [_pickled(by_row[row_id]) for row_id in columns["row_id"]]}


def _split(values: list[Any], counts: list[int]) -> list[list[Any]]:
    """`values` cut into consecutive runs of `counts` (a record's segments)."""
    out, start = [], 0
    for count in counts:
        out.append(values[start: start + count])
        start += count
    return out


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ConfigError("--engine ray needs Ray: pip install 'voc[ray]'") from exc
    return ray


# A failed actor fails the run (the store resumes it): restarting one would rebuild it from
# constructor arguments Ray keeps in its object store, which it warns about on stderr in
# plain text (breaking `--log-format json`) and cannot guarantee.
# Ray 2.60 deprecates every extra `map_batches` keyword (`**ray_remote_args`, "removed in
# Ray 2.64"), but its named replacements (label_selector, max_calls, resources, ...) have
# none for max_restarts, nor has ActorPoolStrategy or DataContext: there is no supported
# place to move it to yet, so its RayDeprecationWarning (a log record, voc.cli.logs) stays.
# Dropping it would bring back the plain-text core warning (tests/test_ray.py).
_NO_RESTARTS: dict[str, Any] = {"max_restarts": 0}


def ensure_ray(workers: int) -> Any:
    ray = _ray()
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        # Ray's own INFO lines would break `--log-format json` on stderr.
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "logging_level": logging.ERROR}
        if not address:
            # The actors take one CPU each; Ray Data's Parquet listing, reading and writing
            # tasks need one more, or they wait for a CPU forever.
            options["num_cpus"] = workers + 1
        ray.init(address=address or None, **options)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
    return ray


class RayExecutor:
    """The row stages on Ray Data, batch after batch (see the module's docstring); given
    corpus stages, they are fitted from the batches' shares and applied in a second pass,
    their fits left in `fits` for the stages to adopt."""

    name = "ray"

    def __init__(self, config: Mapping[str, Any], workers: int, batch_size: int) -> None:
        self.config = config
        self.workers = max(workers, 1)
        self.batch_size = batch_size
        self.fits: dict[str, AdoptedFit] = {}
        self.timings: dict[str, float] = {}

    def map_rows(self, components: list[Component], records: list[Record],
                 corpus: Sequence[CorpusComponent] = ()) -> Iterator[RunState]:
        ray = ensure_ray(self.workers)
        stages = [c.name for c in components]
        size = max(1, min(self.batch_size, -(-len(records) // self.workers)))
        staging = staging_folder(os.environ.get("VOC_RAY_STAGING"), uuid.uuid4().hex[:8])
        try:
            parts = write_input(records, staging / "input", size)
            log.info("ray: %d records in %d parts of %d on %d workers", len(records), parts,
                     size, self.workers,
                     extra={"event": "ray_plan", "records": len(records), "batch": size,
                            "staging": str(staging)})
            # Ray's Parquet reader joins small parts into one block, which one actor would
            # take alone: one block per part, so every actor gets batches.
            dataset = ray.data.read_parquet(str(staging / "input")).repartition(
                parts).map_batches(
                RowActor, fn_constructor_kwargs={"config": dict(self.config),
                                                 "stages": stages,
                                                 "corpus": [c.name for c in corpus]},
                batch_size=size, batch_format="pyarrow", num_cpus=1,
                compute=ray.data.ActorPoolStrategy(size=self.workers), **_NO_RESTARTS)
            analysed = staging / "analysed"
            analysed.mkdir()
            shares: dict[str, list[Any]] = {c.name: [] for c in corpus}
            for index, batch in enumerate(dataset.iter_batches(batch_size=None,
                                                               batch_format="pyarrow")):
                state, reports = write_part(batch, analysed / f"part-{index:06d}.parquet")
                for report in reports:
                    for name, share in report.shares.items():
                        shares[name].append(share)
                yield state
            if corpus:
                started = time.perf_counter()
                self._fit(ray, corpus, shares, analysed, staging / "transformed")
                self.timings["ray_corpus_pass"] = round(time.perf_counter() - started, 3)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _fit(self, ray: Any, corpus: Sequence[CorpusComponent],
             shares: Mapping[str, list[Any]], analysed: Path, transformed: Path) -> None:
        """Fit each corpus stage on its shares; apply the fits that need it in a second
        Ray pass; leave what each stage adopts in `fits`."""
        fits = {c.name: c.fit_shares(shares[c.name]) for c in corpus}
        per_batch = {name: fit for name, fit in fits.items()
                     if fit is not None and fit.per_batch}
        results: dict[str, dict[tuple[int, int], dict[str, Any]]] = {}
        if per_batch:
            parts = part_files(analysed)
            ray.data.read_parquet(str(analysed)).repartition(len(parts)).map_batches(
                TransformActor, fn_constructor_kwargs={"config": dict(self.config),
                                                       "fits": per_batch},
                batch_format="pyarrow", num_cpus=1,
                compute=ray.data.ActorPoolStrategy(size=self.workers), **_NO_RESTARTS,
            ).write_parquet(str(transformed))
            results = read_transformed(part_files(transformed))
        for component in corpus:
            fit = fits[component.name]
            if fit is not None:
                self.fits[component.name] = component.adopt(
                    fit, results.get(component.name, {}))


def write_part(batch: pa.Table, path: Path) -> tuple[RunState, list[BatchReport]]:
    """Keep a finished block as a Parquet part; return it as a RunState, its statistics
    those of its actor batches added up (as a local executor's batch carries them), and
    those batches' reports for their corpus shares."""
    pq.write_table(batch.select(ANALYSED_SCHEMA.names).cast(ANALYSED_SCHEMA), path)
    columns = batch.to_pydict()
    state = run_state_from_columns(columns)
    reports = batch_reports(columns["report"])
    for report in reports:
        state.stats.add(report.stats)
    return state, reports
