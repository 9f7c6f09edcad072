"""One writer per store: an advisory lock file next to it.

The operating system releases a `flock` when its process dies however it dies (SIGKILL,
power loss), so a crashed run never leaves a stale lock behind. The file records who
holds it, so a second run can say which process it is waiting for.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import time
from pathlib import Path
from typing import IO, Self

from voc.errors import VocError

log = logging.getLogger(__name__)
_POLL_S = 0.5


class StoreBusyError(VocError):
    """Another run holds the store."""


class StoreLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: IO[str] | None = None

    def _holder(self) -> str:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return "another process"
        if not info:
            return "another process"
        return f"pid {info.get('pid')} on {info.get('host')}, since {info.get('since')}"

    def acquire(self, *, wait: bool = False, timeout_s: float | None = None) -> Self:
        stream = self.path.open("a+", encoding="utf-8")
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        announced = False
        while True:
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self._holder()
                if not wait or (deadline is not None and time.monotonic() > deadline):
                    stream.close()
                    raise StoreBusyError(
                        f"store {self.path.with_suffix('')} is in use by another voc run "
                        f"({holder}); wait for it to finish or pass --wait") from None
                if not announced:
                    log.info("waiting for the store lock held by %s", holder,
                             extra={"event": "store_wait", "holder": holder})
                    announced = True
                time.sleep(_POLL_S)
        stream.seek(0)
        stream.truncate()
        stream.write(json.dumps({"pid": os.getpid(), "host": os.uname().nodename,
                                 "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}))
        stream.flush()
        self._stream = stream
        return self

    def release(self) -> None:
        if self._stream is None:
            return
        self._stream.seek(0)
        self._stream.truncate()
        self._stream.flush()
        fcntl.flock(self._stream.fileno(), fcntl.LOCK_UN)
        self._stream.close()
        self._stream = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
