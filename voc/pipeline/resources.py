"""Expensive objects that several components share, built once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.language import Language

from voc.errors import ConfigError
from voc.normalize.english import SpacyModel, load_english_pipeline
from voc.normalize.persian import InformalMode, PersianNormalizer


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
