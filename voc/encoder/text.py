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
    """``text`` lower-cased when it is mostly capitals, else unchanged."""
    upper = lower = 0
    for char in text:
        if char.isupper():
            upper += 1
        elif char.islower():
            lower += 1
    if upper >= _MIN_CAPITALS and upper >= _SHOUTED_SHARE * (upper + lower):
        return text.lower()
    return text


def encoder_text(prefix: str, text: str) -> str:
    """Exactly what the encoder tokenizes for ``text`` under ``prefix`` (e5: "query: ")."""
    return prefix + unshout(text)
