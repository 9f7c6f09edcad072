"""KPIs per group, key drivers, the journey matrix and pain points, against hand counts."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from voc.journey.maps import load_journey_map
from voc.kpi.component import DriversComponent, journey_matrix, respondents
from voc.kpi.drivers import coded_scores, key_drivers
from voc.pipeline.base import RunState
from voc.pipeline.settings import DriversSettings


def test_impact_is_the_gain_if_the_groups_detractors_scored_like_the_rest() -> None:
    # 10 respondents: group A = first 4 (scores 0, 2, 9, 7), the rest 10, 10, 9, 8, 3, 10.
    values = [0, 2, 9, 7, 10, 10, 9, 8, 3, 10]
    in_a = [True] * 4 + [False] * 6
    [a] = key_drivers(values, {"a": in_a}, "nps", min_support=1)
    # Coded: A = -100, -100, 100, 0; rest = 100, 100, 100, 0, -100, 100 -> mean 50.
    # Two detractors in A: impact = 2/10 * (50 - (-100)) = 30 NPS points.
    assert a.impact == pytest.approx(30.0)
    assert a.score_group == pytest.approx(-25.0)
    assert a.score_rest == pytest.approx(50.0)
    assert a.n == 4 and a.share == pytest.approx(0.4)
    assert a.impact_low is not None and a.impact_high is not None
    assert a.impact_low <= a.impact <= a.impact_high
    # One indicator: the least-squares coefficient is the difference of means (-75),
    # times the share 0.4, sign flipped: 30 points as well.
    assert a.regression_impact == pytest.approx(30.0, abs=0.1)
    assert a.regression_low < a.regression_impact < a.regression_high


def test_csat_impact_and_the_minimum_support_rule() -> None:
    values = [1, 2, 5, 4, 5, 5, 4, 2]
    groups = {"big": [True, True, True, False, False, False, False, False],
              "tiny": [False, False, False, False, False, False, False, True]}
    big, tiny = key_drivers(values, groups, "csat", min_support=3)
    # big: detractors (1-3) are 1, 2 -> 2 of 8; rest = 4, 5, 5, 4, 2 -> 80% top-2-box.
    assert big.impact == pytest.approx(2 / 8 * 80)
    assert big.supported and big.rank == 1
    # tiny: one detractor, rest mean 5/7 top-2 = 71.43%: impact 1/8 * 71.43 = 8.93,
    # but one respondent is below the support of 3, so it is not ranked.
    assert tiny.impact == pytest.approx(1 / 8 * 500 / 7, abs=1e-3)
    assert not tiny.supported and tiny.rank is None and tiny.regression_impact is None


def test_coded_scores() -> None:
    coded, detractor = coded_scores("nps", [0, 6, 7, 8, 9, 10])
    assert coded.tolist() == [-100, -100, 0, 0, 100, 100]
    assert detractor.tolist() == [True, True, False, False, False, False]
    with pytest.raises(ValueError):
        coded_scores("ces", [3])


def _tables() -> RunState:
    # Two answers of one survey row share its score: it must count once.
    records = [
        {"row_id": 0, "source": "s.csv", "source_row": 1, "nps": 2.0, "csat": None, "ces": 6.0,
         "channel": "app", "lang": "en", "meta": json.dumps({"tier": "gold"}), "id": "a"},
        {"row_id": 1, "source": "s.csv", "source_row": 1, "nps": 2.0, "csat": None, "ces": 6.0,
         "channel": "app", "lang": "en", "meta": json.dumps({"tier": "gold"}), "id": "a"},
        {"row_id": 2, "source": "s.csv", "source_row": 2, "nps": 10.0, "csat": None,
         "ces": 2.0, "channel": "web", "lang": "fa", "meta": json.dumps({"tier": "new"}),
         "id": "b"},
        {"row_id": 3, "source": "s.csv", "source_row": 3, "nps": 9.0, "csat": None, "ces": None,
         "channel": "web", "lang": "fa", "meta": json.dumps({"tier": "new"}), "id": "c"},
    ]
    segment = {"lang": "en", "sentiment": "negative", "sentiment_score": -0.8,
               "emotion": "anger", "link_confidence": 0.9, "link_evidence": "keywords: x",
               "effort": 0.0, "pain_cues": "negative"}
    segments = [
        {**segment, "row_id": 0, "segment_id": "0-0", "text": "courier late",
         "journey_stage": "delivery", "touchpoint": "courier", "is_pain_point": True,
         "severity": 0.8, "theme_id": 1, "theme_label": "late delivery"},
        {**segment, "row_id": 1, "segment_id": "1-0", "text": "had to call twice",
         "journey_stage": "support", "touchpoint": "call_center", "is_pain_point": True,
         "severity": 0.6, "effort": 0.84, "theme_id": None, "theme_label": None},
        {**segment, "row_id": 2, "segment_id": "2-0", "text": "پیک خوب بود",
         "journey_stage": "delivery", "touchpoint": "courier", "is_pain_point": False,
         "severity": 0.0, "emotion": "joy", "sentiment": "positive", "theme_id": 1,
         "theme_label": "late delivery"},
        {**segment, "row_id": 3, "segment_id": "3-0", "text": "ok",
         "journey_stage": "unassigned", "touchpoint": "unassigned", "is_pain_point": False,
         "severity": 0.0, "emotion": "neutral", "theme_id": None, "theme_label": None},
    ]
    tables = RunState(records=records, segments=segments)
    tables.artifacts.journey_map = load_journey_map("ecommerce")
    return tables


def test_kpis_count_each_respondent_once_and_break_down_by_group() -> None:
    tables = DriversComponent(DriversSettings(min_support=1))(_tables())
    kpis = tables.documents["kpis"]
    # Respondents: 2 (detractor), 10, 9 -> NPS (2 - 1) / 3 = 33.33
    assert kpis["overall"]["records"] == 3
    assert kpis["overall"]["nps"]["value"] == pytest.approx(33.33)
    assert kpis["overall"]["nps"]["n"] == 3
    assert kpis["overall"]["ces"]["value"] == pytest.approx(4.0)  # (6 + 2) / 2
    stage = {row["key"]: row for row in kpis["by"]["stage"]}
    # delivery: respondents 1 (NPS 2) and 2 (NPS 10) -> 0
    assert stage["delivery"]["nps"]["value"] == 0.0 and stage["delivery"]["records"] == 2
    assert stage["delivery"]["label"] == "Delivery"
    assert stage["support"]["nps"]["value"] == -100.0
    theme = {row["key"]: row for row in kpis["by"]["theme"]}
    assert theme["1"]["label"] == "late delivery" and theme["1"]["records"] == 2
    tier = {row["key"]: row for row in kpis["by"]["meta.tier"]}
    assert tier["new"]["nps"]["value"] == 100.0 and tier["gold"]["nps"]["value"] == -100.0
    assert {row["key"] for row in kpis["by"]["channel"]} == {"app", "web"}
    assert {row["key"] for row in kpis["by"]["lang"]} == {"en", "fa"}


def test_each_group_carries_the_figures_of_its_analysed_answers() -> None:
    tables = _tables()
    answers = [("ok", "negative", -0.8), ("too_long", "mixed", -0.2),
               ("ok", "positive", 0.6), ("ok", "neutral", 0.1)]
    for record, (status, sentiment, score) in zip(tables.records, answers, strict=True):
        record.update(status=status, sentiment=sentiment, sentiment_score=score)
    tables.records[3]["channel"] = None  # respondent 3 has no channel: the null group
    # Respondent 4: an app answer that was not analysed (a respondent, not an answer).
    tables.records.append({**tables.records[0], "row_id": 4, "source_row": 4, "id": "d",
                           "nps": None, "ces": None, "status": "empty", "sentiment": None,
                           "sentiment_score": None})
    by = DriversComponent(DriversSettings(min_support=1))(tables).documents["kpis"]["by"]
    figures = ("records", "analysed", "mean_sentiment", "negative_share", "pain_share")
    channel = {row["key"]: tuple(row[k] for k in figures) for row in by["channel"]}
    # app: respondents 1 and 4; answers 0 (-0.8, pain) and 1 (-0.2 mixed, too_long, pain):
    # mean -0.5, 2 of 2 negative or mixed, 2 of 2 with a pain point.
    assert channel["app"] == (2, 2, -0.5, 100.0, 100.0)
    assert channel["web"] == (1, 1, 0.6, 0.0, 0.0)  # answer 2 only
    # No channel: respondent 3 (NPS 9) and their answer 3, listed last, shown "—".
    assert channel[None] == (1, 1, 0.1, 0.0, 0.0)
    assert by["channel"][-1]["label"] == "—" and by["channel"][-1]["nps"]["value"] == 100.0
    lang = {row["key"]: tuple(row[k] for k in figures) for row in by["lang"]}
    # fa: answers 2 (0.6) and 3 (0.1): mean 0.35, none negative, none with a pain point.
    assert lang["fa"] == (2, 2, 0.35, 0.0, 0.0) and None not in lang
    # delivery: answers 0 (-0.8, pain) and 2 (0.6): mean -0.1, 1 of 2 negative and pain.
    stage = {row["key"]: tuple(row[k] for k in figures) for row in by["stage"]}
    assert stage["delivery"] == (2, 2, -0.1, 50.0, 50.0)
    tier = {row["key"]: tuple(row[k] for k in figures) for row in by["meta.tier"]}
    assert tier["gold"] == (2, 2, -0.5, 100.0, 100.0)
    assert tier["new"] == (2, 2, 0.35, 0.0, 0.0)


def test_kpis_per_period_count_each_respondent_once_in_time_order() -> None:
    tables = _tables()
    dates = ("2026-05-03", "2026-05-03", "2026-02-10", "2026-05-20")
    for record, date in zip(tables.records, dates, strict=True):
        record["date"] = date
    tables.records[3]["status"] = "empty"  # not analysed, but its score is an answer
    periods = DriversComponent(DriversSettings(min_support=1))(tables).documents["kpis"]["periods"]
    assert periods["unit"] == "month"  # 99 days: months
    rows = {row["period"]: row for row in periods["rows"]}
    assert list(rows) == ["2026-02", "2026-05"]
    assert rows["2026-02"]["nps"]["value"] == 100.0 and rows["2026-02"]["records"] == 1
    # The two answers of one survey row count once (NPS 2), with the unanalysed 9:
    # (1 promoter - 1 detractor) / 2.
    may = rows["2026-05"]
    assert (may["records"], may["nps"]["n"], may["nps"]["value"]) == (2, 2, 0.0)
    assert may["nps"]["low"] is not None and may["nps"]["high"] is not None


def test_kpis_break_down_by_source_and_question_per_respondent() -> None:
    tables = _tables()
    tables.records[0]["question"] = "q1"
    tables.records[1]["question"] = "q2"  # the same respondent's second answer
    tables.records[2]["question"] = "q1"
    tables.records[3]["source"] = "t.csv"
    by = DriversComponent(DriversSettings(min_support=1))(tables).documents["kpis"]["by"]
    source = {row["key"]: row for row in by["source"]}
    # s.csv: respondents 1 (NPS 2) and 2 (NPS 10) -> 0; t.csv: respondent 3 (9) -> +100.
    assert (source["s.csv"]["records"], source["s.csv"]["nps"]["value"]) == (2, 0.0)
    assert (source["t.csv"]["records"], source["t.csv"]["nps"]["value"]) == (1, 100.0)
    question = {row["key"]: row for row in by["question"]}
    # q1: respondents 1 and 2 -> 0; q2: respondent 1 (NPS 2) -> -100; row 3 has none.
    assert (question["q1"]["records"], question["q1"]["nps"]["value"]) == (2, 0.0)
    assert (question["q2"]["records"], question["q2"]["nps"]["value"]) == (1, -100.0)


def test_sentiment_and_pain_per_period_are_of_analysed_answers() -> None:
    tables = _tables()
    dates = ("2026-05-03", "2026-05-03", "2026-02-10", "2026-05-20")
    scores = (("negative", -0.8), ("mixed", -0.2), ("positive", 0.6), ("neutral", 0.0))
    for record, date, (label, score) in zip(tables.records, dates, scores, strict=True):
        record.update(date=date, status="ok", sentiment=label, sentiment_score=score)
    tables.records[3]["status"] = "empty"  # not analysed: in no sentiment figure
    kpis = DriversComponent(DriversSettings(min_support=1))(tables).documents["kpis"]
    rows = {row["period"]: row for row in kpis["periods"]["rows"]}
    # May: answers 0 and 1 (one respondent, two answers: sentiment is per answer), both
    # negative or mixed, both with a pain point (segments 0-0 and 1-0).
    may = rows["2026-05"]
    assert (may["analysed"], may["mean_sentiment"]) == (2, -0.5)  # (-0.8 - 0.2) / 2
    assert (may["negative_share"], may["pain_share"]) == (100.0, 100.0)
    february = rows["2026-02"]
    assert (february["analysed"], february["mean_sentiment"]) == (1, 0.6)
    assert (february["negative_share"], february["pain_share"]) == (0.0, 0.0)
    overall = kpis["overall"]
    assert overall["analysed"] == 3
    assert overall["mean_sentiment"] == pytest.approx(-0.4 / 3, abs=1e-6)  # (-0.8-0.2+0.6)/3
    assert (overall["negative_share"], overall["pain_share"]) == (66.6667, 66.6667)
    # Without pain-point detection (no journey stage) the pain share is not measured.
    for segment in tables.segments:
        del segment["is_pain_point"]
    kpis = DriversComponent(DriversSettings(min_support=1))(tables).documents["kpis"]
    assert kpis["overall"]["pain_share"] is None
    assert {row["pain_share"] for row in kpis["periods"]["rows"]} == {None}


def test_journey_matrix_cells() -> None:
    tables = _tables()
    people, of_row = respondents(tables.records, tables.segments)
    rows = journey_matrix(tables.segments, people, of_row, tables.artifacts.journey_map)
    cells = {(r["journey_stage"], r["touchpoint"]): r for r in rows}
    delivery = cells[("delivery", "courier")]
    assert delivery["segments"] == 2 and delivery["records"] == 2
    assert delivery["pain_points"] == 1 and delivery["pain_point_share"] == 0.5
    assert delivery["mean_severity"] == 0.8
    assert delivery["dominant_emotion"] in {"anger", "joy"}
    assert delivery["nps"] == 0.0 and delivery["nps_n"] == 2
    assert cells[("unassigned", "unassigned")]["dominant_emotion"] == "neutral"
    # Journey order: delivery before support, unassigned last.
    assert [r["journey_stage"] for r in rows] == ["delivery", "support", "unassigned"]
    # What the report shows of a cell, so it groups no segments itself.
    assert (delivery["respondents"], delivery["pain_respondents"]) == (2, 1)
    assert delivery["severity_sum"] == 0.8
    assert delivery["emotion_counts"]["anger"] == 1 and delivery["emotion_counts"]["joy"] == 1
    assert (delivery["pain_themes"], delivery["pain_theme_counts"]) == (["late delivery"], [1])
    assert (delivery["worst_pain"], delivery["worst_pain_lang"],
            delivery["worst_severity"]) == ("courier late", "en", 0.8)
    support = cells[("support", "call_center")]
    assert support["pain_themes"] == [] and support["worst_pain"] == "had to call twice"
    calm = cells[("unassigned", "unassigned")]
    assert calm["pain_respondents"] == 0 and calm["worst_pain"] is None


def test_others_fold_the_groups_past_the_largest_as_the_report_does() -> None:
    from voc.kpi.component import BREAKDOWN_ROWS, kpi_document

    # 17 channels: the 2 largest have 3 answers each, the rest 1; respondents of one
    # input row answer twice (two rows, one channel).
    records = []
    for channel in range(BREAKDOWN_ROWS + 2):
        for k in range(3 if channel < 2 else 1):
            for question in ("q1", "q2"):
                records.append({"row_id": len(records), "source": "s.csv",
                                "source_row": channel * 10 + k, "question": question,
                                "channel": f"c{channel:02d}", "status": "ok",
                                "sentiment": "negative" if channel % 2 else "positive",
                                "sentiment_score": -0.5 if channel % 2 else 0.5,
                                "nps": 9.0 if channel % 2 else 3.0, "csat": None,
                                "ces": None})
    people, _ = respondents(records, [])
    document = kpi_document(people, {}, 1, None, records, None, [])
    assert set(document["others"]) == {"channel"}  # the only dimension past 15 groups
    others = document["others"]["channel"]
    # Ranked by answers, then key: c00, c01 (6 each), then c02..c16 (2 each): c02..c13
    # stay, c14..c16 fold.
    assert others["keys"] == ["c14", "c15", "c16"]
    assert (others["records"], others["analysed"]) == (3, 6)  # each respondent once
    assert others["negative_share"] == pytest.approx(100 * 2 / 6, abs=1e-4)  # c15's 2 of 6
    assert others["nps"]["n"] == 3 and others["nps"]["value"] == pytest.approx(
        100 * (1 - 2) / 3, abs=0.01)  # c15 a promoter, c14 and c16 detractors


def test_overall_carries_the_answer_mix_and_groups_their_pain_respondents() -> None:
    tables = _tables()
    for record, status in zip(tables.records, ("ok", "ok", "ok", "empty"), strict=True):
        record.update(status=status, sentiment="negative", emotion="anger")
    tables.records[2].update(sentiment="positive", emotion="joy")
    kpis = DriversComponent(DriversSettings(min_support=1))(tables).documents["kpis"]
    overall = kpis["overall"]
    # Respondents: rows 0 and 1 are one survey row; row 3 was not analysed.
    assert (overall["analysed_respondents"], overall["pain_respondents"]) == (2, 1)
    assert overall["sentiments"] == {"negative": 2, "positive": 1}
    assert overall["emotions"] == {"anger": 2, "joy": 1}
    assert (overall["segments"], overall["unthemed_segments"]) == (4, 2)
    stage = {row["key"]: row["pain_respondents"] for row in kpis["by"]["stage"]}
    assert stage == {"delivery": 1, "support": 1, "unassigned": 0}
    theme = {row["key"]: row["pain_respondents"] for row in kpis["by"]["theme"]}
    assert theme == {"1": 1}


def test_outputs_and_tolerates_missing_themes() -> None:
    tables = _tables()
    for segment in tables.segments:
        del segment["theme_id"], segment["theme_label"]
    tables = DriversComponent(DriversSettings(min_support=1))(tables)
    pains = tables.outputs["pain_points"].rows
    assert [p["segment_id"] for p in pains] == ["0-0", "1-0"]  # by severity
    assert pains[0]["nps"] == 2.0 and pains[0]["theme_id"] is None
    drivers = tables.outputs["drivers"].rows
    assert {d["kind"] for d in drivers} == {"stage_touchpoint"}
    cell = next(d for d in drivers if d["group"] == "support/call_center" and d["metric"] == "nps")
    # 1 detractor of 3 respondents; rest (10, 9) mean +100: impact 1/3 * 200
    assert cell["impact"] == pytest.approx(66.667, abs=1e-3)
    assert cell["label"] == "Customer support / Call center"


def test_sample_run_writes_the_journey_and_driver_files(sample_run_dir: Path) -> None:
    kpis = json.loads((sample_run_dir / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["overall"]["nps"]["n"] > 300
    assert {"theme", "stage", "touchpoint", "channel", "lang", "source",
            "question"} <= set(kpis["by"])
    assert any(key.startswith("meta.") for key in kpis["by"])
    drivers = pq.read_table(sample_run_dir / "drivers.parquet").to_pylist()
    ranked = [d for d in drivers if d["rank"] is not None]
    assert ranked and all(d["n"] >= kpis["min_support"] for d in ranked)
    matrix = pq.read_table(sample_run_dir / "journey.parquet").to_pylist()
    assert sum(r["segments"] for r in matrix) == pq.read_metadata(
        sample_run_dir / "segments.parquet").num_rows
    pains = pq.read_table(sample_run_dir / "pain_points.parquet").to_pylist()
    assert pains and all(p["severity"] > 0 for p in pains)
    # The sample's detractors mostly complain: the top NPS driver drags the score down.
    top = next(d for d in ranked if d["metric"] == "nps" and d["rank"] == 1)
    assert top["impact"] > 0 and top["score_group"] < top["score_rest"]
