"""Linking segments to journey stages and touchpoints: keywords, embeddings, channel."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO
from voc.journey.calibration import ThresholdCalibrator, assigned_scores
from voc.journey.component import (
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_MIN_TOUCHPOINT_CONFIDENCE,
    JourneyComponent,
    journey_linker,
    keyword_tokenizer,
    passage_prefix,
    summarize_records,
)
from voc.journey.keywords import Keyword, KeywordMatcher
from voc.journey.linking import (
    UNASSIGNED,
    Anchors,
    JourneyLinker,
    LinkSettings,
    nearest_anchor_similarity,
    stage_confidence,
)
from voc.journey.maps import load_journey_map, parse_journey_map
from voc.pipeline.base import RunState
from voc.pipeline.config import load_config
from voc.pipeline.settings import JourneySettings

TRUTH = REPO / "tests" / "data" / "sample_feedback_truth.jsonl"

MAP = """
name: Test shop
stages:
  - id: purchase
    name: {en: Purchase, fa: خرید}
    description: {en: "paying for the order", fa: "پرداخت سفارش"}
    keywords: {en: [payment, checkout], fa: [پرداخت, سبد خرید]}
  - id: delivery
    name: {en: Delivery, fa: ارسال}
    description: {en: "getting the parcel", fa: "دریافت بسته"}
    keywords: {en: [courier, late], fa: [پیک, دیر]}
  - id: support
    name: {en: Support}
    keywords: {en: [support, agent]}
touchpoints:
  - id: gateway
    name: {en: Payment gateway}
    keywords: {en: [gateway, bank], fa: [درگاه]}
    stages: [purchase]
  - id: courier
    name: {en: Courier}
    keywords: {en: [courier, driver], fa: [پیک]}
    stages: [delivery]
  - id: call_center
    name: {en: Call center}
    keywords: {en: [phone, called]}
  - id: chat
    name: {en: Chat}
    keywords: {en: [chat]}
channel_map:
  phone: call_center
"""


class BagOfWordsEncoder:
    """A deterministic stand-in for the encoder: counts of a few topic words."""

    VOCAB = ("pay", "order", "parcel", "courier", "help", "bank", "پرداخت", "پیک", "phone")

    def __call__(self, texts: list[str]) -> np.ndarray:
        rows = np.array([[t.lower().count(w) for w in self.VOCAB] for t in texts], dtype=float)
        rows += 1e-3  # no all-zero rows
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def tokenize():  # type: ignore[no-untyped-def]
    return keyword_tokenizer("auto")


@pytest.fixture(scope="module")
def linker(tokenize) -> JourneyLinker:  # type: ignore[no-untyped-def]
    return JourneyLinker(parse_journey_map(MAP, "test.yaml"), BagOfWordsEncoder(), tokenize,
                         LinkSettings(anchor_weight=0.0))


def test_keyword_matching_allows_suffixes_not_prefixes_of_short_words() -> None:
    matcher = KeywordMatcher([
        Keyword(0, "crash", ("crash",)), Keyword(1, "ad", ("ad",)),
        Keyword(2, "پرداخت", ("پرداخت",)), Keyword(3, "discount code", ("discount", "code")),
        Keyword(4, "بسته", ("بسته",)),
    ])
    found = lambda terms: sorted(k.text for k in matcher.match(terms))  # noqa: E731
    assert found(["app", "crashes"]) == ["crash"]
    assert found(["wrong", "address"]) == []
    assert found(["an", "ad"]) == ["ad"]
    assert found(["پرداختم", "نشد"]) == ["پرداخت"]
    assert found(["the", "discount", "code", "fail"]) == ["discount code"]
    assert found(["discount", "was", "code"]) == []
    assert found(["بسته\u200cها", "رسید"]) == ["بسته"]


def test_keyword_matches_say_where_they_start() -> None:
    matcher = KeywordMatcher([Keyword(0, "card", ("card",)),
                              Keyword(1, "top up", ("top", "up"))])
    assert [(k.text, start) for k, start in matcher.match_positions(
        ["my", "top", "up", "by", "card", "fail", "card"])] == [("top up", 1), ("card", 4)]


_TIE_SCRIPT = """
from voc.journey.keywords import Keyword, KeywordMatcher
matcher = KeywordMatcher([Keyword(0, "deliver", ("deliver",)),
                          Keyword(0, "delivery", ("delivery",)),
                          Keyword(1, "late delivery", ("late", "delivery")),
                          Keyword(2, "late", ("late",))])
