"""The durable prediction store: every model output, committed per batch, in SQLite (WAL mode).

One store serves crash-safe resume and reuse across runs. A prediction is found again only when
everything that determines it is the same; that is the *context* (model fingerprint and
description, preprocessing, model options, task name, version, data fingerprint, prompt and
generation settings, device kind, mmbench version and the stage), plus the item's key within its
stage (sample id, text digest, or pair id). Batch size, process and device count and the output
folder are not part of it, so none of them changes a stored answer.

Layout (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`)::

    contexts(id INTEGER PRIMARY KEY, digest TEXT UNIQUE, description TEXT)   -- canonical JSON
    predictions(context, item, kind, shape, value, UNIQUE(context, item))

``kind`` 0: UTF-8 text (generated captions, answers); 1: float32 little-endian bytes of an array
whose shape is ``shape`` (comma-separated, empty for a scalar such as an ITM score). A context
row whose stored description differs from the one its digest was computed from (an edited
store) is never used. Each batch is one transaction: a kill leaves the store at the last commit.
Several processes may write one store (WAL, busy timeout); a store on a network file system is
not supported by SQLite's locking, so keep one per node.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from mmbench.errors import UserError

SCHEMA_VERSION = 1
DEFAULT_NAME = "predictions.sqlite"
_BUSY_TIMEOUT_MS = 120_000
_TEXT, _FLOAT32 = 0, 1


def default_store_path() -> Path:
    """``$MMBENCH_CACHE/predictions.sqlite`` (default cache: ``~/.cache/mmbench``)."""
    from mmbench.data.shapes import cache_root

    return cache_root() / DEFAULT_NAME


def context_digest(description: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(description).encode()).hexdigest()


class PredictionStore:
    """``get`` / ``put`` per-item outputs of one context; ``put`` commits one transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA page_size = 65536")  # a new store only: many kilobyte-sized embedding rows per page
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self._db.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash keeps every commit; power loss may drop the last ones
            self._create()
        except sqlite3.DatabaseError as e:
            raise UserError(f"{self.path}: cannot open the prediction store ({e}); choose another with --store or delete it") from None
        if str(mode).lower() != "wal":
            raise UserError(f"{self.path}: SQLite refused WAL mode here (journal mode {mode}); put the store on a local disk (--store PATH)")

    def _create(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise UserError(f"{self.path}: prediction store schema {version}, this mmbench writes {SCHEMA_VERSION}; use another --store")
        with self._transaction():
            self._db.execute("CREATE TABLE IF NOT EXISTS contexts (id INTEGER PRIMARY KEY, digest TEXT UNIQUE NOT NULL, "
                             "description TEXT NOT NULL)")
            # a rowid table: embeddings are kilobytes, which WITHOUT ROWID tables store poorly
            self._db.execute("CREATE TABLE IF NOT EXISTS predictions (context INTEGER NOT NULL, item TEXT NOT NULL, "
                             "kind INTEGER NOT NULL, shape TEXT NOT NULL, value BLOB NOT NULL, UNIQUE (context, item))")
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _transaction(self) -> Any:
        return _Transaction(self._db)

    def close(self) -> None:
        self._db.close()

    # ---- contexts ---------------------------------------------------------------------------------
    def context(self, description: dict[str, Any]) -> int | None:
        """The id of the context with this exact description, or None when the store has none
        (or only a row whose description was edited after its digest was computed)."""
        row = self._db.execute("SELECT id, description FROM contexts WHERE digest = ?", (context_digest(description),)).fetchone()
        if row is None or row[1] != _canonical(description):
            return None
        return int(row[0])

    def create_context(self, description: dict[str, Any]) -> int:
        """The context's id, creating it if needed; an edited row with the same digest is replaced."""
        digest, text = context_digest(description), _canonical(description)
        with self._transaction():
            row = self._db.execute("SELECT id, description FROM contexts WHERE digest = ?", (digest,)).fetchone()
            if row is not None and row[1] == text:
                return int(row[0])
            if row is not None:  # same digest, other description: a tampered row; drop it and its predictions
                self._db.execute("DELETE FROM predictions WHERE context = ?", (row[0],))
                self._db.execute("DELETE FROM contexts WHERE id = ?", (row[0],))
            cursor = self._db.execute("INSERT INTO contexts (digest, description) VALUES (?, ?)", (digest, text))
            return int(cursor.lastrowid or 0)

    # ---- predictions ------------------------------------------------------------------------------
    def get(self, context: int | None, items: Sequence[str]) -> dict[str, Any]:
        """Stored outputs of ``items`` (those found), decoded: str, or a float32 numpy array."""
        if context is None or not items:
            return {}
        found: dict[str, Any] = {}
        wanted = set(items)
        for item, kind, shape, value in self._db.execute("SELECT item, kind, shape, value FROM predictions WHERE context = ?", (context,)):
            if item in wanted:
                found[item] = decode(kind, shape, value)
        return found

    def put(self, context: int, rows: Iterable[tuple[str, Any]]) -> None:
        """Store (item, output) pairs in one transaction (replacing any earlier output of an item)."""
        encoded = [(context, item, *encode(output)) for item, output in rows]
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO predictions (context, item, kind, shape, value) VALUES (?, ?, ?, ?, ?)", encoded)

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0])


class _Transaction:
    """``BEGIN IMMEDIATE`` .. ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def encode(output: Any) -> tuple[int, str, bytes]:
    """(kind, shape, bytes) of one output: text as UTF-8, anything numeric as float32 bytes."""
    if isinstance(output, str):
        return _TEXT, "", output.encode("utf-8")
    array = np.array(output, dtype="<f4", order="C")  # (not ascontiguousarray: it turns a scalar into shape (1,))
    return _FLOAT32, ",".join(str(n) for n in array.shape), array.tobytes()


def decode(kind: int, shape: str, value: bytes) -> Any:
    if kind == _TEXT:
        return bytes(value).decode("utf-8")
    dims = tuple(int(n) for n in shape.split(",")) if shape else ()
    return np.frombuffer(value, dtype="<f4").reshape(dims).astype(np.float32)


def as_output(row: Any) -> Any:
    """The form every output takes in memory, fresh or from the store: text stays text, any
    number or array becomes a float32 numpy array (so a resumed run equals an uninterrupted one)."""
    if isinstance(row, str):
        return row
    return decode(*encode(row))


def _canonical(description: dict[str, Any]) -> str:
    return json.dumps(description, sort_keys=True, separators=(",", ":"), default=str)
