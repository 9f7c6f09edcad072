"""The pieces every pipeline stage shares: the tables it reads and writes, and a registry.

Like spaCy's pipeline, a run is a list of small components, each with one job, named in a
pipeline config. A component takes the run's `Tables` and returns them with its columns
filled in. Records are plain dicts (one per input answer) and segments plain dicts (one
per sentence or clause), so every stage is a function over rows that a test can call
without files or models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import pyarrow as pa

from voc.errors import ConfigError
from voc.io.records import ANALYZED_STATUSES, STATUS_ERROR
from voc.pipeline.fields import Declares, check_order

Record = dict[str, Any]
Segment = dict[str, Any]


@dataclass(frozen=True)
class OutputTable:
    """Rows of one extra output table and its fixed column types (the output contract)."""

    rows: list[dict[str, Any]]
    schema: pa.Schema


@dataclass
class Tables:
    """What flows through the pipeline: records, their segments and run statistics."""

    records: list[Record]
    segments: list[Segment] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    # One row per segment, in segment order: the encoder's output that later stages reuse
    # so no text is encoded twice in a run.
    embeddings: np.ndarray | None = None
    # Run-level tables a component produces beside records and segments (themes, pain
    # points, the journey matrix...): written as DIR/<name>.parquet (and .csv).
    outputs: dict[str, OutputTable] = field(default_factory=dict)
    # Run-level JSON documents (KPIs, changes...): written as DIR/<name>.json.
    documents: dict[str, Any] = field(default_factory=dict)
    # Run-level binary files (a fitted model's safetensors...): written as DIR/<name>.
    files: dict[str, bytes] = field(default_factory=dict)
    # State fitted before the corpus-level stages ran, by the stage it is for: the Ray
    # engine fits themes on a sample and assigns them in its distributed pass.
    prefit: dict[str, Any] = field(default_factory=dict)

    def analyzed(self) -> Iterable[Record]:
        """Records whose text later stages analyse (not empty, not unsupported...)."""
        return (r for r in self.records if r["status"] in ANALYZED_STATUSES)


class Component(Protocol):
    name: ClassVar[str]
    # True when the component looks at one record at a time, so records can be split
    # across worker processes (see voc.pipeline.executor).
    per_record: ClassVar[bool]
    # Its kind and the fields it reads and writes (voc.pipeline.fields).
    declares: ClassVar[Declares]

    def __init__(self, settings: Mapping[str, Any]) -> None: ...

    def __call__(self, tables: Tables) -> Tables: ...


ComponentFactory = type[Component]
_REGISTRY: dict[str, ComponentFactory] = {}


def register(name: str) -> Callable[[ComponentFactory], ComponentFactory]:
    """Register a component class under the name pipeline configs use."""

    def decorate(factory: ComponentFactory) -> ComponentFactory:
        _REGISTRY[name] = factory
        return factory

    return decorate


def _factory(name: str) -> ComponentFactory:
    if name not in _REGISTRY:
        raise ConfigError(
            f"unknown pipeline component '{name}'; available: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name]


def create_component(name: str, settings: Mapping[str, Any]) -> Component:
    return _factory(name)(settings)


def declaration(name: str) -> Declares:
    """What the stage registered as `name` reads and writes, without building it (which
    may load models); a declaration naming a field the output contract lacks fails here."""
    declares = _factory(name).declares
    declares.check(name)
    return declares


def check_pipeline(names: Sequence[str]) -> None:
    """Unknown stage names and a stage before the stage that assigns what it requires are
    one-line ConfigErrors, raised before any component is built or input read."""
    check_order([(name, declaration(name)) for name in names],
                [(name, declaration(name)) for name in registered_components()])


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
