"""Pipeline component: bilingual themes on the segment embeddings classify computed.

Adds `theme_id`/`theme_label` to segments and `themes` to records, the themes table
(DIR/themes.parquet and themes.json) and the fitted state (DIR/themes_model.safetensors
and themes_model.json) that the next run's `--previous-themes` keeps ids stable with.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from voc.errors import ConfigError
from voc.io.schema import THEMES_SCHEMA
from voc.pipeline.base import OutputTable, Segment, Tables, register
from voc.themes.cluster import OUTLIER, ClusterSettings
from voc.themes.curation import load_curation, parse_seeds
from voc.themes.describe import labels_for_state, theme_rows
from voc.themes.model import (
    STATE_JSON,
    STATE_TENSORS,
    ThemeSettings,
    fit_themes,
    load_previous,
    state_files,
)
from voc.themes.vectorizer import ThemeTokenizer

log = logging.getLogger(__name__)

_CLUSTER_KEYS = {"random_state", "small_input", "max_fit", "min_cluster_size",
                 "umap_neighbors", "umap_components", "outlier_similarity", "max_outlier_share",
                 "outlier_floor"}
_THEME_KEYS = {"seed_similarity", "cross_lingual_merge", "match_similarity"}
_OTHER_KEYS = {"seeds", "curation", "previous", "spacy_model"}
_PERSIAN_LETTER = re.compile(r"[\u0600-\u06FF]")


def language_group(segment: Segment) -> str:
    """The language whose mean embedding is removed: Finglish (Persian in Latin letters)
    sits apart from Persian script in the encoder's space, so it is a group of its own."""
    lang = str(segment.get("lang"))
    if lang == "fa" and not _PERSIAN_LETTER.search(str(segment.get("text") or "")):
        return "fa-latn"
    return lang


def settings_from_config(settings: Mapping[str, Any]) -> ThemeSettings:
    unknown = sorted(set(settings) - _CLUSTER_KEYS - _THEME_KEYS - _OTHER_KEYS)
    if unknown:
        raise ConfigError(f"unknown key '{unknown[0]}' in the themes config; known: "
                          f"{', '.join(sorted(_CLUSTER_KEYS | _THEME_KEYS | _OTHER_KEYS))}")
    cluster_values = {k: settings[k] for k in _CLUSTER_KEYS if settings.get(k) is not None}
    theme_values = {k: float(settings[k]) for k in _THEME_KEYS if settings.get(k) is not None}
    return ThemeSettings(cluster=ClusterSettings(**cluster_values), **theme_values)


class ThemesComponent:
    """Themes over all segments: seeded, discovered, curated, with stable ids."""

    name: ClassVar[str] = "themes"
    per_record: ClassVar[bool] = False

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = settings_from_config(settings)
        self.seeds = parse_seeds(settings.get("seeds"), "pipeline config: themes")
        # Read now, so a broken curation file or missing state fails before hours of work.
        self.curation = load_curation(settings.get("curation"))
        previous = settings.get("previous")
        self.previous = load_previous(previous) if previous else None

    def __call__(self, tables: Tables) -> Tables:
        started = time.perf_counter()
        segments = tables.segments
        embeddings = tables.embeddings
        if segments and (embeddings is None or len(embeddings) != len(segments)):
            raise ConfigError("the themes component needs the segment embeddings of "
                              "'classify': put 'classify' before 'themes' in the pipeline")
        tokenizer = ThemeTokenizer()
        documents = [str(s.get("text") or "") for s in segments]
        if not segments:
            rows: list[dict[str, Any]] = []
            summary = summarize([], OUTLIER, "none", 0.0)
        else:
            fit = fit_themes(np.asarray(embeddings, dtype=np.float32),
                             [language_group(s) for s in segments], documents,
                             settings=self.settings, seeds=self.seeds, curation=self.curation,
                             previous=self.previous, tokenizer=tokenizer)
            rows = theme_rows(fit, segments, documents, tokenizer)
            tensors, state = state_files(fit, labels_for_state(rows))
            tables.files[STATE_TENSORS] = tensors
            tables.documents[STATE_JSON.removesuffix(".json")] = state
            label_of = {r["theme_id"]: r["label"] for r in rows}
            for segment, theme_id in zip(segments, fit.labels.tolist(), strict=True):
                themed = theme_id != OUTLIER
                segment["theme_id"] = theme_id if themed else None
                segment["theme_label"] = label_of[theme_id] if themed else None
            summary = summarize(fit.labels.tolist(), OUTLIER, fit.method,
                                time.perf_counter() - started)
        _record_themes(tables, segments)
        tables.outputs["themes"] = OutputTable(rows, THEMES_SCHEMA)
        tables.documents["themes"] = {**summary, "themes": rows}
        tables.stats["themes"] = summary
        return tables


def summarize(labels: Sequence[int], outlier: int, method: str,
              seconds: float) -> dict[str, Any]:
    unthemed = sum(1 for label in labels if label == outlier)
    return {
        "method": method,
        "n_themes": len(set(labels) - {outlier}),
        "segments": len(labels),
        "unthemed": unthemed,
        "unthemed_share": round(unthemed / len(labels), 4) if labels else 0.0,
        "fit_seconds": round(seconds, 3),
    }


def _record_themes(tables: Tables, segments: Sequence[Segment]) -> None:
    by_row: dict[int, set[int]] = {}
    for segment in segments:
        if segment.get("theme_id") is not None:
            by_row.setdefault(segment["row_id"], set()).add(segment["theme_id"])
    for record in tables.records:
        record["themes"] = sorted(by_row.get(record["row_id"], ()))


register(ThemesComponent.name)(ThemesComponent)
