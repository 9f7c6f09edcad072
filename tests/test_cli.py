"""`voc analyze` end to end: output contract, row accounting, errors and CLI conventions."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

import voc
from tests.conftest import read_outputs, write_csv

# Every test here runs 'voc analyze' end to end (encoder and heads).
pytestmark = pytest.mark.slow

SURVEY = [
    ["response_id", "submitted_at", "channel", "nps_score", "q1_reason", "q2_improve"],
    ["R1", "2026-07-01 10:00", "app", "9", "غذا خیلی خوب بود ولی پیک دیر اومد",
     "Faster couriers please"],
    ["R2", "1405/04/20", "web", "2", "The app crashed at checkout and I lost my cart",
     "Call me on 0912 345 6789"],
    ["R3", "2026-07-03", "store", "7", "kheili dir resid vali ghimat monaseb bood", ""],
    ["R4", "2026-07-04", "app", "10", "👍👍", "-"],
    ["R5", "2026-07-05", "call_center", "11", "=HYPERLINK(\"http://evil\")",
     "Le produit est arrivé cassé et personne ne répond"],
]


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "survey.csv", SURVEY, encoding="utf-8-sig")


def test_outputs_follow_the_contract_and_account_for_every_row(
    run_cli, survey: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run_cli("analyze", survey, "--out", out, "--quiet")
    assert result.code == 0, result.stderr
    records, segments, manifest = read_outputs(out)

    assert len(records) == 10  # 5 respondents x 2 open questions
    assert [r["row_id"] for r in records] == list(range(10))
    assert [(r["id"], r["question"]) for r in records[:2]] == [("R1", "q1_reason"),
                                                              ("R1", "q2_improve")]
    for column in ("row_id", "source", "question", "id", "text", "text_normalized",
                   "text_redacted", "lang", "status"):
        assert column in records[0]
    for column in ("row_id", "segment_id", "text", "lang"):
        assert column in segments[0]

    by_key = {(r["id"], r["question"]): r for r in records}
    assert by_key[("R1", "q1_reason")]["lang"] == "fa"
    assert by_key[("R1", "q1_reason")]["nps"] == 9
    assert by_key[("R2", "q1_reason")]["date"] == "2026-07-11"  # Jalali converted
    assert by_key[("R2", "q2_improve")]["text_redacted"] == "Call me on [PHONE]"
    assert "0912" not in by_key[("R2", "q2_improve")]["text_normalized"]
    assert by_key[("R3", "q1_reason")]["finglish"] is True
    assert by_key[("R3", "q2_improve")]["status"] == "empty"
    assert by_key[("R4", "q1_reason")]["status"] == "ok"  # emoji carry sentiment
    assert by_key[("R4", "q2_improve")]["status"] == "empty"
    assert by_key[("R5", "q2_improve")]["status"] == "unsupported_language"
    assert by_key[("R5", "q1_reason")]["nps"] is None  # 11 is not an NPS score

    r1_segments = [s["text"] for s in segments if s["row_id"] == 0]
    assert r1_segments == ["غذا خیلی خوب بود", "ولی پیک دیر آمد"]
    assert {s["row_id"] for s in segments} <= {r["row_id"] for r in records
                                               if r["status"] in ("ok", "too_long")}

    counts = manifest["counts"]
    assert counts["rows_in"] == 5
    assert counts["records_in"] == counts["records_out"] == 10
    assert sum(counts["by_status"].values()) == 10
    assert counts["by_status"]["empty"] == 2
    assert sum(counts["by_lang"].values()) == 10
    assert counts["segments"] == len(segments)
    assert manifest["inputs"][0]["encoding"] == "utf-8-sig"
    assert manifest["inputs"][0]["columns"]["scores"] == {"nps_score": "nps"}
    assert manifest["redactions"] == {"PHONE": 1, "URL": 1}
    assert manifest["value_problems"]["invalid_scores"] == {"nps": 1}
    assert manifest["versions"]["voc"] == voc.__version__
    assert {"read", "language", "redact", "normalize", "segment", "total"} <= \
        set(manifest["timings_s"])
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "records.parquet", "segments.parquet", "report.html", "report.md", "run.json",
        "themes.parquet", "themes.json", "themes_model.safetensors", "themes_model.json",
        "pain_themes.parquet", "pain_themes.json", "pain_themes_model.safetensors",
        "pain_themes_model.json", "pain_points.parquet", "journey.parquet",
        "drivers.parquet", "kpis.json"])
    assert sorted(manifest["outputs"]) == sorted(p.name for p in out.iterdir())
    # run.json, the mark of a finished run, is written last.
    assert manifest["outputs"][-1] == "run.json"


def test_csv_copies_neutralize_formulas(run_cli, survey: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("analyze", survey, "--out", out, "--format", "csv", "-q").code == 0
    text = (out / "records.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text
    assert (out / "segments.csv").exists()


def test_several_inputs_in_one_run_keep_their_order(run_cli, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", [["comment"], ["first answer here"],
                                           ["second answer here"]])
    second = tmp_path / "b.jsonl"
    second.write_text('{"review": "third answer here"}\n{oops\n', encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("analyze", first, second, "--out", out, "-q").code == 0
    records, _, manifest = read_outputs(out)
    assert [r["source"] for r in records] == ["a.csv", "a.csv", "b.jsonl", "b.jsonl"]
    assert records[3]["status"] == "invalid_row"
    assert "not valid JSON" in records[3]["status_detail"]
    assert manifest["counts"]["by_status"]["invalid_row"] == 1


def test_xlsx_with_column_overrides(run_cli, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["code", "body", "effort"])
    workbook.active.append(["T1", "I had to call three times", 6])
    workbook.active.append(["T2", "سه بار زنگ زدم تا جواب دادن", 7])
    path = tmp_path / "tickets.xlsx"
    workbook.save(path)
    out = tmp_path / "out"
    result = run_cli("analyze", path, "--out", out, "--text-col", "body", "--id-col", "code",
                     "--score-col", "effort:ces", "-q")
    assert result.code == 0, result.stderr
    records, _, _ = read_outputs(out)
    assert [(r["id"], r["ces"], r["lang"]) for r in records] == [("T1", 6, "en"),
                                                                 ("T2", 7, "fa")]


def test_too_long_answers_are_analysed_truncated(run_cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "long.csv", [["comment"], ["the courier was late " * 40],
                                             ["short and sweet answer"]])
    out = tmp_path / "out"
    assert run_cli("analyze", path, "--out", out, "--max-chars", "200", "-q").code == 0
    records, segments, _ = read_outputs(out)
    assert records[0]["status"] == "too_long"
    assert len(records[0]["text_normalized"]) <= 200
    assert len(records[0]["text"]) > 200  # the original is kept whole
    assert any(s["row_id"] == 0 for s in segments)


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs a read-only /proc")
def test_unwritable_output_dir(run_cli, survey: Path) -> None:
    # /proc refuses new directories even to root, like a read-only mount would.
    result = run_cli("analyze", survey, "--out", "/proc/voc-output")
    assert result.code == 2
    assert result.stderr.startswith("error: cannot create output directory /proc/voc-output")


def test_output_path_that_is_a_file(run_cli, survey: Path, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    result = run_cli("analyze", survey, "--out", target / "sub")
    assert result.code == 2
    assert "output" in result.stderr


def test_debug_shows_the_traceback(run_cli, tmp_path: Path) -> None:
    result = run_cli("analyze", tmp_path / "missing.csv", "--out", tmp_path / "o", "--debug")
    assert result.code == 2
    assert "Traceback" in result.stderr


def test_usage_errors_exit_2(run_cli) -> None:
    result = run_cli("analyze")
    assert result.code == 2
    assert result.stderr.startswith("error: ")


def test_version_and_help(run_cli) -> None:
    assert run_cli("--version").stdout.strip() == f"voc {voc.__version__}"
    help_text = run_cli("analyze", "--help").stdout
    for option in ("--text-col", "--id-col", "--date-col", "--channel-col", "--score-col",
                   "--format", "--quiet", "--log-format", "--debug"):
        assert option in help_text


def test_json_logs_for_schedulers(run_cli, survey: Path, tmp_path: Path) -> None:
    result = run_cli("analyze", survey, "--out", tmp_path / "out", "--log-format", "json")
    assert result.code == 0
    events = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert events, "expected JSON log lines"
    summary = [e for e in events if e.get("event") == "run_summary"]
    assert summary and summary[0]["counts"]["records_out"] == 10


def test_rerun_overwrites_atomically_leaving_no_temporary_files(
    run_cli, survey: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run_cli("analyze", survey, "--out", out, "-q").code == 0
    first = pq.read_table(out / "records.parquet").to_pylist()
    assert run_cli("analyze", survey, "--out", out, "-q").code == 0
    assert pq.read_table(out / "records.parquet").to_pylist() == first
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_rerun_into_an_earlier_runs_folder_is_all_or_nothing(
    run_cli, survey: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    store = tmp_path / "voc.duckdb"
    assert run_cli("analyze", survey, "--out", out, "--format", "csv", "--store", store,
                   "-q").code == 0
    assert (out / "records.csv").is_file() and (out / "changes.json").is_file()
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    # A failure part-way through writing (a full disk) leaves the earlier run whole.
    import voc.analysis

    def disk_full(*_: object, **__: object) -> list[str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(voc.analysis, "write_report", disk_full)
    failed = run_cli("analyze", survey, "--out", out, "-q")
    assert failed.code == 2 and "no space left" in failed.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.undo()
    assert run_cli("report", out).code == 0

    # A successful re-run without CSV copies or a store leaves none of the earlier run's
    # files behind (a stale changes.json or alerts.json would be read as this run's).
    assert run_cli("analyze", survey, "--out", out, "-q").code == 0
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert sorted(p.name for p in out.iterdir()) == sorted(manifest["outputs"])
    assert not (out / "records.csv").exists() and not (out / "changes.json").exists()


def test_names_are_redacted_when_the_spacy_pipeline_finds_people(
    run_cli, tmp_path: Path
) -> None:
    import spacy

    # A user's own spaCy pipeline (here rule-based) plays the NER model's part.
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PERSON", "pattern": "Sara Ahmadi"}])
    nlp.to_disk(tmp_path / "people_model")
    config = tmp_path / "pipeline.yaml"
    config.write_text(f"spacy_model: {tmp_path / 'people_model'}\n", encoding="utf-8")
    path = write_csv(tmp_path / "t.csv", [["comment"], ["The agent Sara Ahmadi was great"],
                                          ["پیک مودب بود و سریع رسید"]])
    out = tmp_path / "out"
    assert run_cli("analyze", path, "--out", out, "--config", config, "-q").code == 0
    records, _, manifest = read_outputs(out)
    assert records[0]["text_redacted"] == "The agent [NAME] was great"
    assert manifest["redactions"] == {"NAME": 1}
    assert manifest["models"]["spacy_english"] == "spacy.blank(en):sentencizer+entity_ruler"


# Every backend end to end, on every CPU (bf16 emulated where the CPU lacks it): the bf16
# path once crashed every run on the machines that take it, while the test machines skipped it.
@pytest.mark.parametrize("backend", ["torch", "torch-int8", "torch-bf16", "onnx", "onnx-int8"])
def test_analyze_runs_with_every_backend(run_cli, tmp_path: Path, backend: str) -> None:
    path = write_csv(tmp_path / "tiny.csv", [
        ["id", "comment", "nps"],
        ["1", "The courier was two hours late and the food was cold", "3"],
        ["2", "پشتیبانی خیلی سریع مشکلم را حل کرد، ممنون", "10"],
        ["3", "Refund still not received after three weeks", "1"],
    ])
    out = tmp_path / "out"
    result = run_cli("analyze", path, "--out", out, "--backend", backend, "-q")
    assert result.code == 0, result.stderr
    records, segments, manifest = read_outputs(out)
    assert len(records) == 3 and all(r["sentiment"] for r in records)
    assert all(s["emotion"] for s in segments)
    assert manifest["models"]["encoder_backend"] == backend
    # Groups of one respondent have no interval: null, never a bare NaN that strict JSON
    # readers refuse.
    def refuse(name: str) -> None:
        pytest.fail(f"a JSON output holds {name}")

    for document in out.glob("*.json"):
        json.loads(document.read_text(encoding="utf-8"), parse_constant=refuse)
