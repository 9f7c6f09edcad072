"""What the encoder reads for a text: the model's prefix, then the text with shouting undone.

XLM-R's sentencepiece vocabulary (e5's) was learned on mostly lower-case text, so an
all-capitals sentence falls into rare word pieces and the encoder reads it as another
text: "THE CUSTOMER SERVICE IS TERRIFIC!!" scored -0.86 (neural sentiment), its lower-case
form +0.93. Customers shout in praise and in complaints alike, so text that is mostly
capitals is lower-cased before tokenization, for every use of the encoder (heads, themes,
journey anchors, training), and the output cache keys on exactly this form. The text that
reaches tables and the report keeps its capitals.
"""

from __future__ import annotations

# Shouting: at least this many cased letters, and this share of them capitals. A short
# all-capitals token is an acronym or a code ("ATM", "OK", "PIN 4411"), not shouting.
_MIN_CAPITALS = 8
_SHOUTED_SHARE = 0.7


def unshout(text: str) -> str:
    """``text`` lower-cased when it is mostly capitals, else unchanged. Every text goes
    through here twice per run (encoder input, cache key): text without capitals, most
    of it (and all Persian), leaves after one lower-casing in C, and counting runs in C."""
    folded = text.lower()
    if folded == text:
        return text
    upper = sum(map(str.isupper, text))
    if upper < _MIN_CAPITALS:
        return text
    lower = sum(map(str.islower, text))
    return folded if upper >= _SHOUTED_SHARE * (upper + lower) else text


def encoder_text(prefix: str, text: str) -> str:
    """Exactly what the encoder tokenizes for ``text`` under ``prefix`` (e5: "query: ")."""
    return prefix + unshout(text)
