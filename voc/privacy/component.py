"""Pipeline component: redact personal data before any text leaves the run."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, ClassVar

import pyarrow as pa

from voc.io.records import STATUS_FIELDS
from voc.pipeline.base import Record, RunState, apply_per_record, register
from voc.pipeline.fields import Declares, Kind, record_field, record_fields
from voc.pipeline.resources import Resources, english_pipeline
from voc.pipeline.settings import RedactSettings
from voc.privacy.names import find_names
from voc.privacy.pii import NameFinder, PiiRedactor

_LATIN = re.compile("[A-Za-z]")


def spacy_name_finder(model: str) -> Any:
    """Person-name spans from spaCy's entities, or None when the pipeline finds none."""
    nlp = english_pipeline(model)
    if not {"ner", "entity_ruler", "span_ruler"} & set(nlp.pipe_names):
        return None

    def find_names(text: str) -> list[tuple[int, int]]:
        # The English NER model only knows Latin-script names; on Persian text it guesses.
        if not _LATIN.search(text):
            return []
        return [(e.start_char, e.end_char) for e in nlp(text).ents if e.label_ == "PERSON"]

    return find_names


def name_finder(model: str) -> NameFinder:
    """The name lists with context (both languages, always), plus spaCy's English NER when
    the pipeline has one; overlapping spans are merged by the redactor."""
    spacy_finder = spacy_name_finder(model)
    if spacy_finder is None:
        return find_names
    return lambda text: find_names(text) + spacy_finder(text)


class RedactComponent:
    """Adds `text_redacted`: the original text with e-mails, phones, cards... replaced."""

    name: ClassVar[str] = "redact"
    settings_model: ClassVar[type[RedactSettings]] = RedactSettings
    # A row stage: an incremental run reuses its output for an unchanged record; parallel:
    # one record at a time, so the local executor splits records across CPU cores.
    declares: ClassVar[Declares] = Declares(
        Kind.ROW, parallel=True, requires=record_fields("text"),
        # status: a record the redactor fails on is marked `error` (mark_row_error).
        assigns=(record_field("text_redacted", pa.string(),
                              "the text with personal data replaced by [KIND] placeholders"),
                 record_field("pii_found", pa.int32(), "how many pieces were replaced"),
                 *STATUS_FIELDS))

    def __init__(self, settings: RedactSettings,
                 resources: Resources | None = None) -> None:
        kinds = settings.kinds
        finder = name_finder((resources or Resources()).spacy_model) if "NAME" in kinds \
            else None
        self.redactor = PiiRedactor(kinds=kinds, name_finder=finder)

    def __call__(self, state: RunState) -> RunState:
        counts: Counter[str] = Counter()

        def redact(record: Record) -> dict[str, Any]:
            result = self.redactor.redact(record["text"])
            counts.update(result.counts)
            return {"text_redacted": result.text, "pii_found": sum(result.counts.values())}

        for record in state.records:
            record.setdefault("text_redacted", "")
            record.setdefault("pii_found", 0)
        # Every record with text is redacted, analysed or not: all of them are written out.
        apply_per_record((r for r in state.records if r["text"]), self.name, redact)
        state.stats.redactions = dict(sorted(counts.items()))
        return state


register(RedactComponent.name)(RedactComponent)


def published_records(records: list[Record], keep_original: bool = False) -> list[Record]:
    """The records as they may leave the run (records.parquet/csv): the answer redacted and
    every extra column's value too, unless ``keep_original`` (``redact.keep_original``)
    asks for the customer's words as written. The in-memory records keep the original: the
    store keys reuse on it."""
    if keep_original:
        return records
    from voc.privacy.columns import redact_value

    published = []
    for record in records:
        text = record.get("text")
        redacted = record.get("text_redacted")
        if text and not redacted:  # a record the redact stage did not reach
            redacted = redact_value(text)
        meta = record.get("meta")
        if meta:
            values = json.loads(meta)
            meta = json.dumps({key: None if value is None else redact_value(value)
                               for key, value in values.items()}, ensure_ascii=False)
        published.append({**record, "text": redacted if text else text, "meta": meta})
    return published
