"""Journey linking on real labelled data, with the threshold chosen by how it transfers.

Four public labelled sets tune the threshold, each linked with a map written from a
public description of its kind of business before any of its texts were read
(bench/maps/, header comments); each set's label -> stage table below was written from
the label names alone:

* Banking77 customer messages (77 intents)        -> bench/maps/neobank.yaml
* SemEval-2014 restaurant sentences (aspects)     -> bench/maps/restaurant.yaml
* app-store reviews (bug report, feature request;
  `user experience` and `rating` name no stage)   -> bench/maps/mobile_app.yaml
* Bitext customer-support requests (categories;
  synthetic utterances)                           -> bench/maps/retail_support.yaml

A fifth, closest to the maintainers' airline test, is only scored: complaint tweets to
airlines and rail operators, stages labelled by hand (bench/data/README.md)
-> bench/maps/passenger_transport.yaml.

A record is one text; its link is its most confident pain-point segment's (any segment's
for "all records"). Scored: accuracy on assigned links and the unassigned share.

Transfer (leave one set out): for each set, the linker variant and threshold are chosen
on the OTHER tuning sets (best mean assigned accuracy with every tuning set at most 20%
unassigned, voc.journey.calibration) and scored on the held-out set; that held-out
figure is the one reported. The variants (SHIPPED_PROTOCOL): descriptions encoded as e5
queries or passages, x the confidence measure (top probability or against the runner-up,
LinkSettings.confidence_measure), x keyword anchors by their mean vector or by the 3 or
10 nearest (LinkSettings.anchor_neighbours). The shipped default is the same choice made
on all tuning sets. Also reported: the protocol before issue 17's second round (prefix
only), the same with the tweets as a fifth tuning set, with the pain-cue variants
(LinkSettings.pain_keyword_weight), the confidence measures alone, and a weight grid as
choices, and the
touchpoint threshold chosen leave-one-set-out on the sets with touchpoint truth. The
project's synthetic sample (e-commerce map, clause-aligned truth) is scored too, for
reference only. Encoder outputs are cached (the voc output cache and ~/.cache/voc-bench).

    .venv/bin/python bench/linking_eval.py [--per-label N]

Writes bench/results/linking_eval.json with the machine load.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import pickle
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine import machine_info  # noqa: E402
from voc.analysis import AnalyzeOptions, read_records  # noqa: E402
from voc.journey.calibration import ThresholdCalibrator, assigned_scores  # noqa: E402
from voc.journey.component import (  # noqa: E402
    E5_PASSAGE_PREFIX,
    E5_QUERY_PREFIX,
    annotate_pain_points,
    keyword_tokenizer,
    segment_terms,
)
from voc.journey.linking import (  # noqa: E402
    UNASSIGNED,
    ConfidenceMeasure,
    JourneyLinker,
    LinkSettings,
)
from voc.journey.maps import load_journey_map  # noqa: E402
from voc.pipeline.base import RunState  # noqa: E402
from voc.pipeline.config import load_config  # noqa: E402
from voc.pipeline.run import build_components, run_components  # noqa: E402
from voc.pipeline.settings import ClassifySettings  # noqa: E402

DATASETS = Path("/work/shared/datasets")
MAPS = REPO / "bench" / "maps"
CACHE = Path.home() / ".cache" / "voc-bench" / "linking"
TRUTH = REPO / "tests" / "data" / "sample_feedback_truth.jsonl"
RESULTS = REPO / "bench" / "results" / "linking_eval.json"
MAX_UNASSIGNED = 0.20
# The configuration shipped before issue 17: descriptions encoded as e5 queries, the
# threshold fitted to the synthetic sample.
BEFORE_THRESHOLD = 0.32
# The touchpoint threshold before it was calibrated on real data (a guess).
BEFORE_TOUCH_THRESHOLD = 0.6

# ---- label -> stage tables, written from the label names alone ------------------------

_BANKING77 = {
    "account_opening": """why_verify_identity unable_to_verify_identity verify_my_identity
        age_limit edit_personal_details verify_source_of_funds country_support""",
    "card": """card_arrival card_delivery_estimate get_physical_card order_physical_card
        getting_virtual_card get_disposable_virtual_card getting_spare_card activate_my_card
        card_about_to_expire card_linking visa_or_mastercard disposable_card_limits""",
    "top_up": """automatic_top_up top_up_limits pending_top_up top_up_reverted
        topping_up_by_card verify_top_up top_up_by_cash_or_cheque top_up_failed
        balance_not_updated_after_cheque_or_cash_deposit
        balance_not_updated_after_bank_transfer""",
    "payments": """cancel_transfer transfer_not_received_by_recipient pending_card_payment
        declined_transfer Refund_not_showing_up declined_card_payment pending_transfer
        transaction_charged_twice transfer_timing reverted_card_payment?
        beneficiary_not_allowed receiving_money failed_transfer apple_pay_or_google_pay
        contactless_not_working card_acceptance request_refund""",
    "exchange_cash": """exchange_rate pending_cash_withdrawal exchange_via_app
        wrong_amount_of_cash_received declined_cash_withdrawal
        wrong_exchange_rate_for_cash_withdrawal atm_support fiat_currency_support""",
    "security": """lost_or_stolen_card pin_blocked compromised_card passcode_forgotten
        lost_or_stolen_phone change_pin card_payment_not_recognised
        direct_debit_payment_not_recognised cash_withdrawal_not_recognised""",
    "fees": """card_payment_fee_charged transfer_fee_charged exchange_charge
        top_up_by_card_charge top_up_by_bank_transfer_charge cash_withdrawal_charge
        extra_charge_on_statement""",
    "closing": "terminate_account",
}
# Names that say two stages: a card that does not work when paying, money arriving as a
# transfer or a top-up, a card payment at the wrong rate, a card kept by an ATM.
_BANKING77_TWO = {
    "card_not_working": {"payments", "card"},
    "virtual_card_not_working": {"payments", "card"},
    "transfer_into_account": {"top_up", "payments"},
    "card_payment_wrong_exchange_rate": {"exchange_cash", "payments"},
    "card_swallowed": {"exchange_cash", "security"},
    "supported_cards_and_currencies": {"card", "top_up", "exchange_cash"},
}
_SEMEVAL = {"food": "food", "service": "service", "price": "bill", "ambience": "atmosphere"}
# restaurant map touchpoints: the service aspect is the staff, the ambience the room.
_SEMEVAL_TOUCH = {"service": "staff", "ambience": "dining_room"}
# Review TYPES (Maalej & Nabil 2015), not places in the app's life. Two name a stage of
# the map: a bug report is a crash, error or malfunction (reliability: "bugs and technical
# problems"), a feature request asks for something the app lacks (features: "features
# people would like added"). "user experience" documents using the app in some situation
# and can be about any stage (installing, paying, a feature, support), so, like
# "rating", it names none: until issue 17 it was mapped to features, which scored the
# linker against a stage the label does not say.
_APP_REVIEWS = {"bug report": "reliability", "feature request": "features"}
_BITEXT = {"ACCOUNT": "account", "ORDER": "ordering", "CANCELLATION_FEE": "ordering",
           "PAYMENT": "payment", "INVOICE": "payment", "SHIPPING_ADDRESS": "delivery",
           "DELIVERY": "delivery", "REFUND": "refunds", "CONTACT": "support",
           "FEEDBACK": "support", "NEWSLETTER": "support"}


# Touchpoints (neobank map: app, card, atm, support_chat) named by the intent name alone;
# the other intents have no touchpoint truth.
_BANKING77_TOUCH = {
    "atm": """atm_support declined_cash_withdrawal pending_cash_withdrawal
        wrong_amount_of_cash_received cash_withdrawal_charge
        wrong_exchange_rate_for_cash_withdrawal cash_withdrawal_not_recognised""",
    "card": """card_arrival card_delivery_estimate get_physical_card order_physical_card
        getting_virtual_card get_disposable_virtual_card getting_spare_card activate_my_card
        card_about_to_expire card_linking visa_or_mastercard disposable_card_limits
        card_not_working virtual_card_not_working card_payment_fee_charged
        card_payment_not_recognised card_payment_wrong_exchange_rate declined_card_payment
        pending_card_payment reverted_card_payment? lost_or_stolen_card compromised_card
        change_pin pin_blocked contactless_not_working topping_up_by_card
        top_up_by_card_charge""",
    "app": "exchange_via_app",
}


def banking77_touchpoints() -> dict[str, frozenset[str]]:
    table = {name: frozenset({touch}) for touch, names in _BANKING77_TOUCH.items()
             for name in names.split()}
    table["card_swallowed"] = frozenset({"atm", "card"})
    return table


def banking77_stages() -> dict[str, frozenset[str]]:
    table = {name: frozenset({stage}) for stage, names in _BANKING77.items()
             for name in names.split()}
    table.update({name: frozenset(stages) for name, stages in _BANKING77_TWO.items()})
    return table


# ---- labelled sets -------------------------------------------------------------------

# text, stages accepted as right, touchpoints accepted as right (empty: no touchpoint truth)
Item = tuple[str, frozenset[str], frozenset[str]]
NONE: frozenset[str] = frozenset()


def _per_label(rows: Sequence[tuple[str, str]], per_label: int, seed: int = 0
               ) -> list[tuple[str, str]]:
    """At most `per_label` (text, label) rows per label, the same ones every run."""
    by_label: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for text, label in rows:
        if text.strip():
            by_label[label].append((text, label))
    rng = random.Random(seed)
    return [row for label in sorted(by_label)
            for row in rng.sample(by_label[label], min(per_label, len(by_label[label])))]


def load_banking77(per_label: int) -> list[Item]:
    stages = banking77_stages()
    with (DATASETS / "en_banking77" / "train.csv").open(encoding="utf-8") as stream:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(stream)]
    missing = sorted({label for _, label in rows} - set(stages))
    if missing:
        raise SystemExit(f"Banking77 intents without a stage: {missing}")
    touch = banking77_touchpoints()
    return [(text, stages[label], touch.get(label, NONE))
            for text, label in _per_label(rows, per_label // 20)]


def load_semeval(per_label: int) -> list[Item]:
    """Restaurant sentences with at least one aspect that has a stage (sampled by their
    first such aspect); every aspect's stage counts as right."""
    path = DATASETS / "en_semeval_absa_restaurants" / "semeval2014_restaurants_train.jsonl"
    accepted: dict[str, frozenset[str]] = {}
    touch: dict[str, frozenset[str]] = {}
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        sentence = json.loads(line)
        stages = [_SEMEVAL[c["category"]] for c in sentence["aspect_categories"]
                  if c["category"] in _SEMEVAL]
        if stages:
            accepted[sentence["text"]] = frozenset(stages)
            touch[sentence["text"]] = frozenset(
                _SEMEVAL_TOUCH[c["category"]] for c in sentence["aspect_categories"]
                if c["category"] in _SEMEVAL_TOUCH)
            rows.append((sentence["text"], stages[0]))
    return [(text, accepted[text], touch[text]) for text, _ in _per_label(rows, per_label)]


