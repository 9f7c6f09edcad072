"""Pipeline component: bilingual themes on the segment embeddings classify computed.

Adds `theme_id`/`theme_label` to segments and `themes` to records, the themes table
(DIR/themes.parquet and themes.json) and the fitted state (DIR/themes_model.safetensors
and themes_model.json) that the next run's `--previous-themes` keeps ids stable with.
When the journey stage has flagged pain points, the same is done for pain-point segments
alone (`pain_theme_id`, DIR/pain_themes.*): complaints split finer than among all
feedback, where praise and neutral remarks take up most themes.

With a previous state fitted under the same setup (encoder, theme settings, seeds, view)
that covers all but `refit_fraction` of the segments, a view's themes are assigned, not
fitted again (voc.themes.model.ThemeModel.fit); the run summary says which and why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from voc.errors import ConfigError
from voc.heads.labels import SENTIMENT_LABELS
from voc.kpi.scores import respondent_key
from voc.language.script import has_persian_letter
from voc.pipeline.base import (
    CorpusFit,
    OutputTable,
    RunState,
    Segment,
    SegmentFields,
    register,
)
from voc.pipeline.fields import (
    CarriedState,
    Declares,
    Kind,
    record_field,
    record_fields,
    segment_field,
    segment_fields,
)
from voc.pipeline.resources import Resources
from voc.pipeline.settings import ThemesSettings
from voc.themes.cluster import MIN_LANGUAGE_GROUP, OUTLIER, ClusterSettings, stratified_sample
from voc.themes.curation import Curation, load_curation
from voc.themes.describe import labels_for_state, theme_rows, theme_trends
from voc.themes.model import PAIN_VIEW, Encoder, ThemeModel, ThemeSettings, state_names
from voc.themes.naming import PhraseOutputs
from voc.themes.vectorizer import ThemeTokenizer

log = logging.getLogger(__name__)

SENTIMENT_MIX = pa.struct([(label, pa.float64()) for label in SENTIMENT_LABELS])

# DIR/themes.parquet (and themes.json): one row per theme, largest first. Ids are stable
# across runs that pass the previous run's theme state (see voc.themes). The "what hurts"
# view DIR/pain_themes.parquet has the same columns, fitted on pain-point segments only
# (its `share` is of pain-point segments).
THEMES_SCHEMA = pa.schema([
    ("theme_id", pa.int64()),
    ("label", pa.string()),
    ("label_fa", pa.string()),
    ("label_en", pa.string()),
    ("keywords_fa", pa.list_(pa.string())),
    ("keywords_en", pa.list_(pa.string())),
    ("size", pa.int64()),  # segments in the theme
    ("share", pa.float64()),  # size / all segments of the run (unthemed included)
    ("sentiment_mix", SENTIMENT_MIX),  # share of the theme's segments per sentiment label
    ("top_emotion", pa.string()),  # most frequent non-neutral emotion, else neutral
    ("examples", pa.list_(pa.string())),  # 3-5 representative redacted segment texts
    ("origin", pa.string()),  # discovered | seeded | curated (pinned, split or merged)
    ("records", pa.int64()),  # distinct records with a segment in the theme
    ("size_fa", pa.int64()),
    ("size_en", pa.int64()),
    ("sentiment_score", pa.float64()),  # mean segment sentiment score, -1..1
    ("pain_points", pa.int64()),  # segments flagged is_pain_point (null before journey ran)
    ("stages", pa.list_(pa.string())),  # journey stages touched, most frequent first
    ("touchpoints", pa.list_(pa.string())),
    # One line for a reader: customers, how they feel, what they mention, where.
    ("description", pa.string()),
    # Over time (voc.themes.describe.theme_trends): the run's periods (week or month,
    # voc.kpi.periods), the theme's share of the respondents with an analysed answer in
    # each (0..1, null where a period has none; respondents, the report's customers,
    # not answers), and the latest period against all earlier ones: the
    # change in share (0..1), its two-proportion z, and rising | falling | stable | not
    # enough data (|z| > 1.96 is a move unlikely to be chance).
    ("trend_periods", pa.list_(pa.string())),
    ("trend_share", pa.list_(pa.float64())),
    ("trend_change", pa.float64()),
    ("trend_z", pa.float64()),
    ("trend_direction", pa.string()),
    # Distinct respondents (voc.kpi.scores.respondent_key) with a segment in the theme:
    # the report's "customers"; `records` counts answers, two per two-question survey.
    ("respondents", pa.int64()),
    # The theme's pain points, so the report counts none itself: the respondents who
    # reported one (null before journey ran) and their mean severity, 0..1 (null: none).
    ("pain_respondents", pa.int64()),
    ("mean_severity", pa.float64()),
])



def language_group(segment: Segment) -> str:
    """The language whose mean embedding is removed: Finglish (Persian in Latin letters)
    sits apart from Persian script in the encoder's space, so it is a group of its own."""
    lang = str(segment.get("lang"))
    if lang == "fa" and not has_persian_letter(str(segment.get("text") or "")):
        return "fa-latn"
    return lang


