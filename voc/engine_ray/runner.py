"""`--engine ray`: the row-local stages on Ray Data, so one command scales to a cluster.

1. The driver writes the records to analyse as Parquet parts; Ray Data streams them
   (`read_parquet`, a block per part) through `map_batches` with one model-holding actor
   per worker (spaCy, hazm, the encoder and heads load once per worker). Each finished
   batch streams back, is written as a Parquet part of analysed records, segments and
   embeddings, and is committed to the store, so a killed run resumes after its last
   finished batch.
2. What needs the whole run is reduced on the driver: themes (UMAP + HDBSCAN) are fitted
   on a stratified sample of at most `themes.max_fit` segments, and the journey linker's
   keyword anchors (per stage, the mean embedding of segments whose keywords name that
   stage alone) are summed from every batch's share. A second Ray pass (`read_parquet` of
   the analysed parts, `map_batches`, `write_parquet`) then assigns every segment to the
   fitted themes and finds its pain points and journey stage and touchpoint. The themes
   and journey stages keep those results; themes only describe.
3. The corpus-level stages (drivers, KPIs, the pain-point view of themes, the report) run
   on the driver, as with the default engine.

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
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from voc.engine_ray.staging import (
    ANALYSED_SCHEMA,
    analysed_columns,
    part_files,
    read_assignments,
    records_from_batch,
    staging_folder,
    tables_from_columns,
    theme_inputs,
    write_input,
)
from voc.errors import ConfigError
from voc.pipeline.base import Component, Record, Tables
from voc.pipeline.config import component_settings
from voc.pipeline.executor import merge_counts

if TYPE_CHECKING:
    from voc.journey.linking import Anchors

log = logging.getLogger(__name__)

THEMES_STAGE = "themes"
JOURNEY_STAGE = "journey"


def _journey(config: Mapping[str, Any]) -> Any:
    from voc.journey.component import JourneyComponent

    return JourneyComponent(component_settings(config, JOURNEY_STAGE))


class RowLocalActor:
    """One per Ray worker: builds the stages once, then runs them on each batch; with a
    journey stage to come, also adds up the batch's share of the run's journey anchors."""

    def __init__(self, config: Mapping[str, Any], stages: list[str], anchors: bool) -> None:
        import voc.pipeline.run as pipeline_run

        self.components = pipeline_run.build_components({**config, "pipeline": stages})
        self.journey = _journey(config) if anchors else None

    def __call__(self, batch: pa.Table) -> dict[str, list[Any]]:
        from voc.pipeline.run import run_components

        tables = run_components(self.components,
                                Tables(records=records_from_batch(batch.to_pydict())))
        columns: dict[str, list[Any]] = analysed_columns(tables)
        padding = [None] * (len(tables.records) - 1)
        # Statistics (timings, model ids, redaction counts) ride on the batch's first row.
        columns["stats"] = [pickle.dumps(tables.stats, protocol=pickle.HIGHEST_PROTOCOL),
                            *padding]
        anchors = None
        if self.journey is not None and tables.segments and tables.embeddings is not None:
            anchors = pickle.dumps(self.journey.anchors(tables.segments, tables.embeddings),
                                   protocol=pickle.HIGHEST_PROTOCOL)
        columns["anchors"] = [anchors, *padding]
        return columns


class CorpusAssigner:
    """One per Ray worker, after the driver fitted what needs the whole run: assigns
    segments to the themes fitted on a sample, and links them to journey stages with the
    run's keyword anchors, batch by batch."""

    def __init__(self, config: Mapping[str, Any], fitted: Any, anchors: Any) -> None:
        from voc.themes.component import ThemesComponent

        self.themes = ThemesComponent(component_settings(config, THEMES_STAGE)) \
            if fitted is not None else None
        self.fitted = fitted
        self.journey = _journey(config) if anchors is not None else None
        self.anchors = anchors

    def __call__(self, batch: pa.Table) -> dict[str, list[Any]]:
        from voc.journey.component import SEGMENT_FIELDS

        columns = batch.to_pydict()
        tables = tables_from_columns(columns)
        counts = [len(texts) for texts in columns["segment_texts"]]
        theme_ids: list[list[int]] = [[] for _ in counts]
        journey: list[bytes | None] = [None] * len(counts)
        if self.themes is not None and tables.segments:
            # Themes are fitted here only after a pass that ran 'classify', which embeds
            # every segment.
            assert tables.embeddings is not None
            labels = self.themes.assign(
                tables.embeddings, [t for row in columns["segment_texts"] for t in row],
                [g for row in columns["segment_groups"] for g in row], self.fitted).tolist()
            theme_ids = _split(labels, counts)
        if self.journey is not None and tables.segments:
            self.journey.annotate(tables.segments, tables.embeddings,
                                  {r["row_id"]: r.get("channel") for r in tables.records},
                                  self.anchors)
            fields = [{"segment_index": s["segment_index"], **{k: s.get(k) for k in SEGMENT_FIELDS}}
                      for s in tables.segments]
            journey = [pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)
                       for row in _split(fields, counts)]
        return {"row_id": columns["row_id"], "theme_ids": theme_ids, "journey": journey}


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


