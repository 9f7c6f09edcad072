"""EncoderEngine: every backend matches the fp32 reference; batching, dedup and auto caching."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from voc.encoder import engine as engine_mod  # noqa: E402
from voc.encoder.embed import embed_texts  # noqa: E402
from voc.encoder.engine import (  # noqa: E402
    BACKENDS,
    QUALITY_MIN_COSINE,
    EncoderEngine,
    auto_backends,
    available_backends,
    choose_backend,
    mean_pool,
    native_bf16,
)

# Loads and runs the encoder, on every backend.
pytestmark = pytest.mark.slow

SENTENCES = [
    "سفارشم بعد از دو هفته هنوز نرسیده است.",
    "پشتیبانی خیلی سریع و مودبانه پاسخ داد، ممنونم.",
    "قیمت محصولات نسبت به ماه گذشته خیلی گران‌تر شده.",
    "اپلیکیشن هنگام پرداخت مدام خطا می‌دهد و پولم از حساب کم شد ولی سفارش ثبت نشد.",
    "کیفیت بسته‌بندی عالی بود ولی ارسال دیر انجام شد.",
    "کد تخفیف موقع خرید اعمال نشد",
    "خوب",
    "پیک بداخلاق بود و بسته خیس رسید 😡",
    "The refund took three weeks, which is unacceptable.",
    "Customer support was friendly and solved my problem quickly.",
    "The app keeps crashing when I try to log in.",
    "Prices went up again and the quality got worse.",
    "Delivery was fast but the box arrived damaged.",
    "ok",
    "I had to call three times before anyone would even look at my order, and when they "
    "finally did they told me the warehouse had lost it and I should wait another week.",
    "Love the new loyalty program!!",
    "خیلی راضی بودم, great service overall 👍",
    "kheili bad bood, dige kharid nemikonam",
    "ersal dir shod va gheymat bala raft :(",
    "The coupon code did not work at checkout",
]


@pytest.fixture(scope="module")
def engine_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Shared by the module so the ONNX graph is exported once for both ONNX backends.
    return tmp_path_factory.mktemp("engine-cache")


@pytest.fixture(scope="module")
def reference(model_dir: Path) -> np.ndarray:
    model = transformers.AutoModel.from_pretrained(model_dir)
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    return embed_texts(model, tokenizer, SENTENCES)


@pytest.fixture(scope="module")
def torch_engine(model_dir: Path, engine_cache: Path) -> EncoderEngine:
    return EncoderEngine.from_model_dir(model_dir, backend="torch", cache_dir=engine_cache)


def test_every_backend_runs_on_every_cpu() -> None:
    # bf16 is emulated where the CPU lacks it: slow, not wrong, so the tests below force it
    # on every machine instead of skipping it where the fast path is missing.
    assert set(available_backends()) == set(BACKENDS)
    assert ("torch-bf16" in auto_backends()) == native_bf16()


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_matches_fp32_reference(
    backend: str, model_dir: Path, engine_cache: Path, reference: np.ndarray
) -> None:
    engine = EncoderEngine.from_model_dir(model_dir, backend=backend, cache_dir=engine_cache)
    # A small budget forces several batches with padding inside each.
    got = engine.encode(SENTENCES, token_budget=96)
    assert got.shape == reference.shape == (len(SENTENCES), 384)
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(got * reference, axis=1)
    assert cosines.min() >= QUALITY_MIN_COSINE, cosines
    assert engine.last_stats is not None and engine.last_stats.batches > 1


def test_onnx_graphs_are_cached_by_model_checksum(model_dir: Path, engine_cache: Path) -> None:
    if "onnx" not in available_backends():
        pytest.skip("onnxruntime/onnx not installed")
    EncoderEngine.from_model_dir(model_dir, backend="onnx", cache_dir=engine_cache)
    (graph_dir,) = (engine_cache / "onnx").iterdir()
    assert graph_dir.name.startswith(model_dir.name + "-")
    graph = next(graph_dir.glob("*fp32.onnx"))
    before = graph.stat().st_mtime_ns
    EncoderEngine.from_model_dir(model_dir, backend="onnx", cache_dir=engine_cache)
    assert graph.stat().st_mtime_ns == before
    assert not list(graph_dir.glob(".*"))  # no temp files left behind


def test_order_and_duplicates(torch_engine: EncoderEngine, reference: np.ndarray) -> None:
    picks = [3, 0, 3, 14, 0, 0, 7, 3]
    got = torch_engine.encode([SENTENCES[i] for i in picks])
    stats = torch_engine.last_stats
    assert stats is not None
    assert (stats.texts, stats.rows) == (len(picks), len(set(picks)))
    assert np.sum(got * reference[picks], axis=1).min() >= 0.999
    np.testing.assert_array_equal(got[0], got[2])


def test_empty_input(torch_engine: EncoderEngine) -> None:
    got = torch_engine.encode([])
    assert got.shape == (0, 384) and got.dtype == np.float32


def test_batches_respect_the_token_budget(torch_engine: EncoderEngine) -> None:
    texts = [f"sentence number {i} " * (1 + i % 5) for i in range(24)]
    torch_engine.encode(texts, token_budget=128)
    stats = torch_engine.last_stats
    assert stats is not None
    # Length-sorted batches waste little on padding even with a small budget.
    assert stats.padded_tokens <= 1.2 * stats.tokens
    assert stats.padded_tokens <= 128 * stats.batches


def test_auto_calibration_is_cached_and_reused(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOC_CACHE_DIR", str(tmp_path))
    calls: list[tuple[str, ...]] = []
    real = engine_mod._calibrate

    def counting(source: Any, candidates: tuple[str, ...], *args: Any) -> dict[str, Any]:
        calls.append(tuple(candidates))
        return real(source, candidates, *args)

    monkeypatch.setattr(engine_mod, "_calibrate", counting)
    # Caching is under test, not timing: a few texts keep the calibration quick.
    monkeypatch.setattr(engine_mod, "calibration_texts", lambda: SENTENCES[:8])
    load = [1.0]
    monkeypatch.setattr(engine_mod, "_load_average", lambda: load[0])
    first = EncoderEngine.from_model_dir(model_dir, candidates=("torch",))
    assert first.backend == "torch" and calls == [("torch",)]
    (record_path,) = (tmp_path / "engine").glob("calibration-*.json")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["backend"] == "torch"
    assert record["results"]["torch"]["min_cosine"] == pytest.approx(1.0)
    assert record["key"]["machine"]["threads"] >= 1

    second = EncoderEngine.from_model_dir(model_dir, candidates=("torch",))
    assert second.backend == "torch" and len(calls) == 1
    assert second.calibration == first.calibration

    # A decision timed on an oversubscribed machine is measured again once it is quiet.
    record["load_1m"] = 64.0
    record_path.write_text(json.dumps(record), encoding="utf-8")
    load[0] = 0.0
    EncoderEngine.from_model_dir(model_dir, candidates=("torch",))
    assert len(calls) == 2
    assert json.loads(record_path.read_text(encoding="utf-8"))["load_1m"] == 0.0


def test_auto_drops_a_candidate_that_fails_and_goes_on(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    real = engine_mod._make_runner

    def broken_onnx(source: Any, backend: str, threads: int) -> Any:
        if backend == "onnx":
            raise RuntimeError("mat1 and mat2 must have the same dtype (injected)")
        return real(source, backend, threads)

    monkeypatch.setattr(engine_mod, "_make_runner", broken_onnx)
    monkeypatch.setattr(engine_mod, "calibration_texts", lambda: SENTENCES[:4])
    with caplog.at_level("WARNING", logger="voc.encoder.engine"):
        engine = EncoderEngine.from_model_dir(model_dir, candidates=("torch", "onnx"),
                                              cache_dir=tmp_path)
    assert engine.backend == "torch"
    assert set(engine.calibration["results"]) == {"torch"}
    assert "injected" in engine.calibration["failed"]["onnx"]
    assert any("dropping backend onnx" in r.getMessage() for r in caplog.records)
    assert engine.encode(SENTENCES[:2]).shape == (2, 384)

    # The reference itself failing is the run's failure, not a silent fallback.
    monkeypatch.setattr(engine_mod, "_make_runner",
                        lambda *args: (_ for _ in ()).throw(RuntimeError("no torch")))
    with pytest.raises(RuntimeError, match="no torch"):
        EncoderEngine.from_model_dir(model_dir, candidates=("torch",),
                                     cache_dir=tmp_path / "other")


def test_decision_rule() -> None:
    def result(speed: float, cosine: float) -> dict[str, float]:
        return {"texts_per_s": speed, "min_cosine": cosine}

    # Quality first: the fastest backend loses if it drifts from fp32, with a margin over
    # the 0.99 bar because 64 calibration texts under-sample the worst case.
    assert choose_backend({"torch": result(100, 1), "onnx-int8": result(300, 0.993)}) == "torch"
    assert choose_backend({"torch": result(100, 1), "onnx-int8": result(300, 0.998)}) == (
        "onnx-int8"
    )
    # Within the timing margin, the simpler backend wins.
    assert choose_backend({"torch": result(100, 1), "onnx": result(103, 1)}) == "torch"


class _TwoHeads(torch.nn.Module):
    """A stand-in for the heads' branched encoder: shared body, two per-text outputs."""

    def __init__(self, encoder: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(384, 3)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        pooled = mean_pool(hidden, attention_mask)
        return torch.nn.functional.normalize(pooled, dim=-1), self.head(pooled)


def test_generic_module(model_dir: Path, engine_cache: Path, reference: np.ndarray) -> None:
    torch.manual_seed(0)
    module = _TwoHeads(transformers.AutoModel.from_pretrained(model_dir))
    before = {k: v.clone() for k, v in module.state_dict().items()}
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    texts = [*SENTENCES[:5], SENTENCES[0]]
    backends = ["torch"] + (["onnx"] if "onnx" in available_backends() else [])
    logits_by_backend = []
    for backend in backends:
        engine = EncoderEngine.from_module(
            module, tokenizer, backend=backend, cache_dir=engine_cache
        )
        embeddings, logits = engine.run(texts, token_budget=64)
        assert engine.output_shapes == ((384,), (3,))
        assert np.sum(embeddings * reference[[0, 1, 2, 3, 4, 0]], axis=1).min() >= 0.999
        assert logits.shape == (6, 3)
        np.testing.assert_array_equal(logits[0], logits[5])
        assert [out.shape for out in engine.run([])] == [(0, 384), (0, 3)]
        logits_by_backend.append(logits)
    np.testing.assert_allclose(logits_by_backend[0], logits_by_backend[-1], atol=1e-4)
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())


