"""hazm's Persian word list (``hazm/data/words.dat``, a dependency), read once per process.

Each line is a word, its corpus frequency and its coarse tags (N, AJ, ADV...). hazm's
WordTokenizer, Lemmatizer and Normalizer each read the file again when built (about 0.6 s a
read); `voc.normalize.persian` builds them from `hazm_word_rows` instead. Theme naming uses
the tags (is a word a noun?) through the shared tokenizer's word table, the Finglish reader
the frequencies (which spelling is the usual one); all read this one copy.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# (word, corpus frequency, coarse tags), as hazm.utils.words_list reads them.
HazmWordRow = tuple[str, int, tuple[str, ...]]


@lru_cache(maxsize=1)
def hazm_word_rows() -> tuple[HazmWordRow, ...]:
    """`hazm.utils.words_list()`: one row per line, duplicates kept, as hazm's own classes
    read it. The one read of words.dat per process."""
    from hazm.utils import words_list  # hazm's import is seconds: only when used

    rows: list[Any] = words_list()
    return tuple(rows)
