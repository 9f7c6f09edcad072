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