def _set(settings: ThemesSettings, names: Iterable[str]) -> dict[str, Any]:
    """The config's values for these knobs; an unset one (None) keeps the clustering's
    own default, defined once in its dataclass."""
    return {name: value for name in names if (value := getattr(settings, name)) is not None}


def settings_from_config(settings: ThemesSettings) -> ThemeSettings:
    """The estimator's settings from the config's section (checked by its model)."""
    cluster = ClusterSettings(**_set(settings, (f.name for f in fields(ClusterSettings))))
    theme_names = (f.name for f in fields(ThemeSettings) if f.name != "cluster")
    return ThemeSettings(cluster=cluster, **_set(settings, theme_names))


@dataclass(frozen=True)
class SeedEncoder:
    """The run's encoder as a ThemeModel's `encode` (seeds' examples and labels): a fitted
    model travels to Ray workers with it, as the description of the shared classifier each
    process loads once (Resources), not as the loaded model."""

    resources: Resources

    def __call__(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.resources.classifier.run(texts).embeddings)


@dataclass(frozen=True)
class ThemeSampleFit:
    """Themes fitted on a sample of the run's segments (`fit_shares`), to assign the rest
    batch by batch: `keys` are every segment's (row id, segment index) in fit order."""

    fitted: ThemeModel
    keys: list[tuple[int, int]]
    texts: list[str]
    groups: list[str]
    sample_size: int


# One record's share of the theme fit: row id, its segments' indexes, texts, language
# groups and embeddings.
ThemeShare = list[tuple[int, list[int], list[str], list[str], np.ndarray]]


@dataclass(frozen=True)
class ThemePrefit:
    """Themes fitted and assigned before this stage ran (the Ray engine's sample fit and
    distributed assignment): `state` holds every assigned segment's key and theme id, so
    the stage keeps them and describes the themes rather than fitting again."""

    state: ThemeModel
    mode: str
    reason: str


