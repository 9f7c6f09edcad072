"""`--engine ray`: the row-local stages on Ray Data (local mode) give the default engine's
results on the sample data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SAMPLES, read_outputs

pytest.importorskip("ray")

_SAME = ("row_id", "id", "question", "text_normalized", "text_redacted", "lang", "status",
         "n_segments", "pii_found")


@pytest.mark.slow
def test_ray_engine_matches_the_default_engine_on_the_sample_data(
        sample_run_dir: Path, tmp_path: Path) -> None:
    import ray

    from voc.analyze import AnalyzeOptions, analyze

    try:
        manifest = analyze(AnalyzeOptions(inputs=[SAMPLES], out=tmp_path / "ray",
                                          engine="ray", workers=2, commit_every=400))
    finally:
        ray.shutdown()
    assert manifest["engine"] == "ray"
    local_records, local_segments, _ = read_outputs(sample_run_dir)
    ray_records, ray_segments, _ = read_outputs(tmp_path / "ray")
    assert len(ray_records) == len(local_records)
    for mine, theirs in zip(ray_records, local_records, strict=True):
        assert {k: mine[k] for k in _SAME} == {k: theirs[k] for k in _SAME}
    assert [s["segment_id"] for s in ray_segments] == [s["segment_id"] for s in local_segments]
    assert [s["text"] for s in ray_segments] == [s["text"] for s in local_segments]
    # The encoder batches differ between engines, so scores may differ in the last bits.
    ray_scores = np.array([s["sentiment_score"] for s in ray_segments], dtype=float)
    local_scores = np.array([s["sentiment_score"] for s in local_segments], dtype=float)
    assert np.abs(ray_scores - local_scores).max() < 0.02
    labels_equal = np.mean([a["sentiment"] == b["sentiment"]
                            for a, b in zip(ray_segments, local_segments, strict=True)])
    assert labels_equal >= 0.99
