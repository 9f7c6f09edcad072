"""Link segments to a journey map's stages and touchpoints, with a confidence and evidence.

Plain nearest-description similarity is weak (0.59 stage accuracy on English airline
complaints, see the issue), so three signals are combined into one score per stage and
per touchpoint:

* embedding similarity of the segment's encoder vector to each item's prototypes (its
  description and its name + keywords, per language), encoded once per map and run with
  the same encoder as the segments (segments as e5 queries, prototypes as e5 passages:
  `encode` is the caller's passage encoder); standardized per segment so only the
  contrast between items counts, not the encoder's overall similarity level;
* bilingual keywords found in the segment's normalized tokens (voc.journey.keywords);
  a touchpoint restricted to some stages lends its keyword evidence to those stages
  ("gateway" says purchase);
* the record's channel column through the map's `channel_map` (a touchpoint prior).

The description similarity is blended with similarity to this run's own keyword-anchored
segments: their mean vector per stage, or (LinkSettings.anchor_neighbours) the segment's
nearest anchors per stage.

Stage scores become probabilities with a softmax; the top probability (or, with
LinkSettings.confidence_measure, the top stage's probability against the runner-up) is
the link confidence. Below `min_confidence` the segment is `unassigned` rather than forced
into a stage. The touchpoint is chosen among those allowed for the chosen stage, with its own
confidence and threshold. The default threshold is chosen on several real labelled sets
and checked on one left out of the choice (bench/linking_eval.py,
voc.journey.calibration); the weights were compared the same way and kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from voc.journey.keywords import Keyword, KeywordMatcher, Tokenize
from voc.journey.maps import LANGUAGES, JourneyItem, JourneyMap
from voc.journey.painpoints import is_failure_term
from voc.pipeline.settings import JourneySettings

UNASSIGNED = "unassigned"
CHANCE_FACTOR = 1.5  # a stage link needs at least 1.5x the uniform probability
Encode = Callable[[list[str]], np.ndarray]
# What a link's confidence is (LinkSettings.confidence_measure):
# * "stage_probability": the top stage's softmax probability over all the map's stages.
#   Its level depends on the number of stages: the same evidence gives 0.6 among 5
#   stages and 0.45 among 8 (issue 17: 54% of the 8-stage transport tweets unassigned at
#   the threshold chosen on 5-9-stage maps);
# * "over_runner_up": the top stage's probability against the runner-up alone,
#   p1 / (p1 + p2) = sigmoid(logit1 - logit2), in [0.5, 1]: how clearly the best stage
#   beats the next one, whatever the number of stages.
ConfidenceMeasure = Literal["stage_probability", "over_runner_up"]


_RUN_DEFAULTS = JourneySettings()


@dataclass(frozen=True)
class LinkSettings:
    """Weights of the signals (in logits) and the confidence thresholds."""

    similarity_weight: float = 1.0  # per standard deviation of similarity across items
    # ... but at least this cosine spread: the e5 median across a map's stages is ~0.013.
    similarity_floor: float = 0.01
    keyword_weight: float = 2.0  # per matched keyword (up to max_keywords)
    max_keywords: int = 3
    touchpoint_keyword_weight: float = 1.0  # a constrained touchpoint's keywords -> stages
    channel_weight: float = 1.5  # channel column -> touchpoint
    # Share of the stage similarity taken from this run's keyword-anchored segments.
    anchor_weight: float = 0.5
    min_anchors: int = 5
    # 0: compare a segment with its stage's anchors through their mean vector. k > 0: the
    # mean similarity to its k most similar anchors instead, so a stage customers talk
    # about in several ways (a card that never arrived, a card declined in a shop) is
    # matched by its nearest way, not by a blurred average of all of them. 10 is the
    # leave-one-set-out choice among 0, 3 and 10 (bench/linking_eval.py).
    anchor_neighbours: int = 10
    # ... among the first `anchor_pool` anchors of each stage in run order (the cost is
    # segments x pool x stages dot products).
    anchor_pool: int = 256
    # Extra logit per stage keyword the complaint is about: within `pain_window` tokens
    # of a word that says something went wrong (voc.journey.painpoints.FAILURE_TERMS),
    # "the transfer never arrived" says payments more than "card" in the same clause.
    pain_keyword_weight: float = 0.0
    pain_window: int = 3
    # The thresholds are the pipeline's (defined once, in JourneySettings, with the
    # held-out figures they were chosen by), so a linker built here links like a run.
    min_confidence: float = _RUN_DEFAULTS.min_confidence
    min_touchpoint_confidence: float = _RUN_DEFAULTS.min_touchpoint_confidence
    confidence_measure: ConfidenceMeasure = "stage_probability"


@dataclass(frozen=True)
class Anchors:
    """Per stage: the sum and number of keyword-anchored segment embeddings, and the first
    `pool_size` of them in run order (LinkSettings.anchor_neighbours)."""

    sums: np.ndarray  # (stages, dim), float64
    counts: np.ndarray  # (stages,)
    pools: tuple[np.ndarray, ...] = ()  # per stage, (<= pool_size, dim) float32
    pool_size: int = 0

    def __add__(self, other: Anchors) -> Anchors:
        # Batches add in run order, so the pools keep the run's first anchors.
        pools = tuple(np.concatenate([mine, theirs])[:self.pool_size]
                      for mine, theirs in zip(self.pools, other.pools, strict=True))
        return Anchors(self.sums + other.sums, self.counts + other.counts, pools,
                       self.pool_size)


@dataclass(frozen=True)
class Link:
    journey_stage: str
    link_confidence: float
    touchpoint: str
    touchpoint_confidence: float
    link_evidence: str


def item_prototypes(item: JourneyItem) -> list[str]:
    """Texts that describe an item: description and name + keywords, per language."""
    texts = []
    for lang in LANGUAGES:
        name = item.name.get(lang)
        if lang in item.description:
            texts.append(f"{name}: {item.description[lang]}" if name
                         else item.description[lang])
        if item.keywords.get(lang):
            words = ", ".join(item.keywords[lang])
            texts.append(f"{name}: {words}" if name else words)
        if name and lang not in item.description and not item.keywords.get(lang):
            texts.append(name)
    return texts


def _prototype_matrix(items: Sequence[JourneyItem], encode: Encode
                      ) -> tuple[np.ndarray, np.ndarray]:
    texts: list[str] = []
    owners: list[int] = []
    for index, item in enumerate(items):
        for text in item_prototypes(item):
            texts.append(text)
            owners.append(index)
    vectors = np.asarray(encode(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12), np.asarray(owners)


def _keywords(items: Sequence[JourneyItem], tokenize: Tokenize) -> list[Keyword]:
    return [Keyword(index, word, tokenize(word, lang))
            for index, item in enumerate(items)
            for lang, words in item.keywords.items() for word in words]


def _standardize(similarity: np.ndarray, floor: float) -> np.ndarray:
    # The floor keeps a segment that is about equally (dis)similar to every item from
    # having its noise blown up into a confident contrast.
    mean = similarity.mean(axis=1, keepdims=True)
    std = similarity.std(axis=1, keepdims=True)
    return (similarity - mean) / np.maximum(std, floor)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


# A pool member this similar to a segment is the segment itself (or the same text again):
# its own keywords already count, so it is no neighbour.
SELF_SIMILARITY = 1.0 - 1e-4
NEIGHBOUR_BLOCK = 8192


def nearest_anchor_similarity(embeddings: np.ndarray, pool: np.ndarray, k: int
                              ) -> np.ndarray:
    """Per segment, the mean cosine similarity to its `k` most similar anchors in `pool`
    (unit vectors), leaving out the segment itself."""
    k = min(k, pool.shape[0])
    out = np.empty(len(embeddings), dtype=np.float32)
    # In row blocks: segments x pool similarities of a whole large run would not fit.
    for start in range(0, len(embeddings), NEIGHBOUR_BLOCK):
        block = np.asarray(embeddings[start:start + NEIGHBOUR_BLOCK], dtype=np.float32)
        similarity = block @ pool.T
        similarity[similarity >= SELF_SIMILARITY] = -1.0
        nearest = np.partition(similarity, similarity.shape[1] - k, axis=1)[:, -k:]
        out[start:start + len(block)] = nearest.mean(axis=1)
    return out


def stage_confidence(logits: np.ndarray, measure: ConfidenceMeasure) -> np.ndarray:
    """Per row of stage logits, the confidence of its top stage (ConfidenceMeasure)."""
    if measure == "stage_probability":
        return np.asarray(_softmax(logits).max(axis=1))
    if logits.shape[1] < 2:
        return np.ones(len(logits))
    top_two = np.sort(logits, axis=1)[:, -2:]
    return np.asarray(1.0 / (1.0 + np.exp(top_two[:, 0] - top_two[:, 1])))


class JourneyLinker:
    """Scores segments against one journey map; build once per map and encoder."""

    def __init__(self, journey: JourneyMap, encode: Encode, tokenize: Tokenize,
                 settings: LinkSettings | None = None) -> None:
        self.journey = journey
        self.settings = settings or LinkSettings()
        self.stage_ids = journey.stage_ids()
        self.touchpoint_ids = journey.touchpoint_ids()
        self._stage_vectors, self._stage_owner = _prototype_matrix(journey.stages, encode)
        self._touch_vectors, self._touch_owner = _prototype_matrix(journey.touchpoints, encode)
        self._stage_keywords = KeywordMatcher(_keywords(journey.stages, tokenize))
        self._touch_keywords = KeywordMatcher(_keywords(journey.touchpoints, tokenize))
        stage_index = {s: i for i, s in enumerate(self.stage_ids)}
        # allowed[t, s]: touchpoint t can occur at stage s (no `stages` list: anywhere).
        self._allowed = np.ones((len(self.touchpoint_ids), len(self.stage_ids)), dtype=bool)
        for t, touchpoint in enumerate(journey.touchpoints):
            if touchpoint.stages:
                self._allowed[t] = False
                self._allowed[t, [stage_index[s] for s in touchpoint.stages]] = True
        self._touch_index = {t: i for i, t in enumerate(self.touchpoint_ids)}

    def _similarity(self, embeddings: np.ndarray, vectors: np.ndarray, owner: np.ndarray,
                    n_items: int) -> np.ndarray:
        raw = embeddings @ vectors.T
        best = np.full((len(embeddings), n_items), -np.inf, dtype=np.float32)
        for item in range(n_items):
            columns = owner == item
            if columns.any():
                best[:, item] = raw[:, columns].max(axis=1)
        # An item without prototypes can't happen (a name is required), but stay finite.
        return np.where(np.isfinite(best), best, raw.min())

    def anchors(self, embeddings: np.ndarray, terms: Sequence[Sequence[str]]) -> Anchors:
        """Per stage, the sum and count of the embeddings of segments whose keywords point
        at that stage alone: batches' anchors add up to the run's (see `link`)."""
        _, _, keyword_logits, _ = self._keyword_evidence(terms)
        return self._anchor_sums(embeddings, keyword_logits)

    def _anchor_sums(self, embeddings: np.ndarray, keyword_logits: np.ndarray) -> Anchors:
        s = self.settings
        n_stages, dim = len(self.stage_ids), embeddings.shape[1]
        sums = np.zeros((n_stages, dim), dtype=np.float64)
        counts = np.zeros(n_stages, dtype=np.int64)
        pool_size = s.anchor_pool if s.anchor_neighbours > 0 else 0
        pools = [np.zeros((0, dim), dtype=np.float32) for _ in range(n_stages)]
        if not len(keyword_logits):
            return Anchors(sums, counts, tuple(pools), pool_size)
        ordered = np.sort(keyword_logits, axis=1)
        clear = (ordered[:, -1] >= s.keyword_weight) & (
            ordered[:, -1] - ordered[:, -2] >= s.keyword_weight)
        owner = keyword_logits.argmax(axis=1)
        for stage in range(n_stages):
            members = np.flatnonzero(clear & (owner == stage))
            sums[stage] = embeddings[members].sum(axis=0, dtype=np.float64)
            counts[stage] = len(members)
            pools[stage] = np.asarray(embeddings[members[:pool_size]], dtype=np.float32)
        return Anchors(sums, counts, tuple(pools), pool_size)

    def _with_anchors(self, embeddings: np.ndarray, similarity: np.ndarray,
                      anchors: Anchors) -> np.ndarray:
        """Blend in similarity to this run's own unambiguous keyword matches per stage.

        A description is one short text; the segments whose keywords point at a single
        stage show how customers actually talk about it, so their mean vector is a
        better prototype. Stages with too few such anchors keep the description alone.
        """
        s = self.settings
        blended = similarity.copy()
        for stage in range(len(self.stage_ids)):
            if anchors.counts[stage] < s.min_anchors:
                continue
            if s.anchor_neighbours > 0 and len(anchors.pools[stage]) >= s.min_anchors:
                anchored = nearest_anchor_similarity(embeddings, anchors.pools[stage],
                                                     s.anchor_neighbours)
            else:
                centroid = (anchors.sums[stage] / anchors.counts[stage]).astype(np.float32)
                centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
                anchored = embeddings @ centroid
            blended[:, stage] = ((1 - s.anchor_weight) * similarity[:, stage]
                                 + s.anchor_weight * anchored)
        return blended

    def _keyword_evidence(self, terms: Sequence[Sequence[str]]
                          ) -> tuple[list[list[Keyword]], list[list[Keyword]], np.ndarray,
                                     np.ndarray]:
        """Per segment: stage and touchpoint keywords found, the keyword logits per stage
        (what anchors are chosen by) and the extra logits of pain-focused keywords."""
        s = self.settings
        n = len(terms)
        stage_found = [self._stage_keywords.match_positions(t) for t in terms]
        stage_words_all = [[k for k, _ in found] for found in stage_found]
        touch_words_all = [self._touch_keywords.match(t) for t in terms]
        keyword_logits = np.zeros((n, len(self.stage_ids)), dtype=np.float32)
        pain_logits = np.zeros_like(keyword_logits)
        for row in range(n):
            counts = np.bincount([k.item for k in stage_words_all[row]],
                                 minlength=len(self.stage_ids))
            keyword_logits[row] += s.keyword_weight * np.minimum(counts, s.max_keywords)
            if s.pain_keyword_weight and stage_found[row]:
                focused = self._pain_focused(terms[row], stage_found[row])
                if focused:
                    counts = np.bincount(focused, minlength=len(self.stage_ids))
                    pain_logits[row] = s.pain_keyword_weight * np.minimum(counts,
                                                                          s.max_keywords)
            counts_t = np.bincount([k.item for k in touch_words_all[row]],
                                   minlength=len(self.touchpoint_ids))
            for t in np.flatnonzero(counts_t):
                allowed = self._allowed[t]
                if not allowed.all():
                    keyword_logits[row] += s.touchpoint_keyword_weight * allowed / allowed.sum()
        return stage_words_all, touch_words_all, keyword_logits, pain_logits

    def _pain_focused(self, terms: Sequence[str], found: Sequence[tuple[Keyword, int]]
                      ) -> list[int]:
        """Stages of the keywords within `pain_window` tokens of a failure word (a
        keyword that is one itself, "delay", counts)."""
        window = self.settings.pain_window
        failures = [i for i, term in enumerate(terms) if is_failure_term(term)]
        if not failures:
            return []
        return [keyword.item for keyword, start in found
                if any(start - window <= i < start + len(keyword.tokens) + window
                       for i in failures)]

    def _stage_scores(self, embeddings: np.ndarray, terms: Sequence[Sequence[str]],
                      anchors: Anchors | None
                      ) -> tuple[np.ndarray, np.ndarray,
                                 tuple[list[list[Keyword]], list[list[Keyword]], np.ndarray]]:
        """Per segment and stage: the (anchor-blended) similarity and the logit, and the
        keyword evidence (stage words, touchpoint words, keyword logits)."""
        s = self.settings
        stage_sim = self._similarity(embeddings, self._stage_vectors, self._stage_owner,
                                     len(self.stage_ids))
        stage_words, touch_words, keyword_logits, pain_logits = self._keyword_evidence(terms)
        if s.anchor_weight > 0:
            if anchors is None:
                anchors = self._anchor_sums(embeddings, keyword_logits)
            stage_sim = self._with_anchors(embeddings, stage_sim, anchors)
        stage_logits = (s.similarity_weight * _standardize(stage_sim, s.similarity_floor)
                        + keyword_logits + pain_logits)
        return stage_sim, stage_logits, (stage_words, touch_words, keyword_logits)

    def link(self, embeddings: np.ndarray, terms: Sequence[Sequence[str]],
             channels: Sequence[str | None], anchors: Anchors | None = None) -> list[Link]:
        """One link per segment (rows of `embeddings`, in the same order as `terms`).

        `anchors` are the whole run's when these segments are one batch of it (the Ray
        engine); by default they come from these segments."""
        n = len(terms)
        if n == 0:
            return []
        s = self.settings
        stage_sim, stage_logits, (stage_words_all, touch_words_all, _) = self._stage_scores(
            embeddings, terms, anchors)
        touch_sim = self._similarity(embeddings, self._touch_vectors, self._touch_owner,
                                     len(self.touchpoint_ids))
        touch_logits = s.similarity_weight * _standardize(touch_sim, s.similarity_floor)
        stage_words: list[list[Keyword]] = []
        touch_words: list[list[Keyword]] = []
        channel_hits: list[int | None] = []
        for row in range(n):
            stage_words.append(stage_words_all[row])
            found_t = touch_words_all[row]
            touch_words.append(found_t)
            counts_t = np.bincount([k.item for k in found_t], minlength=len(self.touchpoint_ids))
            touch_logits[row] += s.keyword_weight * np.minimum(counts_t, s.max_keywords)
            channel = (channels[row] or "").strip().lower()
            target = self._touch_index.get(self.journey.channel_map.get(channel, ""))
            channel_hits.append(target)
            if target is not None:
                touch_logits[row, target] += s.channel_weight
        confidences = stage_confidence(stage_logits, s.confidence_measure)
        # A link needs evidence: with few stages, a flat distribution's top probability
        # (1/n) alone could pass the threshold, so it must also clearly beat chance (the
        # runner-up measure is 0.5 at a tie whatever the number of stages).
        floor = (CHANCE_FACTOR / len(self.stage_ids)
                 if s.confidence_measure == "stage_probability" else 0.0)
        links = []
        for row in range(n):
            stage = int(stage_logits[row].argmax())
            confidence = float(confidences[row])
            assigned = confidence >= max(s.min_confidence, floor)
            # Touchpoints allowed at the chosen stage compete; when the stage is unsure,
            # every touchpoint does (the channel can still name one confidently).
            mask = self._allowed[:, stage] if assigned else np.ones(len(self.touchpoint_ids),
                                                                       dtype=bool)
            logits = np.where(mask, touch_logits[row], -np.inf)
            probs = _softmax(logits)
            touch = int(probs.argmax())
            touch_conf = float(probs[touch])
            touch_assigned = touch_conf >= s.min_touchpoint_confidence
            links.append(Link(
                journey_stage=self.stage_ids[stage] if assigned else UNASSIGNED,
                link_confidence=round(confidence, 4),
                touchpoint=self.touchpoint_ids[touch] if touch_assigned else UNASSIGNED,
                touchpoint_confidence=round(touch_conf, 4),
                link_evidence=self._evidence(
                    stage, stage_sim[row, stage], stage_words[row], touch,
                    touch_words[row], channels[row] if channel_hits[row] == touch else None),
            ))
        return links

    def _evidence(self, stage: int, similarity: float, stage_words: list[Keyword],
                  touch: int, touch_words: list[Keyword], channel: str | None) -> str:
        parts = []
        words = [k.text for k in stage_words if k.item == stage]
        words += [k.text for k in touch_words if k.item == touch and k.text not in words]
        if words:
            parts.append("keywords: " + ", ".join(words))
        parts.append(f"description: {self.journey.stages[stage].label()} ({similarity:.2f})")
        if channel:
            parts.append(f"channel: {channel}")
        return "; ".join(parts)