def test_bf16_copy_casts_weight_by_weight_and_leaves_the_original(model_dir: Path,
                                                                   tmp_path: Path) -> None:
    module = _TwoHeads(transformers.AutoModel.from_pretrained(model_dir)).eval()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    cast = engine_mod.bf16_copy(module)
    assert {p.dtype for p in cast.parameters()} == {torch.bfloat16}
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())
    expected = copy.deepcopy(module).to(torch.bfloat16)
    assert all(torch.equal(a, b) for a, b in zip(
        cast.state_dict().values(), expected.state_dict().values(), strict=True))
    # The torch-bf16 backend runs such a copy: the caller's module stays fp32 and unchanged.
    engine = EncoderEngine.from_module(module, transformers.AutoTokenizer.from_pretrained(
        model_dir), backend="torch-bf16", cache_dir=tmp_path)
    assert engine.run(SENTENCES[:2])[0].shape == (2, 384)
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())


def test_onnx_cache_keeps_the_most_recently_used_models(tmp_path: Path) -> None:
    from voc.encoder.engine import prune_onnx_cache

    root = tmp_path / "onnx"
    folders = []
    for age in range(6):  # model-0 used most recently, model-5 longest ago
        folder = root / f"model-{age}"
        folder.mkdir(parents=True)
        (folder / "encoder-r1-fp32.onnx").write_bytes(b"graph")
        stamp = 1_700_000_000 - age * 3600
        os.utime(folder, (stamp, stamp))
        folders.append(folder)
    current = root / "model-new"
    removed = prune_onnx_cache(root, 3, keep=current)
    assert sorted(removed) == sorted(folders[2:])
    assert sorted(p.name for p in root.iterdir()) == ["model-0", "model-1"]
    # The folder in use counts among those kept, and nothing is removed below the limit.
    assert prune_onnx_cache(root, 3, keep=folders[1]) == []
    assert prune_onnx_cache(root, 1, keep=folders[1]) == [folders[0]]
    assert prune_onnx_cache(tmp_path / "missing", 3, keep=current) == []


def test_int8_quantization_survives_another_run_quantizing_the_same_graph(
    model_dir: Path, tmp_path: Path
) -> None:
    # Two runs quantizing at once: the quantizer's fixed-name shape-inferred copy beside the
    # fp32 graph is another process's (here, a folder in the way); ours must not touch it.
    EncoderEngine.from_model_dir(model_dir, backend="onnx", cache_dir=tmp_path)
    (graph_dir,) = (tmp_path / "onnx").iterdir()
    (fp32,) = graph_dir.glob("*fp32.onnx")
    busy = fp32.with_name(fp32.stem + "-inferred.onnx")
    busy.mkdir()
    engine = EncoderEngine.from_model_dir(model_dir, backend="onnx-int8", cache_dir=tmp_path)
    assert engine.encode(SENTENCES[:3]).shape == (3, 384)
    assert busy.is_dir()
    assert sorted(p.name for p in graph_dir.iterdir() if p.suffix == ".onnx") == sorted(
        [fp32.name, fp32.name.replace("fp32", "int8"), busy.name])
