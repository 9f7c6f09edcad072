"""Split an answer into sentences, and sentences into contrastive clauses.

One answer often praises one thing and complains about another ("great food but the
courier was rude", «غذا خوب بود ولی پیک دیر اومد»); classifying it whole averages the two
away. Segments are therefore sentences, split again before contrastive connectives, and
they are the unit every later stage classifies. Offsets point into the normalized text
so a report can highlight a segment inside its answer.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Token

from voc.normalize.persian import persian_word_tokenizer
from voc.pipeline.settings import SegmentSettings

# Connectives that start a clause contrasting with what came before. Multi-word ones
# come first so that "even though" wins over "though".
_ENGLISH_MARKERS = (
    "on the other hand", "even though", "apart from that", "other than that", "except that",
    "but", "however", "although", "though", "whereas", "nevertheless", "nonetheless",
)
_PERSIAN_MARKERS = (
    "با این حال", "با این وجود", "در حالی که", "در حالی‌که", "درحالی‌که", "درحالیکه",
    "جدا از این", "به جز این", "اگر چه", "هر چند",
    "ولی", "اما", "ولیکن", "لیکن", "منتها", "هرچند", "اگرچه",
)
_FINGLISH_MARKERS = ("vali", "valy", "amma", "ama")
# "nothing but", "not only ... but also", "can't help but": "but" is not contrastive here.
_NOT_CONTRASTIVE_BEFORE = frozenset(
    {"nothing", "anything", "all", "everything", "everyone", "none", "help", "cannot", "can't"}
)
_NOT_CONTRASTIVE_AFTER = frozenset({"also", "for"})
# Connectives that add a new point («ضمناً»: "besides"). A multi-issue complaint ("the box
# was crushed, besides nobody answered my DMs") split here gives each issue its own
# segment, so each finds its own theme and stage. Only after a comma or semicolon: "I
# also ordered" and «همچنین خوب بود» go on with the same point.
_ADDITIVE_MARKERS = ("on top of that", "in addition", "besides", "also", "plus",
                     "ضمناً", "ضمنا", "همچنین", "zemnan")

_WORD_CHAR = r"[\w\u200c]"
_MARKERS = re.compile(
    rf"(?<!{_WORD_CHAR})(?:"
    + "|".join(re.escape(m) for m in (*_ENGLISH_MARKERS, *_PERSIAN_MARKERS, *_FINGLISH_MARKERS))
    + rf")(?!{_WORD_CHAR})",
    re.IGNORECASE,
)
_ADDITIVE = re.compile(
    r"[,،;؛]\s*((?:" + "|".join(re.escape(m) for m in _ADDITIVE_MARKERS) + rf")(?!{_WORD_CHAR}))",
    re.IGNORECASE,
)
# A sentence ends at . ! ? ؟ … (not inside 2.5 or e.g.) followed by space, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])[\"'»)\]]*\s+|\n+")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_][\w\u200c'-]*")
_TRIM = " \t\n,،;؛:-–—"
# Redaction placeholders ("[PHONE]") are not words of the customer's.
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
_BREAK_CHARS = ",،;؛ "


@dataclass(frozen=True)
class SegmentSpan:
    """A segment of a normalized text: its characters and content terms."""

    start: int
    end: int
    text: str
    terms: str


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _regex_sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _is_contrastive(text: str, match: re.Match[str]) -> bool:
    before = _WORD.findall(text[: match.start()])
    after = _WORD.findall(text[match.end():])
    if not before or not after:
        return False
    marker = match.group(0).lower()
    if marker == "but":
        if before[-1].lower() in _NOT_CONTRASTIVE_BEFORE:
            return False
        if after[0].lower() in _NOT_CONTRASTIVE_AFTER:
            return False
    return True


def split_clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] before each contrastive connective that has words both sides,
    and before each additive one that follows a comma or semicolon."""
    sentence = text[start:end]
    cuts = [m.start() for m in _MARKERS.finditer(sentence) if _is_contrastive(sentence, m)]
    cuts += [m.start(1) for m in _ADDITIVE.finditer(sentence)
             if _WORD.search(sentence[: m.start()]) and _WORD.search(sentence[m.end():])]
    bounds = [0, *sorted(set(cuts)), len(sentence)]
    return [(start + a, start + b) for a, b in itertools.pairwise(bounds) if b > a]


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long run-on clause at the last comma or space before the limit."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")  # else no progress
    spans = []
    while end - start > max_chars:
        window = text[start: start + max_chars]
        cut = max(window.rfind(c) for c in _BREAK_CHARS)
        cut = cut if cut > max_chars // 2 else max_chars
        spans.append((start, start + cut))
        start += cut
    spans.append((start, end))
    return spans


