"""The pieces every pipeline stage shares: the run state it reads and writes, the
component protocols, and a registry.

Like spaCy's pipeline, a run is a list of small components, each with one job, named in a
pipeline config and built from its settings and the shared Resources (spaCy hands `nlp`
to every factory). A component takes the run's `RunState` and returns it with its columns
filled in. Records are plain dicts (one per input answer) and segments plain dicts (one
per sentence or clause), so every stage is a function over rows that a test can call
without files or models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from voc.errors import ConfigError
from voc.io.records import ANALYZED_STATUSES, READER_FIELDS, RECORD_INPUT_FIELDS, STATUS_ERROR
from voc.pipeline.fields import Declares, Field, check_known, check_order, merge_fields
from voc.pipeline.settings import validate_section

if TYPE_CHECKING:
    from voc.journey.maps import JourneyMap
    from voc.pipeline.resources import Resources
    from voc.themes.component import ThemePrefit

Record = dict[str, Any]
Segment = dict[str, Any]
# Fields a stage gives segments, by (row id, segment index): what survives a segment's
# trip through an executor's batches, where list positions do not.
SegmentFields = Mapping[tuple[int, int], Mapping[str, Any]]
# What a corpus stage keeps from an executor's distributed fit (CorpusComponent.adopt),
# one kind per corpus stage that exists: the fields its transform gave each segment
# (journey's links), or a model fitted with every segment assigned (themes). A new corpus
# stage adds its kind here, so every stage reading `Artifacts.fits` is checked against it.
# (A `type` statement: evaluated lazily, so ThemePrefit is imported for the checker only.)
type AdoptedFit = SegmentFields | ThemePrefit


@dataclass(frozen=True)
class OutputTable:
    """Rows of one run-level table; its column types are the ones the stage that writes
    it declares (`Declares.tables`), which the writer applies (voc.io.schema)."""

    rows: list[dict[str, Any]]


@dataclass
class RunStats:
    """What a run measured and counted, for run.json: each field has one writer."""

    # Wall seconds per stage (and setup, read, store and write steps).
    timings_s: dict[str, float] = field(default_factory=dict)
    # Personal data replaced, by kind (redact).
    redactions: dict[str, int] = field(default_factory=dict)
    # Model ids and checksums (classify).
    models: dict[str, Any] = field(default_factory=dict)
    # Texts encoded and taken from the encoder output cache (classify).
    encoder_cache: dict[str, int] | None = None
    # Per theme view (themes, pain_themes): theme counts, unthemed share, how fitted.
    themes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Segments linked and pain points found (journey).
    journey: dict[str, Any] | None = None
    # Processes the row stages ran in.
    workers: int = 1

    def add(self, batch: RunStats, *, timings: bool = True) -> None:
        """Fold one batch's statistics into the run's: counts and seconds add up, model
        ids are kept (every batch ran the same models)."""
        if timings:
            for name, seconds in batch.timings_s.items():
                self.timings_s[name] = round(self.timings_s.get(name, 0.0) + seconds, 3)
        if batch.redactions:
            # By kind, as one batch reports them: batches finish in any order (Ray).
            self.redactions = dict(sorted(
                (kind, self.redactions.get(kind, 0) + batch.redactions.get(kind, 0))
                for kind in {*self.redactions, *batch.redactions}))
        self.models.update(batch.models)
        if batch.encoder_cache is not None:
            mine = self.encoder_cache or {}
            self.encoder_cache = {**mine, **{k: mine.get(k, 0) + v
                                             for k, v in batch.encoder_cache.items()}}
        self.themes.update(batch.themes)
        if batch.journey is not None:
            self.journey = batch.journey
        self.workers = max(self.workers, batch.workers)


@dataclass
class Artifacts:
    """Typed objects a stage hands to later stages beside record and segment fields."""

    # The journey map the journey stage linked with (drivers and themes name its stages).
    journey_map: JourneyMap | None = None
    # Corpus fits an executor made before the corpus stages ran, by stage name (the Ray
    # executor fits on a sample and applies in its distributed pass; see CorpusComponent):
    # the stage adopts them instead of fitting again.
    fits: dict[str, AdoptedFit] = field(default_factory=dict)


@dataclass
class RunState:
    """What flows through the pipeline: records, their segments and embeddings, the run's
    statistics, artifacts for later stages, and the run-level outputs."""

    records: list[Record]
    segments: list[Segment] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)
    # One row per segment, in segment order: the encoder's output that later stages reuse
    # so no text is encoded twice in a run.
    embeddings: np.ndarray | None = None
    artifacts: Artifacts = field(default_factory=Artifacts)
    # Run-level tables a component produces beside records and segments (themes, pain
    # points, the journey matrix...): written as DIR/<name>.parquet (and .csv).
    outputs: dict[str, OutputTable] = field(default_factory=dict)
    # Run-level JSON documents (KPIs, changes...): written as DIR/<name>.json.
    documents: dict[str, Any] = field(default_factory=dict)
    # Run-level binary files (a fitted model's safetensors...): written as DIR/<name>.
    files: dict[str, bytes] = field(default_factory=dict)

    def analyzed(self) -> Iterable[Record]:
        """Records whose text later stages analyse (not empty, not unsupported...)."""
        return (r for r in self.records if r["status"] in ANALYZED_STATUSES)


class Component(Protocol):
    """A pipeline stage. Its `declares` says its kind (row, corpus, aggregate), whether an
    executor may split it across processes (`parallel`) and the fields it reads and
    writes; it is built from its typed settings (an instance of `settings_model`, its
    section of the pipeline config) and the run's shared Resources."""

    name: ClassVar[str]
    declares: ClassVar[Declares]
    # The section's model (voc.pipeline.settings): every key, type, range and default.
    # (type[Any]: each stage names its own model, and a protocol's class attribute must
    # match exactly.)
    settings_model: ClassVar[type[Any]]

    # Any: each stage takes its own settings_model; a Protocol cannot say so.
    def __init__(self, settings: Any, resources: Resources | None = None) -> None: ...

    def __call__(self, state: RunState, /) -> RunState: ...


