"""A persistent cache of encoder outputs by model id + text hash.

Scheduled jobs re-read exports that are mostly unchanged, and the encoder pass is by far the
slowest stage: texts seen in an earlier run (with the same model, heads and backend) come
from this cache instead of being encoded again. It is a single SQLite file per model key
under the voc cache root; SQLite gives atomic commits and safe concurrent readers/writers
across processes without a server. A cache that cannot be opened or read is a cache miss,
never an error: it is deleted and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from voc.encoder.text import encoder_text

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# SQLite limits the number of bound parameters per statement.
_CHUNK = 500


def text_key(prefix: str, text: str) -> bytes:
    """What identifies a text for the cache: sha256 of exactly what the encoder sees."""
    return hashlib.sha256(encoder_text(prefix, text).encode("utf-8")).digest()


class OutputCache:
    """Float32 output rows (one array per model output) stored by text key."""

    def __init__(self, path: Path, shapes: Sequence[tuple[int, ...]]) -> None:
        self.path = path
        self.shapes = tuple(tuple(shape) for shape in shapes)
        self._sizes = [int(np.prod(shape, dtype=np.int64)) for shape in self.shapes]
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        if self._connection is not None:
            return self._connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = self._open()
        except sqlite3.DatabaseError as exc:
            logger.warning("embedding cache %s is unreadable (%s); rebuilding it", self.path, exc)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            try:
                connection = self._open()
            except sqlite3.DatabaseError as again:
                logger.warning("embedding cache disabled: %s", again)
                return None
        except OSError as exc:
            logger.warning("embedding cache disabled: %s", exc)
            return None
        self._connection = connection
        return connection

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30.0)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS outputs (key BLOB PRIMARY KEY, value BLOB NOT NULL)")
        connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        shapes = repr((SCHEMA_VERSION, self.shapes))
        row = connection.execute("SELECT value FROM meta WHERE name = 'shapes'").fetchone()
        if row is None:
            with connection:
                connection.execute("INSERT OR REPLACE INTO meta VALUES ('shapes', ?)", (shapes,))
        elif row[0] != shapes:
            raise sqlite3.DatabaseError(f"holds outputs shaped {row[0]}, expected {shapes}")
        # Every statement must work, or the file is treated as corrupt right away.
        connection.execute("SELECT count(*) FROM outputs").fetchone()
        return connection

    def get(self, keys: Sequence[bytes]) -> dict[bytes, tuple[np.ndarray, ...]]:
        """The cached outputs of those keys that are present."""
        connection = self._connect()
        if connection is None or not keys:
            return {}
        found: dict[bytes, tuple[np.ndarray, ...]] = {}
        try:
            for start in range(0, len(keys), _CHUNK):
                chunk = list(keys[start : start + _CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT key, value FROM outputs WHERE key IN ({marks})", chunk)
                for key, value in rows:
                    found[bytes(key)] = self._decode(value)
        except sqlite3.DatabaseError as exc:
            logger.warning("embedding cache read failed (%s); encoding instead", exc)
            return {}
        return found

    def put(self, keys: Sequence[bytes], outputs: Sequence[np.ndarray]) -> None:
        """Store row ``i`` of every output array under ``keys[i]``."""
        connection = self._connect()
        if connection is None or not keys:
            return
        flat = [np.ascontiguousarray(out, dtype=np.float32).reshape(len(keys), -1)
                for out in outputs]
        rows = [(key, b"".join(part[i].tobytes() for part in flat))
                for i, key in enumerate(keys)]
        try:
            with connection:
                connection.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?)", rows)
        except sqlite3.DatabaseError as exc:
            logger.warning("embedding cache write failed (%s); results are unaffected", exc)

    def _decode(self, value: bytes) -> tuple[np.ndarray, ...]:
        row = np.frombuffer(value, dtype=np.float32)
        if row.size != sum(self._sizes):
            raise sqlite3.DatabaseError("a cached row has the wrong size")
        parts, start = [], 0
        for shape, size in zip(self.shapes, self._sizes, strict=True):
            parts.append(row[start : start + size].reshape(shape))
            start += size
        return tuple(parts)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
