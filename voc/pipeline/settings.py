"""The pipeline config's settings as typed models: every key, its type, its range, its default.

One place for all of it: `DEFAULT_CONFIG` is dumped from these models, `voc/data/default.yaml`
is checked against it by a test, and every config is validated here before any input is
read. An unknown key (a typo such as `max_char`) or a value out of range is a one-line
`ConfigError` naming the key, the file and its line, never a silent no-op, an endless loop
(`segment.max_segment_chars: 0`) or every row marked `too_long` (`normalize.max_chars: -5`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from voc.encoder.backends import BACKENDS, DEFAULT_TOKEN_BUDGET
from voc.errors import ConfigError
from voc.io.yaml_files import validation_line
from voc.journey.maps import DEFAULT_JOURNEY
from voc.privacy.pii import PII_KINDS
from voc.themes.curation import Seeds

# Records per batch when a run is split into batches: one store transaction each (a killed
# run loses at most one batch; `voc analyze --commit-every`) or one Ray Data batch.
DEFAULT_BATCH_SIZE = 5000


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


Language = Literal["fa", "en", "mixed"]
LANGUAGES: tuple[Language, ...] = ("fa", "en", "mixed")


class LanguageSettings(_Section):
    # Records in other languages are kept with status `unsupported_language`.
    supported: list[Language] = Field(default_factory=lambda: list(LANGUAGES), min_length=1)


class RedactSettings(_Section):
    kinds: list[str] = Field(default_factory=lambda: list(PII_KINDS))
    # records.parquet/csv hold the redacted answer and extra columns; true keeps them as
    # written (for analysts allowed to see personal data).
    keep_original: bool = False

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        unknown = [kind for kind in kinds if kind not in PII_KINDS]
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r}; known: {', '.join(PII_KINDS)}")
        return kinds


class NormalizeSettings(_Section):
    persian_informal: Literal["off", "lexicon", "full"] = "lexicon"
    max_chars: int = Field(default=5000, ge=1)

    @field_validator("persian_informal", mode="before")
    @classmethod
    def _yaml_off(cls, value: Any) -> Any:
        # YAML reads a bare `off` as false; users should not have to know that.
        return "off" if value is False or value is None else value


class SegmentSettings(_Section):
    contrastive: bool = True
    # Shorter limits cut words apart; 0 never finished.
    max_segment_chars: int = Field(default=600, ge=20)


class ClassifySettings(_Section):
    encoder: str | None = None
    heads: str | None = None
    backend: Literal["auto", *BACKENDS] = "auto"  # type: ignore[valid-type]
    token_budget: int = Field(default=DEFAULT_TOKEN_BUDGET, ge=1)
    cache: bool = True


class JourneySettings(_Section):
    map: str = Field(default=DEFAULT_JOURNEY, min_length=1)
    # Both thresholds are chosen by bench/linking_eval.py on real labelled sets, each
    # linked with a map written without reading it, and checked on a set left out of the
    # choice (README, Benchmarks). Stage: 0.50, chosen with the linker's nearest-anchor
    # similarity (LinkSettings.anchor_neighbours); held out 0.80 accuracy / 14%
    # unassigned on Banking77, 0.85 / 26% on SemEval restaurants, 0.97 / 6% on Bitext,
    # 0.79 / 46% on transport complaint tweets (never tuned on).
    min_confidence: float = Field(default=0.50, ge=0.0, le=1.0)
    # Touchpoint: the same leave-one-set-out choice on the three sets with touchpoint
    # truth (Banking77 and SemEval by their label names, transport complaint tweets by
    # hand) gives 0.42-0.565, held out 0.80 / 7% (Banking77), 0.78 / 0% (SemEval), 0.69 /
    # 37% (tweets) vs 0.88 / 24%, 0.84 / 15%, 0.71 / 39% at 0.6. It is not taken: the
    # choice only sees texts that name a touchpoint, and at 0.45 every SemEval sentence
    # naming none gets one (77% at 0.6; the sample's clauses naming none: 46% vs 24%).
    min_touchpoint_confidence: float = Field(default=0.6, ge=0.0, le=1.0)
    use_channel: bool = True


class ThemesSettings(_Section):
    # Expected themes (voc.themes.curation.SeedSpec), checked when the config is loaded.
    seeds: Seeds = Field(default_factory=list)
    curation: str | None = None
    previous: str | None = None
    max_fit: int = Field(default=50_000, ge=100)
    max_outlier_share: float = Field(default=0.15, ge=0.0, le=1.0)
    random_state: int = 42
    refit_fraction: float = Field(default=0.1, ge=0.0, le=1.0)
    # Each segment's nearest segments in other languages join its nearest neighbours in
    # the clustering's graph, so one issue in two languages is one theme; 0 is the
    # clustering without them. Chosen with cross_lingual_merge (0.4, voc/themes/model.py)
    # by `bench/theme_names_eval.py --choose` on its products set (Amazon + Digikala
    # sentences; 0/2/4/8 x 0.6/0.5/0.4, UMAP seeds 42-44), among settings that keep
    # different aspects apart and the within-language themes whole: same-aspect pairs
    # sharing a theme across vs within languages 0.92 (0.51 before); held out on its
    # restaurant set 0.57 (0.05).
    cross_lingual_neighbors: int = Field(default=8, ge=0, le=50)
    # Themes over pain-point segments alone too, when the journey stage flagged any.
    pain_view: bool = True
    # Tuning knobs (README, "Themes"); None keeps the clustering's own default
    # (voc.themes.cluster.ClusterSettings, voc.themes.model.ThemeSettings), defined there once.
    small_input: int | None = Field(default=None, ge=1)
    min_cluster_size: int | None = Field(default=None, ge=2)
    umap_neighbors: int | None = Field(default=None, ge=2)
    umap_components: int | None = Field(default=None, ge=1)
    outlier_similarity: float | None = Field(default=None, ge=-1.0, le=1.0)
    outlier_floor: float | None = Field(default=None, ge=-1.0, le=1.0)
    max_theme_share: float | None = Field(default=None, gt=0.0, le=1.0)
    max_themes: int | None = Field(default=None, ge=1)
    seed_similarity: float | None = Field(default=None, ge=-1.0, le=1.0)
    seed_quantile: float | None = Field(default=None, ge=0.0, le=1.0)
    cross_lingual_merge: float | None = Field(default=None, ge=-1.0, le=1.0)
    match_similarity: float | None = Field(default=None, ge=-1.0, le=1.0)


#: Theme keys left out of the spelled-out defaults while unset.
THEME_TUNING = frozenset(name for name, field in ThemesSettings.model_fields.items()
                         if field.default is None and name not in ("curation", "previous"))


class DriversSettings(_Section):
    min_support: int = Field(default=10, ge=1)


class PipelineSettings(_Section):
    pipeline: list[str] = Field(default_factory=lambda: [
        "language", "redact", "normalize", "segment", "classify", "journey", "themes",
        "drivers"], min_length=1)
    spacy_model: str = "auto"
    language: LanguageSettings = Field(default_factory=LanguageSettings)
    redact: RedactSettings = Field(default_factory=RedactSettings)
    normalize: NormalizeSettings = Field(default_factory=NormalizeSettings)
    segment: SegmentSettings = Field(default_factory=SegmentSettings)
    classify: ClassifySettings = Field(default_factory=ClassifySettings)
    journey: JourneySettings = Field(default_factory=JourneySettings)
    themes: ThemesSettings = Field(default_factory=ThemesSettings)
    drivers: DriversSettings = Field(default_factory=DriversSettings)


def settings_dict(settings: PipelineSettings) -> dict[str, Any]:
    """Plain data for the components, without the theme tuning keys left unset."""
    # JSON types (lists, not the seeds' tuples): the config is written to run.json as is.
    data = settings.model_dump(mode="json")
    data["themes"] = {key: value for key, value in data["themes"].items()
                      if key not in THEME_TUNING or value is not None}
    return data


def validate_config(config: Mapping[str, Any], source: Path | str | None = None
                    ) -> dict[str, Any]:
    """``config`` checked against the models, as plain data; ``source`` is the user's file
    (its line is named in the error) or a phrase such as "command line"."""
    try:
        return settings_dict(PipelineSettings.model_validate(dict(config)))
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, source)) from exc


def validate_section[SectionT: BaseModel](model: type[SectionT], data: Mapping[str, Any],
                                          name: str) -> SectionT:
    """One component's section (``name``: its key in the pipeline config) as its typed
    settings, for a component built from plain data in code; errors as validate_config's."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, None, model, (name,))) from exc


def _one_line(exc: ValidationError, source: Path | str | None,
              model: type[BaseModel] = PipelineSettings, prefix: tuple[str, ...] = ()) -> str:
    return validation_line(exc, "pipeline config", source, model, prefix)