class RayEngine:
    """A chunk runner (see voc.store.incremental) on Ray Data. After a run over every
    record of the input, `prefit` holds the themes fitted on a sample and assigned in
    the distributed pass, for the themes stage."""

    def __init__(self, config: Mapping[str, Any], workers: int, batch_size: int) -> None:
        self.config = config
        self.workers = max(workers, 1)
        self.batch_size = batch_size
        self.prefit: dict[str, Any] = {}
        self.timings: dict[str, float] = {}

    def run(self, components: list[Component], records: list[Record], *,
            whole_run: bool = False) -> Iterator[Tables]:
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
            pipeline = self.config.get("pipeline") or []
            # What needs the whole run (a theme fit, the journey anchors) is done here only
            # when this pass sees all of it; otherwise the driver's stages do it.
            corpus = whole_run and "classify" in stages
            link = corpus and JOURNEY_STAGE in pipeline
            dataset = ray.data.read_parquet(str(staging / "input")).repartition(
                parts).map_batches(
                RowLocalActor, fn_constructor_kwargs={"config": dict(self.config),
                                                      "stages": stages, "anchors": link},
                batch_size=size, batch_format="pyarrow", num_cpus=1,
                compute=ray.data.ActorPoolStrategy(size=self.workers), **_NO_RESTARTS)
            analysed = staging / "analysed"
            analysed.mkdir()
            anchors: Anchors | None = None
            for index, batch in enumerate(dataset.iter_batches(batch_size=None,
                                                               batch_format="pyarrow")):
                tables, batch_anchors = _write_part(batch,
                                                    analysed / f"part-{index:06d}.parquet")
                for part in batch_anchors:
                    anchors = part if anchors is None else anchors + part
                yield tables
            if corpus and (link or THEMES_STAGE in pipeline):
                started = time.perf_counter()
                self.prefit = self._corpus(ray, analysed, staging / "assigned",
                                           anchors if link else None,
                                           themes=THEMES_STAGE in pipeline)
                self.timings["ray_corpus_pass"] = round(time.perf_counter() - started, 3)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _corpus(self, ray: Any, analysed: Path, assigned: Path, anchors: Anchors | None, *,
                themes: bool) -> dict[str, Any]:
        """Fit themes on a sample (all segments when they fit under themes.max_fit) and, in
        a second Ray pass, assign the rest and link every segment to the journey."""
        from voc.themes.component import ThemePrefit
        from voc.themes.model import segment_keys

        prefit: dict[str, Any] = {}
        fitted, sampled = None, None
        if themes:
            fitted, sampled, whole = self._fit_themes(analysed)
            if whole is not None:
                prefit[THEMES_STAGE] = whole
        if fitted is None and anchors is None:
            return prefit
        parts = part_files(analysed)
        ray.data.read_parquet(str(analysed)).repartition(len(parts)).map_batches(
            CorpusAssigner, fn_constructor_kwargs={"config": dict(self.config),
                                                   "fitted": fitted, "anchors": anchors},
            batch_format="pyarrow", num_cpus=1,
            compute=ray.data.ActorPoolStrategy(size=self.workers), **_NO_RESTARTS,
        ).write_parquet(str(assigned))
        theme_ids, journey = read_assignments(part_files(assigned))
        if fitted is not None and sampled is not None:
            row_ids, texts, groups, sample = sampled
            labels = np.array([theme for row_id in dict.fromkeys(row_ids)
                               for theme in theme_ids[row_id]], dtype=np.int64)
            keys = segment_keys(texts, groups)
            assert fitted.keys is not None and fitted.fitted is not None
            state = replace(fitted, keys=keys, labels=labels,
                            fitted=np.isin(keys, fitted.keys[fitted.fitted]))
            prefit[THEMES_STAGE] = ThemePrefit(
                state, "sampled", f"fitted on a stratified sample of {len(sample)} of "
                f"{len(texts)} segments (themes.max_fit); the rest assigned in the Ray pass")
        if anchors is not None:
            prefit[JOURNEY_STAGE] = {(row_id, fields.pop("segment_index")): fields
                                     for row_id, rows in journey.items() for fields in rows}
        return prefit

    def _fit_themes(self, analysed: Path) -> tuple[Any, Any, Any]:
        """(state to assign the rest with, what the sample was drawn from, or a fit of
        every segment when they fit under themes.max_fit)."""
        from voc.themes.cluster import MIN_LANGUAGE_GROUP, stratified_sample
        from voc.themes.component import ThemePrefit, ThemesComponent
        from voc.themes.model import previous_from_fit

        embeddings, row_ids, texts, groups = theme_inputs(part_files(analysed))
        if not texts:
            return None, None, None
        component = ThemesComponent(component_settings(self.config, THEMES_STAGE))
        limit = component.settings.cluster.max_fit
        if len(texts) <= limit:
            fit = component.fit(embeddings, texts, groups)
            return None, None, ThemePrefit(previous_from_fit(fit), fit.mode,
                                           f"{fit.reason}; fitted by the ray engine")
        # Each language group needs enough members for its centring mean, or the themes
        # stage would not accept the fit (see voc.themes.model.reuse_decision).
        sample = stratified_sample(groups, limit, component.settings.cluster.random_state,
                                   minimum=MIN_LANGUAGE_GROUP)
        fit = component.fit(embeddings[sample], [texts[i] for i in sample],
                            [groups[i] for i in sample])
        log.info("ray: themes fitted on %d of %d segments; the rest are assigned in the "
                 "Ray pass", len(sample), len(texts),
                 extra={"event": "ray_themes", "sample": len(sample), "segments": len(texts)})
        return previous_from_fit(fit), (row_ids, texts, groups, sample), None


def _write_part(batch: pa.Table, path: Path) -> tuple[Tables, list[Anchors]]:
    """Keep a finished batch as a Parquet part; return it as Tables for the store, and
    its batches' journey anchors."""
    pq.write_table(batch.select(ANALYSED_SCHEMA.names).cast(ANALYSED_SCHEMA), path)
    columns = batch.to_pydict()
    tables = tables_from_columns(columns)
    # A block may hold several actor batches: add up their statistics.
    for payload in columns["stats"]:
        if payload is not None:
            merge_counts(tables.stats, pickle.loads(payload))
    return tables, [pickle.loads(a) for a in columns["anchors"] if a is not None]
