"""The per-record stages on several forked workers: same output as one process, and the
pool shuts down under the CLI's SIGTERM handler (its workers must not inherit it)."""

from __future__ import annotations

import signal

import pyarrow as pa
import pytest

import voc.pipeline.executor as executor
from voc.pipeline.base import CorpusFit, RunState
from voc.pipeline.fields import Declares, Kind, record_field, record_fields
from voc.pipeline.run import build_components

STAGES = ["language", "redact", "normalize", "segment"]


def _records(count: int) -> list[dict]:
    texts = ["Delivery was late, but the courier was kind.",
             "ارسال خیلی دیر بود ولی پشتیبانی خوب بود",
             "app kheili kond bood", "Call me at 0912 345 6789 about order 5521."]
    return [{"row_id": i, "text": f"{texts[i % 4]} #{i}", "status": "ok", "question": "q"}
            for i in range(count)]


def test_parallel_workers_give_the_single_process_output(
        monkeypatch: pytest.MonkeyPatch) -> None:
    components = build_components({"pipeline": STAGES})
    single = executor.run_pipeline(components, RunState(records=_records(400)), workers=1)
    monkeypatch.setattr(executor, "MIN_PARALLEL_RECORDS", 100)
    parallel = executor.run_pipeline(components, RunState(records=_records(400)), workers=2)
    assert parallel.stats.workers == 2
    assert parallel.records == single.records
    assert parallel.segments == single.segments


class _SignalProbe:
    """A per-record stage that notes how the process it runs in handles SIGTERM."""

    name = "probe"
    declares = Declares(Kind.ROW, parallel=True)

    def __call__(self, tables: RunState) -> RunState:
        default = signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        for record in tables.records:
            record["sigterm_default"] = default
        return tables


