"""The notebook API (issue #19): `voc.analyze` runs the CLI's pipeline and returns its tables."""

from __future__ import annotations

import csv
import dataclasses
import html
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import voc
import voc.analysis
from tests.conftest import REPO, SAMPLES
from voc.cli.app import main
from voc.pipeline.config import DEFAULT_CONFIG

ROWS = 60


def _survey_frame() -> pd.DataFrame:
    """The sample survey's first rows under Persian column names, as a researcher's frame."""
    with (SAMPLES / "survey_export.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))[:ROWS]
    return pd.DataFrame({
        "شناسه": [r["response_id"] for r in rows],
        "کانال": [r["channel"] for r in rows],
        "امتیاز توصیه": [int(r["nps_score"]) for r in rows],
        "نظر": [r["q1_reason"] for r in rows],
    })


@pytest.fixture(scope="module")
def frame_run() -> voc.Analysis:
    return voc.analyze(_survey_frame(), quiet=True)


def test_import_voc_is_cheap() -> None:
    code = ("import sys, voc; heavy = [m for m in ('torch', 'pandas', 'pyarrow', 'spacy', "
            "'transformers', 'voc.analysis') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_a_dataframe_with_persian_column_names_is_analysed(frame_run: voc.Analysis) -> None:
    records = frame_run.records
    assert isinstance(records, pd.DataFrame)
    assert len(records) == ROWS
    assert set(records["question"]) == {"نظر"}
    assert set(records["source"]) == {"DataFrame"}
    assert records["id"].tolist()[:2] == ["R-10001", "R-10002"]
    assert records["nps"].notna().all()
    inputs = frame_run.manifest["inputs"]
    assert [(i["format"], i["sha256"]) for i in inputs] == [("dataframe", None)]
    assert inputs[0]["columns"]["text"] == ["نظر"]
    assert inputs[0]["columns"]["scores"] == {"امتیاز توصیه": "nps"}
    assert inputs[0]["columns"]["channel"] == "کانال"


def test_the_result_holds_every_table_kpis_and_the_report(frame_run: voc.Analysis) -> None:
    for name in ("records", "segments", "themes", "pain_points", "drivers", "journey"):
        table = getattr(frame_run, name)
        assert isinstance(table, pd.DataFrame), name
        assert not table.empty, name
    assert {"segment_id", "text", "sentiment", "theme_id"} <= set(frame_run.segments.columns)
    assert frame_run.kpis["overall"]["nps"]["n"] == ROWS
    report = frame_run.report_html()
    assert report.lstrip().lower().startswith("<!doctype html>")
    assert "Content-Security-Policy" in report
    inline = frame_run._repr_html_()
    assert inline.startswith("<iframe srcdoc=") and "sandbox" in inline
    assert html.escape(report, quote=True) in inline
    assert f"{ROWS} records" in repr(frame_run)
    # The same defaults as `voc analyze`: the built-in config, nothing changed.
    assert frame_run.manifest["config"] == DEFAULT_CONFIG


def test_save_writes_the_cli_outputs(frame_run: voc.Analysis, tmp_path: Path) -> None:
    saved = frame_run.save(tmp_path / "saved")
    manifest = json.loads((saved / "run.json").read_text(encoding="utf-8"))
    assert manifest == frame_run.manifest
    assert sorted(p.name for p in saved.iterdir()) == sorted(manifest["outputs"])
    assert {"records.parquet", "segments.parquet", "themes.parquet", "kpis.json",
            "report.html", "report.md", "run.json"} <= set(manifest["outputs"])
    again = voc.Analysis.load(saved)
    pd.testing.assert_frame_equal(again.records, frame_run.records)
    assert again.kpis == frame_run.kpis


def test_a_result_never_reads_a_later_run_in_its_folder(frame_run: voc.Analysis,
                                                        tmp_path: Path) -> None:
    saved = voc.Analysis.load(frame_run.save(tmp_path / "run"))
    manifest = json.loads((saved.directory / "run.json").read_text(encoding="utf-8"))
    manifest["run_id"] = "another"
    (saved.directory / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(voc.VocError, match="now holds another run"):
        _ = saved.records


def test_a_one_row_comment_export_is_analysed(tmp_path: Path) -> None:
    # Issue #19: {"comment": "ok"} was refused with "no free-text column found".
    path = tmp_path / "one.jsonl"
    path.write_text('{"comment": "ok"}\n', encoding="utf-8")
    result = voc.analyze(path, out=tmp_path / "out", quiet=True)
    assert result.records[["question", "text", "status"]].to_dict("records") == [
        {"question": "comment", "text": "ok", "status": "ok"}]
    assert (tmp_path / "out" / "run.json").is_file()


@pytest.mark.parametrize(("data", "options", "message"), [
    (42, {}, "cannot analyse a int"),
    ([], {}, "no input given"),
    ("missing.csv", {}, "input not found: missing.csv"),
    (pd.DataFrame({"نظر": ["خوب"]}), {"config": {"normalize": {"max_chars": -5}}},
     "normalize.max_chars = -5 is not allowed"),
    (pd.DataFrame({"نظر": ["خوب"]}), {"engine": "spark"}, "engine 'spark' is not one of"),
    (pd.DataFrame({"نظر": ["خوب"]}), {"score_col": {"نظر": "stars"}},
     "--score-col 'نظر:stars' must look like NAME:nps"),
    (pd.DataFrame([[1, 2]], columns=["a", "a"]), {}, "duplicate column names: a"),
])
def test_errors_raise_vocerror_with_the_cli_message(data: Any, options: dict[str, Any],
                                                    message: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(voc.VocError, match=message) as caught:
        voc.analyze(data, quiet=True, **options)
    assert "\n" not in str(caught.value)


def test_a_missing_text_column_is_the_cli_message(frame_run: voc.Analysis) -> None:
    # After frame_run, the models are loaded: this costs no model start-up.
    with pytest.raises(voc.VocError, match=r"--text-col 'comment' is not a column of "
                                           r"DataFrame; columns found: .*نظر"):
        voc.analyze(_survey_frame(), text_col="comment", quiet=True)


class _Stop(Exception):
    pass


def _captured(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    calls: list[tuple[Any, Any]] = []

    def fake(options: Any, on_stage: Any = None, on_read: Any = None) -> dict[str, Any]:
        calls.append((options, on_stage))
        raise _Stop

    monkeypatch.setattr(voc.analysis, "analyze", fake)
    return calls


def test_the_api_passes_the_cli_its_options(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    calls = _captured(monkeypatch)
    with pytest.raises(SystemExit):
        main(["analyze", str(SAMPLES), "--out", str(tmp_path), "--text-col", "q1_reason",
              "--journey", "banking", "--store", "s.duckdb", "--quiet"])
    with pytest.raises(_Stop):
        voc.analyze(SAMPLES, out=tmp_path, text_col="q1_reason", journey="banking",
                    store="s.duckdb", quiet=True)
    (cli, _), (api, _) = calls
    assert dataclasses.asdict(api) == dataclasses.asdict(cli)


@pytest.mark.parametrize(("quiet", "shown"), [(False, True), (True, False)])
def test_progress_uses_the_cli_bar_unless_quiet(quiet: bool, shown: bool,
                                                monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    calls = _captured(monkeypatch)
    monkeypatch.setattr("voc.progress.can_show_progress", lambda console: True)
    with pytest.raises(_Stop):
        voc.analyze(SAMPLES, out=tmp_path, quiet=quiet)
    assert (calls[0][1] is not None) == shown
