"""hazm's Persian word list (``hazm/data/words.dat``, a dependency), read once per process.

Each line is a word, its corpus frequency and its coarse tags (N, AJ, ADV...). Theme naming
uses the tags (is a word a noun?), the Finglish reader the frequencies (which spelling is
the usual one); both read this one copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class HazmWord:
    word: str
    frequency: int
    tags: str  # comma-separated, "" when untagged


@lru_cache(maxsize=1)
def hazm_words() -> tuple[HazmWord, ...]:
    text = resources.files("hazm").joinpath("data", "words.dat").read_text(encoding="utf-8")
    words = []
    for line in text.splitlines():
        parts = line.split("\t")
        if not parts or not parts[0]:
            continue
        frequency = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        words.append(HazmWord(parts[0], frequency, parts[2] if len(parts) > 2 else ""))
    return tuple(words)
