"""Compare a run with the previous one over the same store: `DIR/changes.json`.

Each run keeps small aggregates per group (overall, theme, journey stage, touchpoint,
channel, stage x theme of pain points): volume (answer rows as `records`, the people who
gave them as `respondents`, segments), the sum and sum of squares of segment
sentiment scores, NPS promoters/detractors. Comparing two runs needs only those, so it
costs nothing however large the store grows.

Tests (two-sided unless stated), corrected for the many groups tested at once with
Benjamini-Hochberg (`q_value`; `significant` when q < alpha):
* sentiment: Welch's t-test on the mean segment sentiment score;
* NPS: z-test on the difference of two NPS values, each respondent scoring +1/0/-1;
* theme share: one-sided two-proportion z-test that the share of segments grew.
The tests themselves live with the metric definitions (`voc.kpi.scores`); this module
decides which groups are compared and which are large enough to test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from voc.kpi.scores import (
    benjamini_hochberg,
    mean_difference_p,
    nps_counts,
    nps_difference_p,
    nps_estimate,
    per_respondent,
    proportion_growth_p,
    respondent_key,
)
from voc.pipeline.base import RunState

ALPHA = 0.05
# Below this many observations on either side a group is described but not tested.
MIN_TEST_N = 10
# A stage x theme needs this many pain-point segments to be reported as a new pain point.
MIN_NEW_PAIN_POINTS = 3
DIMENSIONS = ("overall", "theme", "stage", "touchpoint", "channel", "stage_pain")
UNASSIGNED = {"unassigned", "", None}


def _empty() -> dict[str, Any]:
    return {"label": None, "rows": set(), "segments": 0, "sentiment_n": 0,
            "sentiment_sum": 0.0, "sentiment_sumsq": 0.0, "pain_points": 0}


def run_groups(tables: RunState) -> list[dict[str, Any]]:
    """Aggregates per group of this run (rows of the store's `run_groups` table)."""
    groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(_empty)
    # NPS counts respondents: one score per input row, not one per answer.
    respondent_of = {r["row_id"]: respondent_key(r) for r in tables.records}
    nps_of = per_respondent(tables.records, "nps")
    channel_of = {r["row_id"]: r.get("channel") for r in tables.records}
    for record in tables.analyzed():
        groups[("overall", "all")]["rows"].add(record["row_id"])
        if record.get("channel"):
            groups[("channel", str(record["channel"]))]["rows"].add(record["row_id"])
    for segment in tables.segments:
        theme = segment.get("theme_id")
        stage = segment.get("journey_stage")
        keys: list[tuple[str, str, str | None]] = [("overall", "all", None)]
        if theme is not None:
            keys.append(("theme", str(theme), segment.get("theme_label")))
        if stage not in UNASSIGNED:
            keys.append(("stage", str(stage), None))
        if channel_of.get(segment["row_id"]):
            keys.append(("channel", str(channel_of[segment["row_id"]]), None))
        if segment.get("touchpoint") not in UNASSIGNED:
            keys.append(("touchpoint", str(segment["touchpoint"]), None))
        pain = bool(segment.get("is_pain_point"))
        if pain and stage not in UNASSIGNED:
            where = (f"theme {theme}" if theme is not None
                     else f"touchpoint {segment.get('touchpoint') or 'unassigned'}")
            keys.append(("stage_pain", f"{stage}/{where}",
                         f"{stage}: {segment.get('theme_label') or where}"))
        score = segment.get("sentiment_score")
        for dimension, key, label in keys:
            group = groups[(dimension, key)]
            group["rows"].add(segment["row_id"])
            group["label"] = group["label"] or label
            group["segments"] += 1
            group["pain_points"] += pain
            if score is not None:
                group["sentiment_n"] += 1
                group["sentiment_sum"] += float(score)
                group["sentiment_sumsq"] += float(score) ** 2
    rows = []
    for (dimension, key), group in sorted(groups.items()):
        who = {respondent_of[r] for r in group["rows"]}
        nps_n, promoters, detractors = nps_counts(nps_of[person] for person in who)
        rows.append({
            "dimension": dimension, "key": key, "label": group["label"] or key,
            # Answer rows and the people who gave them (voc.kpi.scores.respondent_key): a
            # two-question survey has two records per respondent.
            "records": len(group["rows"]), "respondents": len(who),
            "segments": group["segments"],
            "sentiment_n": group["sentiment_n"], "sentiment_sum": group["sentiment_sum"],
            "sentiment_sumsq": group["sentiment_sumsq"], "nps_n": nps_n,
            "promoters": promoters, "detractors": detractors,
            "pain_points": group["pain_points"], "new_theme": None,
        })
    return rows


def describe(group: Mapping[str, Any], total_segments: int) -> dict[str, Any]:
    """The readable figures of one group: share, mean sentiment, NPS."""
    n = group["sentiment_n"]
    nps_n = group["nps_n"]
    return {
        # None for a previous run stored before groups counted respondents.
        "records": group["records"], "respondents": group.get("respondents"),
        "segments": group["segments"],
        "share": round(group["segments"] / total_segments, 4) if total_segments else None,
        "sentiment": round(group["sentiment_sum"] / n, 4) if n else None,
        "sentiment_n": n,
        # The same estimate as kpis.json's, so one group prints one NPS in both files.
        "nps": round(100 * nps_estimate(nps_n, group["promoters"], group["detractors"])[0], 2)
        if nps_n else None,
        "nps_n": nps_n, "pain_points": group["pain_points"],
    }


def _sentiment_p(now: Mapping[str, Any], before: Mapping[str, Any]) -> float | None:
    if min(now["sentiment_n"], before["sentiment_n"]) < MIN_TEST_N:
        return None
    return mean_difference_p(
        *((g["sentiment_n"], g["sentiment_sum"], g["sentiment_sumsq"]) for g in (now, before)))


def _nps_p(now: Mapping[str, Any], before: Mapping[str, Any]) -> float | None:
    if min(now["nps_n"], before["nps_n"]) < MIN_TEST_N:
        return None
    return nps_difference_p(
        *((g["nps_n"], g["promoters"], g["detractors"]) for g in (now, before)))


def _growth_p(x1: int, n1: int, x0: int, n0: int) -> float | None:
    """One-sided p that the share x1/n1 is larger than x0/n0 only by chance."""
    return None if min(n1, n0) < MIN_TEST_N else proportion_growth_p(x1, n1, x0, n0)


def compare(run_id: str, current: Iterable[Mapping[str, Any]],
            previous: Iterable[Mapping[str, Any]] | None,
            previous_run: Mapping[str, Any] | None, alpha: float = ALPHA) -> dict[str, Any]:
    """The changes document of a run against the previous run's groups."""
    now = {(g["dimension"], g["key"]): g for g in current}
    before = {(g["dimension"], g["key"]): g for g in previous or ()}
    total_now = now.get(("overall", "all"), {}).get("segments", 0)
    total_before = before.get(("overall", "all"), {}).get("segments", 0)
    groups: list[dict[str, Any]] = []
    tests: list[tuple[dict[str, Any], str, float]] = []
    for (dimension, key), group in now.items():
        old = before.get((dimension, key))
        entry: dict[str, Any] = {
            "dimension": dimension, "key": key, "label": group["label"],
            "current": describe(group, total_now),
            "previous": describe(old, total_before) if old else None,
            "new": previous is not None and old is None and dimension != "overall",
        }
        if old is not None:
            for metric, p in (("sentiment", _sentiment_p(group, old)),
                              ("nps", _nps_p(group, old))):
                entry[f"{metric}_change"] = _difference(entry, metric)
                entry[f"{metric}_p"] = p
                if p is not None:
                    tests.append((entry, metric, p))
        if dimension == "theme" and previous is not None:
            x0 = old["segments"] if old else 0
            p = _growth_p(group["segments"], total_now, x0, total_before)
            entry["share_change"] = round(entry["current"]["share"]
                                          - (x0 / total_before if total_before else 0), 4)
            entry["share_p"] = p
            if p is not None:
                tests.append((entry, "share", p))
        groups.append(entry)
    for (entry, metric, _), q in zip(tests, benjamini_hochberg([t[2] for t in tests]),
                                     strict=True):
        entry[f"{metric}_q"] = round(q, 6)
        entry[f"{metric}_significant"] = q < alpha
    return {
        "run_id": run_id,
        "previous_run_id": previous_run["run_id"] if previous_run else None,
        "previous_started_at": str(previous_run["started_at"]) if previous_run else None,
        "alpha": alpha,
        "tests": len(tests),
        "emerging_themes": [
            _brief(g, "share") | {"status": "new" if g["new"] else "growing"}
            for g in groups if g["dimension"] == "theme"
            and (g["new"] or (g.get("share_significant") and g["share_change"] > 0))],
        "shifts": [
            _brief(g, metric) | {"metric": metric}
            for g in groups for metric in ("sentiment", "nps")
            if g.get(f"{metric}_significant")],
        "new_pain_points": [
            _brief(g, None) for g in groups if g["dimension"] == "stage_pain" and g["new"]
            and g["current"]["pain_points"] >= MIN_NEW_PAIN_POINTS],
        "groups": groups,
    }


def _difference(entry: Mapping[str, Any], metric: str) -> float | None:
    now, before = entry["current"][metric], entry["previous"][metric]
    return None if now is None or before is None else round(now - before, 4)


def _brief(group: Mapping[str, Any], metric: str | None) -> dict[str, Any]:
    brief = {"dimension": group["dimension"], "key": group["key"], "label": group["label"],
             "current": group["current"], "previous": group["previous"]}
    if metric:
        for suffix in ("change", "p", "q", "significant"):
            brief[suffix] = group.get(f"{metric}_{suffix}")
    return brief
