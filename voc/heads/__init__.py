"""Sentiment and emotion heads that share the e5 encoder's single pass with the embeddings.

Heavy imports (torch, transformers) stay in the submodules, so importing ``voc.heads`` for
its label sets costs nothing.
"""

from voc.heads.labels import EMOTION_LABELS, SENTIMENT_LABELS

__all__ = ["EMOTION_LABELS", "SENTIMENT_LABELS"]
