"""Language-independent clean-up applied before the language-specific normalizers."""

from __future__ import annotations

import re

# Bidirectional controls can reorder how a quote displays (a classic spoofing trick); they
# carry no meaning for analysis and go. A zero-width space (U+200B, and the old Mongolian
# vowel separator U+180E) separates words invisibly, so it becomes a space: deleting it
# would glue the words together. ZWNJ (U+200C) is kept: it is the Persian half-space and
# part of the spelling.
_ZERO_WIDTH_SPACE = re.compile("[\u200b\u180e]")
_INVISIBLE = re.compile("[\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_LINE_BREAKS = re.compile(r"\s*(?:\r\n?|\n|\u2028|\u2029)\s*")
_MANY_LINE_BREAKS = re.compile(r"\n{2,}")


def clean_unicode(text: str) -> str:
    """Remove invisible and control characters and tidy whitespace, keeping line breaks."""
    text = _ZERO_WIDTH_SPACE.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _MANY_LINE_BREAKS.sub("\n", text)
    text = _HORIZONTAL_SPACE.sub(" ", text)
    return text.strip()
