"""Incremental runs over a DuckDB store: reuse, invalidation, crashes, locks, damage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, write_csv
from voc.store.store import Store, store_path

# Every store test runs 'voc analyze --store' end to end, several times each.
pytestmark = pytest.mark.slow

ANSWERS = [
    "The delivery was two days late and the courier was rude",
    "سفارشم خیلی دیر رسید ولی کیفیت غذا عالی بود",
    "Great prices and fast shipping",
    "",
    "پشتیبانی اصلا جواب نمیده",
    "The app crashes every time I try to pay",
    "کد تخفیف موقع خرید اعمال نشد",
    "Love the new loyalty program!!",
]


def export(path: Path, n: int, edits: dict[int, str] | None = None) -> Path:
    rows = [["id", "comment", "nps", "channel"]]
    for index in range(n):
        text = (edits or {}).get(index, f"{ANSWERS[index % len(ANSWERS)]} #{index}"
                                 if ANSWERS[index % len(ANSWERS)] else "")
        rows.append([f"r{index}", text, str(index % 11), "app" if index % 2 else "web"])
    return write_csv(path, rows)


def manifest(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


def analysed_columns(out: Path) -> list[dict]:
    rows = pq.read_table(out / "records.parquet").to_pylist()
    return [{k: v for k, v in r.items() if k not in ("source",)} for r in rows]


def test_rerun_reuses_everything_and_gives_the_same_outputs(run_cli, tmp_path: Path) -> None:
    data = export(tmp_path / "export.csv", 6)
    store = tmp_path / "voc.duckdb"
    first = run_cli("analyze", data, "--out", tmp_path / "a", "--store", store, "--quiet")
    assert first.code == 0, first.stderr
    assert manifest(tmp_path / "a")["store"]["analyzed"] == 6
    second = run_cli("analyze", data, "--out", tmp_path / "b", "--store", f"duckdb:{store}",
                     "--quiet")
    assert second.code == 0, second.stderr
    facts = manifest(tmp_path / "b")["store"]
    assert (facts["analyzed"], facts["reused"], facts["new"], facts["changed"]) == (0, 6, 0, 0)
    assert analysed_columns(tmp_path / "a") == analysed_columns(tmp_path / "b")
    assert pq.read_table(tmp_path / "a" / "segments.parquet").to_pylist() == \
        pq.read_table(tmp_path / "b" / "segments.parquet").to_pylist()
    # The models that produced the reused analyses are still named.
    assert "encoder_sha256" in manifest(tmp_path / "b")["models"]


def test_grown_and_edited_exports_analyse_only_what_is_new(run_cli, tmp_path: Path) -> None:
    store = tmp_path / "voc.duckdb"
    assert run_cli("analyze", export(tmp_path / "day1.csv", 5), "--out", tmp_path / "a",
                   "--store", store, "--quiet").code == 0
    grown = export(tmp_path / "day2.csv", 8, edits={1: "Refund took THREE WEEKS"})
    result = run_cli("analyze", grown, "--out", tmp_path / "b", "--store", store, "--quiet")
    assert result.code == 0, result.stderr
    facts = manifest(tmp_path / "b")["store"]
    assert facts["new"] == 3 and facts["changed"] == 1
    assert facts["analyzed"] == 4 and facts["reused"] == 4
    records = pq.read_table(tmp_path / "b" / "records.parquet").to_pylist()
    assert [r["id"] for r in records] == [f"r{i}" for i in range(8)]
    assert records[1]["text"] == "Refund took THREE WEEKS"
    assert "Refund" in records[1]["text_normalized"] and records[1]["n_segments"] == 1


def test_changed_row_local_config_reanalyses_and_other_settings_do_not(
        run_cli, tmp_path: Path) -> None:
    data = export(tmp_path / "export.csv", 4)
    store = tmp_path / "voc.duckdb"
    assert run_cli("analyze", data, "--out", tmp_path / "a", "--store", store,
                   "--quiet").code == 0
    # Batch size of store commits and the output format do not change any analysis.
    same = run_cli("analyze", data, "--out", tmp_path / "b", "--store", store, "--quiet",
                   "--commit-every", "1", "--format", "csv")
    assert same.code == 0 and manifest(tmp_path / "b")["store"]["analyzed"] == 0
    config = tmp_path / "pipeline.yaml"
    config.write_text("segment:\n  contrastive: false\n", encoding="utf-8")
    changed = run_cli("analyze", data, "--out", tmp_path / "c", "--store", store, "--quiet",
                      "--config", config)
    assert changed.code == 0, changed.stderr
    assert manifest(tmp_path / "c")["store"]["analyzed"] == 4
    segments = pq.read_table(tmp_path / "c" / "segments.parquet").to_pylist()
    # Without contrastive splitting the "ولی" answer stays one segment.
    assert len([s for s in segments if s["row_id"] == 1]) == 1
    # Going back to the default config finds the first analyses again.
    back = run_cli("analyze", data, "--out", tmp_path / "d", "--store", store, "--quiet")
    assert back.code == 0 and manifest(tmp_path / "d")["store"]["analyzed"] == 0


def _voc(*args: str | Path) -> list[str]:
    return [str(Path(sys.executable).with_name("voc")), *map(str, args)]


def _signal_mid_run(tmp_path: Path, signum: int) -> tuple[subprocess.Popen[str], str]:
    """Start a run over 40 records committed 2 at a time; send `signum` once the first
    batch is committed. Returns the finished process and the rest of its stderr."""
    command = _voc("analyze", export(tmp_path / "export.csv", 40), "--out",
                   tmp_path / "stopped", "--store", tmp_path / "voc.duckdb",
                   "--commit-every", "2", "--log-format", "json", "--workers", "1")
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stderr is not None
    for line in process.stderr:
        if '"store_commit"' in line:
            process.send_signal(signum)
            break
    _, rest = process.communicate(timeout=120)
    assert not (tmp_path / "stopped" / "run.json").exists()  # it really stopped mid-run
    return process, rest


def _committed_and_resumed(tmp_path: Path, *, read_only: bool) -> tuple[int, dict]:
    """The stopped run's store: sound, its run interrupted, some records committed; then
    the same command again (no --wait: the lock must be free). Returns the committed
    count and the resumed run's store facts."""
    store = tmp_path / "voc.duckdb"
    with Store.open(store, read_only=read_only) as opened:
        assert opened.check() == []
        committed = opened.query("SELECT count(*) AS n FROM records").to_pylist()[0]["n"]
        assert 2 <= committed < 40
        assert [r["status"] for r in opened.runs()] == ["interrupted"]
    resumed = subprocess.run(_voc("analyze", tmp_path / "export.csv", "--out",
                                  tmp_path / "resumed", "--store", store, "--quiet"),
                             cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(pq.read_table(tmp_path / "resumed" / "records.parquet")) == 40
    return committed, manifest(tmp_path / "resumed")["store"]


def test_killed_run_loses_nothing_committed_and_the_next_run_resumes(tmp_path: Path) -> None:
    process, _ = _signal_mid_run(tmp_path, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    # Opening for writing marks the dead run interrupted.
    committed, facts = _committed_and_resumed(tmp_path, read_only=False)
    assert facts["reused"] >= committed
    assert facts["analyzed"] == 40 - facts["reused"]


def test_sigterm_stops_cleanly_marks_the_run_and_frees_the_store(tmp_path: Path) -> None:
    """A scheduler's timeout sends SIGTERM: the run stops with exit 143 and one line, the
    batch in flight is rolled back, the run is marked interrupted, the lock is free, and
    the next run (without --wait) resumes."""
    process, rest = _signal_mid_run(tmp_path, signal.SIGTERM)
    assert process.returncode == 143
    last = [line for line in rest.splitlines() if line.strip()][-1]
    assert last.startswith("stopped by SIGTERM") and "Traceback" not in rest
    # Read-only: that open marks nothing, so the stopped run marked itself.
    committed, facts = _committed_and_resumed(tmp_path, read_only=True)
    assert facts["reused"] == committed and facts["analyzed"] == 40 - committed


def test_a_second_run_on_a_busy_store_exits_2_or_waits(run_cli, tmp_path: Path) -> None:
    data = export(tmp_path / "export.csv", 2)
    store = tmp_path / "voc.duckdb"
    holder = Store.open(store)
    try:
        busy = run_cli("analyze", data, "--out", tmp_path / "a", "--store", store, "--quiet")
        assert busy.code == 2
        assert "in use by another voc run" in busy.stderr and "--wait" in busy.stderr
        assert len(busy.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "a" / "run.json").exists()
        released = threading.Timer(1.5, holder.close)
        released.start()
        started = time.monotonic()
        waited = run_cli("analyze", data, "--out", tmp_path / "b", "--store", store,
                         "--quiet", "--wait")
        assert waited.code == 0, waited.stderr
        assert time.monotonic() - started >= 1.0
    finally:
        holder.close()


def test_concurrent_processes_serialise_on_the_lock(tmp_path: Path) -> None:
    data = export(tmp_path / "export.csv", 3)
    store = tmp_path / "voc.duckdb"
    runs = [subprocess.Popen(_voc("analyze", data, "--out", tmp_path / f"run{i}", "--store",
                                  store, "--wait", "--quiet"), cwd=REPO,
                             stderr=subprocess.PIPE, text=True) for i in range(2)]
    for process in runs:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    analysed = sorted(manifest(tmp_path / f"run{i}")["store"]["analyzed"] for i in range(2))
    assert analysed == [0, 3]
    with Store.open(store) as opened:
        assert opened.check() == []
        assert [r["status"] for r in opened.runs()] == ["done", "done"]


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_store_gives_one_line_saying_what_to_do(run_cli, tmp_path: Path,
                                                          damage: str) -> None:
    store = tmp_path / "voc.duckdb"
    data = export(tmp_path / "export.csv", 2)
    if damage == "garbage":
        store.write_bytes(b"this is not a database\n" * 200)
    else:
        assert run_cli("analyze", data, "--out", tmp_path / "a", "--store", store,
                       "--quiet").code == 0
        content = store.read_bytes()
        store.write_bytes(content[: len(content) // 3] + b"\0" * 4096)
    result = run_cli("analyze", data, "--out", tmp_path / "b", "--store", store, "--quiet")
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "move it aside" in lines[0] or "integrity" in lines[0]


def test_store_locations() -> None:
    assert store_path("duckdb:voc.duckdb") == Path("voc.duckdb")
    assert store_path("duckdb:///data/voc.duckdb") == Path("data/voc.duckdb")
    assert store_path("duckdb:////srv/voc.duckdb") == Path("/srv/voc.duckdb")
    assert store_path("/srv/voc.duckdb") == Path("/srv/voc.duckdb")


def test_theme_ids_carry_over_from_the_previous_store_run(tmp_path: Path) -> None:
    import datetime as dt

    from voc.store.session import carry_state

    previous_out = tmp_path / "night1"
    previous_out.mkdir()
    with Store.open(tmp_path / "voc.duckdb") as store:
        config = {"pipeline": ["segment", "themes"], "themes": {"min_cluster_size": 5}}
        assert carry_state(config, store) == {}  # no previous run yet
        store.begin_run("r1", started_at=dt.datetime.now(dt.UTC), engine="local", config={},
                        config_hash="c", fingerprint="f", fingerprint_description={})
        store.finish_run("r1", records=[], keys=[], fingerprint="f",
                         counts=dict.fromkeys(("total", "new", "changed", "reused",
                                               "analyzed", "segments"), 0),
                         groups=[], manifest={}, out_dir=previous_out)
        assert carry_state(config, store) == {}  # that run saved no theme state
        for name in ("themes_model.json", "themes_model.safetensors"):
            (previous_out / name).write_text("{}", encoding="utf-8")
        assert carry_state(config, store) == {"themes": str(previous_out)}
        assert config["themes"] == {"min_cluster_size": 5, "previous": str(previous_out)}
        named = {"pipeline": ["themes"], "themes": {"previous": "/elsewhere"}}
        assert carry_state(named, store) == {}
        assert named["themes"]["previous"] == "/elsewhere"


def test_a_store_from_before_respondents_were_counted_gains_the_column(tmp_path: Path) -> None:
    import datetime as dt

    path = tmp_path / "voc.duckdb"
    with Store.open(path) as store:  # then made to look like a store written before
        store.con.execute("ALTER TABLE run_groups DROP COLUMN respondents")
        store.con.execute("INSERT INTO run_groups (run_id, dimension, key, records) "
                          "VALUES ('r0', 'overall', 'all', 3)")
    with Store.open(path) as store:
        store.begin_run("r1", started_at=dt.datetime.now(dt.UTC), engine="local", config={},
                        config_hash="c", fingerprint="f", fingerprint_description={})
        store.finish_run("r1", records=[], keys=[], fingerprint="f",
                         counts=dict.fromkeys(("total", "new", "changed", "reused",
                                               "analyzed", "segments"), 0),
                         groups=[{"dimension": "overall", "key": "all", "label": "all",
                                  "records": 4, "respondents": 2}],
                         manifest={}, out_dir=tmp_path)
        assert store.run_groups("r1")[0]["respondents"] == 2
        assert store.run_groups("r0")[0]["respondents"] is None


def test_identical_answers_and_ids_rerun_to_byte_identical_tables(run_cli,
                                                                  tmp_path: Path) -> None:
    """Identical short answers share a content hash: a store re-run of the unchanged export
    multiplied their segments (6 copies of one answer: 6 -> 36 segments), inflating its
    theme's share and firing alerts. Repeated ids (a row exported twice) too."""
    rows = [["id", "comment", "nps"]]
    rows += [[f"d{i}", "خیلی خوب بود. ممنون از پیک", "9"] for i in range(6)]
    rows += [[f"u{i}", f"{ANSWERS[i % 3]} #{i}", str(i)] for i in range(4)]
    rows += [["X2", "پشتیبانی اصلا جواب نداد", "1"], ["X2", "پشتیبانی اصلا جواب نداد", "1"]]
    data = write_csv(tmp_path / "dups.csv", rows)
    store = tmp_path / "voc.duckdb"
    outputs = []
    for name in ("a", "b", "c"):
        result = run_cli("analyze", data, "--out", tmp_path / name, "--store", store,
                         "--format", "csv", "-q")
        assert result.code == 0, result.stderr
        outputs.append(tmp_path / name)
    first = pq.read_table(outputs[0] / "segments.parquet").to_pylist()
    assert len({s["row_id"] for s in first}) == 12
    assert sum(1 for s in first if s["row_id"] < 6) == 12  # 2 segments per copy, no more
    for out in outputs[1:]:
        assert manifest(out)["store"]["reused"] == 12
        for table in ("records.csv", "segments.csv"):
            assert (out / table).read_bytes() == (outputs[0] / table).read_bytes(), table
    with Store.open(store, read_only=True) as opened:
        per_content = opened.query("SELECT content_hash, count(*) AS n FROM segments "
                                   "GROUP BY content_hash").to_pylist()
    assert max(row["n"] for row in per_content) == 2


def _store_with_embeddings(path: Path, n: int = 2000) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    with Store.open(path) as store:
        store.save_analyses(
            "run-1", "fp",
            [(f"h{i}", f"k{i}", {"text": f"answer {i}", "status": "ok"}) for i in range(n)],
            [(f"h{i}", {"row_id": i, "segment_index": 0, "text": f"answer {i}"})
             for i in range(n)],
            rng.standard_normal((n, 384)).astype(np.float32))


def test_a_damaged_block_anywhere_is_found_when_the_store_opens(tmp_path: Path) -> None:
    """Damage in a block of embeddings was found only when a run read them, mid-run (exit
    3); the open-time check now reads every column of every table."""
    import duckdb

    from voc.store.store import StoreError

    clean = tmp_path / "clean.duckdb"
    _store_with_embeddings(clean)
    data = clean.read_bytes()
    damaged_blocks = 0
    for offset in range(12_288 + 100_000, len(data), 262_144):  # mid-block, each block
        copy = tmp_path / "damaged.duckdb"
        copy.write_bytes(data[:offset] + b"\xff" * 64 + data[offset + 64:])
        try:
            with duckdb.connect(str(copy), read_only=True) as con:
                for (table,) in con.execute("SHOW TABLES").fetchall():
                    con.execute(f"SELECT * FROM {table}").fetchall()
        except duckdb.Error:
            damaged_blocks += 1
            with pytest.raises(StoreError, match="damaged"):
                Store.open(copy).close()
    assert damaged_blocks >= 3


def test_a_store_that_cannot_be_written_is_not_called_damaged(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from voc.store import store as store_module
    from voc.store.store import StoreError

    path = tmp_path / "voc.duckdb"
    _store_with_embeddings(path, 10)
    # (The tests run as root, whom chmod does not stop: the permission check is simulated.)
    real_access = os.access
    monkeypatch.setattr(store_module.os, "access",
                        lambda where, mode: Path(where) != path and real_access(where, mode))
    result = run_cli("analyze", export(tmp_path / "e.csv", 2), "--out", tmp_path / "o",
                     "--store", path, "-q")
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "cannot write" in result.stderr and "intact" in result.stderr
    assert "damaged" not in result.stderr
    monkeypatch.undo()

    # A full disk during a commit: DuckDB's rollback then fails too ("cannot rollback"),
    # which used to replace the cause in the message.
    def full(*_: object) -> None:
        raise duckdb.IOException("IO Error: Could not write file: No space left on device")

    with Store.open(path) as store:
        monkeypatch.setattr(store, "_insert", full)
        with pytest.raises(StoreError, match=r"No space left on device.*intact"):
            store.save_analyses("run-2", "fp", [("h", "k", {"text": "t"})], [], None)
