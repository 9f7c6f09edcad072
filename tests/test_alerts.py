"""Run comparison (changes.json), alert rules (alerts.json, exit 1) and `voc runs`/`voc query`."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from tests.test_store import export
from voc.alerts.changes import benjamini_hochberg, compare
from voc.alerts.rules import Rule, evaluate, load_rules
from voc.errors import ConfigError


def group(dimension: str, key: str, scores: list[float] | None = None, segments: int = 0,
          nps: list[int] | None = None, pain_points: int = 0) -> dict:
    scores = scores or []
    nps = nps or []
    return {"dimension": dimension, "key": key, "label": key,
            "records": max(len(nps), 1), "segments": segments or len(scores),
            "sentiment_n": len(scores), "sentiment_sum": float(sum(scores)),
            "sentiment_sumsq": float(sum(s * s for s in scores)), "nps_n": len(nps),
            "promoters": sum(s >= 9 for s in nps), "detractors": sum(s <= 6 for s in nps),
            "pain_points": pain_points}


def test_sentiment_shift_matches_welch_t_test_on_the_raw_scores() -> None:
    rng = np.random.default_rng(1)
    before, after = rng.normal(0.2, 0.4, 60), rng.normal(-0.1, 0.5, 50)
    changes = compare("now", [group("stage", "payment", list(after)),
                              group("overall", "all", list(after))],
                      [group("stage", "payment", list(before)),
                       group("overall", "all", list(before))], {"run_id": "then",
                                                                "started_at": "x"})
    payment = next(g for g in changes["groups"] if g["key"] == "payment")
    expected = stats.ttest_ind(after, before, equal_var=False).pvalue
    assert payment["sentiment_p"] == pytest.approx(expected, rel=1e-6)
    assert payment["sentiment_change"] == pytest.approx(after.mean() - before.mean(), abs=1e-3)
    assert any(s["key"] == "payment" and s["metric"] == "sentiment" for s in changes["shifts"])


def test_nps_shift_uses_the_variance_of_plus_one_zero_minus_one_scores() -> None:
    before = [10] * 50 + [7] * 40 + [3] * 10  # NPS 40
    after = [10] * 20 + [7] * 30 + [3] * 50  # NPS -30
    changes = compare("now", [group("overall", "all", nps=after)],
                      [group("overall", "all", nps=before)], {"run_id": "then",
                                                              "started_at": "x"})
    overall = changes["groups"][0]
    assert (overall["previous"]["nps"], overall["current"]["nps"]) == (40.0, -30.0)
    variance = (0.6 - 0.4 ** 2) / 100 + (0.7 - 0.3 ** 2) / 100
    z = -0.7 / math.sqrt(variance)
    assert overall["nps_p"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-9)
    assert overall["nps_significant"]


def test_new_and_growing_themes_and_new_pain_points() -> None:
    previous = [group("overall", "all", segments=100), group("theme", "1", segments=10),
                group("theme", "2", segments=40)]
    current = [group("overall", "all", segments=100), group("theme", "1", segments=30),
               group("theme", "2", segments=38), group("theme", "9", segments=5),
               group("stage_pain", "payment/theme 9", pain_points=4),
               group("stage_pain", "delivery/theme 2", pain_points=1)]
    changes = compare("now", current, previous, {"run_id": "then", "started_at": "x"})
    emerging = {t["key"]: t["status"] for t in changes["emerging_themes"]}
    assert emerging == {"1": "growing", "9": "new"}
    theme1 = next(g for g in changes["groups"] if g["key"] == "1")
    pooled = 0.2
    z = 0.2 / math.sqrt(pooled * (1 - pooled) * 2 / 100)
    assert theme1["share_p"] == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert [p["key"] for p in changes["new_pain_points"]] == ["payment/theme 9"]


def test_benjamini_hochberg() -> None:
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx(
        [0.02, 0.04, 0.04, 0.02])


def test_without_a_previous_run_nothing_is_new_and_change_rules_are_skipped() -> None:
    changes = compare("now", [group("overall", "all", nps=[1, 2, 10])], None, None)
    assert changes["previous_run_id"] is None and not changes["groups"][0]["new"]
    result = evaluate([Rule("drop", "nps", drops_by=5), Rule("low", "nps", below=0)], changes)
    assert [a["rule"] for a in result["fired"]] == ["low"]
    assert result["skipped"][0]["rule"] == "drop"


def test_rules_file_validation(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: ok\n    metric: nps\n    drops_by: 5\n"
                    "  - metric: happiness\n    below: 1\n", encoding="utf-8")
    # Each error names the file, the rule and the line to fix.
    with pytest.raises(ConfigError, match=r"rules\.yaml, rule 2, line 5: metric must be one of"):
        load_rules(path)
    path.write_text("rules:\n  - metric: nps\n    dimension: stage\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rule 1, line 2: give a condition"):
        load_rules(path)
    path.write_text("rules:\n  - metric: nps\n    drops_by: five\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rule 1, line 3: drops_by must be a number"):
        load_rules(path)
    # A rules file that is the list itself.
    path.write_text("- metric: nps\n  below: 0\n- metric: nps\n  below: 0\n  colour: red\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="rule 2, line 5: unknown field 'colour'"):
        load_rules(path)
    path.write_text("rules: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rules\.yaml, line 1 must hold a non-empty list"):
        load_rules(path)


def test_rules_file_typo_and_out_of_range_values_name_the_rule_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    # A typo in a field name is an unknown key, not a silently ignored one.
    path.write_text("rules:\n  - metric: nps\n    below: 0\n  - metric: nps\n"
                    "    drop_by: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_rules(path)
    message = str(raised.value)
    assert "\n" not in message
    assert re.search(r"rules\.yaml, rule 2, line 5: unknown field 'drop_by'; known: .*drops_by",
                     message)
    # A share threshold written as a percentage is outside the metric's 0..1 scale.
    path.write_text("rules:\n  - metric: share\n    dimension: theme\n    above: 2\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rules\.yaml, rule 1, line 4: above must be "
                       r"between 0 and 1 for metric share"):
        load_rules(path)
    path.write_text("rules:\n  - metric: nps\n    drops_by: -3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rule 1, line 3: drops_by = -3 is not allowed"):
        load_rules(path)
    path.write_text("rules:\n  - metric: nps\n    below: 0\n    new: sometimes\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="rule 1, line 4: new must be true or false"):
        load_rules(path)


def test_a_valid_rules_file_reads_into_the_same_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n"
        "  - name: NPS of the payment stage drops by more than 5 points\n"
        "    metric: nps\n    dimension: stage\n    key: payment\n    drops_by: 5\n"
        "    significant: true\n"
        "  - metric: share\n    dimension: theme\n    new: true\n    above: 0.02\n"
        "  - name: 2024\n    metric: records\n    key: 7\n    rises_by: 10\n    below: 500\n",
        encoding="utf-8")
    assert load_rules(path) == [
        Rule("NPS of the payment stage drops by more than 5 points", "nps",
             dimension="stage", key="payment", drops_by=5.0, significant=True),
        Rule("rule 2", "share", dimension="theme", new=True, above=0.02),
        Rule("2024", "records", key="7", rises_by=10.0, below=500.0)]
    # Unset fields take the model's defaults; the list may be the whole file.
    path.write_text("- metric: sentiment\n  below: -0.2\n", encoding="utf-8")
    (rule,) = load_rules(path)
    assert (rule.name, rule.dimension, rule.key, rule.drops_by, rule.new, rule.significant,
            rule.needs_previous) == ("rule 1", "overall", None, None, False, False, False)


@pytest.mark.slow  # two 'voc analyze --store' runs end to end
def test_alerts_fail_the_run_and_runs_commands_read_the_store(run_cli, tmp_path: Path) -> None:
    store = tmp_path / "voc.duckdb"
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - name: volume above 6 records\n    metric: records\n    above: 6\n"
        "  - name: NPS drops\n    metric: nps\n    drops_by: 1000\n", encoding="utf-8")
    first = run_cli("analyze", export(tmp_path / "d1.csv", 4), "--out", tmp_path / "a",
                    "--store", store, "--alert-rules", rules, "--fail-on-alert", "--quiet")
    assert first.code == 0, first.stderr
    alerts = json.loads((tmp_path / "a" / "alerts.json").read_text(encoding="utf-8"))
    assert alerts["fired"] == [] and alerts["skipped"][0]["rule"] == "NPS drops"
    second = run_cli("analyze", export(tmp_path / "d2.csv", 9), "--out", tmp_path / "b",
                     "--store", store, "--alert-rules", rules, "--fail-on-alert", "--quiet")
    assert second.code == 1, second.stderr
    alerts = json.loads((tmp_path / "b" / "alerts.json").read_text(encoding="utf-8"))
    assert [(a["rule"], a["previous"], a["current"]) for a in alerts["fired"]] == [
        ("volume above 6 records", 3, 8)]
    changes = json.loads((tmp_path / "b" / "changes.json").read_text(encoding="utf-8"))
    assert changes["previous_run_id"] == json.loads(
        (tmp_path / "a" / "run.json").read_text(encoding="utf-8"))["run_id"]
    # Without --fail-on-alert the same run succeeds, with the alert still written.
    third = run_cli("analyze", export(tmp_path / "d2.csv", 9), "--out", tmp_path / "c",
                    "--store", store, "--alert-rules", rules, "--quiet")
    assert third.code == 0 and (tmp_path / "c" / "alerts.json").exists()

    listed = run_cli("runs", "list", "--store", store, "--json")
    runs = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["records_analyzed"] for r in runs] == [4, 5, 0]
    shown = json.loads(run_cli("runs", "show", "latest", "--store", store).stdout)
    assert shown["run"]["records_reused"] == 9 and shown["manifest"]["store"]["reused"] == 9
    diff = json.loads(run_cli("runs", "diff", runs[0]["run_id"][:20], "latest", "--store",
                              store, "--json").stdout)
    assert diff["records"] == {"added": 5, "removed": 0, "edited": 0}
    query = run_cli("query", "SELECT lang, count(*) AS n FROM records GROUP BY lang "
                    "ORDER BY lang", "--store", store, "--format", "json")
    assert query.code == 0, query.stderr
    assert sum(json.loads(line)["n"] for line in query.stdout.splitlines()) == 9
    write = run_cli("query", "DELETE FROM runs", "--store", store)
    assert write.code == 2 and "read-only" in write.stderr
    assert len(run_cli("runs", "list", "--store", store, "--json").stdout.splitlines()) == 3


def test_run_groups_count_respondents_not_answers() -> None:
    """A two-question survey repeats each respondent's score on both answers: counting
    answers doubled nps_n in changes.json and overstated the significance of a shift."""
    from voc.alerts.changes import run_groups
    from voc.pipeline.base import RunState

    records, segments = [], []
    for person, score in enumerate([10, 9, 3, 7]):
        for question in ("q1", "q2"):
            row_id = len(records)
            records.append({"row_id": row_id, "source": "s.csv", "source_row": person + 2,
                            "question": question, "nps": score, "status": "ok",
                            "channel": "app"})
            segments.append({"row_id": row_id, "segment_id": f"{row_id}-0", "theme_id": 1,
                             "theme_label": "t", "journey_stage": "delivery",
                             "sentiment_score": 0.1, "is_pain_point": False})
    groups = {(g["dimension"], g["key"]): g for g in run_groups(RunState(records=records,
                                                                        segments=segments))}
    for key in (("overall", "all"), ("theme", "1"), ("stage", "delivery"), ("channel", "app")):
        assert (groups[key]["nps_n"], groups[key]["promoters"], groups[key]["detractors"]) \
            == (4, 2, 1), key
    assert groups[("overall", "all")]["segments"] == 8
    # changes.json shows both volumes: answer rows and the respondents who gave them.
    for key in (("overall", "all"), ("theme", "1"), ("channel", "app")):
        assert (groups[key]["records"], groups[key]["respondents"]) == (8, 4), key
    described = next(g["current"] for g in compare("now", groups.values(), None, None)["groups"]
                     if g["dimension"] == "overall")
    assert (described["records"], described["respondents"], described["nps_n"]) == (8, 4, 4)


def test_rule_dimensions_are_the_ones_changes_compares() -> None:
    from typing import get_args

    from voc.alerts.changes import DIMENSIONS
    from voc.alerts.rules import Dimension

    assert get_args(Dimension) == DIMENSIONS
