"""Expensive objects that several components share, built once per process."""

from __future__ import annotations

from functools import lru_cache

from spacy.language import Language

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
