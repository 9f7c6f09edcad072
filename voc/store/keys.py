"""What identifies a record's analysis, so a re-run can tell what it may reuse.

A record's row-local analysis (language, redaction, normalization, segments, sentiment)
depends only on a few of its fields and on the settings and models of the row stages
(kind `row`, voc.pipeline.fields). The content hash covers those fields, taken from the
stages' declarations; the fingerprint covers the stages and that field list. A stored
analysis is reused when both match, whatever row or file the record came from this time;
scores, dates, ids and other columns are always taken fresh from the export, because no
row stage reads them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

import voc
import voc.pipeline.run  # registers every stage: EXPORT_FIELDS is derived from them
from voc.io.records import READER_FIELDS
from voc.pipeline.base import Component, Record, declaration, registered_components
from voc.pipeline.config import component_settings
from voc.pipeline.fields import Kind, column

# The run's own row number: it joins a record to its segments, and a reused analysis is
# re-keyed to this run's row ids (StoreCache.reuse), so it is never an input.
_ROW_KEY = "record.row_id"
# Fields a reused analysis takes from this run's export rather than from the store: what
# the reader gives, less what a row stage assigns (a status the language stage set is
# part of the stored analysis).
EXPORT_FIELDS = frozenset(column(field) for field in READER_FIELDS) - {
    column(field) for name in registered_components()
    if declaration(name).kind is Kind.ROW for field in declaration(name).assigned()
    if field in READER_FIELDS}
# Packages whose behaviour shapes the row-local results.
_VERSIONED = ("hazm", "spacy", "transformers", "tokenizers", "onnxruntime", "torch")


def _digest(value: Any, length: int = 32) -> str:
    payload = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:length]


def analysis_inputs(components: Iterable[Component]) -> tuple[str, ...]:
    """The export fields the row stages' output depends on, from their declarations: each
    field a stage reads (required or optional), and each one it assigns over the reader's
    value (it may keep that value, e.g. `status_detail`), that the reader provides."""
    fields: set[str] = set()
    for component in components:
        declares = component.declares
        fields.update(f for f in (*declares.reads(), *declares.assigned())
                      if f in READER_FIELDS)
    return tuple(sorted(column(f) for f in fields - {_ROW_KEY}))


def content_hash(record: Mapping[str, Any], inputs: Iterable[str]) -> str:
    """Hash of the fields (`analysis_inputs`) a record's row-local analysis depends on."""
    return _digest([record.get(name) for name in inputs])


def has_real_id(record: Mapping[str, Any]) -> bool:
    """False when the id was made up from file name and row number (no id column)."""
    return bool(record.get("id")) and record["id"] != f"{record['source']}:{record['source_row']}"


def record_key(record: Mapping[str, Any], content: str) -> str:
    """Identity across runs: the export's id and question, else the content hash."""
    if has_real_id(record):
        return f"id:{record['id']}\x1f{record['question']}"
    return f"hash:{content}"


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
    components = list(components)
    description = {
        "stages": [stage_identity(c, config) for c in components],
        # A stage that starts reading another field changes what a stored analysis
        # depends on: analyses keyed on the old field list are not reused.
        "inputs": list(analysis_inputs(components)),
        "versions": _package_versions(),
        **(extra or {}),
    }
    return _digest(description, 16), description


def spacy_identity(config: Mapping[str, Any]) -> dict[str, Any]:
    """Which English spaCy pipeline `spacy_model: auto` resolved to on this machine."""
    from voc.pipeline.resources import Resources, english_pipeline

    # Through Resources: the config's spacy_model, else the settings model's default.
    nlp = english_pipeline(Resources.from_config(config).spacy_model)
    return {"name": nlp.meta.get("name"), "version": nlp.meta.get("version"),
            "pipes": list(nlp.pipe_names)}


def config_hash(config: Mapping[str, Any]) -> str:
    return _digest(config, 16)


def analysis_fields(record: Record) -> dict[str, Any]:
    """The part of an analysed record that a later run may reuse."""
    return {k: v for k, v in record.items() if k not in EXPORT_FIELDS}