print([k.text for k in matcher.match(["late", "delivery", "delivered"])])
"""


def test_keyword_ties_and_order_do_not_follow_the_hash_seed() -> None:
    """Two keywords of one stage matching one word ("deliver", "delivery" on "delivery")
    were chosen by a set's iteration order, so link_evidence changed between runs
    without a fixed PYTHONHASHSEED. The closer keyword wins, in text then map order."""
    import os
    import subprocess
    import sys

    seen = set()
    for seed in ("0", "1", "2", "3", "5", "8"):
        done = subprocess.run([sys.executable, "-c", _TIE_SCRIPT], capture_output=True,
                              text=True, check=True, cwd=REPO,
                              env={**os.environ, "PYTHONHASHSEED": seed,
                                   "PYTHONPATH": str(REPO)})
        seen.add(done.stdout.strip())
    assert seen == {"['late delivery', 'late', 'delivery', 'deliver']"}


def test_failure_words_are_the_segments_pain_cues() -> None:
    from voc.journey.painpoints import is_failure_term

    # "can't" and "won't" reach the terms as "ca" and "wo" (spaCy drops "n't").
    assert all(map(is_failure_term, ["not", "ca", "wo", "delay", "decline", "نشد", "نمیاد"]))
    assert not any(map(is_failure_term, ["card", "payment", "do", "پرداخت"]))


def test_pain_cues_weigh_the_keyword_the_complaint_is_about(tokenize) -> None:  # type: ignore[no-untyped-def]
    journey = parse_journey_map(MAP, "test.yaml")
    # One keyword each for purchase and support: a tie without the pain cue ("never").
    terms = [["payment", "be", "fine", "but", "support", "never", "answer"]]
    zeros = np.zeros((1, len(BagOfWordsEncoder.VOCAB)))

    def link(weight: float):  # type: ignore[no-untyped-def]
        settings = LinkSettings(anchor_weight=0.0, pain_keyword_weight=weight)
        return JourneyLinker(journey, BagOfWordsEncoder(), tokenize, settings).link(
            zeros, terms, [None])[0]

    assert link(0.0).link_confidence < 0.5
    focused = link(2.0)
    assert focused.journey_stage == "support" and focused.link_confidence >= 0.5
    # Out of the window, no weight: the failure word must be near the keyword.
    far = [["support", "be", "fine", "and", "the", "payment", "page", "too", "but", "never"]]
    settings = LinkSettings(anchor_weight=0.0, pain_keyword_weight=2.0, pain_window=3)
    [link_far] = JourneyLinker(journey, BagOfWordsEncoder(), tokenize, settings).link(
        zeros, far, [None])
    assert link_far.link_confidence < 0.5


def test_keywords_are_normalized_like_segment_terms(tokenize) -> None:  # type: ignore[no-untyped-def]
    assert tokenize("crashes", "en") == ("crash",)
    # Persian goes through hazm's normalizer: Arabic yeh/kaf become Persian ones.
    assert tokenize("كيفيت", "fa") == ("کیفیت",)
    assert tokenize("سبد خرید", "fa") == ("سبد", "خرید")


def test_keywords_link_in_both_languages(linker: JourneyLinker) -> None:
    # Zero vectors: similar to no description, so the keywords alone decide.
    links = linker.link(np.zeros((3, len(BagOfWordsEncoder.VOCAB))),
                        [["the", "courier", "be", "late"], ["پیک", "دیر", "اومد"],
                         ["checkout", "fail", "at", "the", "gateway"]],
                        [None, None, None])
    assert [link.journey_stage for link in links] == ["delivery", "delivery", "purchase"]
    assert [link.touchpoint for link in links] == ["courier", "courier", "gateway"]
    assert all(link.link_confidence >= 0.5 for link in links)
    assert links[0].link_evidence.startswith("keywords: courier, late")
    assert "description: Delivery" in links[0].link_evidence


def test_no_evidence_means_unassigned_not_a_forced_guess(linker: JourneyLinker) -> None:
    # Equally (dis)similar to every description, no keyword, no channel.
    [link] = linker.link(np.zeros((1, len(BagOfWordsEncoder.VOCAB))), [["thank", "you"]],
                         [None])
    assert link.journey_stage == UNASSIGNED and link.touchpoint == UNASSIGNED
    assert 0.0 <= link.link_confidence < 0.5


def test_embedding_similarity_links_without_keywords(linker: JourneyLinker) -> None:
    [link] = linker.link(BagOfWordsEncoder()(["pay pay order"]), [["nothing", "match"]], [None])
    assert link.journey_stage == "purchase"
    assert "keywords" not in link.link_evidence


def test_channel_column_names_the_touchpoint(linker: JourneyLinker) -> None:
    embeddings = np.zeros((2, len(BagOfWordsEncoder.VOCAB)))
    terms = [["the", "support", "agent", "be", "rude"]] * 2
    with_channel, without = linker.link(embeddings, terms, ["Phone", None])
    assert with_channel.journey_stage == without.journey_stage == "support"
    assert with_channel.touchpoint == "call_center"
    assert with_channel.touchpoint_confidence > without.touchpoint_confidence
    assert "channel: Phone" in with_channel.link_evidence


def test_touchpoints_respect_their_stages(linker: JourneyLinker) -> None:
    # "bank" names the gateway, which only occurs at purchase: it pulls the stage there,
    # and a delivery-stage segment never gets the gateway touchpoint.
    links = linker.link(np.zeros((2, len(BagOfWordsEncoder.VOCAB))),
                        [["bank", "error"], ["courier", "late", "bank"]], [None, None])
    assert links[0].journey_stage == "purchase" and links[0].touchpoint == "gateway"
    assert links[1].journey_stage == "delivery" and links[1].touchpoint != "gateway"


class FakeClassifier:
    class _Predictions:
        def __init__(self, embeddings: np.ndarray) -> None:
            self.embeddings = embeddings

    def run(self, texts: list[str], *args: object, **kwargs: object) -> _Predictions:
        return self._Predictions(BagOfWordsEncoder()(texts))


def test_component_annotates_segments_and_records(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(MAP, encoding="utf-8")
    config = load_config(None)
    config["journey"]["map"] = str(path)
    component = JourneyComponent(JourneySettings(**config["journey"]))
    monkeypatch.setattr(JourneyComponent, "classifier", property(lambda self: FakeClassifier()))
    records = [{"row_id": 0, "status": "ok", "channel": "phone"},
               {"row_id": 1, "status": "ok", "channel": None},
               {"row_id": 2, "status": "empty", "channel": None}]
    texts = [(0, "I had to call three times", "i have to call three time"),
             (0, "the courier was late", "the courier be late"),
             (1, "سه بار زنگ زدم", "سه بار زنگ زدم"),
             (1, "پرداخت خیلی راحت بود", "پرداخت خیلی راحت بود")]
    segments = [{"row_id": r, "text": text, "terms": terms, "sentiment": "neutral",
                 "sentiment_score": 0.0, "emotion_scores": None} for r, text, terms in texts]
    segments[3].update(sentiment="positive", sentiment_score=0.9)
    embeddings = BagOfWordsEncoder()([s["text"] for s in segments])
    embeddings[2] = 0.0  # no topic at all: only its keywords (none) could link it
    tables = RunState(records=records, segments=segments, embeddings=embeddings)
    tables = component(tables)
    assert [s["is_pain_point"] for s in segments] == [True, False, True, False]
    assert segments[0]["effort"] > 0 and segments[2]["effort"] > 0
    assert segments[0]["touchpoint"] == "call_center"  # from the channel column
    assert segments[1]["journey_stage"] == "delivery"
    assert segments[3]["journey_stage"] == "purchase"
    assert segments[2]["journey_stage"] == "unassigned"
    assert records[0]["is_pain_point"] and records[0]["journey_stages"] == ["delivery"]
    assert records[1]["journey_stages"] == ["purchase"]
    assert records[2]["journey_stages"] is None and records[2]["is_pain_point"] is None


@pytest.mark.parametrize("neighbours", [0, 2])
def test_a_batch_linked_with_the_whole_runs_anchors_links_as_the_whole_run(
        tokenize, neighbours: int) -> None:  # type: ignore[no-untyped-def]
    """The Ray engine links batch by batch with anchors summed over every batch: the
    result must be the links of one pass over all segments (with nearest anchors too,
    whose pools keep the run's first anchors whichever batch they came from)."""
    linker = JourneyLinker(parse_journey_map(MAP, "test.yaml"), BagOfWordsEncoder(), tokenize,
                           LinkSettings(anchor_weight=0.5, min_anchors=3,
                                        anchor_neighbours=neighbours, anchor_pool=3))
    texts = [f"{words} {i}" for i in range(4)
             for words in ("payment pay order", "courier late parcel", "bank pay", "help")]
    terms = [t.split() for t in texts]
    embeddings = BagOfWordsEncoder()(texts)
    channels = [None] * len(texts)
    whole = linker.link(embeddings, terms, channels)
    halves = [slice(0, 7), slice(7, len(texts))]
    summed = linker.anchors(embeddings[halves[0]], terms[halves[0]]) \
        + linker.anchors(embeddings[halves[1]], terms[halves[1]])
    assert summed.counts.sum() >= 6  # the anchors do take part
    batched = [link for part in halves
               for link in linker.link(embeddings[part], terms[part], channels[part], summed)]
    assert batched == whole
    # Without the run's anchors a batch may link otherwise: that is what they are for.
    alone = linker.link(embeddings[halves[0]], terms[halves[0]], channels[halves[0]])
    assert [link.link_confidence for link in alone] != \
        [link.link_confidence for link in whole[halves[0]]]


def test_runner_up_confidence_does_not_depend_on_the_number_of_stages() -> None:
    # The same lead of one logit over the runner-up: sigmoid(1) = 0.7311 among 3 or 8
    # stages, while the top probability is e/(e+2) = 0.5761 among 3 and e/(e+7) = 0.2797
    # among 8.
    three = np.array([[1.0, 0.0, 0.0]])
    eight = np.array([[1.0] + [0.0] * 7])
    for logits in (three, eight):
        assert stage_confidence(logits, "over_runner_up")[0] == pytest.approx(0.7311, abs=1e-4)
    assert stage_confidence(three, "stage_probability")[0] == pytest.approx(0.5761, abs=1e-4)
    assert stage_confidence(eight, "stage_probability")[0] == pytest.approx(0.2797, abs=1e-4)
    # Two logits ahead: sigmoid(2) = 0.8808; a tie is 0.5.
    assert stage_confidence(np.array([[2.0, 0.0, -1.0]]), "over_runner_up")[0] == \
        pytest.approx(0.8808, abs=1e-4)
    assert stage_confidence(np.array([[1.0, 1.0, 0.0]]), "over_runner_up")[0] == 0.5


def test_a_runner_up_link_below_the_threshold_is_unassigned(tokenize) -> None:  # type: ignore[no-untyped-def]
    journey = parse_journey_map(MAP, "test.yaml")
    terms = [["courier", "late"], ["hello"]]
    embeddings = BagOfWordsEncoder()(["courier late", "hello"])
    settings = LinkSettings(anchor_weight=0.0, confidence_measure="over_runner_up",
                            min_confidence=0.9)
    links = JourneyLinker(journey, BagOfWordsEncoder(), tokenize, settings).link(
        embeddings, terms, [None, None])
    # Two delivery keywords (4 logits) put delivery far ahead; "hello" has nothing.
    assert links[0].journey_stage == "delivery" and links[0].link_confidence >= 0.9
    assert links[1].journey_stage == UNASSIGNED


def test_nearest_anchor_similarity_is_the_mean_of_the_k_closest_leaving_itself_out() -> None:
    pool = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    segments = np.array([[0.8, 0.6], [1.0, 0.0]], dtype=np.float32)
    # [0.8, 0.6]: similarities 0.8, 0.6, 0.96 -> the two closest, (0.96 + 0.8) / 2 = 0.88.
    # [1.0, 0.0] is the pool's first anchor: itself left out, (0.6 + 0.0) / 2 = 0.3.
    assert nearest_anchor_similarity(segments, pool, 2) == pytest.approx([0.88, 0.3],
                                                                          abs=1e-6)
    # k larger than the pool: all of it.
    assert nearest_anchor_similarity(segments[:1], pool, 5) == pytest.approx(
        [(0.8 + 0.6 + 0.96) / 3], abs=1e-6)


def test_anchor_pools_keep_the_runs_first_anchors() -> None:
    def batch(rows: list[list[float]]) -> Anchors:
        vectors = np.array(rows, dtype=np.float32)
        return Anchors(vectors.sum(axis=0, keepdims=True).astype(np.float64),
                       np.array([len(rows)]), (vectors,), pool_size=3)

    run = batch([[1.0, 0.0], [0.0, 1.0]]) + batch([[0.6, 0.8], [0.8, 0.6]])
    assert run.counts.tolist() == [4]
    np.testing.assert_allclose(run.pools[0], [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])


class PrefixRecordingClassifier(FakeClassifier):
    def __init__(self, query_prefix: str = "query: ") -> None:
        self.metadata = type("Metadata", (), {"prefix": query_prefix})()
        self.prefixes: list[str | None] = []

    def run(self, texts: list[str], *args: object, **kwargs: object
            ) -> FakeClassifier._Predictions:
        self.prefixes.append(kwargs.get("prefix"))  # type: ignore[arg-type]
        return super().run(texts)


def test_map_descriptions_are_encoded_as_e5_passages() -> None:
    # Segments are e5 queries (classify); what they are matched against is a passage.
    e5 = PrefixRecordingClassifier()
    journey_linker(parse_journey_map(MAP, "test.yaml"), e5, LinkSettings())
    assert e5.prefixes and set(e5.prefixes) == {"passage: "}
    # A model without the query/passage convention keeps its own prefix.
    other = PrefixRecordingClassifier(query_prefix="")
    assert passage_prefix(other) is None
    journey_linker(parse_journey_map(MAP, "test.yaml"), other, LinkSettings())
    assert set(other.prefixes) == {None}


def test_assigned_scores_count_only_links_at_or_above_the_threshold() -> None:
    # -1: a link the linker itself left unassigned (below chance) never counts.
    scores = assigned_scores(np.array([0.9, 0.6, 0.4, -1.0]),
                             np.array([True, False, True, False]), 0.5)
    assert (scores.n, scores.assigned, scores.accuracy) == (4, 2, 0.5)
    assert scores.unassigned_share == 0.5
    assert assigned_scores(np.array([0.1]), np.array([True]), 0.5).accuracy is None


def test_threshold_keeps_every_set_within_the_unassigned_budget() -> None:
    # Set a at 0.5: 2 of 4 kept, both right (1.0); set b: 3 kept, 2 right (2/3).
    # At 0.8 both keep 1 of 4 (75% unassigned); at 0 both are 0.5 accurate.
    a = (np.array([0.9, 0.7, 0.3, 0.2]), np.array([True, True, False, False]))
    b = (np.array([0.9, 0.6, 0.55, 0.1]), np.array([True, False, True, False]))
    fitted = ThresholdCalibrator(max_unassigned=0.5, grid=(0.0, 0.5, 0.8)).fit([a, b])
    assert fitted.threshold_ == 0.5 and fitted.within_budget_
    assert fitted.mean_accuracy_ == pytest.approx((1.0 + 2 / 3) / 2)
    # Set a alone at 0.5 is 50% unassigned: over a 40% budget, so 0 wins for both.
    strict = ThresholdCalibrator(max_unassigned=0.4, grid=(0.0, 0.5, 0.8)).fit([a, b])
    assert strict.threshold_ == 0.0 and strict.mean_accuracy_ == 0.5
    # Scored on a set it was not fitted on: the transfer figure.
    held_out = fitted.score(np.array([0.6, 0.45]), np.array([False, True]))
    assert (held_out.assigned, held_out.accuracy) == (1, 0.0)


def test_threshold_without_any_choice_in_budget_leaves_fewest_unassigned() -> None:
    # Half of this set is below chance whatever the threshold: over a 20% budget.
    below_chance = (np.array([-1.0, 0.9]), np.array([False, True]))
    fitted = ThresholdCalibrator(max_unassigned=0.2, grid=(0.0, 0.5, 0.95)).fit(
        [below_chance])
    assert not fitted.within_budget_ and fitted.threshold_ == 0.0
    assert fitted.mean_accuracy_ is None


def test_shipped_threshold_is_the_components_default() -> None:

    assert JourneySettings().min_confidence == DEFAULT_MIN_CONFIDENCE


def test_a_linker_built_directly_has_the_runs_thresholds() -> None:
    # One definition (JourneySettings): LinkSettings() used to say 0.5 for the touchpoint
    # where a run said 0.6.
    settings = JourneySettings()
    assert (LinkSettings().min_confidence, LinkSettings().min_touchpoint_confidence) == \
        (settings.min_confidence, settings.min_touchpoint_confidence)
    assert JourneyComponent(settings).link_settings == LinkSettings()


def test_shipped_thresholds_are_the_ones_the_bench_chose() -> None:
    """The stage default is what bench/linking_eval.py chose on real labelled sets (within
    0.01: re-runs differ by a grid step or two with the encoder backend `auto` picks)."""

    results = json.loads((REPO / "bench" / "results" / "linking_eval.json").read_text())
    settings = JourneySettings()
    assert abs(settings.min_confidence - results["transfer"]["shipped"]["threshold"]) <= 0.01
    # ... with the linker variant the bench chose (LinkSettings' defaults).
    variant = results["transfer"]["shipped"]["variant"]
    assert variant.startswith("passage: ")
    defaults = LinkSettings()
    assert (f"anchor_neighbours={defaults.anchor_neighbours}" in variant) == \
        (defaults.anchor_neighbours > 0)
    assert ("conf=over_runner_up" in variant) == \
        (defaults.confidence_measure == "over_runner_up")
    # The touchpoint's leave-one-set-out choice is recorded but not shipped (settings.py).
    assert settings.min_touchpoint_confidence == results["touchpoints"]["shipped"]["threshold"]
    assert settings.min_touchpoint_confidence == DEFAULT_MIN_TOUCHPOINT_CONFIDENCE


def test_component_needs_classify_first(tmp_path: Path) -> None:
    from voc.errors import ConfigError

    component = JourneyComponent(JourneySettings())
    tables = RunState(records=[{"row_id": 0, "status": "ok"}],
                      segments=[{"row_id": 0, "text": "hi", "terms": "hi"}])
    with pytest.raises(ConfigError, match="classify"):
        component(tables)


def test_records_list_stages_in_journey_order() -> None:
    journey = load_journey_map("ecommerce")
    records = [{"row_id": 0}]
    segments = [{"row_id": 0, "journey_stage": s, "touchpoint": t, "is_pain_point": p}
                for s, t, p in [("returns", "unassigned", False), ("discovery", "search_ads", True),
                                ("unassigned", "courier", False)]]
    summarize_records(records, segments, journey)
    assert records[0]["journey_stages"] == ["discovery", "returns"]
    assert records[0]["touchpoints"] == ["search_ads", "courier"]
    assert records[0]["is_pain_point"] is True


def test_sample_run_links_agree_with_the_truth(sample_run_dir: Path) -> None:
    """Segments of answers whose truth lists one aspect per segment, aligned in order."""
    records = pq.read_table(sample_run_dir / "records.parquet").to_pylist()
    segments = pq.read_table(sample_run_dir / "segments.parquet").to_pylist()
    journey = load_journey_map("ecommerce")
    assert {s["journey_stage"] for s in segments} <= {*journey.stage_ids(), UNASSIGNED}
    assert {s["touchpoint"] for s in segments} <= {*journey.touchpoint_ids(), UNASSIGNED}
    assert all(0.0 <= s["link_confidence"] <= 1.0 and s["link_evidence"] for s in segments)
    assert all(0.0 <= s["severity"] <= 1.0 and 0.0 <= s["effort"] <= 1.0 for s in segments)
    truth = {(t["file"], t["id"], t["question"]): t
             for t in map(json.loads, TRUTH.read_text(encoding="utf-8").splitlines())}
    by_row: dict[int, list[dict]] = {}
    for segment in segments:
        by_row.setdefault(segment["row_id"], []).append(segment)
    pairs = []
    for record in records:
        members = by_row.get(record["row_id"], [])
        aspects = truth.get((record["source"], record["id"], record["question"]),
                            {}).get("aspects", [])
        if members and len(members) == len(aspects):
            pairs += [(a["stage"], s["journey_stage"]) for a, s in zip(aspects, members,
                                                                       strict=True)
                      if a["stage"]]
    assigned = [(want, got) for want, got in pairs if got != UNASSIGNED]
    accuracy = sum(want == got for want, got in assigned) / len(assigned)
    unassigned = 1 - len(assigned) / len(pairs)
    assert len(pairs) > 400
    # Measured 0.78 accuracy with 32% unassigned (the truth itself is debatable at times:
    # "support was patient" under delivery); pure nearest-description scores 0.58. The
    # threshold is chosen on real labelled sets (bench/linking_eval.py), where it leaves
    # 6-19% unassigned: this synthetic sample's terse clauses are less sure of a stage.
    assert accuracy >= 0.72, Counter(assigned)
    assert unassigned <= 0.38
    # Pain points: negative truth aspects are mostly flagged, positive ones mostly not.
    polarity = []
    for record in records:
        members = by_row.get(record["row_id"], [])
        aspects = truth.get((record["source"], record["id"], record["question"]),
                            {}).get("aspects", [])
        if members and len(members) == len(aspects):
            polarity += [(a["polarity"], s["is_pain_point"]) for a, s in zip(aspects, members,
                                                                            strict=True)]
    negative = [flag for p, flag in polarity if p == "negative"]
    positive = [flag for p, flag in polarity if p == "positive"]
    # Measured 0.63 negative / 0.083 positive with the score threshold chosen on real data
    # the heads never saw (bench/painpoint_transfer.py; this sample is ours and chooses
    # nothing). The earlier rule (argmax negative or score <= -0.25) gave 0.71 / 0.155 here
    # and flagged 9-13% of real all-positive review sentences.
    assert sum(negative) / len(negative) >= 0.6
    assert sum(positive) / len(positive) <= 0.12, sum(positive) / len(positive)


def test_unknown_journey_option_is_a_one_line_usage_error(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "in.csv"
    data.write_text("text\nthe courier was late\n", encoding="utf-8")
    result = run_cli("analyze", data, "--out", tmp_path / "out", "--journey", "no_such_map")
    assert result.code == 2
    assert "journey map 'no_such_map' not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_journey_fitted_batch_by_batch_is_the_journey_of_the_whole_run(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The corpus protocol a distributed executor uses (collect each batch's anchors, fit
    on their sum, transform each batch, adopt): the stage then keeps those links, and
    they are the links of one pass over the whole run."""
    import copy

    path = tmp_path / "shop.yaml"
    path.write_text(MAP, encoding="utf-8")
    config = load_config(None)
    config["journey"]["map"] = str(path)
    config["journey"]["min_confidence"] = 0.3
    component = JourneyComponent(JourneySettings(**config["journey"]))
    monkeypatch.setattr(JourneyComponent, "classifier", property(lambda self: FakeClassifier()))
    texts = [f"{words} {i}" for i in range(6)
             for words in ("payment pay order", "courier late parcel", "bank pay", "help")]
    records = [{"row_id": i, "status": "ok", "channel": None} for i in range(len(texts))]
    segments = [{"row_id": i, "segment_index": 0, "text": t, "terms": t}
                for i, t in enumerate(texts)]
    embeddings = BagOfWordsEncoder()(texts)
    whole = component(RunState(records=copy.deepcopy(records), segments=copy.deepcopy(segments),
                               embeddings=embeddings))

    halves = [slice(0, 11), slice(11, len(texts))]
    batches = [RunState(records=copy.deepcopy(records[h]), segments=copy.deepcopy(segments[h]),
                        embeddings=embeddings[h]) for h in halves]
    fit = component.fit_shares([component.collect(b) for b in batches])
    assert fit is not None and fit.per_batch
    assert fit.model.counts.max() >= 5  # the anchors take part (LinkSettings.min_anchors)
    transformed = {(s["row_id"], s["segment_index"]): fields for b in batches
                   for s, fields in zip(b.segments, component.transform(b, fit), strict=True)}
    adopted = component.adopt(fit, transformed)

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the stage linked again instead of keeping the fit")

    monkeypatch.setattr(JourneyComponent, "annotate", refuse)
    state = RunState(records=copy.deepcopy(records), segments=copy.deepcopy(segments),
                     embeddings=embeddings)
    state.artifacts.fits[component.name] = adopted
    kept = component(state)
    assert kept.segments == whole.segments
    assert kept.records == whole.records
    assert kept.artifacts.journey_map is not None
