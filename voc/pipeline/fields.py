"""What each pipeline stage reads and writes, declared once, spaCy-style.

Every registered stage declares its kind and the record and segment fields it
`requires` (cannot run without), `optional`ly reads (when an earlier stage set them) and
`assigns`. Fields are named `record.<column>` or `segment.<column>`; their types are the
output contract's (voc.io.schema), looked up rather than repeated here. From these
declarations:

* the stage order is checked before any input is read (`check_order`);
* the incremental store knows which export fields a row stage's output depends on
  (voc.store.keys), instead of a hand-kept list that a new read could silently outgrow;
* `voc pipeline show` prints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

from voc.errors import ConfigError
from voc.io.records import RECORD_INPUT_FIELDS
from voc.io.schema import RECORDS_SCHEMA, SEGMENTS_SCHEMA

RECORD = "record"
SEGMENT = "segment"
# Segment data that never reaches an output file, with what it is: the encoder's vectors
# are held beside the segments (RunState.embeddings, one row per segment), not in them.
IN_MEMORY: dict[str, str] = {f"{SEGMENT}.embedding": "vector (in memory)"}
_SCHEMAS = {RECORD: RECORDS_SCHEMA, SEGMENT: SEGMENTS_SCHEMA}
# What the reader puts in every record before the first stage runs (voc.io.records).
READER_FIELDS: frozenset[str] = frozenset(f"{RECORD}.{name}" for name in RECORD_INPUT_FIELDS)


class Kind(StrEnum):
    """How a stage may be executed, which decides what the store may cache."""

    # A record's (and its segments') output depends only on that record, so any batch
    # split gives the same result and the store reuses it for unchanged records.
    ROW = "row"
    # Fitted on the whole run (or a sample of it) and applied to every segment.
    CORPUS = "corpus"
    # Run-level tables computed from everything the earlier stages produced.
    AGGREGATE = "aggregate"


def record_fields(*names: str) -> tuple[str, ...]:
    return tuple(f"{RECORD}.{name}" for name in names)


def segment_fields(*names: str) -> tuple[str, ...]:
    return tuple(f"{SEGMENT}.{name}" for name in names)


def column(field: str) -> str:
    """`record.text` -> `text`."""
    return field.split(".", 1)[1]


def arrow_type(field: str) -> pa.DataType | None:
    """The field's column type in the output files; None for in-memory data."""
    table, name = field.split(".", 1)
    schema = _SCHEMAS[table]
    index = schema.get_field_index(name)
    return schema.field(index).type if index >= 0 else None


def describe_type(field: str) -> str:
    found = arrow_type(field)
    return str(found) if found is not None else IN_MEMORY[field]


def _check_known(fields: Iterable[str], stage: str) -> None:
    for field in fields:
        table, _, name = field.partition(".")
        if field in IN_MEMORY:
            continue
        if table not in _SCHEMAS or _SCHEMAS[table].get_field_index(name) < 0:
            raise ValueError(f"stage '{stage}' declares '{field}', which is neither a column "
                             "of voc.io.schema's records/segments nor in-memory data")


@dataclass(frozen=True)
class Declares:
    """A stage's kind, whether it may be split across processes, and the fields it reads
    and writes."""

    kind: Kind
    requires: tuple[str, ...] = ()
    # Read when present (`record.get(...)`): no order error when missing, but still an
    # input of the stage's output, which the store's reuse key must cover.
    optional: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ()
    # A row stage: cheap to run in forked worker processes (it holds no model and starts
    # no threads), so the local executor splits its records across CPU cores. A corpus
    # stage: it implements CorpusComponent (collect / fit_shares / transform / adopt), so
    # a distributed executor fits it from its batches' shares and applies it per batch.
    parallel: bool = False

    def reads(self) -> tuple[str, ...]:
        return (*self.requires, *self.optional)

    def check(self, stage: str) -> None:
        """Every field is one the output contract (or IN_MEMORY) knows: a typo in a
        declaration fails when the stage is registered, not as a wrong order check."""
        _check_known((*self.requires, *self.optional, *self.assigns), stage)


def check_order(stages: Sequence[tuple[str, Declares]],
                registered: Sequence[tuple[str, Declares]] = ()) -> None:
    """A ConfigError naming the first stage that requires a field no earlier stage assigns
    (nor the reader provides): a misordered pipeline fails before any input is read.
    `registered` (every known stage) only serves to say which stage would provide it."""
    available = set(READER_FIELDS)
    for position, (name, declares) in enumerate(stages):
        for field in declares.requires:
            if field in available:
                continue
            later = [other for other, d in stages[position + 1:] if field in d.assigns]
            providers = [other for other, d in registered if field in d.assigns]
            if later:
                hint = f"; '{later[0]}' assigns it: put it before '{name}'"
            elif providers:
                hint = f"; add '{providers[0]}' before '{name}'"
            else:
                hint = ""
            raise ConfigError(f"pipeline order: stage '{name}' requires {field}, which no "
                              f"earlier stage assigns{hint}")
        available.update(declares.assigns)