def load_app_reviews(per_label: int) -> list[Item]:
    with (DATASETS / "en_app_review_types" / "app_review_types.csv").open(
            encoding="utf-8") as stream:
        rows = [(r["text_original"], r["label"]) for r in csv.DictReader(stream)
                if r["label"] in _APP_REVIEWS]
    return [(text, frozenset({_APP_REVIEWS[label]}), NONE)
            for text, label in _per_label(rows, per_label)]


def load_bitext(per_label: int) -> list[Item]:
    path = DATASETS / "en_bitext_customer_support" / "bitext_customer_service_8k.csv"
    with path.open(encoding="utf-8") as stream:
        rows = [(r["utterance"], r["category"]) for r in csv.DictReader(stream)]
    return [(text, frozenset({_BITEXT[label]}), NONE)
            for text, label in _per_label(rows, per_label // 4)]


COMPLAINTS = DATASETS / "en_complaints_social_media" / "complaints-data.csv"
TRANSPORT_LABELS = REPO / "bench" / "data" / "complaints_transport_labels.csv"


def load_transport_complaints(per_label: int) -> list[Item]:
    """Complaint tweets to airlines and rail operators (the set's `transport` domain,
    is_complaint = 1), with stages and touchpoints labelled by reading each tweet
    (bench/data/README.md); tweets with no stage named are left out. All of them:
    `per_label` does not apply."""
    with COMPLAINTS.open(encoding="utf-8") as stream:
        texts = {r["tweet_id"]: r["text"] for r in csv.DictReader(stream)
                 if r["domain"] == "transport" and r["is_complaint"] == "1"}
    with TRANSPORT_LABELS.open(encoding="utf-8") as stream:
        labels = list(csv.DictReader(stream))
    if {r["tweet_id"] for r in labels} != set(texts):
        raise SystemExit(f"{TRANSPORT_LABELS} does not label the transport complaints")
    return [(texts[r["tweet_id"]], frozenset(r["stages"].split("|")),
             frozenset(r["touchpoints"].split("|")) if r["touchpoints"] else NONE)
            for r in labels if r["stages"]]


@dataclass(frozen=True)
class LabelledSet:
    name: str
    journey: Path
    data: str
    load: Callable[[int], list[Item]]
    # Whether the shipped threshold is chosen on it (the rest are scored only).
    tunes: bool = True
    # Whether a record without touchpoint truth names none (so any touchpoint given to it
    # is wrong): true where every touchpoint was labelled or every label was mapped.
    names_no_touchpoint: bool = False


SETS = (
    LabelledSet("banking77", MAPS / "neobank.yaml",
                "Banking77 train, per-label/20 messages per intent", load_banking77),
    LabelledSet("semeval_restaurants", MAPS / "restaurant.yaml",
                "SemEval-2014 restaurants train, sentences with a food/service/price/"
                "ambience aspect, per-label by first aspect", load_semeval,
                names_no_touchpoint=True),
    LabelledSet("app_reviews", MAPS / "mobile_app.yaml",
                "app review types (bug report, feature request; user experience and "
                "rating name no stage), per-label each", load_app_reviews),
    LabelledSet("bitext_support", MAPS / "retail_support.yaml",
                "Bitext customer service 8k (synthetic), per-label/4 per category",
                load_bitext),
    LabelledSet("transport_complaints", MAPS / "passenger_transport.yaml",
                "complaint tweets to airlines and rail operators (complaints on social "
                "media, transport domain), stages hand-labelled", load_transport_complaints,
                tunes=False, names_no_touchpoint=True),
)


# ---- encoder features, computed once per set and cached -------------------------------

@dataclass
class Features:
    segments: list[dict[str, Any]]  # row_id, text, terms, sentiment..., pain annotations
    embeddings: np.ndarray


_KEEP = ("row_id", "segment_index", "text", "terms", "sentiment", "sentiment_score",
         "emotion_scores")


def features(texts: Sequence[str]) -> Features:
    """Segments, terms, sentiment and embeddings of `texts` through the pipeline up to
    `classify`; cached by the texts and the repository's pipeline code."""
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:20]
    path = CACHE / f"{key}.pkl"
    if path.exists():
        with path.open("rb") as stream:
            cached = Features(**pickle.load(stream))
        annotate_pain_points(cached.segments)
        return cached
    config = load_config(None)
    config["pipeline"] = ["language", "redact", "normalize", "segment", "classify"]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "texts.csv"
        with data.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["text"])
            writer.writerows([[t] for t in texts])
        records, *_ = read_records(AnalyzeOptions(inputs=[data], out=Path(tmp)))
        tables = run_components(build_components(config), RunState(records=records))
    result = Features([{k: s.get(k) for k in _KEEP} for s in tables.segments],
                      np.asarray(tables.embeddings, dtype=np.float32))
    CACHE.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        pickle.dump(vars(result), stream)
    annotate_pain_points(result.segments)
    return result