@dataclass(frozen=True)
class CorpusFit:
    """What a corpus stage fitted from its batches' shares (`CorpusComponent.fit_shares`):
    `model` goes to every batch (`transform`) when `per_batch`, else it is adopted as is."""

    model: Any
    per_batch: bool = True


class CorpusComponent(Component, Protocol):
    """A corpus stage that an executor can fit and apply batch-wise, sklearn-style: each
    batch contributes a share (`collect`: a sample, partial sums), the driver fits on the
    shares (`fit_shares`), each batch is transformed with the fit (`transform`: fields per
    segment), and the stage `adopt`s the result, which its `__call__` then keeps."""

    def collect(self, batch: RunState) -> Any: ...

    def fit_shares(self, shares: Sequence[Any]) -> CorpusFit | None: ...

    def transform(self, batch: RunState, fit: CorpusFit) -> list[dict[str, Any]]: ...

    def adopt(self, fit: CorpusFit, transformed: SegmentFields) -> AdoptedFit: ...


ComponentFactory = type[Component]
_REGISTRY: dict[str, ComponentFactory] = {}


def register(name: str) -> Callable[[ComponentFactory], ComponentFactory]:
    """Register a component class under the name pipeline configs use. A ValueError when
    it declares a field the reader or another stage declares with another type, or a
    run-level table another stage writes: an output column has one type, a file one
    writer."""

    def decorate(factory: ComponentFactory) -> ComponentFactory:
        others = [(other, f.declares) for other, f in _REGISTRY.items() if other != name]
        _merged([*others, (name, factory.declares)])
        for table in factory.declares.tables:
            writer = next((other for other, d in others if table in d.tables), None)
            if writer is not None:
                raise ValueError(f"stage '{name}' declares writing table '{table}', which "
                                 f"'{writer}' writes")
        _REGISTRY[name] = factory
        return factory

    return decorate


def _merged(stages: Iterable[tuple[str, Declares]]) -> dict[str, Field]:
    return merge_fields([*(("reader", f) for f in RECORD_INPUT_FIELDS),
                         *((name, f) for name, declares in stages for f in declares.assigns)])


def declared_fields(names: Iterable[str] | None = None) -> dict[str, Field]:
    """Every record and segment field the reader or the named stages (default: every
    registered one) produce, by key (`record.lang`), in that order."""
    chosen = registered_components() if names is None else names
    return _merged((name, _factory(name).declares) for name in chosen)


def declared_tables(names: Iterable[str]) -> dict[str, pa.Schema]:
    """The run-level tables the named stages write, by output name, in stage order."""
    return {table: schema for name in names
            for table, schema in _factory(name).declares.tables.items()}


def _factory(name: str) -> ComponentFactory:
    if name not in _REGISTRY:
        raise ConfigError(
            f"unknown pipeline component '{name}'; available: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name]


def create_component(name: str, settings: BaseModel | Mapping[str, Any] | None = None,
                     resources: Resources | None = None) -> Component:
    """The stage registered as `name`, built from its typed settings or from plain data
    (its section of a pipeline config), which is checked against its model first."""
    factory = _factory(name)
    if not isinstance(settings, BaseModel):
        settings = validate_section(factory.settings_model, settings or {}, name)
    return factory(settings, resources)


def declaration(name: str) -> Declares:
    """What the stage registered as `name` reads and writes, without building it (which
    may load models); a stage reading a field that neither the reader nor any registered
    stage assigns (a typo) fails here."""
    declares = _factory(name).declares
    check_known(declares, name, declared_fields())
    return declares


def check_pipeline(names: Sequence[str]) -> None:
    """Unknown stage names and a stage before the stage that assigns what it requires are
    one-line ConfigErrors, raised before any component is built or input read."""
    check_order([(name, declaration(name)) for name in names],
                [(name, declaration(name)) for name in registered_components()],
                READER_FIELDS)


def registered_components() -> list[str]:
    return sorted(_REGISTRY)


def mark_row_error(record: Record, stage: str, exc: Exception) -> None:
    """Take a record out of analysis because a stage failed on it; the run goes on."""
    record["status"] = STATUS_ERROR
    record["status_detail"] = f"{stage}: {type(exc).__name__}: {exc}"


def apply_per_record(
    records: Iterable[Record], stage: str, function: Callable[[Record], Mapping[str, Any]]
) -> None:
    """Merge `function(record)` into each record; a failing record is marked, not fatal."""
    for record in records:
        try:
            record.update(function(record))
        except Exception as exc:  # one bad row must never abort a scheduled run
            mark_row_error(record, stage, exc)
