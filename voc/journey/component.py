"""Pipeline component `journey`: pain points, and every segment linked to a journey stage
and touchpoint of the configured journey map (after `classify`, whose embeddings it reuses).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from voc.errors import ConfigError
from voc.journey.keywords import simple_tokens
from voc.journey.linking import UNASSIGNED, Anchors, JourneyLinker, LinkSettings
from voc.journey.maps import JourneyMap, load_journey_map
from voc.journey.painpoints import assess
from voc.normalize.persian import persian_word_tokenizer
from voc.pipeline.base import CorpusFit, Record, RunState, Segment, SegmentFields, register
from voc.pipeline.fields import (
    Declares,
    Field,
    Kind,
    record_field,
    record_fields,
    segment_field,
    segment_fields,
)
from voc.pipeline.resources import Resources, english_pipeline, persian_normalizer
from voc.pipeline.settings import JourneySettings

log = logging.getLogger(__name__)

# The thresholds' defaults live with the other settings (voc.pipeline.settings, where
# their comments give the held-out figures they were chosen by).
DEFAULT_MIN_CONFIDENCE = JourneySettings().min_confidence
DEFAULT_MIN_TOUCHPOINT_CONFIDENCE = JourneySettings().min_touchpoint_confidence


def keyword_tokenizer(spacy_model: str = "auto") -> Callable[[str, str], tuple[str, ...]]:
    """Normalize a map keyword the way segments' `terms` were made, per language."""
    english = english_pipeline(spacy_model)
    persian = persian_normalizer("lexicon")
    tokenizer = persian_word_tokenizer()

    def tokenize(word: str, lang: str) -> tuple[str, ...]:
        if lang == "fa":
            return tuple(t.lower() for t in tokenizer.tokenize(persian.normalize(word)))
        return tuple(t.lemma_.lower() or t.lower_ for t in english(word) if t.is_alpha)

    return tokenize


E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "


def passage_prefix(classifier: Any) -> str | None:
    """The prefix for a map's descriptions: e5 is trained to match "query: " texts (the
    segments, as classify encodes them) against "passage: " documents, which measured
    better than encoding descriptions as queries (bench/linking_eval.py). A model with
    another convention keeps its own prefix (None)."""
    metadata = getattr(classifier, "metadata", None)
    query = getattr(metadata, "prefix", E5_QUERY_PREFIX)
    return E5_PASSAGE_PREFIX if query == E5_QUERY_PREFIX else None


def _map_fingerprint(journey: JourneyMap) -> str:
    return hashlib.sha256(repr(journey).encode("utf-8")).hexdigest()


# One linker per (map, encoder, tokenizer, settings): the map's descriptions are encoded
# once per process, not once per run or per batch.
_LINKERS: dict[tuple[str, int, str, LinkSettings], JourneyLinker] = {}


def journey_linker(journey: JourneyMap, classifier: Any, settings: LinkSettings,
                   spacy_model: str = "auto") -> JourneyLinker:
    key = (_map_fingerprint(journey), id(classifier), spacy_model, settings)
    linker = _LINKERS.get(key)
    if linker is None:
        prefix = passage_prefix(classifier)

        def encode(texts: list[str]) -> np.ndarray:
            return np.asarray(classifier.run(texts, prefix=prefix).embeddings)

        linker = JourneyLinker(journey, encode, keyword_tokenizer(spacy_model), settings)
        if len(_LINKERS) >= 8:
            _LINKERS.clear()
        _LINKERS[key] = linker
    return linker


def _settings(section: JourneySettings) -> LinkSettings:
    """The linker's settings: the config's thresholds, the other weights the linker's own."""
    defaults = LinkSettings()
    return LinkSettings(
        channel_weight=defaults.channel_weight if section.use_channel else 0.0,
        min_confidence=section.min_confidence,
        min_touchpoint_confidence=section.min_touchpoint_confidence,
    )