def classifier() -> Any:
    from voc.heads.component import ClassifyComponent

    return ClassifyComponent(ClassifySettings()).classifier


@dataclass(frozen=True)
class Links:
    """Per record: its link's confidence (-1 when the linker left it unassigned), whether
    its top stage is right, and whether the record holds a pain point."""

    confidence: np.ndarray
    correct: np.ndarray
    pain: np.ndarray
    stage: np.ndarray
    # The same link's touchpoint: its confidence, whether it is right, whether the record
    # has touchpoint truth at all.
    touch_confidence: np.ndarray
    touch_correct: np.ndarray
    touch_known: np.ndarray
    touch_none: np.ndarray  # the record names no touchpoint (LabelledSet.names_no_touchpoint)


def link_records(linker: JourneyLinker, feats: Features, items: Sequence[Item],
                 names_no_touchpoint: bool = False) -> Links:
    links = linker.link(feats.embeddings, [segment_terms(s) for s in feats.segments],
                        [None] * len(feats.segments))
    by_row: dict[int, list[tuple[dict[str, Any], Any]]] = defaultdict(list)
    for segment, link in zip(feats.segments, links, strict=True):
        by_row[segment["row_id"]].append((segment, link))
    confidence, correct, pain, stage = [], [], [], []
    touch_confidence, touch_correct, touch_known = [], [], []
    for row, (_, accepted, touchpoints) in enumerate(items):
        members = by_row.get(row)
        if not members:
            continue
        painful = [m for m in members if m[0]["is_pain_point"]]
        _, best = max(painful or members, key=lambda m: m[1].link_confidence)
        assigned = best.journey_stage != UNASSIGNED
        confidence.append(best.link_confidence if assigned else -1.0)
        correct.append(assigned and best.journey_stage in accepted)
        pain.append(bool(painful))
        stage.append(best.journey_stage)
        touch_assigned = best.touchpoint != UNASSIGNED
        touch_confidence.append(best.touchpoint_confidence if touch_assigned else -1.0)
        touch_correct.append(touch_assigned and best.touchpoint in touchpoints)
        touch_known.append(bool(touchpoints))
    touch_none = ~np.array(touch_known, dtype=bool) & names_no_touchpoint
    return Links(np.array(confidence), np.array(correct), np.array(pain), np.array(stage),
                 np.array(touch_confidence), np.array(touch_correct, dtype=bool),
                 np.array(touch_known, dtype=bool), touch_none)


