"""The report: every section on a synthetic run with known numbers, the same numbers in
HTML and Markdown, sections left out (with a note) when a stage did not run, and inert
with hostile feedback."""

from __future__ import annotations

import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markupsafe
import pytest

from tests.conftest import write_csv
from voc.errors import InputError
from voc.kpi.component import kpi_document, pain_rows_of, respondents
from voc.kpi.periods import period_grid
from voc.report.context import MAX_BREAKDOWN_ROWS
from voc.report.data import RunData
from voc.report.render import md_quote, render_report
from voc.report.stats import kpi_interval, kpi_text
from voc.themes.describe import theme_trends

HOSTILE = [
    "<script>alert('xss')</script> the courier was late and rude",
    '<img src=x onerror="alert(1)"> refund never came back',
    "\u202eevil override\u202c the app crashed at payment",
    "**bold** [link](http://evil.example) | pipe # heading",
    "long complaint " * 400,
]


def _records(texts: list[str]) -> list[dict]:
    return [{"row_id": i, "source": "s.csv", "id": str(i), "question": "q", "text": t,
             "lang": "en", "status": "ok", "date": f"2026-07-0{1 + i % 2}",
             "channel": "app" if i % 2 else "web", "nps": float(i * 2 % 11),
             "sentiment": "negative", "sentiment_score": -0.8, "emotion": "anger",
             "finglish": False}
            for i, t in enumerate(texts)]


def _segments(texts: list[str]) -> list[dict]:
    return [{"row_id": i, "segment_id": f"{i}-0", "text": t, "lang": "en",
             "sentiment": "negative", "sentiment_score": -0.9 + i / 100, "emotion": "anger"}
            for i, t in enumerate(texts)]


def _render(texts: list[str]) -> tuple[str, str]:
    manifest = {"run_id": "r1", "finished_at": "now", "redactions": {"PHONE": 2},
                "models": {"heads": "x"}, "inputs": [], "versions": {"voc": "0"}}
    records, segments = _records(texts), _segments(texts)
    # The KPIs as the drivers stage writes kpis.json: the report reads, never computes them.
    kpis = kpi_document(respondents(records, segments)[0], {}, 1)
    return render_report(RunData(records, segments, manifest, kpis=kpis))


