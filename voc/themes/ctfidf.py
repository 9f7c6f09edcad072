"""BERTopic's topic-word steps as voc hands them to BERTopic (imported only where BERTopic
runs: importing BERTopic takes seconds).

voc names and describes themes itself after the fit (voc.themes.describe), but BERTopic
computes its own c-TF-IDF topic words in every fit. It is given real words for them: each
segment's content words (ThemeTokenizer.content_words), the very test that admits a
segment to clustering (voc.themes.model.without_content), so every clustered segment
brings at least one word and the vocabulary is never empty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bertopic.vectorizers import ClassTfidfTransformer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from voc.themes.vectorizer import ThemeTokenizer


class OneWordClassTfidf(ClassTfidfTransformer):
    """BERTopic's c-TF-IDF, also over a vocabulary of one word (every clustered segment
    says "ok", or only a product name). BERTopic's own squeezes the word frequencies of a
    one-column count matrix to a scalar, which scipy's `diags` rejects (BERTopic issue
    2034). A lone word's idf is one constant that ranks nothing, so it is left out: its
    weight in a topic is its share of the topic's words (1, or 0 when the topic lacks it)."""

    def fit(self, X: Any, multiplier: np.ndarray | None = None) -> OneWordClassTfidf:
        self.one_word_ = X.shape[1] == 1
        if not self.one_word_:
            super().fit(X, multiplier)
        return self

    def transform(self, X: Any) -> Any:
        if self.one_word_:
            return normalize(X, axis=1, norm="l1")
        return super().transform(X)


def topic_word_models() -> dict[str, Any]:
    """BERTopic's `vectorizer_model` and `ctfidf_model` arguments."""
    tokenizer = ThemeTokenizer(lemmatize=False)  # content words are compared as written
    return {"vectorizer_model": CountVectorizer(analyzer=tokenizer.content_words),
            "ctfidf_model": OneWordClassTfidf()}