class Segmenter:
    """Segment normalized texts; English through spaCy, other languages by rule."""

    def __init__(self, english: Language, *, contrastive: bool = True,
                 max_segment_chars: int = SegmentSettings.model_fields["max_segment_chars"].default,
                 ) -> None:
        self.english = english
        self.contrastive = contrastive
        self.max_segment_chars = max_segment_chars
        self._persian_tokenizer = persian_word_tokenizer()

    def _finish(self, text: str, sentences: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for s_start, s_end in sentences:
            clauses = (split_clauses(text, s_start, s_end) if self.contrastive
                       else [(s_start, s_end)])
            for c_start, c_end in clauses:
                for a, b in _split_long(text, c_start, c_end, self.max_segment_chars):
                    a, b = _trimmed(text, a, b)
                    if b > a:
                        spans.append((a, b))
        return _merge_wordless(text, spans)

    def _persian_terms(self, text: str) -> str:
        text = _PLACEHOLDER.sub(" ", text)
        return " ".join(t.lower() for t in self._persian_tokenizer.tokenize(text)
                        if _LETTER.search(t))

    @staticmethod
    def _english_terms(doc: Doc, start: int, end: int) -> str:
        span = doc.char_span(start, end, alignment_mode="expand")
        # "expand" gives None only for a character outside every token and its trailing
        # whitespace; spaCy's tokens cover the whole text and the spans are non-empty
        # ranges within it.
        assert span is not None
        tokens: Iterable[Token] = span
        hidden = [m.span() for m in _PLACEHOLDER.finditer(doc.text, start, end)]
        if hidden:
            tokens = [t for t in span if not any(a <= t.idx < b for a, b in hidden)]
        return " ".join(t.lemma_.lower() or t.lower_ for t in tokens if t.is_alpha)

    def segment(self, texts: Sequence[str], langs: Sequence[str]) -> list[list[SegmentSpan]]:
        """Segment each text; `langs` selects the English (spaCy) or rule-based path."""
        results: list[list[SegmentSpan]] = [[] for _ in texts]
        english_items = [i for i, lang in enumerate(langs) if lang == "en"]
        for index, doc in zip(english_items,
                              self.english.pipe(texts[i] for i in english_items),
                              strict=True):
            text = texts[index]
            spans = self._finish(text, [(s.start_char, s.end_char) for s in doc.sents])
            results[index] = [
                SegmentSpan(a, b, text[a:b], self._english_terms(doc, a, b)) for a, b in spans
            ]
        for index, text in enumerate(texts):
            if langs[index] == "en":
                continue
            spans = self._finish(text, _regex_sentences(text))
            results[index] = [
                SegmentSpan(a, b, text[a:b], self._persian_terms(text[a:b])) for a, b in spans
            ]
        return results


def _merge_wordless(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Attach pieces with no letters ("👍", "!!") to a neighbour instead of standing alone."""
    if len(spans) < 2:
        return spans
    merged: list[tuple[int, int]] = []
    pending_start: int | None = None
    for start, end in spans:
        if not _LETTER.search(text[start:end]):
            if merged:
                merged[-1] = (merged[-1][0], end)
            elif pending_start is None:
                pending_start = start
            continue
        if pending_start is not None:
            start, pending_start = pending_start, None
        merged.append((start, end))
    if pending_start is not None:  # no piece had letters: keep the whole as one
        return [(spans[0][0], spans[-1][1])]
    return merged
