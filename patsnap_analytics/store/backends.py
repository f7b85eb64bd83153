"""requests-cache's SQLite backend as the cache file needs it: writes locked for a bounded time, a read-only
backend for a file one cannot write, and text record tables (the rules are :mod:`patsnap_analytics.store.file`'s).

Apart from :mod:`~patsnap_analytics.store.file` because these classes subclass requests-cache's, and importing
requests-cache loads every backend it knows (Redis included): about 120 ms that ``import patsnap_analytics``
must not pay. The store imports this module when a client opens its cache.

Example:
    >>> import tempfile, pathlib
    >>> record_dict(pathlib.Path(tempfile.mkdtemp()) / "c.sqlite", "uploads").table_name
    'uploads'
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from requests_cache.backends.base import BaseCache
from requests_cache.backends.sqlite import SQLiteCache, SQLiteDict

from .file import LOCK_WAIT, read_only_connection

__all__ = ["BoundedSQLiteDict", "SQLiteFileCache", "read_only_backend", "record_dict"]


class BoundedSQLiteDict(SQLiteDict):
    """requests-cache's ``SQLiteDict`` whose writes wait for a busy file at most :data:`LOCK_WAIT` seconds and
    raise every other error at once; a failed write is rolled back and raised (the library drops it silently).

    Example:
        >>> import tempfile, pathlib
        >>> table = BoundedSQLiteDict(pathlib.Path(tempfile.mkdtemp()) / "c.sqlite", "t", serializer=None)
        >>> table["k"] = "v"; table["k"]
        'v'
    """

    @contextlib.contextmanager
    def _acquire_sqlite_lock(self) -> Iterator[None]:  # requests-cache's own name: every write comes here
        with self._lock:
            deadline = time.monotonic() + LOCK_WAIT
            while True:
                try:
                    self._connection.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if not _busy(exc):
                        raise  # damaged, full, read-only: waiting changes nothing
                    if time.monotonic() >= deadline:
                        raise sqlite3.OperationalError(f"database is locked: another connection has held it "
                                                       f"for more than {LOCK_WAIT:g} s") from None
                    time.sleep(0.01)
            self._active_transaction = True
            try:
                yield
                self._connection.commit()
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._connection.rollback()
                raise
            finally:
                self._active_transaction = False


def _busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SQLiteFileCache(SQLiteCache):
    """requests-cache's SQLite backend on :class:`BoundedSQLiteDict` tables (JSON, WAL, a bounded busy wait).

    Example:
        >>> import tempfile, pathlib
        >>> type(SQLiteFileCache(pathlib.Path(tempfile.mkdtemp()) / "c.sqlite").responses).__name__
        'BoundedSQLiteDict'
    """

    def __init__(self, db_path: Path, **kwargs: Any) -> None:
        BaseCache.__init__(self, cache_name=str(db_path))
        options = {"wal": True, "busy_timeout": int(LOCK_WAIT * 1000), **kwargs}
        self.responses = BoundedSQLiteDict(db_path, table_name="responses", serializer="json", **options)
        self.redirects = BoundedSQLiteDict(db_path, table_name="redirects", lock=self.responses._lock,
                                           serializer=None, **options)


def read_only_backend(path: Path) -> Any:
    """A requests-cache backend reading ``path`` through a read-only, immutable SQLite connection (a WAL
    file in a folder one cannot write cannot be opened the usual way; nothing is ever written)."""
    from requests_cache.backends.base import BaseCache, BaseStorage
    from requests_cache.serializers import init_serializer

    def connect() -> sqlite3.Connection:
        db = read_only_connection(path)
        try:
            db.execute("SELECT COUNT(*) FROM responses").fetchone()
        except sqlite3.Error:
            db.close()
            raise
        return db

    class ReadOnlyTable(BaseStorage):
        def __init__(self, table: str, serializer: Any) -> None:
            super().__init__(serializer=serializer)
            self.table = table
            self.db = connect()

        def __getitem__(self, key: str) -> Any:
            try:
                row = self.db.execute(f"SELECT value FROM {self.table} WHERE key=?", (key,)).fetchone()
            except sqlite3.Error:
                row = None
            if row is None:
                raise KeyError(key)
            return self.deserialize(key, row[0])

        def __setitem__(self, key: str, value: Any) -> None:
            pass  # read-only: nothing is stored (the transport says so once)

        def __delitem__(self, key: str) -> None:
            raise KeyError(key)

        def __iter__(self):
            return iter([r[0] for r in self.db.execute(f"SELECT key FROM {self.table}")])

        def __len__(self) -> int:
            return self.db.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()[0]

        def clear(self) -> None:
            pass

    class ReadOnlyCache(BaseCache):
        db_path = path

        def __init__(self) -> None:
            super().__init__(cache_name=str(path))
            self.responses = ReadOnlyTable("responses", init_serializer("json", decode_content=False))
            self.redirects = ReadOnlyTable("redirects", None)

    return ReadOnlyCache()



def record_dict(path: Path, table_name: str) -> BoundedSQLiteDict:
    """A table of text records in the cache file (values stored as given: the callers store JSON text)."""
    return BoundedSQLiteDict(path, table_name=table_name, serializer=None, wal=True,
                             busy_timeout=int(LOCK_WAIT * 1000))
