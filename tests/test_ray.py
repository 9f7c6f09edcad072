"""`--engine ray`: the row-local stages on Ray Data (local mode) give the default engine's
results on the sample data; above `themes.max_fit` segments themes are fitted on a sample
and the rest assigned in a distributed pass."""

from __future__ import annotations

import json
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

    from voc.analysis import AnalyzeOptions, analyze
    from voc.journey.component import JourneyComponent

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the driver linked segments the Ray pass had linked")

    staging = tmp_path / "staging"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOC_RAY_STAGING", str(staging))
        # Only this (driver) process: the Ray actors are processes of their own.
        patch.setattr(JourneyComponent, "annotate", refuse)
        try:
            manifest = analyze(AnalyzeOptions(inputs=[SAMPLES], out=tmp_path / "ray",
                                              engine="ray", workers=2, commit_every=400))
        finally:
            ray.shutdown()
    assert manifest["engine"] == "ray"
    # The Parquet parts were streamed through the staging folder and removed after.
    assert staging.is_dir() and not any(staging.iterdir())
    # All segments fit under themes.max_fit: one fit over all of them, as by default.
    themes = manifest["themes"]["themes"]
    assert themes["mode"] == "fitted" and "ray engine" in themes["mode_reason"]
    assert themes["n_themes"] >= 5
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
    for column in ("sentiment", "is_pain_point", "journey_stage", "touchpoint"):
        equal = np.mean([a[column] == b[column]
                         for a, b in zip(ray_segments, local_segments, strict=True)])
        assert equal >= 0.99, column
    # Pain points and journey links came from the Ray pass, with the run's anchors.
    assert manifest["timings_s"]["ray_corpus_pass"] > 0


@pytest.mark.slow
def test_ray_fits_themes_on_a_sample_and_assigns_the_rest_in_the_distributed_pass(
        tmp_path: Path) -> None:
    import ray

    from voc.analysis import AnalyzeOptions, analyze

    config = tmp_path / "pipeline.yaml"
    config.write_text("themes:\n  max_fit: 400\n  max_outlier_share: 0.15\n",
                      encoding="utf-8")
    try:
        manifest = analyze(AnalyzeOptions(inputs=[SAMPLES], out=tmp_path / "ray",
                                          config=config, engine="ray", workers=2,
                                          commit_every=300))
    finally:
        ray.shutdown()
    summary = manifest["themes"]["themes"]
    segments = manifest["counts"]["segments"]
    assert summary["mode"] == "sampled"
    assert f" of {segments} segments (themes.max_fit)" in summary["mode_reason"]
    _, ray_segments, _ = read_outputs(tmp_path / "ray")
    themes = json.loads((tmp_path / "ray" / "themes.json").read_text(encoding="utf-8"))
    ids = {t["theme_id"] for t in themes["themes"]}
    assigned = [s["theme_id"] for s in ray_segments]
    # Every segment, sampled or not, is in a described theme or explicitly unthemed...
    assert {t for t in assigned if t is not None} <= ids
    themed = sum(t is not None for t in assigned)
    assert themed > 0.8 * len(assigned)
    # ...and the saved state records that the fit covered only the sample.
    state = json.loads((tmp_path / "ray" / "themes_model.json").read_text(encoding="utf-8"))
    assert state["n_segments"] == len(assigned)
    assert 400 <= state["n_fitted"] < len(assigned)  # the sample, and its texts repeated


@pytest.mark.slow
def test_ray_engine_keeps_json_logs_json(tmp_path: Path) -> None:
    """Ray printed a plain-text warning from its core (actor restarts) and Python warnings
    on stderr, in between the JSON lines that a scheduler parses."""
    import subprocess
    import sys

    from tests.conftest import write_csv

    data = write_csv(tmp_path / "t.csv", [["id", "comment", "nps"],
                                          ["1", "The courier was late", "3"],
                                          ["2", "خیلی خوب بود", "10"]])
    voc_command = str(Path(sys.executable).with_name("voc"))
    done = subprocess.run([voc_command, "analyze", data, "--out", tmp_path / "o", "--engine",
                           "ray", "--workers", "1", "--log-format", "json"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert isinstance(json.loads(line), dict), line