@dataclass(frozen=True)
class Variant:
    """A linker configuration the transfer choice may pick (threshold aside)."""

    prefix: str  # how the map's descriptions are encoded
    similarity_weight: float
    keyword_weight: float
    anchor_weight: float
    pain_keyword_weight: float = 0.0  # the segment's pain cues (LinkSettings)
    confidence_measure: ConfidenceMeasure = "stage_probability"
    anchor_neighbours: int = 0  # LinkSettings: 0 compares with the anchors' mean vector

    def settings(self, min_confidence: float = 0.0) -> LinkSettings:
        # Thresholds 0: every link keeps its confidence; the sweep applies thresholds.
        # The touchpoint sweep links with the stage threshold it was chosen with, since
        # an unsure stage lets every touchpoint compete.
        return LinkSettings(similarity_weight=self.similarity_weight,
                            keyword_weight=self.keyword_weight,
                            anchor_weight=self.anchor_weight,
                            pain_keyword_weight=self.pain_keyword_weight,
                            confidence_measure=self.confidence_measure,
                            anchor_neighbours=self.anchor_neighbours,
                            min_confidence=min_confidence, min_touchpoint_confidence=0.0)

    def name(self) -> str:
        return (f"{self.prefix.strip()} sim={self.similarity_weight} "
                f"kw={self.keyword_weight} anchors={self.anchor_weight}"
                + (f" pain_kw={self.pain_keyword_weight}" if self.pain_keyword_weight else "")
                + (" conf=over_runner_up" if self.confidence_measure == "over_runner_up"
                   else "")
                + (f" anchor_neighbours={self.anchor_neighbours}" if self.anchor_neighbours
                   else ""))