# What this stage adds to each segment: a distributed executor computes them batch by
# batch (transform) and hands them over (RunState.artifacts.fits["journey"], keyed by row
# id and position).
_SEGMENT_ASSIGNS: tuple[Field, ...] = (
    segment_field("is_pain_point", pa.bool_(), "a problem the customer ran into"),
    segment_field("pain_cues", pa.string(), "what made it one: any of negative, effort, "
                  "unmet_expectation (comma-joined)"),
    segment_field("severity", pa.float64(), "how bad, 0..1"),
    segment_field("effort", pa.float64(), "the customer-effort signal, 0..1"),
    segment_field("journey_stage", pa.string(), "the journey-map stage linked, or unassigned"),
    segment_field("touchpoint", pa.string(), "the touchpoint linked, or unassigned"),
    # The touchpoint's own confidence is touchpoint_confidence.
    segment_field("link_confidence", pa.float64(), "confidence of the stage link, 0..1"),
    segment_field("touchpoint_confidence", pa.float64(), "... and of the touchpoint's"),
    segment_field("link_evidence", pa.string(), 'why: "keywords: checkout, payment; '
                  'description: Purchase (0.84); channel: app"'),
)
SEGMENT_FIELDS = tuple(f.name for f in _SEGMENT_ASSIGNS)


def segment_terms(segment: Segment) -> list[str]:
    if segment.get("terms"):
        return str(segment["terms"]).split()
    return list(simple_tokens(segment["text"]))


def annotate_pain_points(segments: Sequence[Segment]) -> None:
    """Add is_pain_point, severity, effort (and the private `_cues`) to each segment."""
    for segment in segments:
        result = assess(segment["text"], segment.get("sentiment"),
                        segment.get("sentiment_score"), segment.get("emotion_scores"))
        segment["is_pain_point"] = result.is_pain_point
        segment["severity"] = result.severity
        segment["effort"] = result.effort
        segment["pain_cues"] = ",".join(result.cues) or None


def summarize_records(records: Sequence[Record], segments: Sequence[Segment],
                      journey: JourneyMap) -> None:
    """Record-level journey columns from the record's segments, in journey-map order."""
    stage_order = {s: i for i, s in enumerate(journey.stage_ids())}
    touch_order = {t: i for i, t in enumerate(journey.touchpoint_ids())}
    by_row: dict[int, list[Segment]] = {}
    for segment in segments:
        by_row.setdefault(segment["row_id"], []).append(segment)
    for record in records:
        members = by_row.get(record["row_id"])
        if members is None:
            record.update(journey_stages=None, touchpoints=None, is_pain_point=None)
            continue
        stages = {s["journey_stage"] for s in members} - {UNASSIGNED}
        touchpoints = {s["touchpoint"] for s in members} - {UNASSIGNED}
        record["journey_stages"] = sorted(stages, key=stage_order.__getitem__)
        record["touchpoints"] = sorted(touchpoints, key=touch_order.__getitem__)
        record["is_pain_point"] = any(s["is_pain_point"] for s in members)


