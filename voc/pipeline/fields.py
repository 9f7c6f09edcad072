"""What each pipeline stage reads and writes, declared once, spaCy-style.

Every registered stage declares its kind, the record and segment fields it `requires`
(cannot run without), `optional`ly reads (when an earlier stage set them) and `assigns`,
and the run-level `tables` it writes. Fields are named `record.<column>` or
`segment.<column>`. An assigned field is a `Field`: its Arrow type in the output files and
a one-line description, declared by the stage that produces it (the reader declares the
fields every record starts with, voc.io.records). From these declarations:

* the stage order is checked before any input is read (`check_order`);
* the output files' schemas are assembled (voc.io.schema), so a column's type lives
  beside the code that fills it;
* the incremental store knows which export fields a row stage's output depends on
  (voc.store.keys), instead of a hand-kept list that a new read could silently outgrow;
* `voc pipeline show` prints them.

This module imports nothing else of voc's but its errors: the reader and every stage
import it to declare their fields.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa

from voc.errors import ConfigError

RECORD = "record"
SEGMENT = "segment"


class Kind(StrEnum):
    """How a stage may be executed, which decides what the store may cache."""

    # A record's (and its segments') output depends only on that record, so any batch
    # split gives the same result and the store reuses it for unchanged records.
    ROW = "row"
    # Fitted on the whole run (or a sample of it) and applied to every segment.
    CORPUS = "corpus"
    # Run-level tables computed from everything the earlier stages produced.
    AGGREGATE = "aggregate"


@dataclass(frozen=True)
class Field:
    """A record or segment field a stage (or the reader) produces: its column type in
    records.parquet / segments.parquet, or None for data held in memory beside the rows
    and never written (the encoder's vectors), and what it holds, in one line."""

    table: str  # RECORD or SEGMENT
    name: str
    type: pa.DataType | None
    doc: str = ""

    @property
    def key(self) -> str:
        """`record.lang`: how declarations and messages name it."""
        return f"{self.table}.{self.name}"

    def describe(self) -> str:
        return str(self.type) if self.type is not None else "vector (in memory)"


def record_field(name: str, arrow_type: pa.DataType | None, doc: str = "") -> Field:
    return Field(RECORD, name, arrow_type, doc)


def segment_field(name: str, arrow_type: pa.DataType | None, doc: str = "") -> Field:
    return Field(SEGMENT, name, arrow_type, doc)


def record_fields(*names: str) -> tuple[str, ...]:
    """Record fields a stage reads, by name: their types are their producers'."""
    return tuple(f"{RECORD}.{name}" for name in names)


def segment_fields(*names: str) -> tuple[str, ...]:
    return tuple(f"{SEGMENT}.{name}" for name in names)


def column(key: str) -> str:
    """`record.text` -> `text`."""
    return key.split(".", 1)[1]


@dataclass(frozen=True)
class CarriedState:
    """State a stage saves in its run's output directory and starts from in a later run
    when its `setting` names that directory (the themes' fitted model keeps theme ids
    stable). The store points `setting` at its previous run's directory when the config
    leaves it unset, so the store needs no stage's name or file names."""

    setting: str
    # Saved in the output directory; all must be there for the state to be carried.
    files: tuple[str, ...]


@dataclass(frozen=True)
class Declares:
    """A stage's kind, whether it may be split across processes, the fields it reads and
    writes, and the run-level tables it writes."""

    kind: Kind
    requires: tuple[str, ...] = ()
    # Read when present (`record.get(...)`): no order error when missing, but still an
    # input of the stage's output, which the store's reuse key must cover.
    optional: tuple[str, ...] = ()
    # With their types: the output schemas are assembled from these (voc.io.schema).
    assigns: tuple[Field, ...] = ()
    # Run-level tables, by output name (RunState.outputs; DIR/<name>.parquet and .csv),
    # with their fixed column types.
    tables: Mapping[str, pa.Schema] = field(default_factory=dict)
    # A row stage: cheap to run in forked worker processes (it holds no model and starts
    # no threads), so the local executor splits its records across CPU cores. A corpus
    # stage: it implements CorpusComponent (collect / fit_shares / transform / adopt), so
    # a distributed executor fits it from its batches' shares and applies it per batch.
    parallel: bool = False
    carries: CarriedState | None = None

    def reads(self) -> tuple[str, ...]:
        return (*self.requires, *self.optional)

    def assigned(self) -> tuple[str, ...]:
        """The assigned fields' keys (`record.lang`)."""
        return tuple(f.key for f in self.assigns)


def merge_fields(declared: Iterable[tuple[str, Field]]) -> dict[str, Field]:
    """(declarer, field) pairs as one Field per key, the first declaration's (its doc); a
    ValueError when two declarations of one field disagree on its type, since the column
    can have only one (several stages assign `record.status`)."""
    merged: dict[str, Field] = {}
    by: dict[str, str] = {}
    for declarer, one in declared:
        known = merged.get(one.key)
        if known is None:
            merged[one.key], by[one.key] = one, declarer
        elif known.type != one.type:
            raise ValueError(f"'{declarer}' declares {one.key} as {one.describe()}, but "
                             f"'{by[one.key]}' declares it as {known.describe()}: a field "
                             "has one type")
    return merged


def check_known(declares: Declares, stage: str, known: Collection[str]) -> None:
    """Every field the stage reads is one the reader or some stage declares producing: a
    typo in a declaration fails when the stage is looked up, not as a wrong order check
    or a silently missing column."""
    for key in declares.reads():
        if key not in known:
            raise ValueError(f"stage '{stage}' reads '{key}', which neither the reader "
                             "nor any registered stage assigns")


def check_order(stages: Sequence[tuple[str, Declares]],
                registered: Sequence[tuple[str, Declares]] = (),
                provided: Iterable[str] = ()) -> None:
    """A ConfigError naming the first stage that requires a field no earlier stage assigns
    (nor the reader provides: `provided`): a misordered pipeline fails before any input is
    read. `registered` (every known stage) only serves to say which stage would provide
    it."""
    available = set(provided)
    for position, (name, declares) in enumerate(stages):
        for key in declares.requires:
            if key in available:
                continue
            later = [other for other, d in stages[position + 1:] if key in d.assigned()]
            providers = [other for other, d in registered if key in d.assigned()]
            if later:
                hint = f"; '{later[0]}' assigns it: put it before '{name}'"
            elif providers:
                hint = f"; add '{providers[0]}' before '{name}'"
            else:
                hint = ""
            raise ConfigError(f"pipeline order: stage '{name}' requires {key}, which no "
                              f"earlier stage assigns{hint}")
        available.update(declares.assigned())