class ThemesComponent:
    """Themes over all segments, and over pain-point segments only ("what hurts"):
    seeded, discovered, curated, with ids kept stable across runs."""

    name: ClassVar[str] = "themes"
    settings_model: ClassVar[type[ThemesSettings]] = ThemesSettings
    # Corpus: fitted on the run's segments (or a sample), then assigned to each of them;
    # parallel: a distributed executor samples its batches and assigns them one by one.
    declares: ClassVar[Declares] = Declares(
        Kind.CORPUS, parallel=True,
        requires=(*record_fields("row_id"),
                  *segment_fields("row_id", "text", "lang", "embedding")),
        # Theme descriptions and the pain view use them when classify and journey ran;
        # dates and statuses give each theme's trend over the run's periods, source and
        # source_row its respondents.
        optional=(*segment_fields("sentiment", "sentiment_score", "emotion",
                                  "is_pain_point", "journey_stage", "touchpoint"),
                  *record_fields("date", "status", "source", "source_row")),
        assigns=(
            segment_field("theme_id", pa.int64(), "its theme (a row of themes.parquet); "
                          "null when it fits no theme (outlier)"),
            segment_field("theme_label", pa.string(), "that theme's label"),
            segment_field("pain_theme_id", pa.int64(), "a pain point's theme among pain "
                          "points only (a row of pain_themes.parquet)"),
            record_field("themes", pa.list_(pa.int64()),
                         "the themes of its segments, sorted, once each"),
        ),
        tables={"themes": THEMES_SCHEMA, PAIN_VIEW: THEMES_SCHEMA},
        # The main view's state; the pain view's is optional (an earlier run may have had
        # no pain points), so a missing one does not stop the carry.
        carries=CarriedState("previous", state_names()))

    def __init__(self, settings: ThemesSettings,
                 resources: Resources | None = None) -> None:
        self.settings = settings_from_config(settings)
        self.seeds = tuple(seed.theme() for seed in settings.seeds)
        self.pain_view = settings.pain_view
        self.refit_fraction = settings.refit_fraction
        # Seeds' examples are encoded by the very encoder the segments were (the run's
        # shared one), so they live in the same space.
        self.resources = resources or Resources()
        # Read now, so a broken curation file or missing state fails before hours of work.
        self.curation = load_curation(settings.curation)
        previous = settings.previous
        self.previous = ThemeModel.load(previous) if previous else None
        # The pain view's state is optional: the earlier run may not have had pain points.
        self.previous_pain = (
            ThemeModel.load(previous, PAIN_VIEW)
            if previous and Path(previous, state_names(PAIN_VIEW)[0]).is_file() else None)

    def __call__(self, run: RunState) -> RunState:
        segments = run.segments
        embeddings = run.embeddings
        if segments and (embeddings is None or len(embeddings) != len(segments)):
            raise ConfigError("the themes component needs the segment embeddings of "
                              "'classify': put 'classify' before 'themes' in the pipeline")
        tokenizer = ThemeTokenizer()
        every = np.arange(len(segments))
        labels, summary = self._view(run, "themes", every, self.curation, self.previous,
                                     tokenizer)
        for segment, theme_id in zip(segments, labels, strict=True):
            segment["theme_id"], segment["theme_label"] = theme_id
        _record_themes(run, segments)
        run.stats.themes["themes"] = summary
        if self.pain_view and any("is_pain_point" in s for s in segments):
            pain = np.flatnonzero([bool(s.get("is_pain_point")) for s in segments])
            # Curation edits the main view's ids; the pain view takes seeds only.
            pain_labels, pain_summary = self._view(run, PAIN_VIEW, pain, None,
                                                   self.previous_pain, tokenizer)
            for segment in segments:
                segment["pain_theme_id"] = None
            for index, (pain_theme_id, _) in zip(pain, pain_labels, strict=True):
                segments[index]["pain_theme_id"] = pain_theme_id
            run.stats.themes[PAIN_VIEW] = pain_summary
        return run

    def fit(self, embeddings: np.ndarray, documents: list[str], groups: list[str]
            ) -> ThemeModel:
        """The main view's model fitted on these segments, as this stage would fit it."""
        return self.model("themes", self.curation).fit(
            embeddings, groups, documents, previous=self.previous,
            setup=self.setup("themes", self.curation), refit_fraction=self.refit_fraction)

    def model(self, view: str, curation: Curation | None,
              tokenizer: ThemeTokenizer | None = None) -> ThemeModel:
        """The estimator for one view, with this stage's settings, seeds and encoder."""
        return ThemeModel(self.settings, seeds=self.seeds, curation=curation,
                          tokenizer=tokenizer or ThemeTokenizer(),
                          encode=self._encoder(curation), view=view)

    # CorpusComponent: what a distributed executor calls. Only the main view is fitted
    # this way; the pain view (pain points come from journey) is fitted by __call__.
    def collect(self, batch: RunState) -> ThemeShare | None:
        """A batch's share of the fit: each record's segments' texts, language groups and
        embeddings."""
        if not batch.segments or batch.embeddings is None:
            return None
        by_row: dict[int, list[int]] = {}
        for index, segment in enumerate(batch.segments):
            by_row.setdefault(segment["row_id"], []).append(index)
        return [(row_id, [batch.segments[i]["segment_index"] for i in members],
                 [str(batch.segments[i].get("text") or "") for i in members],
                 [language_group(batch.segments[i]) for i in members],
                 np.asarray(batch.embeddings[members], dtype=np.float32))
                for row_id, members in by_row.items()]

    def fit_shares(self, shares: Sequence[ThemeShare | None]) -> CorpusFit | None:
        """Fit on every segment, in row order as by default, when they fit under
        `themes.max_fit` (nothing left to assign); else on a stratified sample, to assign
        the rest batch by batch."""
        rows = sorted((row for share in shares if share for row in share),
                      key=lambda row: row[0])
        if not rows:
            return None
        embeddings = np.vstack([row[4] for row in rows])
        keys = [(row[0], index) for row in rows for index in row[1]]
        texts = [text for row in rows for text in row[2]]
        groups = [group for row in rows for group in row[3]]
        limit = self.settings.cluster.max_fit
        if len(texts) <= limit:
            model = self.fit(embeddings, texts, groups)
            # The only distributed executor so far is Ray's (run.json keeps this wording).
            return CorpusFit(ThemePrefit(model, model.mode_,
                                         f"{model.reason_}; fitted by the ray engine"),
                             per_batch=False)
        # Each language group needs enough members for its centring mean, or the themes
        # stage would not accept the fit (see voc.themes.model.reuse_decision).
        sample = stratified_sample(groups, limit, self.settings.cluster.random_state,
                                   minimum=MIN_LANGUAGE_GROUP)
        model = self.fit(embeddings[sample], [texts[i] for i in sample],
                         [groups[i] for i in sample])
        log.info("themes fitted on %d of %d segments; the rest are assigned batch by batch",
                 len(sample), len(texts),
                 extra={"event": "themes_sampled", "sample": len(sample),
                        "segments": len(texts)})
        return CorpusFit(ThemeSampleFit(model, keys, texts, groups, len(sample)))

    def transform(self, batch: RunState, fit: CorpusFit) -> list[dict[str, Any]]:
        """Main-view theme ids of a batch's segments under the sample's fit."""
        if not batch.segments:
            return []
        assert batch.embeddings is not None  # collect() saw them
        sampled: ThemeSampleFit = fit.model
        labels = sampled.fitted.assign(batch.embeddings,
                                       [language_group(s) for s in batch.segments],
                                       [str(s.get("text") or "") for s in batch.segments])
        return [{"theme_id": int(label)} for label in labels.tolist()]

    def adopt(self, fit: CorpusFit, transformed: SegmentFields) -> ThemePrefit:
        """The state __call__ keeps: every segment's key and theme id, the fit covering
        only the sample."""
        if not fit.per_batch:
            prefit: ThemePrefit = fit.model
            return prefit
        sampled: ThemeSampleFit = fit.model
        labels = np.array([transformed[key]["theme_id"] for key in sampled.keys],
                          dtype=np.int64)
        state = sampled.fitted.extended(sampled.texts, sampled.groups, labels)
        return ThemePrefit(state, "sampled", f"fitted on a stratified sample of "
                           f"{sampled.sample_size} of {len(sampled.texts)} segments "
                           "(themes.max_fit); the rest assigned in the Ray pass")

    def name_phrases(self, phrases: list[str]) -> PhraseOutputs:
        """Candidate theme names through the run's encoder and sentiment head (a few
        hundred short phrases per view, once)."""
        predictions = self.resources.classifier.run(phrases)
        labels = list(predictions.sentiment_labels)
        negative = (np.asarray(predictions.sentiment_probs)[:, labels.index("negative")]
                    if "negative" in labels else None)
        return PhraseOutputs(np.asarray(predictions.embeddings), negative)

    def _encoder(self, curation: Curation | None) -> Encoder | None:
        # Seeds' examples and labels are encoded; without seeds nothing is.
        return SeedEncoder(self.resources) if self.seeds or (curation and curation.seeds) \
            else None

    def setup(self, view: str, curation: Curation | None) -> str:
        """What a fit depends on besides the segments: a state fitted under another setup
        is never reused without fitting again."""
        seeds = [*self.seeds, *(curation.seeds if curation else ())]
        described = json.dumps({"view": view, "encoder": self.resources.encoder,
                                "settings": repr(self.settings),
                                "seeds": [repr(seed) for seed in seeds]}, sort_keys=True,
                               ensure_ascii=False)
        return hashlib.sha256(described.encode()).hexdigest()[:16]

    def _view(self, run: RunState, view: str, members: np.ndarray, curation: Curation | None,
              previous: ThemeModel | None, tokenizer: ThemeTokenizer,
              ) -> tuple[list[tuple[int | None, str | None]], dict[str, Any]]:
        """Fit one view on the segments at `members`; add its table, JSON and state to the
        run; return each member's (theme id, label), None when unthemed."""
        started = time.perf_counter()
        segments = [run.segments[i] for i in members]
        documents = [str(s.get("text") or "") for s in segments]
        rows: list[dict[str, Any]] = []
        assigned: list[tuple[int | None, str | None]] = []
        summary = summarize([], OUTLIER, "none", 0.0)
        if segments:
            assert run.embeddings is not None  # checked by the caller
            # Only the main view is fitted ahead, by a distributed executor.
            adopted = run.artifacts.fits.get(self.name) if view == self.name else None
            prefit = adopted if isinstance(adopted, ThemePrefit) else None
            embeddings = run.embeddings[members]
            groups = [language_group(s) for s in segments]
            model = self.model(view, curation, tokenizer).fit(
                embeddings, groups, documents,
                previous=prefit.state if prefit else previous,
                setup=self.setup(view, curation),
                # A prefit's assignments are kept however few segments its sample covered.
                refit_fraction=1.0 if prefit else self.refit_fraction)
            if prefit and model.mode_ == "assigned":
                model.mode_, model.reason_ = prefit.mode, prefit.reason
            rows = theme_rows(model, model.centred(embeddings, groups), segments, documents,
                              tokenizer, phrase_model=self.name_phrases,
                              stage_names=_stage_names(run),
                              respondent_of={r["row_id"]: respondent_key(r)
                                             for r in run.records})
            # The trend test belongs to the theme, so it is computed here, once, and the
            # report reads it from themes.parquet.
            rows_of: dict[int, set[int]] = {}
            for segment, label in zip(segments, model.labels_.tolist(), strict=True):
                rows_of.setdefault(label, set()).add(segment["row_id"])
            trends = theme_trends({r["theme_id"]: rows_of.get(r["theme_id"], set())
                                   for r in rows}, run.records)
            for row in rows:
                row.update(trends[row["theme_id"]])
            json_name, tensor_name = state_names(view)
            tensors, state = model.state_files(labels_for_state(rows))
            run.files[tensor_name] = tensors
            run.documents[json_name.removesuffix(".json")] = state
            label_of = {r["theme_id"]: r["label"] for r in rows}
            assigned = [(t, label_of[t]) if t != OUTLIER else (None, None)
                        for t in model.labels_.tolist()]
            summary = summarize(model.labels_.tolist(), OUTLIER, model.method_,
                                time.perf_counter() - started, model.no_content_)
            summary["mode"], summary["mode_reason"] = model.mode_, model.reason_
        run.outputs[view] = OutputTable(rows)
        run.documents[view] = {**summary, "themes": rows}
        return assigned, summary