DEFAULTS = LinkSettings()
BEFORE = Variant(E5_QUERY_PREFIX, DEFAULTS.similarity_weight, DEFAULTS.keyword_weight,
                 DEFAULTS.anchor_weight)
# The shipped protocol chooses between the two ways of encoding descriptions, weights at
# their defaults. Choosing the weights too (the grid) was measured and transfers worse:
# the extra freedom fits the tuning sets (SemEval left out: 30% unassigned).
PREFIX_VARIANTS = (BEFORE, Variant(E5_PASSAGE_PREFIX, DEFAULTS.similarity_weight,
                                   DEFAULTS.keyword_weight, DEFAULTS.anchor_weight))
WEIGHT_GRID = tuple(Variant(prefix, sw, kw, aw)
                    for prefix in (E5_QUERY_PREFIX, E5_PASSAGE_PREFIX)
                    for sw in (1.0, 2.0) for kw in (1.0, 2.0, 3.0) for aw in (0.0, 0.5))
# Issue 17 asks to use the segment's own pain cues: keywords next to a word that says
# something went wrong get this extra logit (LinkSettings.pain_keyword_weight). The
# choice among them is made the same leave-one-set-out way, so the held-out figures say
# whether they help.
PAIN_WEIGHTS = (1.0, 2.0, 4.0)
PAIN_VARIANTS = PREFIX_VARIANTS + tuple(
    Variant(v.prefix, v.similarity_weight, v.keyword_weight, v.anchor_weight, w)
    for v in PREFIX_VARIANTS for w in PAIN_WEIGHTS)

# Issue 17 asks for a decision rule that means the same on every map: the prefix
# variants again with the runner-up confidence (LinkSettings.confidence_measure), chosen
# between leave-one-set-out like the rest.
MEASURE_VARIANTS = PREFIX_VARIANTS + tuple(
    replace(v, confidence_measure="over_runner_up") for v in PREFIX_VARIANTS)

# The anchors compared by nearest neighbours instead of their mean vector
# (LinkSettings.anchor_neighbours), with either confidence measure.
NEIGHBOUR_VARIANTS = MEASURE_VARIANTS + tuple(
    replace(v, anchor_neighbours=k) for v in MEASURE_VARIANTS for k in (3, 10))
# What the shipped default is chosen among (LinkSettings' defaults are its choice).
SHIPPED_PROTOCOL = NEIGHBOUR_VARIANTS


