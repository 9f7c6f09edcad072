"""Pipeline component: the normalized text every later stage reads."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pyarrow as pa

from voc.io.records import STATUS_FIELDS, STATUS_TOO_LONG
from voc.normalize.english import EnglishNormalizer
from voc.pipeline.base import Record, RunState, apply_per_record, register
from voc.pipeline.fields import Declares, Kind, record_field, record_fields
from voc.pipeline.resources import Resources
from voc.pipeline.settings import NormalizeSettings

# Redaction placeholders must survive normalization verbatim ("[PHONE]", not "[ PHONE ]"),
# so the text between them is normalized piece by piece.
_PLACEHOLDER = re.compile(r"(\[[A-Z_]+\])")
_GLUED_AFTER_PLACEHOLDER = re.compile(r"(\[[A-Z_]+\])(?=\w)")


def truncate_at_word(text: str, max_chars: int) -> str:
    """Cut `text` to at most `max_chars`, at the last whitespace when there is one nearby."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", max_chars // 2, max_chars + 1)
    return text[: cut if cut > 0 else max_chars].rstrip()


class NormalizeComponent:
    """Adds `text_normalized` (from the redacted text) and marks over-long answers."""

    name: ClassVar[str] = "normalize"
    settings_model: ClassVar[type[NormalizeSettings]] = NormalizeSettings
    # A row stage: an incremental run reuses its output for an unchanged record; parallel:
    # one record at a time, so the local executor splits records across CPU cores.
    declares: ClassVar[Declares] = Declares(
        Kind.ROW, parallel=True, requires=record_fields("text_redacted", "lang", "status"),
        optional=record_fields("script"),
        assigns=(record_field("text_normalized", pa.string(),
                              "the redacted text as later stages read it"),
                 *STATUS_FIELDS))

    def __init__(self, settings: NormalizeSettings,
                 resources: Resources | None = None) -> None:
        self.persian = (resources or Resources()).persian(settings.persian_informal)
        self.english = EnglishNormalizer()
        self.max_chars = settings.max_chars

    def normalize_text(self, text: str, lang: str, script: str = "arabic") -> str:
        # Finglish is Persian in Latin letters: hazm's rules are for the Persian script.
        normalizer = self.english if lang == "en" or script == "latin" else self.persian
        if "[" not in text:
            normalized = normalizer.normalize(text)
        else:
            normalized = self._normalize_around_placeholders(text, normalizer.normalize)
        if lang in ("mixed", "other"):
            # Mixed answers hold English runs too; apply the English character rules on top.
            normalized = self.english.normalize(normalized)
        return normalized

    @staticmethod
    def _normalize_around_placeholders(text: str, normalize: Any) -> str:
        parts: list[str] = []
        for index, piece in enumerate(_PLACEHOLDER.split(text)):
            if index % 2 == 0:
                piece = normalize(piece)
            elif parts and parts[-1] and not parts[-1].endswith((" ", "\n")):
                piece = " " + piece
            if piece:
                parts.append(piece)
        joined = "".join(parts)
        # Keep a space after a placeholder that is followed by a word, as before.
        return _GLUED_AFTER_PLACEHOLDER.sub(r"\1 ", joined).strip()

    def normalize(self, record: Record) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "text_normalized": self.normalize_text(record["text_redacted"], record["lang"],
                                                   record.get("script") or "arabic")
        }
        if len(fields["text_normalized"]) > self.max_chars:
            fields["text_normalized"] = truncate_at_word(fields["text_normalized"],
                                                         self.max_chars)
            fields["status"] = STATUS_TOO_LONG
            fields["status_detail"] = f"text longer than {self.max_chars} characters; " \
                "analysed the first part"
        return fields

    def __call__(self, state: RunState) -> RunState:
        for record in state.records:
            record.setdefault("text_normalized", "")
        apply_per_record(state.analyzed(), self.name, self.normalize)
        return state


register(NormalizeComponent.name)(NormalizeComponent)
