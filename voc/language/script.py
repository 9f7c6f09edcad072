"""Whether a text holds Persian (Arabic-script) letters: one definition for every stage.

Language detection (voc.language.detect) tells Persian from Arabic and Urdu letter by
letter; the stages after it only need to know whether a token or segment is written in
that script at all (a Finglish segment tagged `fa` has none).
"""

from __future__ import annotations

import re

# The Arabic block, where Persian's letters, digits and ZWNJ-joined words live, plus the
# Arabic Supplement and both presentation-form blocks: text copied from PDFs and old
# Windows apps arrives in presentation forms («ﮐ», «ﻻ»), and the stages that see raw text
# (training files, curation keywords) must count it as Persian script too. U+FEFF (the
# byte-order mark) ends the Forms-B range as Unicode draws it; it stays in because the
# heads' per-script expert weights were fitted with this exact grouping.
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def has_persian_letter(text: str) -> bool:
    """True when `text` holds at least one character of the Arabic-script ranges above."""
    return _ARABIC_SCRIPT.search(text) is not None


def first_persian_script(text: str) -> int | None:
    """The index of the first Arabic-script character of `text` (presentation forms
    included), None when it has none: which script a mixed text starts in, for its
    direction."""
    found = _ARABIC_SCRIPT.search(text)
    return found.start() if found else None
