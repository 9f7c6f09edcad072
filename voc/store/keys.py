"""What identifies a record's analysis, so a re-run can tell what it may reuse.

A record's row-local analysis (language, redaction, normalization, segments, sentiment,
journey links) depends only on a few of its fields and on the settings and models of the
row-local stages. The content hash covers those fields; the fingerprint covers the
stages. A stored analysis is reused when both match, whatever row or file the record
came from this time; scores, dates, ids and other columns are always taken fresh from
the export, because no row-local stage reads them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

import voc
from voc.pipeline.base import Component, Record
from voc.pipeline.config import component_settings

# The record fields row-local stages read. A stage that starts reading another field
# must add it here, or a changed value would wrongly reuse an old analysis.
ANALYSIS_INPUTS = ("text", "question", "channel", "status", "status_detail")
# Fields a reused analysis takes from this run's export rather than from the store.
EXPORT_FIELDS = frozenset({"row_id", "source", "source_row", "question", "id", "date",
                           "channel", "nps", "csat", "ces", "meta", "text"})
# Packages whose behaviour shapes the row-local results.
_VERSIONED = ("hazm", "spacy", "transformers", "tokenizers", "onnxruntime", "torch")


def _digest(value: Any, length: int = 32) -> str:
    payload = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:length]


def content_hash(record: Mapping[str, Any]) -> str:
    """Hash of the fields a record's row-local analysis depends on."""
    return _digest([record.get(name) for name in ANALYSIS_INPUTS])


def has_real_id(record: Mapping[str, Any]) -> bool:
    """False when the id was made up from file name and row number (no id column)."""
    return bool(record.get("id")) and record["id"] != f"{record['source']}:{record['source_row']}"


def record_key(record: Mapping[str, Any]) -> str:
    """Identity across runs: the export's id and question, else the content hash."""
    if has_real_id(record):
        return f"id:{record['id']}\x1f{record['question']}"
    return f"hash:{content_hash(record)}"


def row_local_prefix(components: Iterable[Component]) -> list[Component]:
    """The leading components whose output for a record depends only on that record."""
    prefix = []
    for component in components:
        if not getattr(component, "row_local", False):
            break
        prefix.append(component)
    return prefix


def _package_versions() -> dict[str, str]:
    versions = {"voc": voc.__version__}
    for package in _VERSIONED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def stage_identity(component: Component, config: Mapping[str, Any]) -> dict[str, Any]:
    """Settings and model identity of one stage: what must match to reuse its output."""
    identity: dict[str, Any] = {"stage": component.name,
                                "settings": component_settings(config, component.name)}
    describe = getattr(component, "identity", None)
    if callable(describe):
        identity["models"] = describe()
    return identity


def fingerprint(components: Iterable[Component], config: Mapping[str, Any],
                extra: Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Fingerprint of the row-local stages, and the description it was computed from."""
    description = {
        "stages": [stage_identity(c, config) for c in components],
        "versions": _package_versions(),
        **(extra or {}),
    }
    return _digest(description, 16), description


def spacy_identity(config: Mapping[str, Any]) -> dict[str, Any]:
    """Which English spaCy pipeline `spacy_model: auto` resolved to on this machine."""
    from voc.pipeline.resources import english_pipeline

    nlp = english_pipeline(config.get("spacy_model", "auto"))
    return {"name": nlp.meta.get("name"), "version": nlp.meta.get("version"),
            "pipes": list(nlp.pipe_names)}


def config_hash(config: Mapping[str, Any]) -> str:
    return _digest(config, 16)


def analysis_fields(record: Record) -> dict[str, Any]:
    """The part of an analysed record that a later run may reuse."""
    return {k: v for k, v in record.items() if k not in EXPORT_FIELDS}