def summarize(labels: Sequence[int], outlier: int, method: str,
              seconds: float, no_content: int = 0) -> dict[str, Any]:
    """`unthemed` counts every segment without a theme; `no_content` those of them with no
    word a theme could be about (greetings, sign-offs), which `max_outlier_share` does not
    bound."""
    unthemed = sum(1 for label in labels if label == outlier)
    return {
        "method": method,
        "n_themes": len(set(labels) - {outlier}),
        "segments": len(labels),
        "unthemed": unthemed,
        "unthemed_share": round(unthemed / len(labels), 4) if labels else 0.0,
        "no_content": no_content,
        "fit_seconds": round(seconds, 3),
    }


def _stage_names(run: RunState) -> dict[str, str]:
    """Journey stage id -> English name, when the journey stage ran before themes."""
    journey = run.artifacts.journey_map
    return {item.id: item.label("en") for item in journey.stages} if journey else {}


def _record_themes(run: RunState, segments: Sequence[Segment]) -> None:
    by_row: dict[int, set[int]] = {}
    for segment in segments:
        if segment.get("theme_id") is not None:
            by_row.setdefault(segment["row_id"], set()).add(segment["theme_id"])
    for record in run.records:
        record["themes"] = sorted(by_row.get(record["row_id"], ()))


register(ThemesComponent.name)(ThemesComponent)