Loaded = dict[str, tuple[LabelledSet, list[Item], Features]]


def link_all(variants: Sequence[Variant], loaded: Loaded, min_confidence: float = 0.0
             ) -> dict[Variant, dict[str, Links]]:
    model = classifier()
    tokenize = keyword_tokenizer("auto")
    out: dict[Variant, dict[str, Links]] = {}
    for variant in variants:
        def encode(texts: list[str], prefix: str = variant.prefix) -> np.ndarray:
            return np.asarray(model.run(texts, prefix=prefix).embeddings)

        out[variant] = {
            name: link_records(JourneyLinker(load_journey_map(labelled.journey), encode,
                                             tokenize, variant.settings(min_confidence)),
                               feats, items, labelled.names_no_touchpoint)
            for name, (labelled, items, feats) in loaded.items()}
    return out


def _pairs(links: Links, pain_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
    kept = links.pain if pain_only else np.ones(len(links.pain), dtype=bool)
    return links.confidence[kept], links.correct[kept]


def choose(linked: dict[Variant, dict[str, Links]], names: Sequence[str]
           ) -> tuple[Variant, ThresholdCalibrator]:
    """The variant and threshold with the best mean accuracy on `names`' assigned pain
    points, every one of them at most MAX_UNASSIGNED unassigned."""
    best: tuple[float, Variant, ThresholdCalibrator] | None = None
    for variant, per_set in linked.items():
        calibrator = ThresholdCalibrator(MAX_UNASSIGNED).fit(
            [_pairs(per_set[name]) for name in names])
        score = calibrator.mean_accuracy_ if calibrator.within_budget_ else -1.0
        if best is None or score > best[0]:
            best = (score, variant, calibrator)
    assert best is not None
    return best[1], best[2]


def _figures(links: Links, threshold: float) -> dict[str, Any]:
    return {"pain_points": assigned_scores(*_pairs(links), threshold).as_dict(),
            "all_records": assigned_scores(*_pairs(links, False), threshold).as_dict()}


def transfer(linked: dict[Variant, dict[str, Links]], tuning: Sequence[str]) -> dict[str, Any]:
    """Leave one set out: choose on the other `tuning` sets, score the held-out set (a set
    outside `tuning` is scored with the choice made on all of them: a pure test set)."""
    names = list(next(iter(linked.values())))
    per_set = {}
    for held in names:
        variant, calibrator = choose(linked, [n for n in tuning if n != held])
        per_set[held] = {
            "chosen_on_others": {"variant": variant.name(),
                                 "threshold": calibrator.threshold_,
                                 "their_mean_accuracy": round(calibrator.mean_accuracy_ or 0,
                                                              4)},
            "held_out": _figures(linked[variant][held], calibrator.threshold_),
            "held_out_no_threshold": _figures(linked[variant][held], 0.0),
        }
        if BEFORE in linked:  # a comparison without the old variant has no "before"
            per_set[held]["before"] = _figures(linked[BEFORE][held], BEFORE_THRESHOLD)
    variant, calibrator = choose(linked, tuning)
    held_out = [per_set[n]["held_out"]["pain_points"] for n in names]
    return {
        "tuning_sets": list(tuning),
        "per_set": per_set,
        "held_out_mean_accuracy": round(float(np.mean([s["accuracy"] for s in held_out])), 4),
        "held_out_max_unassigned": max(s["unassigned_share"] for s in held_out),
        "shipped": {"variant": variant.name(), "threshold": calibrator.threshold_,
                    "mean_accuracy_all_sets": round(calibrator.mean_accuracy_ or 0, 4),
                    "per_set": {n: _figures(linked[variant][n], calibrator.threshold_)
                                for n in names}},
    }


def _touch_pairs(links: Links) -> tuple[np.ndarray, np.ndarray]:
    return links.touch_confidence[links.touch_known], links.touch_correct[links.touch_known]


def touchpoint_transfer(variant: Variant, stage_threshold: float, loaded: Loaded
                        ) -> dict[str, Any]:
    """The touchpoint threshold chosen leave-one-set-out on the sets with touchpoint truth
    (named by their labels or labelled by hand), with the shipped stage linker and stage
    threshold; every record with touchpoint truth counts (a touchpoint is decided the
    same way for any segment), its link being its record's most confident pain segment's.
    """
    with_truth = {name: value for name, value in loaded.items()
                  if any(item[2] for item in value[1])}
    per_set = link_all([variant], with_truth, stage_threshold)[variant]
    names = list(per_set)
    result: dict[str, Any] = {"sets": names, "per_set": {}}
    for held in names:
        calibrator = ThresholdCalibrator(MAX_UNASSIGNED).fit(
            [_touch_pairs(per_set[n]) for n in names if n != held])
        result["per_set"][held] = {
            "chosen_on_others": {"threshold": calibrator.threshold_,
                                 "within_budget": calibrator.within_budget_},
            "held_out": calibrator.score(*_touch_pairs(per_set[held])).as_dict(),
            "before": assigned_scores(*_touch_pairs(per_set[held]),
                                      BEFORE_TOUCH_THRESHOLD).as_dict(),
        }
    for name in names:
        # What the choice cannot see: records that name no touchpoint, given one anyway.
        none = per_set[name].touch_none
        if none.any():
            confidence = per_set[name].touch_confidence[none]
            result["per_set"][name]["no_touchpoint_named"] = {
                "n": int(none.sum()),
                **{f"given_one_at_{t}": round(float((confidence >= t).mean()), 4)
                   for t in (BEFORE_TOUCH_THRESHOLD,
                             result["per_set"][name]["chosen_on_others"]["threshold"])}}
    calibrator = ThresholdCalibrator(MAX_UNASSIGNED).fit(
        [_touch_pairs(per_set[n]) for n in names])
    held_out = [v["held_out"] for v in result["per_set"].values()]
    result["held_out_mean_accuracy"] = round(float(np.mean(
        [h["accuracy"] for h in held_out if h["accuracy"] is not None])), 4)
    result["chosen_on_all"] = {
        "threshold": calibrator.threshold_, "within_budget": calibrator.within_budget_,
        "per_set": {n: calibrator.score(*_touch_pairs(per_set[n])).as_dict() for n in names}}
    # Not shipped: the choice only sees records that name a touchpoint, and lower
    # thresholds give one to more of those that name none (no_touchpoint_named).
    result["shipped"] = {
        "threshold": BEFORE_TOUCH_THRESHOLD,
        "why": "the leave-one-set-out choice cannot see touchpoints given to texts that "
               "name none; at its threshold SemEval's sentences naming none all get one"}
    return result


def sample_reference(thresholds: Sequence[float], touch_thresholds: Sequence[float]
                     ) -> dict[str, Any]:
    """The synthetic sample (e-commerce map, clause-aligned truth) with the shipped linker:
    a reference, not a calibration set."""
    config = load_config(None)
    config["pipeline"] = ["language", "redact", "normalize", "segment", "classify", "journey"]
    config["journey"].update(map="ecommerce", min_confidence=0.0, min_touchpoint_confidence=0.0)
    records, *_ = read_records(AnalyzeOptions(inputs=[REPO / "sample_feedback"],
                                              out=Path(tempfile.gettempdir())))
    tables = run_components(build_components(config), RunState(records=records))
    truth = {(t["file"], t["id"], t["question"]): t
             for t in map(json.loads, TRUTH.read_text(encoding="utf-8").splitlines())}
    by_row: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for segment in tables.segments:
        by_row[segment["row_id"]].append(segment)
    confidence, correct = [], []
    touch_confidence, touch_correct = [], []
    for record in tables.records:
        members = by_row.get(record["row_id"], [])
        aspects = truth.get((record["source"], record["id"], record["question"]),
                            {}).get("aspects", [])
        if members and len(members) == len(aspects):
            for aspect, segment in zip(aspects, members, strict=True):
                if aspect["stage"]:
                    assigned = segment["journey_stage"] != UNASSIGNED
                    confidence.append(segment["link_confidence"] if assigned else -1.0)
                    correct.append(segment["journey_stage"] == aspect["stage"])
                if aspect.get("touchpoint"):
                    touch_confidence.append(segment["touchpoint_confidence"]
                                            if segment["touchpoint"] != UNASSIGNED else -1.0)
                    touch_correct.append(segment["touchpoint"] == aspect["touchpoint"])
    return {"data": "sample_feedback (synthetic, e-commerce map), clause-aligned truth, "
                    "all segments",
            **{f"at_{t}": assigned_scores(np.array(confidence), np.array(correct),
                                          t).as_dict() for t in thresholds},
            "touchpoints": {f"at_{t}": assigned_scores(np.array(touch_confidence),
                                                       np.array(touch_correct), t).as_dict()
                            for t in touch_thresholds}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-label", type=int, default=300)
    parser.add_argument("--features-only", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    machine_before = machine_info()
    loaded = {}
    sets_info = {}
    for labelled in SETS:
        items = labelled.load(args.per_label)
        loaded[labelled.name] = (labelled, items, features([t for t, *_ in items]))
        sets_info[labelled.name] = {"data": labelled.data,
                                    "map": str(labelled.journey.relative_to(REPO)),
                                    "records": len(items)}
        print(labelled.name, len(items), flush=True)
    if args.features_only:
        return
    result = {
        "goal": "stage accuracy >= 0.75 on assigned pain points with <= 20% unassigned, "
                "on a set the threshold was not chosen on",
        "sets": sets_info,
        "before": {"variant": BEFORE.name(), "threshold": BEFORE_THRESHOLD},
    }
    tuning = [s.name for s in SETS if s.tunes]
    linked = link_all(WEIGHT_GRID + PAIN_VARIANTS[len(PREFIX_VARIANTS):]
                      + NEIGHBOUR_VARIANTS[len(PREFIX_VARIANTS):], loaded)
    # The shipped protocol (issue 17): description prefix, confidence measure and how the
    # anchors are compared, all chosen leave-one-set-out with the threshold.
    result["transfer"] = {"variants_compared": [v.name() for v in SHIPPED_PROTOCOL],
                          **transfer({v: linked[v] for v in SHIPPED_PROTOCOL}, tuning)}
    # The protocol before it: the prefix alone (anchors by their mean vector).
    result["transfer_prefix_only"] = {
        "variants_compared": [v.name() for v in PREFIX_VARIANTS],
        **transfer({v: linked[v] for v in PREFIX_VARIANTS}, tuning)}
    # The complaint tweets as a fifth tuning set: their links are much less confident
    # (8 stages, short tweets), so keeping every tuning set within 20% unassigned pulls
    # the threshold down for all the others.
    result["transfer_tuning_on_all_sets"] = {
        "variants_compared": [v.name() for v in SHIPPED_PROTOCOL],
        **transfer({v: linked[v] for v in SHIPPED_PROTOCOL}, list(loaded))}
    result["transfer_with_pain_cues"] = {
        "variants_compared": [v.name() for v in PAIN_VARIANTS],
        **transfer({v: linked[v] for v in PAIN_VARIANTS}, tuning)}
    result["transfer_with_confidence_measures"] = {
        "variants_compared": [v.name() for v in MEASURE_VARIANTS],
        **transfer({v: linked[v] for v in MEASURE_VARIANTS}, tuning)}
    # The runner-up measure imposed (never chosen above): what it does to the unassigned
    # shares when it is the only choice.
    runner_up = [v for v in SHIPPED_PROTOCOL if v.confidence_measure == "over_runner_up"]
    result["transfer_over_runner_up_only"] = {
        "variants_compared": [v.name() for v in runner_up],
        **transfer({v: linked[v] for v in runner_up}, tuning)}
    result["transfer_with_weight_grid"] = {
        "variants_compared": [v.name() for v in WEIGHT_GRID],
        **transfer({v: linked[v] for v in WEIGHT_GRID}, tuning)}
    chosen, calibrator = choose({v: linked[v] for v in SHIPPED_PROTOCOL}, tuning)
    result["touchpoints"] = touchpoint_transfer(chosen, calibrator.threshold_, loaded)
    shipped = result["transfer"]["shipped"]["threshold"]
    result["sample_reference"] = sample_reference(
        [BEFORE_THRESHOLD, shipped],
        [BEFORE_TOUCH_THRESHOLD, result["touchpoints"]["chosen_on_all"]["threshold"]])
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine_before"] = machine_before
    result["machine_after"] = machine_info()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    summary = {n: {"before": v["before"]["pain_points"], "held_out": v["held_out"]["pain_points"],
                   "chosen_on_others": v["chosen_on_others"]}
               for n, v in result["transfer"]["per_set"].items()}
    print(json.dumps(summary, indent=1))
    print("shipped:", {k: v for k, v in result["transfer"]["shipped"].items() if k != "per_set"})
    for key in ("transfer_tuning_on_all_sets", "transfer_with_pain_cues",
                "transfer_prefix_only", "transfer_with_confidence_measures",
                "transfer_over_runner_up_only", "transfer_with_weight_grid"):
        print(key, json.dumps({n: (v["chosen_on_others"], v["held_out"]["pain_points"])
                               for n, v in result[key]["per_set"].items()}, indent=1))
    print("touchpoints:", json.dumps(result["touchpoints"], indent=1))
    print("sample:", result["sample_reference"])


if __name__ == "__main__":
    main()
