"""Whether a text holds Persian (Arabic-script) letters: one definition for every stage.

Language detection (voc.language.detect) tells Persian from Arabic and Urdu letter by
letter; the stages after it only need to know whether a token or segment is written in
that script at all (a Finglish segment tagged `fa` has none).
"""

from __future__ import annotations

import re

# The Arabic block, where Persian's letters, digits and ZWNJ-joined words live.
_ARABIC_BLOCK_LETTER = re.compile(r"[\u0600-\u06FF]")


def has_persian_letter(text: str) -> bool:
    """True when `text` holds at least one character of the Arabic block."""
    return _ARABIC_BLOCK_LETTER.search(text) is not None


# Every Arabic-script block: the Arabic block, Arabic Supplement and the presentation
# forms (A and B) that text copied from PDFs and old keyboards carries instead of letters.
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")


def first_persian_script(text: str) -> int | None:
    """The index of the first Arabic-script character of `text` (any of its blocks,
    presentation forms included), None when it has none: which script a mixed text
    starts in, for its direction."""
    found = _ARABIC_SCRIPT.search(text)
    return found.start() if found else None