def test_workers_die_on_sigterm_even_under_the_cli_handler(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool stops its workers with SIGTERM: workers that inherited the CLI's handler
    (which unwinds instead of dying) once left a 100k-row run hanging at the pool's end."""
    from voc.cli.app import _stop_on_sigterm

    monkeypatch.setattr(executor, "MIN_PARALLEL_RECORDS", 10)
    before = signal.getsignal(signal.SIGTERM)
    with _stop_on_sigterm():
        assert signal.getsignal(signal.SIGTERM) != signal.SIG_DFL
        tables = executor.run_pipeline([_SignalProbe()], RunState(records=_records(40)),
                                       workers=2)
    assert tables.stats.workers == 2
    assert all(r["sigterm_default"] for r in tables.records)
    assert signal.getsignal(signal.SIGTERM) == before  # the CLI put the old one back


# ---------------------------------------------------------------- execute(), by kind

class _Stage:
    """A stage whose kind and behaviour a test sets; it notes what it saw."""

    name = "stage"
    declares = Declares(Kind.ROW)
    seen: list[tuple[str, list[int]]]

    def __init__(self, name: str, kind: Kind, *, parallel: bool = False,
                 requires: tuple[str, ...] = ()) -> None:
        self.name = name
        self.declares = Declares(kind, parallel=parallel, requires=requires,
                                 assigns=(record_field("lang", pa.string()),) if kind is Kind.ROW
                                 else ())
        self.seen = []

    def __call__(self, tables: RunState) -> RunState:
        self.seen.append((self.name, [r["row_id"] for r in tables.records]))
        for record in tables.records:
            record.setdefault("trail", []).append(self.name)
        return tables


class _Corpus(_Stage):
    """A corpus stage implementing the batch protocol: its fit is the sum of row ids."""

    def collect(self, batch: RunState) -> int:
        return sum(r["row_id"] for r in batch.records)

    def fit_shares(self, shares: list[int]) -> CorpusFit:
        return CorpusFit(sum(shares))

    def transform(self, batch: RunState, fit: CorpusFit) -> list[dict]:
        return [{"fit": fit.model} for _ in batch.segments]

    def adopt(self, fit: CorpusFit, transformed: dict) -> int:
        return int(fit.model)


class _Reversed:
    """An executor whose batches come back in reverse order (as Ray's may), fitting the
    corpus stages it is given from their shares."""

    name = "reversed"

    def __init__(self, size: int) -> None:
        self.size = size
        self.fits: dict = {}
        self.timings: dict = {"reversed_pass": 0.5}
        self.corpus_seen: list[str] = []

    def map_rows(self, components: list, records: list, corpus: list = ()):  # type: ignore[no-untyped-def]
        from voc.pipeline.run import run_components

        batches = [run_components(components, RunState(records=records[i: i + self.size]))
                   for i in range(0, len(records), self.size)]
        self.corpus_seen = [c.name for c in corpus]
        shares = {c.name: [c.collect(b) for b in batches] for c in corpus}
        yield from reversed(batches)
        for component in corpus:
            fit = component.fit_shares(shares[component.name])
            self.fits[component.name] = component.adopt(fit, {})


def _stages() -> list[_Stage]:
    return [_Stage("rows_a", Kind.ROW, parallel=True), _Stage("rows_b", Kind.ROW),
            _Corpus("corpus", Kind.CORPUS, parallel=True, requires=record_fields("lang")),
            _Corpus("serial", Kind.CORPUS), _Stage("aggregate", Kind.AGGREGATE)]


def test_execute_runs_row_stages_in_batches_and_the_rest_once_in_order() -> None:
    stages = _stages()
    runner = _Reversed(size=3)
    tables = executor.execute(stages, RunState(records=_records(8)), runner)
    # Records come back in input order whatever order the batches finished in.
    assert [r["row_id"] for r in tables.records] == list(range(8))
    assert all(r["trail"] == ["rows_a", "rows_b", "corpus", "serial", "aggregate"]
               for r in tables.records)
    assert [ids for _, ids in stages[0].seen] == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert stages[2].seen == [("corpus", list(range(8)))]  # once, on the whole run
    # Only the parallel corpus stage is offered to the executor; its fit is adopted.
    assert runner.corpus_seen == ["corpus"]
    assert tables.artifacts.fits == {"corpus": sum(range(8))}
    assert tables.stats.timings_s["reversed_pass"] == 0.5


def test_corpus_stages_are_not_fitted_from_batches_that_are_not_the_whole_run() -> None:
    class Cache:
        def plan(self, state: RunState, components: list) -> list:  # type: ignore[type-arg]
            return [r for r in state.records if r["row_id"] % 2]

        def commit(self, batch: RunState) -> None:
            committed.extend(r["row_id"] for r in batch.records)

        def reuse(self, record: dict) -> list:  # type: ignore[type-arg]
            record["trail"] = ["stored"]
            return [({"row_id": record["row_id"], "text": "kept"}, None)]

        def finish(self, state: RunState) -> None:
            finished.append(len(state.segments))

    committed: list[int] = []
    finished: list[int] = []
    runner = _Reversed(size=2)
    tables = executor.execute(_stages(), RunState(records=_records(6)), runner, cache=Cache())
    assert sorted(committed) == [1, 3, 5]
    assert runner.corpus_seen == []  # the batches hold half of the run
    assert [r["trail"][0] for r in tables.records] == ["stored", "rows_a"] * 3
    assert [s["row_id"] for s in tables.segments] == [0, 2, 4] and finished == [3]


def test_a_corpus_stage_needing_more_than_the_row_stages_give_stays_on_the_driver() -> None:
    rows = [_Stage("rows", Kind.ROW)]
    needy = _Corpus("needy", Kind.CORPUS, parallel=True, requires=record_fields("themes"))
    able = _Corpus("able", Kind.CORPUS, parallel=True, requires=record_fields("lang"))
    assert [c.name for c in executor.batch_corpus(rows, [needy, able])] == ["able"]


def test_local_batches_give_the_single_batch_output() -> None:
    components = build_components({"pipeline": STAGES})
    whole = executor.execute(components, RunState(records=_records(60)),
                             executor.LocalExecutor(1))
    batched = executor.execute(components, RunState(records=_records(60)),
                               executor.LocalExecutor(1, batch_size=7))
    assert batched.records == whole.records
    assert batched.segments == whole.segments
    assert batched.stats.redactions == whole.stats.redactions


def test_the_executors_and_the_store_name_no_stage() -> None:
    """Executors and the store see kinds, protocols and declarations only: no stage name,
    no stage's module."""
    import re
    from pathlib import Path

    import voc

    root = Path(voc.__file__).parent
    paths = [*(root / "engine_ray").glob("*.py"), root / "pipeline" / "executor.py",
             *(root / "store").glob("*.py")]
    assert len(paths) > 4
    for path in paths:
        source = path.read_text(encoding="utf-8")
        code = re.sub(r'"""[\s\S]*?"""|#.*', "", source)  # docstrings and comments aside
        for stage in ("language", "redact", "normalize", "segment", "classify", "journey",
                      "themes", "drivers"):
            assert f'"{stage}"' not in code and f"voc.{stage}" not in code, (path.name, stage)


def test_batch_statistics_add_up_in_a_fixed_order() -> None:
    """Ray's batches finish in any order: the run's counts must not show it."""
    from voc.pipeline.base import RunStats

    def batch(**redactions: int) -> RunStats:
        return RunStats(timings_s={"redact": 1.0}, redactions=redactions,
                        encoder_cache={"unique_texts": 2, "from_cache": 1})

    one, other = RunStats(), RunStats()
    for stats in (batch(PHONE=1, URL=2), batch(EMAIL=3, PHONE=1)):
        one.add(stats)
    for stats in (batch(EMAIL=3, PHONE=1), batch(PHONE=1, URL=2)):
        other.add(stats)
    assert list(one.redactions.items()) == list(other.redactions.items()) == \
        [("EMAIL", 3), ("PHONE", 2), ("URL", 2)]
    assert one.encoder_cache == {"unique_texts": 4, "from_cache": 2}
    assert one.timings_s == {"redact": 2.0}