class JourneyComponent:
    """Pain points and stage/touchpoint links for every segment."""

    name: ClassVar[str] = "journey"
    settings_model: ClassVar[type[JourneySettings]] = JourneySettings
    # Corpus: keyword anchors are gathered over the whole run before any segment is linked;
    # parallel: they are sums, so batches contribute shares and are linked one by one.
    declares: ClassVar[Declares] = Declares(
        Kind.CORPUS, parallel=True,
        requires=(*record_fields("row_id"), *segment_fields("row_id", "text", "embedding")),
        # Pain points use classify's sentiment and emotions when they are there; a fit
        # made by the executor is matched by segment_index.
        optional=(*record_fields("channel"),
                  *segment_fields("terms", "sentiment", "sentiment_score", "emotion_scores",
                                  "segment_index")),
        assigns=(
            *_SEGMENT_ASSIGNS,
            # In journey order, `unassigned` left out.
            record_field("journey_stages", pa.list_(pa.string()),
                         "the distinct stages its segments were linked to"),
            record_field("touchpoints", pa.list_(pa.string()), "... and touchpoints"),
            record_field("is_pain_point", pa.bool_(), "whether any segment is a pain point"),
        ))

    def __init__(self, settings: JourneySettings,
                 resources: Resources | None = None) -> None:
        # A bad map fails here, before any input is read, with its file, line and field.
        self.journey = load_journey_map(settings.map)
        self.link_settings = _settings(settings)
        self.resources = resources or Resources()
        self.spacy_model = self.resources.spacy_model

    @property
    def classifier(self) -> Any:
        # The very encoder classify used (the run's shared one), so the map's descriptions
        # live in the same space as the segments' embeddings.
        return self.resources.classifier

    def linker(self) -> JourneyLinker:
        return journey_linker(self.journey, self.classifier, self.link_settings,
                              self.spacy_model)

    def anchors(self, segments: Sequence[Segment], embeddings: np.ndarray) -> Anchors:
        """This batch's share of the run's keyword anchors (see JourneyLinker.link)."""
        return self.linker().anchors(np.asarray(embeddings),
                                     [segment_terms(s) for s in segments])

    def annotate(self, segments: Sequence[Segment], embeddings: np.ndarray | None,
                 channels: Mapping[int, str | None], anchors: Anchors | None = None) -> None:
        """Pain points and stage/touchpoint links for `segments`, in place."""
        annotate_pain_points(segments)
        if not segments:
            return
        links = self.linker().link(np.asarray(embeddings), [segment_terms(s) for s in segments],
                                   [channels.get(s["row_id"]) for s in segments], anchors)
        for segment, link in zip(segments, links, strict=True):
            segment.update(
                journey_stage=link.journey_stage,
                touchpoint=link.touchpoint,
                link_confidence=link.link_confidence,
                touchpoint_confidence=link.touchpoint_confidence,
                link_evidence=link.link_evidence,
            )

    # CorpusComponent: what a distributed executor calls, batch by batch.
    def collect(self, batch: RunState) -> Anchors | None:
        """A batch's share of the fit: its keyword anchors' sums."""
        if not batch.segments or batch.embeddings is None:
            return None
        return self.anchors(batch.segments, batch.embeddings)

    def fit_shares(self, shares: Sequence[Anchors | None]) -> CorpusFit | None:
        """The run's anchors: the sum of its batches'."""
        anchors: Anchors | None = None
        for share in shares:
            if share is not None:
                anchors = share if anchors is None else anchors + share
        return None if anchors is None else CorpusFit(anchors)

    def transform(self, batch: RunState, fit: CorpusFit) -> list[dict[str, Any]]:
        """This batch's segments' pain points and links under the run's anchors."""
        segments = [dict(s) for s in batch.segments]
        if not segments:
            return []
        self.annotate(segments, batch.embeddings,
                      {r["row_id"]: r.get("channel") for r in batch.records}, fit.model)
        return [{k: s.get(k) for k in SEGMENT_FIELDS} for s in segments]

    def adopt(self, fit: CorpusFit, transformed: SegmentFields) -> SegmentFields:
        return transformed

    def __call__(self, state: RunState) -> RunState:
        segments = state.segments
        state.artifacts.journey_map = self.journey
        if segments and (state.embeddings is None or len(state.embeddings) != len(segments)):
            raise ConfigError("the journey component needs 'classify' before it in the "
                              "pipeline (it reuses the segment embeddings)")
        adopted = state.artifacts.fits.get(self.name)
        # Only this stage's own adopt() leaves a fit under its name: segment fields.
        done: SegmentFields = adopted if isinstance(adopted, Mapping) else {}
        if done and all((s["row_id"], s.get("segment_index")) in done for s in segments):
            for segment in segments:
                segment.update(done[(segment["row_id"], segment["segment_index"])])
        else:
            self.annotate(segments, state.embeddings,
                          {r["row_id"]: r.get("channel") for r in state.records})
        summarize_records(state.records, segments, self.journey)
        assigned = sum(s["journey_stage"] != UNASSIGNED for s in segments)
        state.stats.journey = {
            "map": self.journey.source,
            "segments": len(segments),
            "pain_points": sum(s["is_pain_point"] for s in segments),
            "assigned_stage": assigned,
        }
        log.info("journey: %d of %d segments linked to a stage, %d pain points", assigned,
                 len(segments), state.stats.journey["pain_points"])
        return state


register(JourneyComponent.name)(JourneyComponent)
