"""The store as a cache around the row stages: a re-run analyses only new or changed records.

`StoreCache` is the RowCache that voc.pipeline.executor.execute consults: it looks every
record up by the content its row stages read (voc.store.keys), hands back the records to
analyse, commits each analysed batch in one transaction (so a killed run resumes where it
stopped), and fills the other records with their stored analyses and segments. The
executor then runs the corpus-level stages (themes, drivers) over the whole data, as it
does without a store.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voc.pipeline.base import Component, Record, RunState, Segment
from voc.store.keys import (
    analysis_fields,
    analysis_inputs,
    config_hash,
    content_hash,
    fingerprint,
    record_key,
    spacy_identity,
)
from voc.store.store import Store

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")
# Analyses of records in these states are not stored: a row that failed may succeed
# on the next run.
_NOT_STORED = frozenset({"error"})


@dataclass
class StoreRun:
    """What a run learned from and wrote to its store (for the manifest and `runs`)."""

    store: Store
    run_id: str
    fingerprint: str
    keys: list[tuple[str, str]]
    counts: dict[str, int] = field(default_factory=dict)
    previous: dict[str, Any] | None = None


class StoreCache:
    """Row-stage output by record content, kept in a store across runs."""

    def __init__(self, store: Store, config: Mapping[str, Any], *, run_id: str,
                 started_at: dt.datetime | None = None, engine: str = "local") -> None:
        self.store = store
        self.config = config
        self.run_id = run_id
        self.started_at = started_at or dt.datetime.now(dt.UTC)
        self.engine = engine
        self.run: StoreRun | None = None
        self._print = ""
        self._hash_of: dict[int, str] = {}
        self._key_of: dict[int, str] = {}
        self._reused: dict[str, dict[str, Any]] = {}
        self._segments: dict[str, list[dict[str, Any]]] = {}
        self._vectors: dict[str, list[np.ndarray | None]] = {}
        self._todo = 0

    def plan(self, state: RunState, components: list[Component]) -> list[Record]:
        """Look the records up; begin this run in the store; return those to analyse."""
        started = time.perf_counter()
        records = state.records
        inputs = analysis_inputs(components)
        hashes = [content_hash(r, inputs) for r in records]
        keys = [(record_key(r, content), content) for r, content in zip(records, hashes,
                                                                        strict=True)]
        self._print, described = fingerprint(components, self.config,
                                             {"spacy": spacy_identity(self.config)})
        self._reused, self._segments, self._vectors = self.store.lookup(
            (k[1] for k in keys), self._print)
        previous = self.store.previous_run(before=self.run_id)
        self.run = StoreRun(self.store, self.run_id, self._print, keys, previous=previous)
        self.run.counts = _change_counts(self.store, previous, keys, self._reused)
        self.store.begin_run(self.run_id, started_at=self.started_at, engine=self.engine,
                             config=self.config, config_hash=config_hash(self.config),
                             fingerprint=self._print, fingerprint_description=described)
        state.stats.timings_s["store_lookup"] = round(time.perf_counter() - started, 3)
        self._hash_of = {r["row_id"]: content for r, (_, content) in zip(records, keys,
                                                                         strict=True)}
        self._key_of = {r["row_id"]: key for r, (key, _) in zip(records, keys, strict=True)}
        todo = [r for r, (_, content) in zip(records, keys, strict=True)
                if content not in self._reused]
        self._todo = len(todo)
        log.info("%d of %d records to analyse, %d reused from the store", len(todo),
                 len(records), len(records) - len(todo),
                 extra={"event": "incremental_plan", "analyse": len(todo),
                        "reuse": len(records) - len(todo)})
        return todo

    def commit(self, batch: RunState) -> None:
        _commit_chunk(self.store, self.run_id, self._print, batch, self._hash_of,
                      self._key_of, batch.stats.timings_s)

    def reuse(self, record: Record) -> list[tuple[Segment, np.ndarray | None]]:
        row_id = record["row_id"]
        content = self._hash_of[row_id]
        record.update(analysis_fields(self._reused[content]))
        found: list[tuple[Segment, np.ndarray | None]] = []
        for segment, vector in zip(self._segments.get(content, []),
                                   self._vectors.get(content, []), strict=True):
            index = segment["segment_index"]
            found.append(({"row_id": row_id, "segment_id": f"{row_id}-{index}",
                           **{k: v for k, v in segment.items() if v is not None
                              or k in _SEGMENT_KEEP_NULL}}, vector))
        return found

    def finish(self, state: RunState) -> None:
        assert self.run is not None  # plan() ran
        total = len(state.records)
        self.run.counts.update(total=total, reused=total - self._todo, analyzed=self._todo,
                               segments=len(state.segments))


def _commit_chunk(store: Store, run_id: str, analysis_print: str, chunk: RunState,
                  hash_of: Mapping[int, str], key_of: Mapping[int, str],
                  timings: dict[str, float]) -> None:
    started = time.perf_counter()
    keep = [(hash_of[r["row_id"]], key_of[r["row_id"]], analysis_fields(r))
            for r in chunk.records if r["status"] not in _NOT_STORED]
    segments = [(hash_of[s["row_id"]], s) for s in chunk.segments]
    stored = store.save_analyses(run_id, analysis_print, keep, segments, chunk.embeddings)
    timings["store_commit"] = round(timings.get("store_commit", 0.0)
                                    + time.perf_counter() - started, 3)
    log.info("committed %d analysed records to the store", stored,
             extra={"event": "store_commit", "records": stored, "run_id": run_id})


def _change_counts(store: Store, previous: Mapping[str, Any] | None,
                   keys: list[tuple[str, str]], reused: Mapping[str, Any]) -> dict[str, int]:
    """New and changed records compared with the previous run: by id, else content hash."""
    before: dict[str, str] = {}
    if previous is not None:
        before = {m["record_key"]: m["content_hash"]
                  for m in store.run_members(previous["run_id"])}
    new = sum(1 for key, _ in keys if key not in before)
    changed = sum(1 for key, content in keys if key in before and before[key] != content)
    return {"new": new, "changed": changed}


# Segment columns a fresh analysis always sets, even to null.
_SEGMENT_KEEP_NULL = frozenset({"segment_index", "text", "lang", "char_start", "char_end",
                                "terms", "sentiment", "sentiment_score", "emotion",
                                "emotion_scores"})
