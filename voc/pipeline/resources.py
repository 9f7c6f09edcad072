"""Expensive objects that several components share, built once per process, and the
`Resources` that hands them to every component.

Like the `nlp` object spaCy passes to each factory, `Resources` is how a stage reaches
the shared encoder + heads and tokenizers: journey encodes its map's descriptions and
themes their seeds with the very classifier classify used, without building a classify
stage of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.language import Language

from voc.errors import ConfigError
from voc.normalize.english import SpacyModel, load_english_pipeline
from voc.normalize.persian import InformalMode, PersianNormalizer
from voc.pipeline.settings import ClassifySettings, PipelineSettings


@lru_cache(maxsize=4)
def english_pipeline(model: SpacyModel = "auto") -> Language:
    """The English spaCy pipeline, shared by normalization, segmentation and redaction."""
    return load_english_pipeline(model)


@lru_cache(maxsize=4)
def persian_normalizer(informal: InformalMode = "lexicon") -> PersianNormalizer:
    """hazm's normalizer loads word lists and verb tables: build it once per process."""
    return PersianNormalizer(informal=informal)


@lru_cache(maxsize=2)
def feedback_classifier(encoder: str | None, heads: str | None, backend: str = "auto",
                        cache_outputs: bool = True) -> Any:
    """The encoder + heads, loaded once per process (seconds) and shared by every run."""
    from voc.heads.predict import FeedbackClassifier

    return FeedbackClassifier.from_paths(resolve_encoder(encoder), heads, backend=backend,
                                         cache_outputs=cache_outputs)


def resolve_encoder(encoder: str | None) -> Path | None:
    """A local model dir for `encoder`: a path as given, or a Hugging Face id fetched into
    the Hugging Face cache (needs network the first time); None means the offline default."""
    if encoder is None or Path(encoder).expanduser().exists():
        return Path(encoder).expanduser() if encoder else None
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(encoder))
    except Exception as exc:  # offline, unknown id, auth: all mean "cannot get it"
        raise ConfigError(
            f"encoder '{encoder}' is neither a local directory nor a downloadable Hugging Face "
            f"model ({type(exc).__name__}); pass a local path or leave --encoder out"
        ) from exc


@dataclass(frozen=True)
class Resources:
    """The run's shared models, described by the config and loaded on first use (once per
    process: a Ray actor or a forked worker loads its own)."""

    # The defaults are the settings models' (a Resources() is the default config's).
    spacy_model: str = PipelineSettings.model_fields["spacy_model"].default
    # classify's settings: the encoder + heads every stage that encodes uses.
    encoder: str | None = ClassifySettings.model_fields["encoder"].default
    heads: str | None = ClassifySettings.model_fields["heads"].default
    backend: str = ClassifySettings.model_fields["backend"].default
    cache_outputs: bool = ClassifySettings.model_fields["cache"].default

    @classmethod
    def from_settings(cls, classify: ClassifySettings,
                      spacy_model: str = PipelineSettings.model_fields["spacy_model"].default
                      ) -> Resources:
        return cls(spacy_model=spacy_model, encoder=classify.encoder,
                   heads=classify.heads or None, backend=classify.backend,
                   cache_outputs=classify.cache)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Resources:
        """From a pipeline config as plain data: only its shared keys and classify's
        section are read (and checked); the rest may be partial."""
        shared = PipelineSettings.model_validate(
            {key: config[key] for key in ("spacy_model", "classify") if key in config})
        return cls.from_settings(shared.classify, shared.spacy_model)

    def heads_path(self) -> Path:
        from voc.heads.predict import default_heads_path

        return Path(self.heads or default_heads_path())

    @property
    def classifier(self) -> Any:
        """The encoder + heads (voc.heads.predict.FeedbackClassifier). Loaded on first use,
        not when the stages are built: the row stages may fork worker processes first, and
        forking after torch has started its threads is unsafe."""
        return feedback_classifier(self.encoder, str(self.heads_path()), self.backend,
                                   self.cache_outputs)

    def english(self) -> Language:
        return english_pipeline(self.spacy_model)

    def persian(self, informal: InformalMode = "lexicon") -> PersianNormalizer:
        return persian_normalizer(informal)