class _Elements(HTMLParser):
    """Collect the real elements and attributes of a page (escaped text is not one)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.links.extend(value or "" for name, value in attrs if name == "href")


def test_hostile_feedback_is_escaped_in_html() -> None:
    html, _ = _render(HOSTILE)
    elements = _Elements()
    elements.feed(html)
    assert not {"script", "img", "iframe"} & elements.tags
    assert not [a for a in elements.attributes if a.startswith("on")]
    assert elements.links and all(link.startswith("#") for link in elements.links)  # nav only
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert 'http-equiv="Content-Security-Policy"' in html
    assert "default-src 'none'" in html


def test_report_is_self_contained() -> None:
    html, _ = _render(HOSTILE[:2])
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "<link" not in html
    assert 'dir="auto"' in html


def test_markdown_quotes_are_inert_single_lines() -> None:
    assert md_quote("**bold** [x](http://e) <b>\nnext") == \
        r"\*\*bold\*\* \[x\](http://e) &lt;b&gt; next"
    _, markdown = _render(HOSTILE)
    assert "<script>" not in markdown
    assert "[link](" not in markdown


def test_html_and_markdown_show_the_same_numbers() -> None:
    html, markdown = _render(["late delivery again", "rude courier today", "wrong item sent"])
    nps = re.search(r"\| NPS \| (-?[\d.]+)", markdown).group(1)
    assert f"{float(nps):+.0f}" in html


def test_analyze_writes_the_report_and_voc_report_rerenders_it(run_cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["comment", "nps"], ["The courier was rude", "2"],
                                          ["<script>alert(1)</script> slow app", "9"]])
    out = tmp_path / "out"
    assert run_cli("analyze", path, "--out", out, "-q").code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert (out / "report.md").exists()
    (out / "report.html").unlink()
    result = run_cli("report", out, "--previous", out)
    assert result.code == 0
    assert "Changes since the previous run" in (out / "report.md").read_text(encoding="utf-8")
    assert run_cli("report", tmp_path / "nothing").code == 2
    # The KPIs are kpis.json's: without it the report says how to get it, computing none.
    (out / "kpis.json").unlink()
    result = run_cli("report", out)
    assert result.code == 2 and "re-run 'voc analyze'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    # Nor does it count what an older run's files lack: the same one line, no traceback.
    import pyarrow.parquet as pq

    journey = pq.read_table(out / "journey.parquet")
    pq.write_table(journey.drop_columns(["pain_respondents"]), out / "journey.parquet")
    (out / "kpis.json").write_text('{"overall": {}, "by": {}}', encoding="utf-8")
    result = run_cli("report", out)
    assert result.code == 2 and "older voc" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _write_run(directory: Path, texts: list[str], outputs: list[str]) -> Path:
    from voc.io.schema import records_schema, segments_schema
    from voc.io.writers import rows_to_table, write_json, write_parquet

    directory.mkdir()
    write_parquet(directory / "records.parquet", rows_to_table(_records(texts), records_schema()))
    write_parquet(directory / "segments.parquet",
                  rows_to_table(_segments(texts), segments_schema()))
    from voc.analysis import output_counts

    write_json(directory / "run.json", {"run_id": "r1", "outputs": outputs,
                                        "counts": output_counts(_records(texts),
                                                                _segments(texts))})
    return directory


def test_load_run_data_reads_only_this_runs_optional_outputs(tmp_path: Path) -> None:
    from voc.report.data import load_run_data

    run_dir = _write_run(tmp_path / "run", ["late", "rude"],
                         ["records.parquet", "segments.parquet", "drivers.parquet",
                          "changes.json"])
    (run_dir / "themes.parquet").write_bytes(b"left over from an older run")
    (run_dir / "drivers.parquet").write_bytes(b"truncated")
    (run_dir / "changes.json").write_text('{"themes": []}', encoding="utf-8")
    run = load_run_data(run_dir)
    assert [r["text"] for r in run.records] == ["late", "rude"]
    assert run.themes is None  # not listed in run.json: another run's file
    assert run.drivers is None and any("drivers.parquet" in p for p in run.problems)
    assert run.changes == {"themes": []}
    assert run.journey is None and run.kpis is None
    # kpis.json is not optional where the drivers stage ran: the report reads its KPIs.
    manifest = {"run_id": "r1", "outputs": ["records.parquet", "segments.parquet"],
                "config": {"pipeline": ["language", "segment", "drivers"]}}
    (run_dir / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InputError, match=r"no kpis\.json.*re-run 'voc analyze'"):
        load_run_data(run_dir)


def test_a_run_whose_files_lack_what_the_report_reads_is_re_run(tmp_path: Path) -> None:
    from voc.io.writers import write_json
    from voc.report.data import load_run_data

    run_dir = _write_run(tmp_path / "run", ["late", "rude"],
                         ["records.parquet", "segments.parquet", "kpis.json"])
    write_json(run_dir / "kpis.json", {"overall": {"records": 2}, "by": {}})
    with pytest.raises(InputError, match=r"older voc \(kpis\.json lack.*re-run 'voc analyze'"):
        load_run_data(run_dir)
    # run.json from before it had counts is one too.
    write_json(run_dir / "run.json", {"run_id": "r1", "outputs": ["records.parquet"]})
    with pytest.raises(InputError, match=r"older voc \(run\.json lack"):
        load_run_data(run_dir)


def test_the_report_shows_the_files_figures_not_counts_of_the_segments() -> None:
    """journey.parquet, themes.parquet and kpis.json are read: a figure changed in the
    file is the figure shown, though the segments say otherwise."""
    run = synthetic_run()
    for row in run.journey:
        if (row["journey_stage"], row["touchpoint"]) == ("delivery", "courier"):
            row.update(pain_points=99, severity_sum=49.5, pain_themes=["lost parcels"],
                       pain_theme_counts=[99], pain_respondents=77)
            row["emotion_counts"] = {**row["emotion_counts"], "fear": 1000}
    run.kpis["by"]["stage"] = [{**g, "pain_respondents": 55} if g["key"] == "delivery"
                               else g for g in run.kpis["by"]["stage"]]
    run.kpis["overall"].update(analysed_respondents=200, pain_respondents=50,
                               sentiments={"positive": 3, "negative": 1},
                               emotions={"joy": 4}, unthemed_segments=14)
    run.manifest["counts"]["by_lang"] = {"en": 1, "fa": 3}
    run.themes[0]["pain_respondents"], run.themes[0]["mean_severity"] = 7, 0.25
    context = _context(run)
    delivery = next(r for r in context["heatmap"]["rows"] if r["stage"] == "delivery")
    column = next(i for i, c in enumerate(context["heatmap"]["columns"])
                  if c.startswith("Courier"))
    cell = delivery["cells"][column]
    assert (cell["pain_points"], cell["severity"], cell["top"], cell["customers"]) == (
        99, 0.5, "lost parcels", 77)
    assert {s["stage"]: s["customers"] for s in context["stage_path"]}["delivery"] == 55
    emotions = next(r for r in context["stage_emotions"]
                    if r["stage"] == "delivery")["emotions"]
    assert {e["key"]: e["count"] for e in emotions}["fear"] == 1000
    assert (context["volume"]["analysed_customers"], context["volume"]["pain_customers"],
            context["volume"]["pain_share"]) == (200, 50, 25.0)
    assert context["sentiment_mix"] == [{"key": "negative", "count": 1, "share": 25.0},
                                        {"key": "positive", "count": 3, "share": 75.0}]
    assert context["emotion_mix"] == [{"key": "joy", "count": 4, "share": 100.0}]
    assert context["unthemed_share"] == 10.0
    assert [r["key"] for r in context["languages"]] == ["fa", "en"]
    card = next(c for c in context["themes"] if c["theme_id"] == 1)
    assert (card["pain_customers"], card["mean_severity"]) == (7, 0.25)
    html, markdown = render_report(run)
    assert "(25% of analysed)" in html and "(25% of analysed)" in markdown
    assert "10% of statements fit no theme" in html


# A complete synthetic run (themes, journey, drivers, KPIs, changes, alerts), built by hand
# with known counts so each section is checked independently of the stages that make
# these tables for real.
# (theme id, label, label_en, label_fa, stage, touchpoint, sentiment, emotion, fa text, en text)
THEMES = [
    (1, "late delivery", "late delivery", "تاخیر در ارسال", "delivery", "courier",
     "negative", "anger", "سفارشم دو هفته دیر رسید و پیک جواب نداد",
     "my order arrived two weeks late and the courier never called"),
    (2, "payment failure", "payment failure", "خطای پرداخت", "purchase", "payment_gateway",
     "negative", "anger", "پرداخت انجام شد ولی سفارش ثبت نشد",
     "payment went through but the order was not placed"),
    (3, "rude support", "rude support", "پشتیبانی بی‌ادب", "support", "call_center",
     "negative", "sadness", "پشتیبانی خیلی بد برخورد کرد",
     "the support agent was rude and hung up on me"),
    (4, "product quality", "product quality", "کیفیت کالا", "usage", "mobile_app",
     "positive", "joy", "کیفیت کالا عالی بود و راضی هستم",
     "great quality, exactly as described, very happy"),
]
MONTHS = ("2026-07", "2026-08", "2026-09", "2026-10")
# records per theme and month: late delivery jumps in the last month.
VOLUME = {1: (6, 6, 6, 30), 2: (8, 8, 8, 8), 3: (5, 5, 5, 5), 4: (10, 10, 10, 10)}


def synthetic_run(scale: int = 1) -> RunData:
    rng = random.Random(7)
    records: list[dict[str, Any]] = []
    segments: list[dict[str, Any]] = []
    for theme_id, label, _, _, stage, touchpoint, sentiment, emotion, fa, en in THEMES:
        for month_index, month in enumerate(MONTHS):
            for k in range(VOLUME[theme_id][month_index] * scale):
                row_id = len(records)
                lang = "fa" if k % 2 else "en"
                text = f"{fa if lang == 'fa' else en} ({row_id})"
                negative = sentiment == "negative"
                nps = float(rng.randint(0, 5) if negative else rng.randint(9, 10))
                records.append({
                    "row_id": row_id, "source": "survey.csv", "source_row": row_id + 2,
                    "question": "q1", "id": f"R-{row_id}", "date": f"{month}-{1 + k % 27:02d}",
                    "channel": ("app", "web", "call_center")[k % 3], "nps": nps,
                    "csat": None, "ces": None,
                    "meta": '{"customer_tier": "%s"}' % ("gold" if k % 4 == 0 else "new"),
                    "text": text, "text_redacted": text, "lang": lang, "status": "ok",
                    "finglish": False, "sentiment": sentiment,
                    "sentiment_score": -0.8 if negative else 0.8, "emotion": emotion,
                    "themes": [theme_id], "journey_stages": [stage],
                    "touchpoints": [touchpoint], "is_pain_point": negative,
                })
                segments.append({
                    "row_id": row_id, "segment_id": f"{row_id}-0", "segment_index": 0,
                    "text": text, "lang": lang, "sentiment": sentiment,
                    "sentiment_score": -0.8 if negative else 0.8, "emotion": emotion,
                    "theme_id": theme_id, "theme_label": label, "is_pain_point": negative,
                    "severity": 0.8 if negative else None, "effort": 0.0,
                    "journey_stage": stage if k % 5 else "unassigned",
                    "touchpoint": touchpoint if k % 5 else "unassigned",
                    "link_confidence": 0.9 if k % 5 else 0.2, "link_evidence": "keywords",
                })
    themes = [{
        "theme_id": t[0], "label": t[1], "label_en": t[2], "label_fa": t[3],
        "keywords_en": t[9].split()[:4], "keywords_fa": t[8].split()[:4],
        "size": sum(VOLUME[t[0]]) * scale,
        "share": sum(VOLUME[t[0]]) * scale / len(segments),
        "sentiment_mix": {"negative": 1.0 if t[6] == "negative" else 0.0, "neutral": 0.0,
                          "positive": 1.0 if t[6] == "positive" else 0.0},
        "top_emotion": t[7], "examples": [t[8], t[9], t[8] + " دوباره"],
        "records": sum(VOLUME[t[0]]) * scale, "stages": [t[4]], "touchpoints": [t[5]],
    } for t in THEMES]
    # Each theme's trend as the themes stage writes it into themes.parquet.
    trends = theme_trends({t[0]: [s["row_id"] for s in segments if s["theme_id"] == t[0]]
                           for t in THEMES}, records)
    for theme in themes:
        theme.update(trends[theme["theme_id"]])
    drivers = [
        {"kind": "theme", "group": "2", "label": "payment failure", "theme_id": 2,
         "metric": "nps", "n": 32, "share": 0.27, "score_group": -100.0, "score_rest": 10.0,
         "impact": 12.5, "impact_low": 8.0, "impact_high": 17.0, "regression_impact": 11.0,
         "supported": True, "rank": 1},
        {"kind": "theme", "group": "1", "label": "late delivery", "theme_id": 1,
         "metric": "nps", "n": 48, "share": 0.3, "score_group": -100.0, "score_rest": 20.0,
         "impact": 9.25, "impact_low": 5.5, "impact_high": 13.0, "regression_impact": 8.0,
         "supported": True, "rank": 2},
        {"kind": "stage_touchpoint", "group": "purchase/payment_gateway", "label": None,
         "theme_id": None, "journey_stage": "purchase", "touchpoint": "payment_gateway",
         "metric": "nps", "n": 26, "share": 0.2, "score_group": -100.0, "score_rest": 5.0,
         "impact": 10.0, "impact_low": 6.0, "impact_high": 14.0, "regression_impact": None,
         "supported": True, "rank": 1},
    ]
    changes = {"run_id": "r2", "previous_run_id": "r1",
               "emerging_themes": [{"dimension": "theme", "key": "1", "label": "late delivery",
                                    "current": {"share": 0.3}, "status": "growing"}],
               "shifts": [{"dimension": "stage", "key": "delivery", "label": "delivery",
                           "metric": "nps", "change": -21.5, "q": 0.004}],
               "new_pain_points": []}
    alerts = {"fired": [{"rule": "delivery NPS drop", "metric": "nps", "dimension": "stage",
                         "key": "delivery", "label": "delivery", "change": -21.5}]}
    manifest = {"run_id": "r2", "finished_at": "2026-11-01T00:00:00+00:00",
                "redactions": {"PHONE": 3}, "models": {"heads": "heads.safetensors"},
                "inputs": [], "versions": {"voc": "0"},
                "config": {"pipeline": ["language", "journey", "themes", "drivers"],
                           "journey": {"map": "ecommerce"}}}
    metrics = {"heldout": {"fa_set": {"task": "sentiment", "language": "fa", "n": 100,
                                      "accuracy": 0.7, "macro_f1": 0.65},
                           "en_set": {"task": "sentiment", "language": "en", "n": 100,
                                      "accuracy": 0.9, "macro_f1": 0.88}}}
    return restage(RunData(records=records, segments=segments, manifest=manifest,
                           themes=themes, drivers=drivers, changes=changes, alerts=alerts,
                           head_metrics=metrics))


def restage(run: RunData) -> RunData:
    """The run's files as its stages write them from its records and segments (run.json's
    counts, kpis.json, journey.parquet, themes.parquet's pain figures and customers): the
    report reads these, so a test that changes the segments restages the run. The
    overall NPS is set by hand."""
    from voc.analysis import output_counts
    from voc.journey.maps import load_journey_map
    from voc.kpi.component import journey_matrix
    from voc.kpi.scores import respondent_key

    records, segments = run.records, run.segments
    run.manifest["counts"] = output_counts(records, segments)
    people, of_row = respondents(records, segments)
    # The groups and periods as the kpis stage writes them.
    run.kpis = kpi_document(people, {}, 1, period_grid(records), records,
                            pain_rows_of(segments), segments)
    run.kpis["overall"]["nps"] = {"name": "nps", "value": -13.33, "low": -30.1, "high": 3.4,
                                  "n": len(records)}
    run.journey = journey_matrix(segments, people, of_row, load_journey_map("ecommerce"))
    who = {r["row_id"]: respondent_key(r) for r in records}
    for theme in run.themes or ():
        members = [s for s in segments if s["theme_id"] == theme["theme_id"]]
        pains = [s for s in members if s.get("is_pain_point")]
        theme.update(
            respondents=len({who[s["row_id"]] for s in members}),
            pain_points=len(pains), pain_respondents=len({who[s["row_id"]] for s in pains}),
            mean_severity=sum(s["severity"] for s in pains) / len(pains) if pains else None)
    return run


def _context(run: RunData, previous: RunData | None = None) -> dict[str, Any]:
    from voc.report.context import build_context

    return build_context(run, previous)


def _plain(text: str) -> str:
    """Text without the bidi isolates that wrap names inside sentences."""
    return text.replace("\u2068", "").replace("\u2069", "")


def test_summary_answers_what_hurts_most_how_many_and_how_sure() -> None:
    context = _context(synthetic_run())
    pains = context["top_pains"]
    # Ranked by NPS impact from drivers.parquet, not by volume (late delivery is bigger).
    assert [p["label"] for p in pains] == ["payment failure", "late delivery", "rude support"]
    assert [p["customers"] for p in pains] == [32, 48, 20]
    assert pains[0]["share"] == pytest.approx(100 * 32 / 140)  # a number: the template prints
    assert "Purchase" in _plain(pains[0]["where"]) and "Payment gateway" in _plain(
        pains[0]["where"])
    assert pains[1]["trend"].startswith("getting worse")
    assert pains[0]["impact"] == "NPS impact +12.5 points (95% CI +8.0 to +17.0)"
    # Said as sentences a product manager forwards: what fixing it is worth, in words.
    assert _plain(pains[0]["sentence"]).endswith(
        "Were they as satisfied as everyone else, NPS would be 12.5 points higher "
        "(95% CI +8.0 to +17.0).")
    assert ", and it is getting worse (" in pains[1]["sentence"]
    nps = next(k for k in context["kpis"] if k["name"] == "nps")
    assert (nps["value"], nps["low"], nps["high"]) == (-13.33, -30.1, 3.4)  # kpis.json's
    html, markdown = render_report(synthetic_run())
    assert "| NPS | -13 (95% CI -30 to +3), n=140 |" in markdown  # printed by the template
    assert '<div class="value">-13</div><div class="sub">NPS · 95% CI -30 to +3' in html
    assert context["volume"]["pain_customers"] == 100
    summary = _plain(context["takeaways"]["summary"])
    # The name in both languages where the theme has both (#17).
    assert "What hurts most: payment failure · خطای پرداخت (32 customers)" in _plain(summary)
    assert any("growing theme: late delivery" in _plain(c) for c in context["changes"])
    assert context["alerts"][0]["rule"] == "delivery NPS drop"


def test_themes_ranked_by_impact_then_size_with_both_labels_and_quotes() -> None:
    run = synthetic_run()
    cards = _context(run)["themes"]
    assert [c["label"] for c in cards] == ["payment failure", "late delivery",
                                           "product quality", "rude support"]
    late = cards[1]
    assert (late["label_en"], late["label_fa"]) == ("late delivery", "تاخیر در ارسال")
    assert (late["customers"], late["pain_points"], late["top_emotion"]) == (48, 48, "anger")
    assert late["direction"] == "rising" and cards[2]["direction"] == "falling"
    assert late["sentiment"] == [("negative", 100.0)]
    assert 3 <= len(late["quotes"]) <= 5
    assert {q["lang"] for q in late["quotes"]} == {"fa", "en"}
    assert late["stages"][0].startswith("Delivery")
    run.drivers = None
    by_size = [c["label"] for c in _context(run)["themes"]]
    assert by_size == ["late delivery", "product quality", "payment failure", "rude support"]
    html, _ = render_report(synthetic_run())
    assert "تاخیر در ارسال" in html and 'class="spark"' in html


def test_customers_are_respondents_not_answer_rows() -> None:
    before = _context(synthetic_run())
    run = synthetic_run()
    payment = [r for r in run.records if r["themes"] == [2]]
    # One survey row answering two questions, both about the failed payment (both linked
    # to purchase / payment gateway): one customer, two answers.
    payment[2]["source_row"] = payment[1]["source_row"]
    context = _context(restage(run))
    card = next(c for c in context["themes"] if c["label"] == "payment failure")
    assert (card["customers"], card["pain_customers"], card["pain_points"]) == (31, 31, 32)
    assert context["volume"]["pain_customers"] == 99
    assert context["volume"]["analysed_customers"] == 139
    pain = next(p for p in context["top_pains"] if p["label"] == "payment failure")
    assert pain["share"] == pytest.approx(100 * 31 / 139)

    def cell(context: dict[str, Any]) -> int:
        row = next(r for r in context["heatmap"]["rows"] if r["stage"] == "purchase")
        return max(c["customers"] for c in row["cells"] if c)

    assert cell(context) == cell(before) - 1
    stage = {s["stage"]: s["customers"] for s in context["stage_path"]}
    assert stage["purchase"] == {s["stage"]: s["customers"]
                                 for s in before["stage_path"]}["purchase"] - 1
    # The themes stage's own count (themes.parquet `respondents`) is read where present.
    run.themes[1]["respondents"] = 5
    assert next(c for c in _context(run)["themes"]
                if c["label"] == "payment failure")["customers"] == 5


def test_journey_heatmap_in_stage_order_with_top_pain_point_per_cell() -> None:
    heat = _context(synthetic_run())["heatmap"]
    assert [_plain(r["name"]).split(" · ")[0] for r in heat["rows"]] == [
        "Purchase", "Delivery", "Customer support", "Unassigned"]
    delivery = heat["rows"][1]
    column = next(i for i, c in enumerate(heat["columns"]) if c.startswith("Courier"))
    cell = delivery["cells"][column]
    # 48 late-delivery pain points, every fifth left unassigned rather than guessed.
    assert (cell["pain_points"], cell["severity"], cell["top"]) == (36, 0.8, "late delivery")
    assert heat["linked_share"] == 76.0
    # The unassigned cell (24 pain points) is heavier than support's, but it is no place.
    assert heat["hottest"]["top"] == "late delivery"
    run = synthetic_run()
    for segment in run.segments:
        if segment["theme_id"] == 1 and segment["journey_stage"] == "delivery":
            segment["journey_stage"] = segment["touchpoint"] = "unassigned"
    hottest = _context(restage(run))["heatmap"]["hottest"]
    assert (_plain(hottest["stage"]).split(" · ")[0], hottest["top"]) == ("Purchase",
                                                                           "payment failure")
    assert _plain(hottest["place"]).startswith("Purchase") and " / " in hottest["place"]


def test_a_hottest_stage_without_one_touchpoint_is_named_and_counted_whole() -> None:
    run = synthetic_run()
    for segment in run.segments:
        if segment["journey_stage"] == "delivery":
            segment["touchpoint"] = "unassigned"
    context = _context(restage(run))
    assert _plain(context["heatmap"]["hottest"]["place"]).split(" · ")[0] == "Delivery"
    # Named by its stage, the place is the whole stage: its figures are the stage table's.
    delivery = next(r for r in context["heatmap"]["rows"] if r["stage"] == "delivery")
    assert context["heatmap"]["hottest"]["pain_points"] == delivery["pain_points"]
    takeaway = _plain(context["takeaways"]["journey"])
    assert takeaway.startswith("Pain concentrates at Delivery") and "Unassigned" not in takeaway


def test_drivers_chart_shows_impact_with_intervals() -> None:
    run = synthetic_run()
    drivers = _context(run)["drivers"]
    assert drivers["metric"] == "NPS"
    themes, cells = drivers["groups"]
    assert [i["label"] for i in themes["items"]] == ["payment failure", "late delivery"]
    assert (themes["items"][0]["impact"], themes["items"][0]["low"],
            themes["items"][0]["high"]) == (12.5, 8.0, 17.0)
    assert _plain(cells["items"][0]["label"]).startswith("Purchase")
    html, _ = render_report(run)
    assert "+12.5 (+8.0 to +17.0)" in html and "<line" in html


def test_emotions_along_the_journey_are_shares_per_stage() -> None:
    rows = _context(synthetic_run())["stage_emotions"]
    assert [r["stage"] for r in rows] == ["purchase", "delivery", "usage", "support"]
    assert rows[0]["emotions"] == [{"key": "anger", "count": 24, "share": 100.0}]
    assert rows[3]["emotions"][0]["key"] == "sadness"


def test_trends_by_month_with_rising_and_falling_themes() -> None:
    context = _context(synthetic_run())
    assert context["period_unit"] == "month"
    assert [(r["period"], r["count"]) for r in context["trend"]] == [
        ("2026-07", 29), ("2026-08", 29), ("2026-09", 29), ("2026-10", 53)]
    assert context["trend"][-1]["nps"] is not None and context["trend"][-1]["nps_low"] < \
        context["trend"][-1]["nps"] < context["trend"][-1]["nps_high"]
    # NPS per period is kpis.json's (the kpis stage's), read, not computed by the report.
    run = synthetic_run()
    for row in run.kpis["periods"]["rows"]:
        row["nps"] = {**row["nps"], "value": 42.0, "n": 7}
    assert {(r["nps"], r["nps_n"]) for r in _context(run)["trend"]} == {(42.0, 7)}
    # So are the answers' sentiment and pain per period: late delivery's 30 complaints
    # with 8 payment and 5 support ones make 43 of October's 53 answers negative (81.1%),
    # all of them pain points; the 10 others are positive at +0.8.
    october = context["trend"][-1]
    share = pytest.approx(100 * 43 / 53, abs=1e-4)
    assert (october["negative_share"], october["pain_share"]) == (share, share)
    assert october["mean_sentiment"] == pytest.approx((43 * -0.8 + 10 * 0.8) / 53, abs=1e-6)
    run.kpis["periods"]["rows"][0].update(negative_share=12.5, mean_sentiment=0.25)
    assert (_context(run)["trend"][0]["negative_share"],
            _context(run)["trend"][0]["mean_sentiment"]) == (12.5, 0.25)
    # A kpis.json written before it had these figures: no trend, and a note saying why.
    for row in run.kpis["periods"]["rows"]:
        del row["analysed"]
    older = _context(run)
    assert older["trend"] == [] and "re-run" in older["notes"]["trends"]
    moving = context["moving_themes"]
    assert [t["label"] for t in moving["rising"]] == ["late delivery"]
    assert [t["label"] for t in moving["falling"]] == ["product quality"]
    # The direction is the themes stage's (themes.parquet), read, not tested again here;
    # a table without it (an older run) shows no trend rather than a computed one.
    run = synthetic_run()
    run.themes[1]["trend_direction"] = "rising"
    assert [t["label"] for t in _context(run)["moving_themes"]["rising"]] == [
        "late delivery", "payment failure"]
    for theme in run.themes:
        for key in ("trend_periods", "trend_share", "trend_change", "trend_z",
                    "trend_direction"):
            del theme[key]
    cards = _context(run)["themes"]
    assert {c["direction"] for c in cards} == {"not enough data"}
    assert all(c["trend"] == [] for c in cards)


def test_breakdowns_by_channel_language_and_segment_columns() -> None:
    breakdowns = _context(synthetic_run())["breakdowns"]
    assert list(breakdowns) == ["Channel", "Language", "Customer tier"]
    assert {r["value"] for r in breakdowns["Language"]} == {"English", "Persian"}
    tiers = {r["value"]: r["count"] for r in breakdowns["Customer tier"]}
    assert tiers == {"gold": 42, "new": 98}
    # The KPIs per group are kpis.json's, found by the group's key (`fa` shown Persian).
    run = synthetic_run()
    persian = next(row for row in run.kpis["by"]["lang"] if row["key"] == "fa")
    persian["nps"] = {"name": "nps", "value": 42.0, "low": 30.0, "high": 50.0, "n": 9}
    for group in run.kpis["by"]["meta.customer_tier"]:
        del group["nps"]
    breakdowns = _context(run)["breakdowns"]
    assert {r["value"]: r["kpis"]["nps"] for r in breakdowns["Language"]}["Persian"] == \
        {"value": 42.0, "n": 9}
    assert [r["kpis"]["nps"] for r in breakdowns["Customer tier"]] == [None, None]
    assert '<td class="num">+42 (n=9)</td>' in render_report(run)[0]
    # Source and question are broken down too once there is more than one.
    run = synthetic_run()
    for record in run.records[::2]:
        record["question"] = "q2"
    questions = {r["value"]: r for r in _context(restage(run))["breakdowns"]["Question"]}
    assert {v: r["count"] for v, r in questions.items()} == {"q1": 70, "q2": 70}
    assert questions["q2"]["kpis"]["nps"] == next(
        {"value": row["nps"]["value"], "n": row["nps"]["n"]}
        for row in run.kpis["by"]["question"] if row["key"] == "q2")


def test_breakdowns_read_the_answer_figures_of_kpis_json_groups() -> None:
    run = synthetic_run()
    web = next(row for row in run.kpis["by"]["channel"] if row["key"] == "web")
    # Figures no count of records.parquet gives: the row shows kpis.json's, computing none.
    web.update(analysed=7, mean_sentiment=0.125, negative_share=12.5, pain_share=25.0)
    # A group with key null is the answers without a value, shown "—" with its KPIs.
    run.kpis["by"]["channel"].append({**web, "key": None, "label": "—", "analysed": 3})
    rows = {r["value"]: r for r in _context(run)["breakdowns"]["Channel"]}
    assert (rows["web"]["count"], rows["web"]["mean_sentiment"], rows["web"]["negative_share"],
            rows["web"]["pain_share"]) == (7, 0.125, 12.5, 25.0)
    assert rows["—"]["count"] == 3 and rows["—"]["kpis"] == rows["web"]["kpis"]
    assert list(rows)[-2:] == ["web", "—"]  # largest first
    # Past MAX_BREAKDOWN_ROWS groups, the smallest merge into one row: their counts summed,
    # no figures averaged from theirs.
    run.kpis["by"]["channel"] = [{**web, "key": f"c{i}", "analysed": 20 - i}
                                 for i in range(MAX_BREAKDOWN_ROWS + 2)]
    rows = _context(run)["breakdowns"]["Channel"]
    assert len(rows) == MAX_BREAKDOWN_ROWS
    assert rows[-1]["others"] == 3 and rows[-1]["count"] == 6 + 5 + 4
    assert rows[-1]["negative_share"] is None and rows[-1]["kpis"]["nps"] is None
    # With kpis.json's `others` (the drivers stage folds the same groups), the row shows
    # their figures together, each answer and respondent once.
    run = synthetic_run()
    for k, record in enumerate(run.records):
        record["channel"] = f"c{k % (MAX_BREAKDOWN_ROWS + 2):02d}"
    restage(run)
    others = run.kpis["others"]["channel"]
    rows = _context(run)["breakdowns"]["Channel"]
    assert len(rows) == MAX_BREAKDOWN_ROWS and rows[-1]["others"] == 3
    assert rows[-1]["count"] == others["analysed"] == sum(
        g["analysed"] for g in run.kpis["by"]["channel"] if g["key"] in others["keys"])
    assert rows[-1]["negative_share"] == others["negative_share"] is not None
    assert rows[-1]["kpis"]["nps"] == {"value": others["nps"]["value"],
                                       "n": others["nps"]["n"]}
    # A kpis.json from before the groups carried the figures: no breakdowns, a note why.
    run = synthetic_run()
    for groups in run.kpis["by"].values():
        for group in groups:
            del group["analysed"]
    context = _context(run)
    assert context["breakdowns"] == {} and "re-run" in context["notes"]["breakdowns"]


def test_breakdown_figures_are_numbers_formatted_only_by_the_template() -> None:
    run = synthetic_run()
    context = _context(run)
    rows = [row for rows in context["breakdowns"].values() for row in rows]
    for row in rows:
        for key in ("mean_sentiment", "negative_share", "pain_share"):
            assert row[key] is None or isinstance(row[key], float), (key, row[key])
    # The takeaway names the group with the largest unrounded share among groups of 20+.
    name, worst = max(((name, row) for name, rows in context["breakdowns"].items()
                       for row in rows if row["count"] >= 20
                       and row["negative_share"] is not None),
                      key=lambda item: item[1]["negative_share"])
    assert f"({worst['negative_share']:.0f}% negative or mixed" in \
        context["takeaways"]["breakdowns"]
    assert f"{name.lower()} " in context["takeaways"]["breakdowns"]
    html, _ = render_report(run)
    assert f'<td class="num">{worst["negative_share"]:.0f}%</td>' in html


def test_method_shows_measured_accuracy_counts_and_settings() -> None:
    context = _context(synthetic_run())
    # Numbers until the template: the takeaway reads them, it does not parse "0.70" back.
    assert [(r["set"], r["accuracy"]) for r in context["head_accuracy"]] == [
        ("fa_set", 0.7), ("en_set", 0.9)]
    assert "70%–90%" in context["takeaways"]["method"]
    html, _ = render_report(synthetic_run())
    assert '<td class="num">0.70</td><td class="num">0.65</td>' in html
    assert ("pipeline", "language → journey → themes → drivers") in context["settings"]
    assert context["notes"] == {}  # a full run leaves nothing out


def test_sections_a_run_did_not_measure_are_left_out_with_a_note() -> None:
    context = _context(RunData(_records(["late again", "rude courier"]),
                               _segments(["late again", "rude courier"]), {}))
    assert context["themes"] == [] and context["heatmap"] is None
    assert context["drivers"] is None and context["stage_emotions"] == []
    assert set(context["notes"]) == {"themes", "pain", "journey", "emotions", "drivers",
                                     "trends", "kpis"}
    # No kpis.json: no KPIs, none computed by the report.
    assert context["kpis"] == []
    html, markdown = render_report(RunData(_records(["late again"]),
                                           _segments(["late again"]), {}))
    assert "This run has no themes" in html
    assert "No key-driver table in this run" in html and "pain-point detection" in markdown


def test_a_praise_theme_with_a_few_complaints_is_not_what_hurts_most() -> None:
    # The sample report listed a praise theme first: it held a few pain points and, being
    # big, the largest impact on NPS.
    run = synthetic_run()
    quality = [s for s in run.segments if s["theme_id"] == 4]
    for segment in quality[: len(quality) // 3]:
        segment["is_pain_point"], segment["severity"] = True, 0.5
    run.drivers = [*run.drivers, {
        "kind": "theme", "group": "4", "label": "product quality", "theme_id": 4,
        "metric": "nps", "n": 60, "share": 0.4, "score_group": 30.0, "score_rest": -20.0,
        "impact": 20.0, "impact_low": 15.0, "impact_high": 25.0, "regression_impact": 18.0,
        "supported": True, "rank": 1}]
    assert "product quality" not in [p["label"] for p in _context(restage(run))["top_pains"]]
    # Once complaints are most of the theme, it is one.
    for segment in quality[: len(quality) // 2 + 1]:
        segment["is_pain_point"], segment["severity"] = True, 0.5
    assert _context(restage(run))["top_pains"][0]["label"] == "product quality"


def test_html_and_markdown_agree_on_the_headline_numbers() -> None:
    run = synthetic_run()
    context = _context(run)
    html, markdown = render_report(run)
    for pain in context["top_pains"]:
        line = next(x for x in markdown.splitlines() if f"**{pain['name']}**" in x)
        assert f"{pain['customers']} customers ({pain['share']:.1f}% of customers analysed)" \
            in line
        # Both render the same sentence (#17).
        assert str(markupsafe.escape(pain["sentence"])) in html
    for kpi in context["kpis"]:
        text = kpi_text(kpi["name"], kpi["value"])
        interval = kpi_interval(kpi["name"], kpi["low"], kpi["high"])
        assert f"| {kpi['label']} | {text} ({interval})" in markdown
        assert f'<div class="value">{text}</div>' in html


def test_comparison_with_a_previous_run() -> None:
    previous = synthetic_run()
    for record in previous.records:
        record["nps"] = 10.0
    previous.kpis = {"overall": {"nps": {"name": "nps", "value": 100.0, "low": 100.0,
                                         "high": 100.0, "n": len(previous.records)}}}
    changes = _context(synthetic_run(), previous)["changes"]
    assert any(c.startswith("NPS +100 → -13") for c in changes)
    # The complaint share is each run's own kpis.json figure, not recounted from the
    # previous run's records: 100 of the 140 answers here are negative (71.4%).
    assert not any(c.startswith("answers with a complaint") for c in changes)
    previous.kpis["overall"]["negative_share"] = 10.0
    for record in previous.records:
        record["sentiment"] = "positive"
    changes = _context(synthetic_run(), previous)["changes"]
    assert "answers with a complaint 10% → 71% (+61 points)" in changes


def test_hostile_theme_labels_and_quotes_stay_text() -> None:
    run = synthetic_run()
    run.themes[0]["label"] = "<script>alert(1)</script>"
    run.themes[0]["examples"] = ['<img src=x onerror="alert(2)">', "\u202eevil"]
    run.drivers[0]["label"] = '<svg onload="alert(3)">'
    html, markdown = render_report(run)
    elements = _Elements()
    elements.feed(html)
    assert not {"script", "img"} & elements.tags
    assert not [a for a in elements.attributes if a.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in markdown and "<img" not in markdown


def test_ten_thousand_answers_stay_well_under_five_megabytes() -> None:
    run = synthetic_run(scale=72)  # 10,080 answers
    assert len(run.records) > 10_000
    html, markdown = render_report(run)
    assert len(html.encode()) < 5_000_000
    assert len(markdown.encode()) < 100_000


def test_without_themes_the_hottest_linked_journey_cells_are_the_top_pain_points() -> None:
    run = synthetic_run()
    run.themes, run.drivers = None, None
    for segment in run.segments:
        segment["theme_id"] = segment["theme_label"] = None
    pains = _context(restage(run))["top_pains"]
    assert [_plain(p["label"]).split(" · ")[0] for p in pains] == [
        "Problems at Delivery", "Problems at Purchase", "Problems at Customer support"]
    assert pains[0]["customers"] == 36 and pains[0]["quote"]["text"]
    assert all("Unassigned" not in _plain(p["label"]) for p in pains)


def test_the_same_answer_with_and_without_its_full_stop_is_quoted_once() -> None:
    texts = ["The refund never came back", "The refund never came back.", "Rude courier!"]
    quotes = [q["text"] for q in _context(RunData(_records(texts), _segments(texts), {}))[
        "negative_quotes"]]
    assert quotes == ["The refund never came back", "Rude courier!"]


def test_complaints_are_the_most_severe_pain_points_not_the_most_negative_scores() -> None:
    texts = ["The refund was back on my card in 2 days", "Rude courier, never again!",
             "Nobody answers the phone", "Nice packaging overall"]
    segments = _segments(texts)
    # The first reads -1.00 but flat (no anger, no effort): severity ranks it last among
    # the pain points; the last is not a pain point at all.
    for segment, (pain, severity, score) in zip(segments, [
            (True, 0.52, -1.0), (True, 0.81, -0.9), (True, 0.66, -0.6), (False, 0.0, -0.95)],
            strict=True):
        segment.update(is_pain_point=pain, severity=severity, sentiment_score=score)
    quotes = _context(RunData(_records(texts), segments, {}))["negative_quotes"]
    assert [q["text"] for q in quotes] == [texts[1], texts[2], texts[0]]


def test_without_pain_points_complaints_are_the_most_negative_segments() -> None:
    texts = ["late again", "rude courier!!", "the app crashes"]
    quotes = _context(RunData(_records(texts), _segments(texts), {}))["negative_quotes"]
    assert [q["text"] for q in quotes] == ["rude courier!!", "the app crashes"]
