"""The shipped sample data, analysed end to end and checked against its truth file."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO, read_outputs

TRUTH = REPO / "tests" / "data" / "sample_feedback_truth.jsonl"
# Truth names phone kinds more finely than the redactor's placeholders do.
PLACEHOLDER_OF = {"mobile": "PHONE", "landline": "PHONE", "email": "EMAIL", "url": "URL",
                  "card": "CARD", "iban": "IBAN", "national_id": "NATIONAL_ID"}


@pytest.fixture(scope="module")
def analysed(sample_run_dir: Path) -> tuple[list, list, dict]:
    return read_outputs(sample_run_dir)


@pytest.fixture(scope="module")
def truth() -> list[dict]:
    return [json.loads(line) for line in TRUTH.read_text(encoding="utf-8").splitlines()]


def _by_key(records: list[dict]) -> dict[tuple[str, str, str], dict]:
    return {(r["source"], r["id"], r["question"]): r for r in records}


def test_every_answer_cell_is_a_record(analysed: tuple, truth: list[dict]) -> None:
    records, segments, manifest = analysed
    # 320 survey rows x 2 questions + 200 reviews + 160 tickets
    assert len(records) == 1000
    assert manifest["counts"]["records_out"] == 1000
    assert sum(manifest["counts"]["by_status"].values()) == 1000
    by_key = _by_key(records)
    assert all((t["file"], t["id"], t["question"]) in by_key for t in truth)
    assert {Path(p).name for p in manifest["skipped_files"]} == {"README.md", "generate.py"}
    assert {s["row_id"] for s in segments} == {
        r["row_id"] for r in records if r["status"] in ("ok", "too_long") and r["n_segments"]}


def test_language_agrees_with_the_truth(analysed: tuple, truth: list[dict]) -> None:
    by_key = _by_key(analysed[0])
    pairs = [(t["lang"], by_key[(t["file"], t["id"], t["question"])]["lang"]) for t in truth
             if by_key[(t["file"], t["id"], t["question"])]["status"] != "empty"]
    accuracy = sum(a == b for a, b in pairs) / len(pairs)
    assert accuracy >= 0.93, Counter(pairs)
    finglish = [by_key[(t["file"], t["id"], t["question"])]["finglish"] for t in truth
                if t["finglish"]]
    assert sum(finglish) / len(finglish) >= 0.9


def test_no_personal_data_survives_and_other_numbers_do(
    analysed: tuple, truth: list[dict]
) -> None:
    records, segments, manifest = analysed
    by_key = _by_key(records)
    segment_text = {}
    for segment in segments:
        segment_text.setdefault(segment["row_id"], []).append(segment["text"])
    checked = 0
    for t in truth:
        record = by_key[(t["file"], t["id"], t["question"])]
        written = [record["text_redacted"], record["text_normalized"],
                   *segment_text.get(record["row_id"], [])]
        for kind, value in zip(t["pii"], t["pii_values"], strict=False):
            if kind in PLACEHOLDER_OF:
                checked += 1
                assert all(value not in text for text in written), (kind, value)
                assert f"[{PLACEHOLDER_OF[kind]}]" in record["text_redacted"]
        for value in t["non_pii_values"]:
            assert value in record["text_redacted"], value
    assert checked >= 100
    assert manifest["redactions"]["PHONE"] >= 40


def test_statuses_and_questions(analysed: tuple) -> None:
    records, _, manifest = analysed
    statuses = Counter(r["status"] for r in records)
    assert statuses["empty"] >= 50
    assert statuses["unsupported_language"] >= 10
    assert statuses["ok"] >= 850
    assert set(manifest["counts"]["by_question"]) == {"q1_reason", "q2_improve", "review",
                                                      "description"}


def test_sentiment_and_emotion_columns(analysed: tuple, truth: list[dict]) -> None:
    records, segments, manifest = analysed
    emotions = {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}
    for segment in segments:
        assert segment["sentiment"] in {"negative", "neutral", "positive"}
        assert -1.0 <= segment["sentiment_score"] <= 1.0
        assert segment["emotion"] in emotions
        assert set(segment["emotion_scores"]) == emotions
        assert abs(sum(segment["emotion_scores"].values()) - 1.0) < 0.01
    for record in records:
        if record["n_segments"]:
            assert record["sentiment"] in {"negative", "neutral", "positive", "mixed"}
            assert record["emotion"] in emotions
        else:
            assert record["sentiment"] is None
    assert {"encoder", "encoder_sha256", "heads", "heads_sha256"} <= set(manifest["models"])

    # Against the sample's truth: when the heads take a side, they mostly take the right one.
    by_key = _by_key(records)
    polar = [(t["sentiment"], by_key[(t["file"], t["id"], t["question"])]["sentiment"])
             for t in truth if t["sentiment"] in ("positive", "negative")]
    decided = [(gold, predicted) for gold, predicted in polar
               if predicted in ("positive", "negative")]
    assert sum(g == p for g, p in decided) / len(decided) >= 0.85
    negatives = [p for g, p in polar if g == "negative"]
    assert sum(p in ("negative", "mixed") for p in negatives) / len(negatives) >= 0.55
