"""Pipeline component: tag each record's language and set aside what cannot be analysed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from voc.io.records import STATUS_EMPTY, STATUS_FIELDS, STATUS_OK, STATUS_UNSUPPORTED_LANGUAGE
from voc.language.detect import detect_language
from voc.pipeline.base import Record, RunState, apply_per_record, register
from voc.pipeline.fields import Declares, Kind, record_field, record_fields
from voc.pipeline.settings import LanguageSettings

if TYPE_CHECKING:
    from voc.pipeline.resources import Resources

# Survey tools write these for "no answer"; they are not feedback.
_NO_ANSWER = frozenset({"n/a", "na", "n.a.", "#n/a", "nan", "null", "none.", "-", "—"})
_EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff]")
_MEANINGFUL = re.compile(r"[^\W_]")


def has_emoji(text: str) -> bool:
    return _EMOJI.search(text) is not None


def is_empty_answer(text: str) -> bool:
    """True for blank answers, punctuation-only answers and 'n/a' placeholders."""
    stripped = text.strip()
    if not stripped or stripped.lower() in _NO_ANSWER:
        return True
    return not _MEANINGFUL.search(stripped) and not has_emoji(stripped)


class LanguageComponent:
    """Adds `lang` (fa/en/mixed/other), `script` and `finglish`, and the triage status."""

    name: ClassVar[str] = "language"
    settings_model: ClassVar[type[LanguageSettings]] = LanguageSettings
    # A row stage: an incremental run reuses its output for an unchanged record; parallel:
    # one record at a time, so the local executor splits records across CPU cores.
    declares: ClassVar[Declares] = Declares(
        Kind.ROW, parallel=True, requires=record_fields("text", "status"),
        assigns=(record_field("lang", pa.string(), "fa, en, mixed or other"),
                 record_field("script", pa.string(), "the writing system the text is in"),
                 record_field("finglish", pa.bool_(), "Persian written in Latin letters"),
                 *STATUS_FIELDS))

    def __init__(self, settings: LanguageSettings,
                 resources: Resources | None = None) -> None:
        self.supported = frozenset(settings.supported)

    def tag(self, record: Record) -> dict[str, Any]:
        text = record["text"]
        guess = detect_language(text)
        fields: dict[str, Any] = {
            "lang": guess.lang, "script": guess.script, "finglish": guess.finglish,
        }
        if record["status"] != STATUS_OK:
            return fields
        if is_empty_answer(text):
            fields["status"] = STATUS_EMPTY
        elif guess.lang not in self.supported and guess.has_letters:
            fields["status"] = STATUS_UNSUPPORTED_LANGUAGE
            fields["status_detail"] = f"language not supported (script: {guess.script})"
        return fields

    def __call__(self, state: RunState) -> RunState:
        apply_per_record(state.records, self.name, self.tag)
        return state


register(LanguageComponent.name)(LanguageComponent)
