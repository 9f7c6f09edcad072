"""The per-record stages on several forked workers: same output as one process, and the
pool shuts down under the CLI's SIGTERM handler (its workers must not inherit it)."""

from __future__ import annotations

import signal

import pytest

import voc.pipeline.executor as executor
from voc.pipeline.base import Tables
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
    single = executor.run_pipeline(components, Tables(records=_records(400)), workers=1)
    monkeypatch.setattr(executor, "MIN_PARALLEL_RECORDS", 100)
    parallel = executor.run_pipeline(components, Tables(records=_records(400)), workers=2)
    assert parallel.stats["workers"] == 2
    assert parallel.records == single.records
    assert parallel.segments == single.segments


class _SignalProbe:
    """A per-record stage that notes how the process it runs in handles SIGTERM."""

    name = "probe"
    per_record = True

    def __call__(self, tables: Tables) -> Tables:
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
        tables = executor.run_pipeline([_SignalProbe()], Tables(records=_records(40)),
                                       workers=2)
    assert tables.stats["workers"] == 2
    assert all(r["sigterm_default"] for r in tables.records)
    assert signal.getsignal(signal.SIGTERM) == before  # the CLI put the old one back
