"""Embeddings, sentiment and emotion for a batch of texts, in one encoder pass each."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from voc.heads.labels import EMOTION_LABELS, SENTIMENT_LABELS
from voc.heads.model import BranchedEncoder

logger = logging.getLogger(__name__)

Precision = Literal["auto", "fp32", "bf16"]
HEADS_ENV = "VOC_HEADS_PATH"
DEFAULT_HEADS_PATH = (
    Path(__file__).resolve().parents[2] / "models" / "heads" / "voc-heads.safetensors"
)
MAX_LENGTH = 512


def default_heads_path() -> Path:
    """``$VOC_HEADS_PATH``, else the heads shipped in the repository's ``models/heads/``."""
    if override := os.environ.get(HEADS_ENV):
        return Path(override).expanduser()
    return DEFAULT_HEADS_PATH


def native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX).

    Without it PyTorch emulates bf16 matmuls and autocast is several times slower than
    fp32 (measured 6x on an AVX2-only EPYC), so "auto" uses fp32 there.
    """
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


@dataclass(frozen=True)
class Predictions:
    """Per input text, in input order."""

    embeddings: np.ndarray  # (N, hidden) float32, L2-normalised e5 embeddings
    sentiment_probs: np.ndarray  # (N, len(sentiment_labels)) float32, rows sum to 1
    emotion_probs: np.ndarray  # (N, len(emotion_labels)) float32, rows sum to 1
    sentiment_labels: tuple[str, ...] = SENTIMENT_LABELS
    emotion_labels: tuple[str, ...] = EMOTION_LABELS

    def sentiment(self) -> list[str]:
        return [self.sentiment_labels[i] for i in self.sentiment_probs.argmax(axis=1)]

    def emotion(self) -> list[str]:
        return [self.emotion_labels[i] for i in self.emotion_probs.argmax(axis=1)]


class FeedbackClassifier:
    """Runs a ``BranchedEncoder`` over texts: e5 embeddings plus sentiment and emotion."""

    def __init__(
        self,
        model: BranchedEncoder,
        tokenizer: Any,
        *,
        precision: Precision = "auto",
        max_length: int = MAX_LENGTH,
    ) -> None:
        if precision not in ("auto", "fp32", "bf16"):
            raise ValueError(f"precision must be auto, fp32 or bf16; got {precision!r}")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.use_bf16 = precision == "bf16" or (precision == "auto" and native_bf16())

    @classmethod
    def from_paths(
        cls,
        model_dir: str | Path | None = None,
        heads_path: str | Path | None = None,
        *,
        precision: Precision = "auto",
    ) -> FeedbackClassifier:
        """Load from a base model dir (default: the e5 cache, built on first use) and a heads
        file (default: ``default_heads_path()``)."""
        from transformers import AutoTokenizer

        from voc.encoder.cache import ensure_default_model

        model_dir = Path(model_dir) if model_dir is not None else ensure_default_model()
        heads_path = Path(heads_path) if heads_path is not None else default_heads_path()
        model = BranchedEncoder.from_paths(model_dir, heads_path)
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        return cls(model, tokenizer, precision=precision)

    @property
    def sentiment_labels(self) -> tuple[str, ...]:
        return self.model.metadata.sentiment_labels

    @property
    def emotion_labels(self) -> tuple[str, ...]:
        return self.model.metadata.emotion_labels

    def run(self, texts: Sequence[str], batch_size: int = 64) -> Predictions:
        """Embed and classify ``texts``; identical texts are encoded once."""
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        unique: dict[str, int] = {}
        index = np.fromiter((unique.setdefault(t, len(unique)) for t in texts), dtype=np.int64,
                            count=len(texts))
        embeddings, sentiment, emotion = self._run_unique(list(unique), batch_size)
        return Predictions(
            embeddings=embeddings[index],
            sentiment_probs=sentiment[index],
            emotion_probs=emotion[index],
            sentiment_labels=self.sentiment_labels,
            emotion_labels=self.emotion_labels,
        )

    def _run_unique(
        self, texts: list[str], batch_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(texts)
        embeddings = np.zeros((n, self.model.hidden_size), dtype=np.float32)
        sentiment = np.zeros((n, len(self.sentiment_labels)), dtype=np.float32)
        emotion = np.zeros((n, len(self.emotion_labels)), dtype=np.float32)
        if not n:
            return embeddings, sentiment, emotion
        prefix = self.model.metadata.prefix
        encoded = self.tokenizer(
            [prefix + text for text in texts], truncation=True, max_length=self.max_length
        )["input_ids"]
        # Length-sorted batches keep padding, and so wasted attention/FFN work, to a minimum.
        order = np.argsort([len(ids) for ids in encoded], kind="stable")
        pad_id = self.tokenizer.pad_token_id
        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.use_bf16),
        ):
            for start in range(0, n, batch_size):
                rows = order[start : start + batch_size]
                ids, mask = pad_batch([encoded[i] for i in rows], pad_id)
                emb, sent_logits, emo_logits = self.model(ids, mask)
                embeddings[rows] = emb.float().numpy()
                sentiment[rows] = torch.softmax(sent_logits.float(), dim=-1).numpy()
                emotion[rows] = torch.softmax(emo_logits.float(), dim=-1).numpy()
        return embeddings, sentiment, emotion


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists into ``(input_ids, attention_mask)`` tensors."""
    width = max(len(seq) for seq in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask
