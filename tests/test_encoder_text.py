"""What the encoder reads (voc.encoder.text): shouted text is lower-cased, nothing else is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voc.encoder.output_cache import text_key
from voc.encoder.text import encoder_text, unshout


def test_shouting_is_lower_cased_and_ordinary_text_is_not() -> None:
    assert unshout("THE CUSTOMER SERVICE IS TERRIFIC!!") == "the customer service is terrific!!"
    assert unshout("WORST DELIVERY EVER, NEVER again") == "worst delivery ever, never again"
    # Acronyms, codes and a shouted word inside a sentence keep their capitals.
    for text in ("ATM ate my card", "PIN 4411 OK", "The app is SO slow since the update",
                 "iOS app keeps crashing", "ارسال خیلی دیر بود", ""):
        assert unshout(text) == text
    assert encoder_text("query: ", "REFUND NOT RECEIVED") == "query: refund not received"


def test_the_cache_keys_on_what_the_encoder_reads() -> None:
    shouted, spoken = "LATE AGAIN, COLD FOOD", "late again, cold food"
    assert text_key("query: ", shouted) == text_key("query: ", spoken)
    assert text_key("query: ", "ATM ate my card") != text_key("query: ", "atm ate my card")


def test_shipped_heads_read_shouted_praise_as_praise(model_dir: Path) -> None:
    from transformers import AutoTokenizer

    from voc.heads.model import BranchedEncoder
    from voc.heads.predict import FeedbackClassifier
    from voc.heads.predict import default_heads_path as shipped

    if not shipped().is_file():
        pytest.skip("no shipped heads")
    classifier = FeedbackClassifier(BranchedEncoder.from_paths(model_dir, shipped()),
                                    AutoTokenizer.from_pretrained(str(model_dir)),
                                    backend="torch")
    out = classifier.run(["THE CUSTOMER SERVICE IS TERRIFIC!!",
                          "the customer service is terrific!!"])
    np.testing.assert_allclose(out.embeddings[0], out.embeddings[1], atol=1e-6)
    positive = list(out.sentiment_labels).index("positive")
    assert out.sentiment_probs[0].argmax() == positive
