"""Embeddings, sentiment and emotion for a batch of texts, in one encoder pass each."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from voc.data import shipped
from voc.heads.embedding_expert import EmbeddingExpert
from voc.heads.labels import EMOTION_LABELS, SENTIMENT_LABELS
from voc.heads.lexical import LexicalModel, script_group
from voc.heads.model import BranchedEncoder

logger = logging.getLogger(__name__)

HEADS_ENV = "VOC_HEADS_PATH"
DEFAULT_HEADS_PATH = shipped("heads", "voc-heads.safetensors")
# What `backend="auto"` weighs against torch fp32 for the branched model. torch-int8 is left
# out: its worst-case embedding cosine on feedback text sits just above the 0.99 bar.
AUTO_CANDIDATES = ("torch", "torch-bf16", "onnx", "onnx-int8")


def default_heads_path() -> Path:
    """``$VOC_HEADS_PATH``, else the heads shipped with the package (``voc/data/heads/``)."""
    if override := os.environ.get(HEADS_ENV):
        return Path(override).expanduser()
    return DEFAULT_HEADS_PATH


class ClassifierOutputs(nn.Module):
    """A ``BranchedEncoder`` that returns finished per-text outputs, so any engine backend
    (ONNX graphs included) hands back embeddings and probabilities, never token states."""

    def __init__(self, model: BranchedEncoder) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        embeddings, sentiment_logits, emotion_logits = self.model(input_ids, attention_mask)
        return (embeddings.float(), torch.softmax(sentiment_logits, dim=-1),
                torch.softmax(emotion_logits, dim=-1))


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
    """Runs a ``BranchedEncoder`` over texts: e5 embeddings plus sentiment and emotion.

    Inference goes through :class:`voc.encoder.engine.EncoderEngine`: identical texts are
    encoded once, batches are cut by token budget in length order, and the backend (torch
    fp32, ONNX Runtime fp32/int8, bf16 where native) is picked by measurement on this
    machine unless one is named.
    """

    def __init__(
        self,
        model: BranchedEncoder,
        tokenizer: Any,
        *,
        backend: str = "auto",
        cache_key: str | None = None,
        threads: int | None = None,
        output_cache_dir: Path | None = None,
        private_tokenizer: bool = False,
    ) -> None:
        """``output_cache_dir`` (with a ``cache_key``) keeps every text's outputs on disk, so
        later runs never encode a text this model, heads and backend have seen before.
        ``private_tokenizer``: ``tokenizer`` is a ``tokenizers.Tokenizer`` no one else
        uses, which the engine may keep instead of a copy."""
        from voc.encoder.engine import BACKENDS, EncoderEngine
        from voc.encoder.output_cache import OutputCache

        if backend != "auto" and backend not in BACKENDS:
            raise ValueError(f"backend must be auto or one of {', '.join(BACKENDS)}; "
                             f"got {backend!r}")
        self.metadata = model.metadata
        self.engine = EncoderEngine.from_module(
            ClassifierOutputs(model.eval()), tokenizer, backend=backend, threads=threads,
            cache_key=cache_key, candidates=AUTO_CANDIDATES if backend == "auto" else None,
            # Auto holds the embeddings to the cosine bar. The heads' probabilities are not
            # cosine-comparable (a near tie moving a few points reads as drift); their
            # accuracy under int8 was checked on the held-out sets instead (model card) and
            # a test bounds their difference from fp32.
            compared_outputs=1, copy_tokenizer=not private_tokenizer)
        # Every backend but torch fp32 runs its own copy of the weights (an ONNX graph, a
        # bf16 cast, an int8 quantization): keeping the fp32 model too would hold ~0.5 GB
        # for nothing through a long run.
        self.model: BranchedEncoder | None = model if self.engine.backend == "torch" else None
        self.lexical: LexicalModel | None = model.lexical
        self.embedding_expert: EmbeddingExpert | None = model.embedding
        self.priors = model.priors
        self.output_cache: OutputCache | None = None
        if output_cache_dir is not None and cache_key is not None:
            # The backend is part of the key: int8 outputs differ slightly from fp32 ones,
            # and a run must not mix them.
            path = output_cache_dir / f"{cache_key}-{self.engine.backend}.sqlite"
            self.output_cache = OutputCache(path, self.engine.output_shapes)
        #: Texts of the last ``run`` that were unique / came from the output cache.
        self.last_unique = 0
        self.last_cache_hits = 0

    @classmethod
    def from_paths(
        cls,
        model_dir: str | Path | None = None,
        heads_path: str | Path | None = None,
        *,
        backend: str = "auto",
        threads: int | None = None,
        cache_outputs: bool = True,
    ) -> FeedbackClassifier:
        """Load from a base model dir (default: the e5 cache, built on first use) and a heads
        file (default: ``default_heads_path()``); ``cache_outputs`` keeps outputs by text
        hash under the voc cache root."""
        from tokenizers import Tokenizer
        from transformers import AutoTokenizer
        from transformers.utils import logging as transformers_logging

        from voc.encoder.cache import cache_root, ensure_default_model
        from voc.io.hashing import sha256_file

        # A progress bar per model load is noise in scheduled jobs' logs and --quiet output.
        transformers_logging.disable_progress_bar()
        model_dir = Path(model_dir) if model_dir is not None else ensure_default_model()
        heads_path = Path(heads_path) if heads_path is not None else default_heads_path()
        model = BranchedEncoder.from_paths(model_dir, heads_path)
        # The fast tokenizer's own file where there is one: transformers' wrapper around
        # it would be a second ~290 MB copy beside the engine's, through the whole run.
        private = (model_dir / "tokenizer.json").is_file()
        tokenizer: Any = (Tokenizer.from_file(str(model_dir / "tokenizer.json")) if private
                          else AutoTokenizer.from_pretrained(str(model_dir)))
        # Names the ONNX graphs and calibration of exactly this base + heads pair, without
        # hashing every weight on each load.
        cache_key = (f"branched-{model.metadata.base_model_sha256[:16]}-"
                     f"{sha256_file(heads_path)[:16]}")
        return cls(model, tokenizer, backend=backend, cache_key=cache_key, threads=threads,
                   output_cache_dir=cache_root() / "outputs" if cache_outputs else None,
                   private_tokenizer=private)

    @property
    def backend(self) -> str:
        return self.engine.backend

    @property
    def tokenizer(self) -> Any:
        """The encoder's tokenizer (the engine's own: one copy, ~290 MB for XLM-R)."""
        return self.engine.tokenizer

    @property
    def sentiment_labels(self) -> tuple[str, ...]:
        return self.metadata.sentiment_labels

    @property
    def emotion_labels(self) -> tuple[str, ...]:
        return self.metadata.emotion_labels

    def run(self, texts: Sequence[str], token_budget: int | None = None,
            prefix: str | None = None) -> Predictions:
        """Embed and classify ``texts``; identical texts are encoded once, and texts in the
        output cache not at all. ``prefix`` replaces the model's own (e5: "query: "), e.g.
        "passage: " for documents that queries are matched against."""
        embeddings, sentiment, emotion = self._outputs(texts, token_budget, prefix)
        if self.lexical is not None and len(texts):
            sentiment, emotion = self._mix_lexical(texts, sentiment, emotion)
        if self.embedding_expert is not None:
            sentiment = self.embedding_expert.mix(sentiment, embeddings, texts)
        if self.priors and len(texts):
            groups = [script_group(t) for t in texts]
            if "sentiment" in self.priors:
                sentiment = self.priors["sentiment"].transform(sentiment, groups)
            if "emotion" in self.priors:
                emotion = self.priors["emotion"].transform(emotion, groups)
        return Predictions(
            embeddings=embeddings,
            sentiment_probs=sentiment,
            emotion_probs=emotion,
            sentiment_labels=self.sentiment_labels,
            emotion_labels=self.emotion_labels,
        )

    def _mix_lexical(self, texts: Sequence[str], sentiment: np.ndarray, emotion: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """The heads' probabilities mixed with the lexical experts', once per distinct text
        (the neural outputs are cached per text; the n-gram pass is cheap enough not to be)."""
        assert self.lexical is not None
        first: dict[str, int] = {}
        for i, text in enumerate(texts):
            first.setdefault(text, i)
        rows = np.fromiter(first.values(), dtype=np.int64, count=len(first))
        mixed = self.lexical.mix({"sentiment": sentiment[rows], "emotion": emotion[rows]},
                                 list(first))
        position = {text: i for i, text in enumerate(first)}
        inverse = np.fromiter((position[t] for t in texts), dtype=np.int64, count=len(texts))
        return mixed["sentiment"][inverse], mixed["emotion"][inverse]

    def _outputs(self, texts: Sequence[str], token_budget: int | None,
                 prefix: str | None = None) -> tuple[np.ndarray, ...]:
        prefix = self.metadata.prefix if prefix is None else prefix
        unique = list(dict.fromkeys(texts))
        self.last_unique = len(unique)
        if self.output_cache is None:
            self.last_cache_hits = 0
            return self.engine.run(texts, prefix=prefix, token_budget=token_budget)
        from voc.encoder.output_cache import text_key

        keys = [text_key(prefix, text) for text in unique]
        cached = self.output_cache.get(keys)
        missing = [i for i, key in enumerate(keys) if key not in cached]
        fresh = self.engine.run([unique[i] for i in missing], prefix=prefix,
                                token_budget=token_budget)
        self.output_cache.put([keys[i] for i in missing], fresh)
        self.last_cache_hits = len(unique) - len(missing)
        outputs = tuple(np.empty((len(unique), *shape), dtype=np.float32)
                        for shape in self.engine.output_shapes)
        for out, new in zip(outputs, fresh, strict=True):
            out[missing] = new
        hits = [i for i, key in enumerate(keys) if key in cached]
        for position, out in enumerate(outputs):
            for i in hits:
                out[i] = cached[keys[i]][position]
        position_of = {text: i for i, text in enumerate(unique)}
        inverse = np.fromiter((position_of[t] for t in texts), dtype=np.int64, count=len(texts))
        return tuple(out[inverse] for out in outputs)

def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists into ``(input_ids, attention_mask)`` tensors."""
    width = max(len(seq) for seq in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask
