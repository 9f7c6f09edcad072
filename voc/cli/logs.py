"""Logging for people (readable lines) and for schedulers (one JSON object per line)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Literal

LogFormat = Literal["text", "json"]
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Render a log record as one JSON line with its structured `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Libraries add private attributes to every record (Ray: _ray_timestamp_ns).
        payload.update({k: v for k, v in vars(record).items()
                        if k not in _STANDARD_ATTRIBUTES and not k.startswith("_")})
        if record.exc_info:
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_logging(log_format: LogFormat, *, quiet: bool, debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Libraries' warnings (Ray, transformers) go through the same handler, so JSON logs
    # stay one JSON object per line.
    logging.captureWarnings(True)
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    # Readable text mode shows progress bars instead of per-stage info lines.
    if log_format == "text" and not debug:
        level = max(level, logging.WARNING)
    root.setLevel(level)
    for noisy in ("urllib3", "filelock", "numba", "transformers", "torch", "spacy"):
        library = logging.getLogger(noisy)
        library.setLevel(max(level, logging.WARNING))
        # spaCy installs its own stderr handler; route it through ours so JSON logs stay JSON.
        library.handlers.clear()
        library.propagate = True
